"""Reading audio: WAV files of any common format, as 16 kHz mono int16 samples."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from .errors import VoiceskillError

SAMPLE_RATE = 16_000


class AudioError(VoiceskillError):
    """An audio file that cannot be used; names the file and the problem."""


def _decode(raw: bytes, width: int) -> np.ndarray:
    """PCM bytes to float32 in -1..1, for 8-bit unsigned, 16/24/32-bit signed samples."""
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((len(bytes3), 4), dtype=np.uint8)
        padded[:, 1:] = bytes3
        return padded.view("<i4").reshape(-1).astype(np.float32) / 2147483648.0
    if width == 4:
        return np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    raise ValueError(f"unsupported sample width of {width} bytes")


def to_16k_mono(samples: np.ndarray, rate: int, channels: int = 1) -> np.ndarray:
    """Mix down to mono and resample (soxr, high quality) to 16 kHz int16."""
    audio = samples.astype(np.float32)
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1)
    if rate != SAMPLE_RATE:
        import soxr

        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ")
    return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def read_wav(path: str | Path) -> np.ndarray:
    """A WAV file as 16 kHz mono int16; AudioError names the file when it cannot be read."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            frames = wav.getnframes()
            raw = wav.readframes(frames)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such audio file") from None
    except (wave.Error, EOFError) as exc:
        problem = str(exc) or "no RIFF/WAVE header"
        raise AudioError(f"{path}: not a readable WAV file ({problem}); convert it with "
                         f"`sox {path.name} -r 16000 -c 1 -b 16 out.wav`") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror})") from None
    if frames == 0 or not raw:
        raise AudioError(f"{path}: the WAV file holds no audio")
    usable = len(raw) - len(raw) % (width * channels)
    if usable < width * channels * (rate // 100):
        raise AudioError(f"{path}: the WAV file is truncated (less than 10 ms of audio)")
    try:
        samples = _decode(raw[:usable], width)
    except ValueError as exc:
        raise AudioError(f"{path}: {exc}") from None
    return to_16k_mono(samples, rate, channels)
