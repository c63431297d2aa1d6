"""Audio input: any common WAV becomes 16 kHz mono int16; bad files get a clear error."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceskill.audio import (
    ALAW_TABLE,
    MAX_SECONDS,
    MULAW_TABLE,
    AudioError,
    read_header,
    read_wav,
)
from voiceskill.errors import VoiceskillError

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="needs the sox program")


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


def chunk(kind: bytes, body: bytes) -> bytes:
    """One RIFF chunk, with the pad byte an odd size needs."""
    return kind + struct.pack("<I", len(body)) + body + b"\0" * (len(body) % 2)


def fmt_body(tag: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16) -> bytes:
    block = channels * ((bits + 7) // 8)
    return struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)


def extensible_body(real_tag: int, channels: int, rate: int, bits: int) -> bytes:
    guid = struct.pack("<H", real_tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    return fmt_body(0xFFFE, channels, rate, bits) + struct.pack("<HHI", 22, bits, 0) + guid


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def sine(rate: int, seconds: float = 0.5, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)


def assert_sine(samples: np.ndarray, seconds: float = 0.5, amplitude: float = 0.5) -> None:
    """16 kHz int16 of the expected length (±1 %), holding a 440 Hz tone of the expected level."""
    assert samples.dtype == np.int16
    assert abs(len(samples) - 16000 * seconds) <= 0.01 * 16000 * seconds
    audio = samples.astype(np.float64) / 32768
    rms = np.sqrt(np.mean(audio[200:-200] ** 2))
    assert rms == pytest.approx(amplitude / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / 16000)[spectrum.argmax()] == pytest.approx(440, abs=5)


@pytest.mark.parametrize("rate, channels, width", [
    (16000, 1, 2), (8000, 1, 2), (22050, 1, 2), (44100, 2, 2), (48000, 2, 3), (11025, 1, 1), (32000, 1, 4),
])
def test_formats_become_16k_mono(tmp_path: Path, rate: int, channels: int, width: int) -> None:
    samples = read_wav(write(tmp_path / "a.wav", rate, channels, width))
    assert samples.dtype == np.int16
    assert abs(len(samples) - 8000) <= 2
    assert 12000 < np.abs(samples).max() < 17000


@needs_sox
@pytest.mark.parametrize("options, tag", [
    ("-r 96000 -b 24 -e signed-integer", 0xFFFE),
    ("-r 48000 -b 32 -e signed-integer", 0xFFFE),
    ("-r 48000 -c 2 -b 24 -e signed-integer", 0xFFFE),
    ("-r 44100 -b 32 -e floating-point", 3),
    ("-r 22050 -b 64 -e floating-point", 3),
    ("-r 8000 -e a-law", 6),
    ("-r 8000 -e u-law", 7),
    ("-r 11025 -b 8 -e unsigned-integer", 1),
    ("-r 16000 -b 16 -e signed-integer", 1),
])
def test_files_as_sox_writes_them(tmp_path: Path, options: str, tag: int) -> None:
    """The probe's rejected formats: WAVE_FORMAT_EXTENSIBLE, float, A-law and µ-law."""
    path = tmp_path / "sox.wav"
    subprocess.run(["sox", "-n", *options.split(), str(path), "synth", "0.5", "sine", "440", "vol", "0.5"],
                   check=True, capture_output=True)
    assert struct.unpack("<H", path.read_bytes()[20:22])[0] == tag
    assert_sine(read_wav(path))


@pytest.mark.parametrize("tag, bits, dtype", [(3, 32, "<f4"), (3, 64, "<f8"), (1, 24, None), (1, 32, "<i4")])
def test_extensible_and_float_headers_written_by_hand(tmp_path: Path, tag: int, bits: int, dtype: str | None) -> None:
    tone = sine(48000)
    if dtype is None:
        ints = (tone * (2**23 - 1)).astype("<i4")
        data = np.stack([ints & 0xFF, (ints >> 8) & 0xFF, (ints >> 16) & 0xFF], axis=1).astype(np.uint8).tobytes()
    else:
        data = (tone if tag == 3 else tone * (2**31 - 1)).astype(dtype).tobytes()
    plain = tmp_path / "plain.wav"
    plain.write_bytes(riff(chunk(b"fmt ", fmt_body(tag, 1, 48000, bits)), chunk(b"data", data)))
    wrapped = tmp_path / "wrapped.wav"
    wrapped.write_bytes(riff(chunk(b"fmt ", extensible_body(tag, 1, 48000, bits)), chunk(b"data", data)))
    assert_sine(read_wav(plain))
    assert_sine(read_wav(wrapped))


def test_g711_tables_match_sox() -> None:
    """The A-law and µ-law tables give exactly what sox's own G.711 decoder gives."""
    if shutil.which("sox") is None:
        pytest.skip("needs the sox program")
    for encoding, table in (("a-law", ALAW_TABLE), ("u-law", MULAW_TABLE)):
        decoded = subprocess.run(["sox", "-t", "raw", "-r", "8000", "-c", "1", "-e", encoding, "-b", "8", "-",
                                  "-t", "raw", "-e", "signed-integer", "-b", "16", "-"],
                                 input=bytes(range(256)), capture_output=True, check=True).stdout
        assert np.array_equal(np.frombuffer(decoded, "<i2"), (table * 32768).astype(np.int16))


def test_odd_chunks_padding_and_chunk_order(tmp_path: Path) -> None:
    """Odd-sized chunks are padded, unknown ones skipped, and `fmt ` may even follow `data`."""
    data = (sine(16000) * 32767).astype("<i2").tobytes()
    odd = chunk(b"LIST", b"INFOx")
    path = tmp_path / "odd.wav"
    path.write_bytes(riff(odd, chunk(b"fmt ", fmt_body()), odd, chunk(b"data", data), odd))
    assert_sine(read_wav(path))
    path.write_bytes(riff(odd, chunk(b"data", data), chunk(b"fmt ", fmt_body())))
    assert_sine(read_wav(path))
    odd_data = riff(chunk(b"fmt ", fmt_body(bits=8)), chunk(b"data", bytes([128]) * 8001))
    path.write_bytes(odd_data[:-1])
    assert len(read_wav(path)) == 8001


def test_streamed_file_with_placeholder_size_is_read_to_its_end(tmp_path: Path) -> None:
    """sox and ffmpeg writing into a pipe cannot fill in the sizes: that is not truncation."""
    data = (sine(16000) * 32767).astype("<i2").tobytes()
    for placeholder in (0x7FFFF000, 0xFFFFFFFF):
        path = tmp_path / "streamed.wav"
        path.write_bytes(b"RIFF" + struct.pack("<I", placeholder) + b"WAVE" + chunk(b"fmt ", fmt_body())
                         + b"data" + struct.pack("<I", placeholder) + data)
        assert_sine(read_wav(path))


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
    with pytest.raises(AudioError, match="truncated.wav: the WAV file is truncated"):
        read_wav(truncated)


AUDIO = b"\0\1" * 800
BAD_FILES = {
    "not RIFF": (b"ID3\x04" + bytes(60), r"not a readable WAV file \(no RIFF/WAVE header\)"),
    "RF64": (b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + bytes(40), "RF64 WAV files are not supported"),
    "too short": (b"RIFF", "no RIFF/WAVE header"),
    "no fmt": (riff(chunk(b"data", AUDIO)), "no 'fmt ' chunk"),
    "no data": (riff(chunk(b"fmt ", fmt_body())), "no 'data' chunk"),
    "short fmt": (riff(chunk(b"fmt ", fmt_body()[:10]), chunk(b"data", AUDIO)), "too short"),
    "short extensible": (riff(chunk(b"fmt ", extensible_body(1, 1, 16000, 16)[:30]), chunk(b"data", AUDIO)),
                         "EXTENSIBLE header is cut short"),
    "ADPCM": (riff(chunk(b"fmt ", fmt_body(tag=2, bits=4)), chunk(b"data", AUDIO)),
              r"format tag 2 \(0x0002\) is not supported; supported are 8/16/24/32-bit integer PCM"),
    "extensible ADPCM": (riff(chunk(b"fmt ", extensible_body(0x11, 1, 16000, 4)), chunk(b"data", AUDIO)),
                         "format tag 17"),
    "64-bit int": (riff(chunk(b"fmt ", fmt_body(bits=64)), chunk(b"data", AUDIO)),
                   "64-bit integer PCM is not supported; supported are"),
    "16-bit float": (riff(chunk(b"fmt ", fmt_body(tag=3, bits=16)), chunk(b"data", AUDIO)),
                     "16-bit IEEE float is not supported"),
    "16-bit A-law": (riff(chunk(b"fmt ", fmt_body(tag=6, bits=16)), chunk(b"data", AUDIO)),
                     "16-bit A-law is not supported"),
    "no channels": (riff(chunk(b"fmt ", fmt_body(channels=0)), chunk(b"data", AUDIO)), "0 channels"),
    "rate 0": (riff(chunk(b"fmt ", fmt_body(rate=0)), chunk(b"data", AUDIO)), "sample rate of 0 Hz"),
    "rate absurd": (riff(chunk(b"fmt ", fmt_body(rate=4_000_000)), chunk(b"data", AUDIO)),
                    "4000000 Hz is not plausible"),
    "truncated": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", AUDIO))[:-600],
                  "truncated: its header says 1600 bytes of audio, the file holds 1000"),
    "less than a frame": (riff(chunk(b"fmt ", fmt_body(channels=2)), chunk(b"data", b"\0\1")), "holds no audio"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_each_bad_file_gets_its_own_clear_audio_error(tmp_path: Path, name: str) -> None:
    content, words = BAD_FILES[name]
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=words) as caught:
        read_wav(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert isinstance(caught.value, VoiceskillError)


def test_a_folder_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot read"):
        read_wav(tmp_path)


def test_ten_minutes_are_refused_from_the_header_without_reading_them(tmp_path: Path) -> None:
    """The probe's 10-minute file took 278 s and 1 GB; the header alone now settles it."""
    path = tmp_path / "long.wav"
    size = 600 * 16000 * 2
    path.write_bytes(riff(chunk(b"fmt ", fmt_body())) + b"data" + struct.pack("<I", size))
    os.truncate(path, path.stat().st_size + size)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(AudioError, match=r"long.wav: the recording is 600.0 s, longer than 30 s") as caught:
            read_wav(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 0.5
    assert peak < 1_000_000
    assert "sox long.wav short.wav trim 0 30" in str(caught.value)


def test_the_limit_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "31s.wav"
    path.write_bytes(riff(chunk(b"fmt ", fmt_body(rate=8000)),
                          chunk(b"data", (sine(8000, 31) * 32767).astype("<i2").tobytes())))
    assert MAX_SECONDS == 30.0
    with pytest.raises(AudioError, match="31.0 s, longer than 30 s"):
        read_wav(path)
    with pytest.raises(AudioError, match="longer than 2.5 s"):
        read_wav(path, max_seconds=2.5)
    assert_sine(read_wav(path, max_seconds=None), seconds=31)
    assert len(read_wav(path, max_seconds=31)) == 31 * 16000
    assert read_header(path).seconds == 31


def test_replay_reports_bad_audio_without_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from voiceskill.cli import main

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF1234WAVEjunk")
    result = CliRunner().invoke(main, ["replay", str(bad), "--engine", "vosk", "--model", str(tmp_path),
                                       "--db", ":memory:"])
    assert result.exit_code == 2 and "Traceback" not in result.output


VALID = riff(chunk(b"LIST", b"INFOx"), chunk(b"fmt ", extensible_body(1, 2, 8000, 16)),
             chunk(b"data", (np.repeat(sine(8000, 0.05), 2) * 32767).astype("<i2").tobytes()))


def _read_or_audio_error(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    try:
        samples = read_wav(path)
    except AudioError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert samples.dtype == np.int16 and samples.ndim == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.binary(max_size=200).map(lambda tail: b"RIFF\0\0\0\0WAVE" + tail))
def test_random_bytes_give_only_audio_errors(tmp_path: Path, content: bytes) -> None:
    _read_or_audio_error(tmp_path / "random.wav", content)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(1, len(VALID)))
def test_mutated_headers_give_only_audio_errors(tmp_path: Path, changes: list[tuple[int, int]], keep: int) -> None:
    content = bytearray(VALID)
    for position, value in changes:
        content[position] = value
    _read_or_audio_error(tmp_path / "mutated.wav", bytes(content[:keep]))
