"""Reading audio: WAV files as 16 kHz mono int16 samples, with a clear error for bad ones.

The RIFF chunks are parsed here rather than by the standard ``wave`` module, which refuses
IEEE float, A-law and µ-law data and (before Python 3.12) WAVE_FORMAT_EXTENSIBLE headers, as
sox and most recorders write for 24-bit, 32-bit or multichannel audio. The header is checked
against the file and the duration against a limit before any audio is read, so a truncated
or hour-long file is refused at once instead of being recognised as silence or for minutes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import VoiceskillError

SAMPLE_RATE = 16_000
MAX_SECONDS = 30.0
"""Default longest utterance read_wav accepts: a spoken shopping command takes a few seconds."""
MIN_RATE, MAX_RATE = 1_000, 768_000
"""Sample rates outside this range are a broken header, not a recording."""

PCM, IEEE_FLOAT, ALAW, MULAW, EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
SUPPORTED_BITS = {PCM: (8, 16, 24, 32), IEEE_FLOAT: (32, 64), ALAW: (8,), MULAW: (8,)}
FORMAT_NAMES = {PCM: "integer PCM", IEEE_FLOAT: "IEEE float", ALAW: "A-law", MULAW: "µ-law"}
SUPPORTED = "8/16/24/32-bit integer PCM, 32/64-bit float, 8-bit A-law or µ-law"

_MAX_CHUNKS = 1_000
_MAX_FMT_BYTES = 1_024
_BLOCK_FRAMES = 1 << 16
_STREAMING_SIZE = 0x7FFF0000
"""Writers that cannot seek back leave a size of about 2 or 4 GiB (sox 0x7ffff000, ffmpeg
0xffffffff); such a size beyond the end of the file means "until the end", not truncation."""


class AudioError(VoiceskillError):
    """An audio file that cannot be used; names the file, the problem and the fix."""


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says, checked against the file: where the audio is and how it is coded."""

    tag: int
    channels: int
    rate: int
    bits: int
    data_offset: int
    data_size: int

    @property
    def frame_bytes(self) -> int:
        return self.channels * (self.bits // 8)

    @property
    def frames(self) -> int:
        return self.data_size // self.frame_bytes

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def _g711_tables() -> tuple[np.ndarray, np.ndarray]:
    """A-law and µ-law byte -> sample in -1..1, from the G.711 expansion formulas.

    Computed here because audioop, which did this, is gone from Python 3.13.
    """
    codes = np.arange(256)
    ulaw = ~codes & 0xFF
    exponent, mantissa = (ulaw >> 4) & 0x07, ulaw & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    mulaw = np.where(ulaw & 0x80, -magnitude, magnitude)
    alaw_bits = codes ^ 0x55
    exponent, mantissa = (alaw_bits >> 4) & 0x07, alaw_bits & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8,
                         ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    alaw = np.where(alaw_bits & 0x80, magnitude, -magnitude)
    return (alaw / 32768.0).astype(np.float32), (mulaw / 32768.0).astype(np.float32)


ALAW_TABLE, MULAW_TABLE = _g711_tables()


def _convert_hint(path: Path) -> str:
    return f"convert it with `sox {path.name} -r 16000 -c 1 -b 16 out.wav`"


def _parse_fmt(path: Path, body: bytes) -> tuple[int, int, int, int]:
    """(format tag, channels, rate, bits) from a `fmt ` chunk, EXTENSIBLE resolved to its real tag.

    Integer samples of 12 or 20 bits sit left-aligned in 16 or 24 (as the `wave` module reads them).
    """
    if len(body) < 16:
        raise AudioError(f"{path}: the WAV 'fmt ' chunk is {len(body)} bytes, too short for a "
                         f"format description; {_convert_hint(path)}")
    tag, channels, rate, _byte_rate, _block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == EXTENSIBLE:
        if len(body) < 40:
            raise AudioError(f"{path}: the WAVE_FORMAT_EXTENSIBLE header is cut short "
                             f"({len(body)} of 40 bytes); {_convert_hint(path)}")
        tag = struct.unpack("<H", body[24:26])[0]
    if tag == PCM:
        bits = (bits + 7) // 8 * 8
    return tag, channels, rate, bits


def _check_format(path: Path, tag: int, channels: int, rate: int, bits: int) -> None:
    """Refuse a coding this module cannot decode, or numbers no recording has."""
    if tag not in SUPPORTED_BITS:
        raise AudioError(f"{path}: WAV format tag {tag} (0x{tag:04x}) is not supported; supported are "
                         f"{SUPPORTED}; {_convert_hint(path)}")
    if bits not in SUPPORTED_BITS[tag]:
        raise AudioError(f"{path}: {bits}-bit {FORMAT_NAMES[tag]} is not supported; supported are "
                         f"{SUPPORTED}; {_convert_hint(path)}")
    if channels == 0:
        raise AudioError(f"{path}: the WAV header says 0 channels, so the file is damaged; "
                         "record or export it again")
    if rate == 0:
        raise AudioError(f"{path}: the WAV header says a sample rate of 0 Hz, so the file is damaged; "
                         "record or export it again")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"{path}: a sample rate of {rate} Hz is not plausible (expected "
                         f"{MIN_RATE}..{MAX_RATE} Hz); the header is damaged or the file is not speech")


def _read_chunks(path: Path, wav: BinaryIO, file_size: int) -> WavInfo:
    """Walk the RIFF chunks to `fmt ` and `data`; only the header bytes are read."""
    riff = wav.read(12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        if riff[:4] in (b"RF64", b"RIFX", b"BW64"):
            problem = f"{riff[:4].decode()} WAV files are not supported"
        else:
            problem = "no RIFF/WAVE header"
        raise AudioError(f"{path}: not a readable WAV file ({problem}); {_convert_hint(path)}")
    fmt: tuple[int, int, int, int] | None = None
    data: tuple[int, int] | None = None
    for _ in range(_MAX_CHUNKS):
        header = wav.read(8)
        if len(header) < 8:
            break
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        start = wav.tell()
        if chunk_id == b"fmt " and fmt is None:
            fmt = _parse_fmt(path, wav.read(min(size, _MAX_FMT_BYTES)))
        elif chunk_id == b"data" and data is None:
            data = (start, size)
            if fmt is not None:
                break
        wav.seek(start + size + (size & 1))
    if fmt is None:
        raise AudioError(f"{path}: not a readable WAV file (no 'fmt ' chunk describing the audio); "
                         f"{_convert_hint(path)}")
    if data is None:
        raise AudioError(f"{path}: not a readable WAV file (no 'data' chunk with audio); "
                         f"{_convert_hint(path)}")
    _check_format(path, *fmt)
    offset, size = data
    held = max(file_size - offset, 0)
    if size >= _STREAMING_SIZE and size > held:
        size = held
    elif size > held:
        raise AudioError(f"{path}: the WAV file is truncated: its header says {size} bytes of audio, "
                         f"the file holds {held}; re-copy or re-export it, or keep what is there with "
                         f"`sox --ignore-length {path.name} fixed.wav`")
    return WavInfo(*fmt, data_offset=offset, data_size=size)


def read_header(path: str | Path) -> WavInfo:
    """The checked header of a WAV file, without reading its audio; AudioError when unusable."""
    path = Path(path)
    try:
        with path.open("rb") as wav:
            return _read_chunks(path, wav, path.stat().st_size)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such audio file") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _decode(raw: bytes, tag: int, bits: int) -> np.ndarray:
    """Sample bytes to float32 in -1..1; float data is clipped there, NaN becomes silence."""
    if tag == ALAW:
        return ALAW_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    if tag == MULAW:
        return MULAW_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    if tag == IEEE_FLOAT:
        floats = np.frombuffer(raw, dtype="<f4" if bits == 32 else "<f8")
        return np.clip(np.nan_to_num(floats, nan=0.0), -1.0, 1.0).astype(np.float32)
    if bits == 8:  # 8-bit WAV samples are unsigned, centred on 128
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    return pcm_to_float(raw, bits // 8)


def pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    """Little-endian signed PCM samples of ``width`` bytes (1-4) to float32 in -1..1."""
    if width == 1:
        return np.frombuffer(raw, dtype=np.int8).astype(np.float32) / 128.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((len(bytes3), 4), dtype=np.uint8)
        padded[:, 1:] = bytes3
        return padded.view("<i4").reshape(-1).astype(np.float32) / 2147483648.0
    return np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0


def _read_mono(path: Path, info: WavInfo) -> np.ndarray:
    """The audio mixed to mono float32, read in blocks so memory follows the mono length."""
    block_bytes = _BLOCK_FRAMES * info.frame_bytes
    remaining = info.frames * info.frame_bytes
    parts: list[np.ndarray] = []
    try:
        with path.open("rb") as wav:
            wav.seek(info.data_offset)
            while remaining > 0:
                raw = wav.read(min(block_bytes, remaining))
                raw = raw[:len(raw) - len(raw) % info.frame_bytes]
                if not raw:
                    break
                remaining -= len(raw)
                samples = _decode(raw, info.tag, info.bits)
                parts.append(samples.reshape(-1, info.channels).mean(axis=1, dtype=np.float32)
                             if info.channels > 1 else samples)
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if remaining > 0:
        raise AudioError(f"{path}: the WAV file was cut short while being read; copy it again")
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def to_16k_mono(samples: np.ndarray, rate: int, channels: int = 1) -> np.ndarray:
    """Mix down to mono and resample (soxr, high quality) to 16 kHz int16."""
    audio = samples.astype(np.float32)
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1)
    if rate != SAMPLE_RATE:
        import soxr

        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ")
    return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def read_wav(path: str | Path, max_seconds: float | None = MAX_SECONDS) -> np.ndarray:
    """A WAV file as 16 kHz mono int16; AudioError names the file and the fix when it cannot be used.

    Files longer than ``max_seconds`` (None: no limit) are refused from the header alone,
    before any audio is read, so an overlong recording costs milliseconds, not minutes.
    """
    path = Path(path)
    info = read_header(path)
    if info.frames == 0:
        raise AudioError(f"{path}: the WAV file holds no audio; record it again")
    if max_seconds is not None and info.seconds > max_seconds:
        raise AudioError(f"{path}: the recording is {info.seconds:.1f} s, longer than {max_seconds:g} s, "
                         "the limit for one spoken command; cut it to the command with "
                         f"`sox {path.name} short.wav trim 0 {max_seconds:g}` or say one command per file")
    return to_16k_mono(_read_mono(path, info), info.rate)
