"""Wyoming audio in: raw PCM chunks of any declared rate, width and channel count to what the
speech engines take (16 kHz mono int16), with the limits of one spoken command.

Wyoming audio is raw little-endian signed PCM (the convention of the library's own converter,
audioop: 8-bit samples are signed too, unlike 8-bit WAV). Every chunk declares its format; a
chunk whose format differs from the one before starts a new resampler, so a client may change
rate mid-stream. Audio is resampled as it arrives (soxr's streaming resampler), so one
utterance never holds more than 30 s of 16 kHz mono in memory, whatever rate it came in at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audio import MAX_RATE, MAX_SECONDS, MIN_RATE, SAMPLE_RATE, pcm_to_float

MAX_CHANNELS = 32
WIDTHS = (1, 2, 3, 4)
MAX_STREAM_BYTES = 64 * 1024 * 1024
"""Raw bytes one utterance may bring, whatever its format (30 s at 48 kHz, 32-bit stereo is 11.5 MB)."""


class AudioProblem(ValueError):
    """Audio a stream cannot take; ``code`` names it in the Wyoming `error` event."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _integer(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AudioProblem(f"audio {name} must be a whole number, not {value!r}"[:200], "bad-audio-format")
    return value


@dataclass(frozen=True)
class PcmFormat:
    """What an `audio-start` or `audio-chunk` declares: Hz, bytes per sample, channels."""

    rate: int
    width: int
    channels: int

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "PcmFormat":
        """The format an event declares; AudioProblem for a missing, odd or impossible one."""
        rate, width, channels = (_integer(data, name) for name in ("rate", "width", "channels"))
        if not MIN_RATE <= rate <= MAX_RATE:
            raise AudioProblem(f"audio rate {rate} Hz is outside {MIN_RATE}..{MAX_RATE} Hz", "bad-audio-format")
        if width not in WIDTHS:
            raise AudioProblem(f"audio width {width} is not 1, 2, 3 or 4 bytes per sample", "bad-audio-format")
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioProblem(f"audio channels {channels} is outside 1..{MAX_CHANNELS}", "bad-audio-format")
        return cls(rate, width, channels)

    @property
    def frame_bytes(self) -> int:
        return self.width * self.channels


class Utterance:
    """One audio stream, `audio-start` to `audio-stop`, kept as 16 kHz mono int16.

    ``add`` raises AudioProblem when the stream goes past ``max_seconds`` (of the audio as
    declared, not of the bytes) or MAX_STREAM_BYTES; the caller then drops the stream.
    """

    def __init__(self, fmt: PcmFormat, max_seconds: float = MAX_SECONDS) -> None:
        self.format = fmt
        self.max_seconds = max_seconds
        self.seconds = 0.0
        self.bytes = 0
        self._carry = b""
        self._resampler: Any = None
        self._rate = 0
        self._parts: list[np.ndarray] = []

    def add(self, raw: bytes, fmt: PcmFormat | None = None) -> None:
        """Take one chunk (``fmt``: what the chunk declares; the stream's when None)."""
        fmt = fmt or self.format
        if fmt != self.format:
            self._carry = b""  # half a frame of the old format means nothing in the new one
            self.format = fmt
        self.bytes += len(raw)
        if self.bytes > MAX_STREAM_BYTES:
            raise AudioProblem(f"the audio stream is larger than {MAX_STREAM_BYTES // (1024 * 1024)} MiB",
                               "audio-too-long")
        data = self._carry + raw
        whole = len(data) - len(data) % fmt.frame_bytes
        self._carry = data[whole:]
        if not whole:
            return
        frames = whole // fmt.frame_bytes
        self.seconds += frames / fmt.rate
        if self.seconds > self.max_seconds:
            raise AudioProblem(f"the audio is longer than {self.max_seconds:g} s, the limit for one spoken "
                               "command", "audio-too-long")
        samples = pcm_to_float(data[:whole], fmt.width)
        if fmt.channels > 1:
            samples = samples.reshape(-1, fmt.channels).mean(axis=1, dtype=np.float32)
        self._parts.append(self._resample(samples, fmt.rate))

    def _resample(self, samples: np.ndarray, rate: int) -> np.ndarray:
        if rate != self._rate:
            self._flush()
            self._rate = rate
            if rate != SAMPLE_RATE:
                import soxr

                self._resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        if self._resampler is None:
            return samples
        return self._resampler.resample_chunk(samples)

    def _flush(self) -> None:
        if self._resampler is not None:
            self._parts.append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        self._resampler = None

    def finish(self) -> np.ndarray:
        """The whole utterance as 16 kHz mono int16."""
        self._flush()
        audio = np.concatenate(self._parts) if self._parts else np.zeros(0, dtype=np.float32)
        self._parts = []
        return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
