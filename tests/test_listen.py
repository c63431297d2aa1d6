"""The listening loop on recorded audio, the end-of-speech detector, and the microphone check.

Audio is real espeak-ng speech (or synthetic tones); the recogniser is a stand-in that
returns a given transcript per utterance, since recognition is not what is tested here.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceskill import Assistant
from voiceskill.asr.base import NO_CONTEXT, Context, Transcript
from voiceskill.audio import read_wav
from voiceskill.catalog import Catalog
from voiceskill.listen import Listener, NoInputDevice, microphone_source, wav_source
from voiceskill.tts import make_speaker
from voiceskill.vad import Endpointer

RATE = 16_000
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng to make speech")


class FakeStream:
    """One utterance: keeps the audio it was given, answers with a fixed transcript."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = 0

    def accept(self, samples: np.ndarray) -> Transcript | None:
        assert samples.dtype == np.int16
        self.samples += len(samples)
        return None

    def finish(self) -> Transcript:
        return Transcript(self.text, confidence=0.9, engine="fake")


class FakeRecognizer:
    """Hands out the given transcripts in order, one per utterance."""

    name = "fake"

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.streams: list[FakeStream] = []
        self.contexts: list[Context] = []

    def stream(self, context: Context = NO_CONTEXT) -> FakeStream:
        self.contexts.append(context)
        self.streams.append(FakeStream(self.texts[len(self.streams)]))
        return self.streams[-1]


@pytest.fixture()
def speech(tmp_path: Path) -> Iterator[list[Path]]:
    """Spoken Dutch as WAV files (what is said does not matter to the fake recogniser)."""
    paths = []
    for i, text in enumerate(["twee bananen", "hallo sam, doe maar twee pakken melk", "hallo sam",
                              "een komkommer", "drie bananen"]):
        path = tmp_path / f"utterance{i}.wav"
        subprocess.run(["espeak-ng", "-v", "nl", "-w", str(path), text], check=True)
        paths.append(path)
    yield paths


def listener(assistant: Assistant, texts: list[str], paths: list[Path], tmp_path: Path,
             **options: object) -> tuple[Listener, FakeRecognizer, list[str]]:
    shown: list[str] = []
    recognizer = FakeRecognizer(texts)
    speaker = make_speaker(f"wav:{tmp_path / 'replies'}", echo=shown.append)
    options.setdefault("source", wav_source(paths[:len(texts)]))
    return Listener(assistant, recognizer, speaker, user="anna", **options), recognizer, shown


def test_wake_phrase_gates_commands(assistant: Assistant, speech: list[Path], tmp_path: Path) -> None:
    texts = ["twee bananen", "Hallo Sam, doe maar twee pakken halfvolle melk.", "hallo sam",
             "een komkommer", "drie bananen"]
    loop, recognizer, shown = listener(assistant, texts, speech, tmp_path)
    assert loop.run() == 5
    assert assistant.cart("anna") == {"halfvolle-melk": 2, "komkommer": 1}
    assert len(shown) == 3 and shown[1] == "Ja?"
    assert sorted(p.name for p in (tmp_path / "replies").iterdir()) == ["0001.wav", "0002.wav", "0003.wav"]
    for stream, path in zip(recognizer.streams, speech):
        assert stream.samples >= len(read_wav(path)) * 0.8


def test_a_question_opens_the_next_utterance(assistant: Assistant, speech: list[Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    read = assistant.expected
    monkeypatch.setattr(assistant, "expected",
                        lambda user="default", session=None: reads.append(user) or read(user, session))
    loop, recognizer, shown = listener(assistant, ["hallo sam melk", "halfvolle", "twee bananen"], speech, tmp_path)
    loop.run()
    assert reads == ["anna"] * 3, "the context is read once per utterance and given to both recogniser and dialogue"
    assert "?" in shown[0]
    assert assistant.cart("anna") == {"halfvolle-melk": 1}
    first, answer, after = recognizer.contexts[:3]
    assert first == Context() and answer.choosing and {"halfvolle-melk", "volle-melk"} <= set(answer.options)
    assert not after.choosing and after.products[0] == "halfvolle-melk", "the product just added comes first"


def test_latency_is_logged_once_per_reply(assistant: Assistant, speech: list[Path], tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    loop, _, _ = listener(assistant, ["twee bananen", "een komkommer", ""], speech, tmp_path, wake=None)
    with caplog.at_level(logging.INFO, logger="voiceskill.listen"):
        assert loop.run() == 3
    lines = [r.getMessage() for r in caplog.records if "reply after" in r.getMessage()]
    assert len(lines) == 2
    assert all(re.search(r"reply after \d+ ms", line) for line in lines)
    assert assistant.cart("anna") == {"bananen": 2, "komkommer": 1}


@pytest.mark.parametrize("stop_on_end, heard, cart", [
    (True, 2, {"bananen": 2}),
    (False, 3, {"bananen": 2, "komkommer": 1}),
])
def test_an_ended_conversation_stops_only_when_asked(assistant: Assistant, speech: list[Path], tmp_path: Path,
                                                     stop_on_end: bool, heard: int, cart: dict[str, int]) -> None:
    loop, _, _ = listener(assistant, ["twee bananen", "dat was het", "een komkommer"], speech, tmp_path,
                          wake=None, stop_on_end=stop_on_end)
    assert loop.run() == heard
    assert assistant.cart("anna") == cart


def test_max_utterances(assistant: Assistant, speech: list[Path], tmp_path: Path) -> None:
    loop, _, _ = listener(assistant, ["twee bananen", "een komkommer"], speech, tmp_path, wake=None)
    assert loop.run(max_utterances=1) == 1
    assert assistant.cart("anna") == {"bananen": 2}


def test_push_to_talk_needs_no_wake_phrase(assistant: Assistant, speech: list[Path], tmp_path: Path) -> None:
    presses = iter([True, True, False])
    loop, _, _ = listener(assistant, ["twee bananen", "een komkommer", "drie bananen"], speech, tmp_path,
                          push_to_talk=True, trigger=lambda: next(presses))
    assert loop.run() == 2
    assert assistant.cart("anna") == {"bananen": 2, "komkommer": 1}


def test_ctrl_c_stops_cleanly(assistant: Assistant, speech: list[Path], tmp_path: Path,
                              caplog: pytest.LogCaptureFixture) -> None:
    def interrupted() -> Iterator[np.ndarray]:
        yield from wav_source(speech[:1])
        raise KeyboardInterrupt

    loop, _, _ = listener(assistant, ["twee bananen", "een komkommer"], speech, tmp_path,
                          wake=None, source=interrupted())
    with caplog.at_level(logging.INFO, logger="voiceskill.listen"):
        assert loop.run() == 1
    assert "stopped" in caplog.text
    assert assistant.cart("anna") == {"bananen": 2}


def test_wav_source_gives_16k_int16_chunks_with_gaps(speech: list[Path]) -> None:
    chunks = list(wav_source(speech[:2], gap_ms=500, block_ms=100))
    assert all(c.dtype == np.int16 and len(c) <= 1600 for c in chunks)
    expected = sum(len(read_wav(p)) for p in speech[:2]) + 4 * 8000
    assert sum(len(c) for c in chunks) == expected


def tone(seconds: float, db: float = -20.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * hz * t) * 32767 * 10 ** (db / 20) * np.sqrt(2)).astype(np.int16)


def noise(seconds: float, db: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * 32767 * 10 ** (db / 20)).astype(np.int16)


def states(endpointer: Endpointer, audio: np.ndarray, block: int = 1600) -> list[str]:
    return [endpointer.feed(audio[i:i + block]) for i in range(0, len(audio), block)]


def test_endpointer_silence_speech_silence_ends_once() -> None:
    audio = np.concatenate([noise(1, -70), tone(1), noise(1, -70)])
    seen = states(Endpointer(), audio)
    assert seen[:10] == ["silence"] * 10
    assert "speech" in seen[10:20]
    assert seen.count("end") == 1
    assert 26 <= seen.index("end") <= 27  # 700 ms after the tone stopped at 2 s
    assert seen[-1] == "silence"


def test_endpointer_does_not_depend_on_chunk_size() -> None:
    audio = np.concatenate([noise(0.5, -70), tone(0.8), noise(1, -70)])
    for block in (160, 333, 1600, 4000):
        assert states(Endpointer(), audio, block).count("end") == 1


def test_endpointer_ignores_a_click_shorter_than_min_speech() -> None:
    audio = np.concatenate([noise(1, -70), tone(0.1, -6), noise(1.5, -70)])
    assert set(states(Endpointer(min_speech_ms=200), audio)) == {"silence"}


def test_endpointer_cuts_an_endless_utterance() -> None:
    seen = states(Endpointer(max_utterance_s=2), np.concatenate([noise(0.5, -70), tone(5, hz=200)]))
    assert seen.count("end") >= 1
    assert seen.index("end") <= 26


def test_endpointer_learns_a_steady_noise_floor() -> None:
    steady = Endpointer()
    assert set(states(steady, noise(3, -30))) == {"silence"}
    assert -34 < steady.noise_floor_db < -26
    assert "speech" in states(steady, tone(1, -5))
    fan = Endpointer(floor_window_s=2)
    seen = states(fan, np.concatenate([noise(1, -70), noise(6, -35, seed=2)]))
    assert seen[-10:] == ["silence"] * 10


def test_microphone_source_without_a_sound_card_explains_what_to_do() -> None:
    import sounddevice as sd

    if any(d["max_input_channels"] for d in sd.query_devices()):
        pytest.skip("this machine has a microphone")
    with pytest.raises(NoInputDevice) as caught:
        microphone_source()
    message = str(caught.value)
    for words in ("sounddevice sees", "USB microphone", "--device", "voiceskill replay"):
        assert words in message


def test_catalog_fixture_is_the_spec_catalog(catalog: Catalog) -> None:
    assert "komkommer" in catalog
