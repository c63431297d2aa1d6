"""Text-to-speech with the real espeak-ng Dutch voice: WAV files, threads, echo and specs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from voiceskill.errors import VoiceskillError
from voiceskill.reply import Reply
from voiceskill.tts import (
    ESPEAK_RATE,
    MBROLA_RATE,
    Speaker,
    TTSError,
    choose_voice,
    make_speaker,
)

REPLY = Reply("Ik heb 2 bananen toegevoegd (€ 0,50).",
              "Ik heb twee bananen toegevoegd, dat is vijftig cent.")


def wav_info(path: Path) -> tuple[int, int, int, int]:
    """(rate, channels, sample width, frames) as the wave module reads the header."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes()


def test_wav_mode_writes_a_numbered_wav_with_a_true_header(tmp_path: Path) -> None:
    speaker = make_speaker(f"wav:{tmp_path / 'out'}", echo=None)
    path = speaker.speak(REPLY)
    assert path == tmp_path / "out" / "0001.wav"
    rate, channels, width, frames = wav_info(path)
    assert (rate, channels, width) == (ESPEAK_RATE, 1, 2)
    assert 0.5 < frames / rate < 10.0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0001.wav"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng program")
def test_header_rate_matches_what_espeak_ng_itself_writes(tmp_path: Path) -> None:
    """The espeak-ng program labels its own output correctly: same rate, same length."""
    ours = make_speaker(f"wav:{tmp_path}", echo=None, rate=175).speak(REPLY)
    theirs = tmp_path / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "gmw/nl", "-s", "175", "-w", str(theirs), REPLY.speech], check=True)
    our_rate, *_, our_frames = wav_info(ours)
    their_rate, *_, their_frames = wav_info(theirs)
    assert our_rate == their_rate
    assert abs(our_frames - their_frames) < 0.1 * their_frames


def test_speech_rate_setting_changes_the_duration(tmp_path: Path) -> None:
    slow = make_speaker(f"wav:{tmp_path / 'slow'}", echo=None, rate=100).speak(REPLY)
    fast = make_speaker(f"wav:{tmp_path / 'fast'}", echo=None, rate=300).speak(REPLY)
    assert wav_info(slow)[3] > 1.5 * wav_info(fast)[3]


def test_threads_speaking_at_once_all_get_valid_distinct_files(tmp_path: Path) -> None:
    speaker = make_speaker(f"wav:{tmp_path}", echo=None)
    other = make_speaker(f"wav:{tmp_path / 'other'}", echo=None)
    written: list[Path] = []
    errors: list[BaseException] = []

    def work(target: Speaker, n: int) -> None:
        try:
            for i in range(3):
                written.append(target.speak(Reply("x", f"Nummer {n} en {i}, twee bananen graag.")))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(speaker if n % 2 else other, n)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(set(written)) == 18
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == [f"{i:04d}.wav" for i in range(1, 10)]
    for path in written:
        rate, _, _, frames = wav_info(path)
        assert rate == ESPEAK_RATE and 0.5 < frames / rate < 10.0
    assert not list(tmp_path.rglob("*.part"))


def test_numbering_continues_after_existing_files(tmp_path: Path) -> None:
    (tmp_path / "0007.wav").write_bytes(b"")
    assert make_speaker(f"wav:{tmp_path}", echo=None).speak(REPLY).name == "0008.wav"


def test_a_number_another_process_took_is_skipped_not_overwritten(tmp_path: Path) -> None:
    speaker = make_speaker(f"wav:{tmp_path}", echo=None)
    (tmp_path / "0001.wav").write_bytes(b"another run's reply")
    assert speaker.speak(REPLY) == tmp_path / "0002.wav"
    assert (tmp_path / "0001.wav").read_bytes() == b"another run's reply"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0001.wav", "0002.wav"]


def test_parallel_runs_into_one_folder_never_collide(tmp_path: Path) -> None:
    """Two processes speaking into the same wav:DIR at once: every reply gets its own file."""
    script = ("import sys; from voiceskill.reply import Reply; from voiceskill.tts import make_speaker; "
              "speaker = make_speaker('wav:' + sys.argv[1], echo=None); "
              "[print(speaker.speak(Reply('x', f'Run {sys.argv[2]}, antwoord {i}.'))) for i in range(4)]")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(n)], stdout=subprocess.PIPE,
                             text=True) for n in range(2)]
    written = [line for run in runs for line in run.communicate(timeout=120)[0].split()]
    assert all(run.returncode == 0 for run in runs)
    assert len(set(written)) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i:04d}.wav" for i in range(1, 9)]
    for path in written:
        rate, _, _, frames = wav_info(Path(path))
        assert rate == ESPEAK_RATE and frames > rate // 2


def test_without_hard_links_a_name_is_still_claimed_only_once(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT on a USB stick has no hard links: the name is reserved with O_EXCL instead."""
    from voiceskill.tts import _claim

    def no_links(*_: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first, second = tmp_path / ".a.part", tmp_path / ".b.part"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    assert _claim(first, tmp_path / "0001.wav")
    assert not _claim(second, tmp_path / "0001.wav")
    assert (tmp_path / "0001.wav").read_bytes() == b"first" and not first.exists() and second.exists()


def test_none_writes_nothing_but_still_echoes_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shown: list[str] = []
    assert make_speaker("none", echo=shown.append).speak(REPLY) is None
    assert shown == [REPLY.text]
    assert list(tmp_path.iterdir()) == []


def test_reply_text_is_echoed_and_pyttsx3_noise_is_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_speaker(f"wav:{tmp_path}").speak(REPLY)
    out = capsys.readouterr().out
    assert out == REPLY.text + "\n"


def test_echo_can_be_silenced_per_call(tmp_path: Path) -> None:
    shown: list[str] = []
    speaker = make_speaker(f"wav:{tmp_path}", echo=shown.append)
    speaker.say(REPLY, echo=None)
    speaker.speak(REPLY)
    assert shown == [REPLY.text]


def test_to_wav_writes_the_given_path_in_any_mode(tmp_path: Path) -> None:
    (tmp_path / "reply.wav").write_bytes(b"old")
    path = make_speaker("none", echo=None).to_wav(REPLY, tmp_path / "reply.wav")
    rate, _, _, frames = wav_info(path)
    assert rate == ESPEAK_RATE and frames > rate // 2
    assert [p.name for p in tmp_path.iterdir()] == ["reply.wav"]


@pytest.mark.parametrize("spec, words", [
    ("wav:", "needs a folder"),
    ("loud", "speak"),
    ("", "wav:DIR"),
    ("wave:/tmp", "none"),
])
def test_bad_spec_is_a_clear_error(spec: str, words: str) -> None:
    with pytest.raises(TTSError, match=words) as caught:
        make_speaker(spec)
    assert isinstance(caught.value, VoiceskillError)


def test_bad_rate_or_volume_is_a_clear_error() -> None:
    with pytest.raises(TTSError, match="rate"):
        make_speaker("none", rate=5)
    with pytest.raises(TTSError, match="volume"):
        make_speaker("none", volume=3.0)


def test_the_dutch_voice_is_chosen_from_the_installed_voices() -> None:
    import pyttsx3

    voices = pyttsx3.init().getProperty("voices")
    assert "nl" in choose_voice(voices)


def test_no_dutch_voice_names_the_package_to_install() -> None:
    from pyttsx3.voice import Voice

    with pytest.raises(TTSError, match="apt-get install espeak-ng"):
        choose_voice([Voice("gmw/en", "English", ["en"]), Voice("roa/fr", "French", ["fr"])])


def test_mbrola_voices_are_labelled_16_khz() -> None:
    from voiceskill.tts import voice_sample_rate

    assert voice_sample_rate("gmw/nl") == ESPEAK_RATE
    if not Path("/usr/share/mbrola/nl2").exists():
        assert voice_sample_rate("mb/mb-nl2") == MBROLA_RATE


def _can_play() -> bool:
    import sounddevice as sd

    return bool(shutil.which("aplay")) or any(d["max_output_channels"] for d in sd.query_devices())


@pytest.mark.skipif(_can_play(), reason="this machine can play audio")
def test_speak_without_a_loudspeaker_says_what_to_do() -> None:
    with pytest.raises(TTSError, match="alsa-utils") as caught:
        make_speaker("speak")
    assert "wav:DIR" in str(caught.value)
