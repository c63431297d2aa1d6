"""Audio input: any common WAV becomes 16 kHz mono int16; bad files get a clear error."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from voiceskill.audio import AudioError, read_wav


def write(path: Path, rate: int, channels: int, width: int, seconds: float = 0.5) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    scaled = {1: (tone * 127 + 128).astype(np.uint8), 2: (tone * 32767).astype("<i2"),
              4: (tone * 2**31 - 1).astype("<i4")}
    if width == 3:
        ints = (tone * (2**23 - 1)).astype("<i4")
        data = np.stack([ints & 0xFF, (ints >> 8) & 0xFF, (ints >> 16) & 0xFF], axis=1).astype(np.uint8)
    else:
        data = scaled[width]
    frames = np.repeat(data, channels, axis=0)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames.tobytes())
    return path


@pytest.mark.parametrize("rate, channels, width", [
    (16000, 1, 2), (8000, 1, 2), (22050, 1, 2), (44100, 2, 2), (48000, 2, 3), (11025, 1, 1), (32000, 1, 4),
])
def test_formats_become_16k_mono(tmp_path: Path, rate: int, channels: int, width: int) -> None:
    samples = read_wav(write(tmp_path / "a.wav", rate, channels, width))
    assert samples.dtype == np.int16
    assert abs(len(samples) - 8000) <= 2
    assert 12000 < np.abs(samples).max() < 17000


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    with pytest.raises(AudioError, match="notes.wav: not a readable WAV file"):
        read_wav(text)
    with pytest.raises(AudioError, match="missing.wav: no such audio file"):
        read_wav(tmp_path / "missing.wav")
    empty = write(tmp_path / "empty.wav", 16000, 1, 2, seconds=0)
    with pytest.raises(AudioError, match="empty.wav: the WAV file holds no audio"):
        read_wav(empty)
    good = write(tmp_path / "good.wav", 16000, 1, 2)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(AudioError, match="truncated.wav"):
        read_wav(truncated)


def test_replay_reports_bad_audio_without_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from voiceskill.cli import main

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF1234WAVEjunk")
    result = CliRunner().invoke(main, ["replay", str(bad), "--engine", "vosk", "--model", str(tmp_path),
                                       "--db", ":memory:"])
    assert result.exit_code == 2 and "Traceback" not in result.output
