"""Replies aloud: `--tts speak` (loudspeaker), `wav:DIR` (one WAV per reply) or `none`.

Speech is synthesised with pyttsx3 on espeak-ng's Dutch voice. pyttsx3 has one engine per
process and is not thread-safe, so every use goes through one lock; the engine is created on
first use, so importing this module (or `--tts none`) costs nothing. Two pyttsx3 quirks are
handled here: it writes every WAV header at 22,050 Hz whatever the voice really produces
(MBROLA voices give 16 kHz), and it prints "Audio saved to ..." on stdout. For `speak`, the
corrected WAV is played with `aplay` or sounddevice, because pyttsx3's own `say()` plays the
wrongly labelled file with `aplay` and ignores failures.
"""

from __future__ import annotations

import atexit
import gc

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
import wave
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal

from .errors import VoiceskillError
from .reply import Reply

ESPEAK_RATE = 22_050
MBROLA_RATE = 16_000
Echo = Callable[[str], object]
Mode = Literal["speak", "wav", "none"]

_ENGINE_LOCK = threading.RLock()
_PLAYBACK_LOCK = threading.Lock()
_engine: Any = None
_engine_errors: list[BaseException] = []


class TTSError(VoiceskillError):
    """Speech output that cannot work as asked; the message names the fix."""


class _WithoutSavedNotice:
    """Stands in for sys.stdout: drops pyttsx3's "Audio saved to ..." line, passes the rest on.

    pyttsx3 prints it from espeak-ng's callback thread, not the caller's, so the line is
    recognised by its text; output of other threads at the same time still gets through.
    """

    NOTICE = "Audio saved to "

    def __init__(self, target: Any) -> None:
        self._target = target
        self._notice_thread: int | None = None

    def write(self, text: str) -> int:
        if self._notice_thread is None and text.startswith(self.NOTICE):
            self._notice_thread = threading.get_ident()
            return len(text)
        if self._notice_thread == threading.get_ident() and text == "\n":
            self._notice_thread = None
            return len(text)
        return self._target.write(text) if self._target is not None else len(text)

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Swallow pyttsx3's "Audio saved" print (stdout is replaced only while synthesising)."""
    original = sys.stdout
    quiet = _WithoutSavedNotice(original)
    sys.stdout = quiet
    try:
        yield
    finally:
        if sys.stdout is quiet:
            sys.stdout = original


def _get_engine() -> Any:
    """The process-wide pyttsx3 engine (call with _ENGINE_LOCK held)."""
    global _engine
    if _engine is None:
        try:
            import pyttsx3

            engine = pyttsx3.init()
        except (ImportError, OSError, RuntimeError) as exc:
            raise TTSError(f"text-to-speech is not available ({exc}); install it with "
                           "`sudo apt-get install espeak-ng` and `pip install pyttsx3`") from None
        engine.connect("error", lambda name=None, exception=None, **_: _engine_errors.append(exception))
        _engine = engine
        atexit.register(_release_engine)
    return _engine


def _release_engine() -> None:
    """Drop the engine while the interpreter still works (pyttsx3's __del__ fails at shutdown)."""
    global _engine
    _engine = None
    gc.collect()


def _settle() -> None:
    """Wait until espeak-ng has applied the queued rate and volume.

    espeak-ng queues parameter changes; pyttsx3's runAndWait cancels whatever is still
    queued, so without this a new rate is silently lost now and then.
    """
    try:
        from pyttsx3.drivers import _espeak
    except (ImportError, OSError):
        return
    _espeak.Synchronize()


def choose_voice(voices: Sequence[Any], wanted: str | None = None) -> str:
    """The voice id to use: ``wanted`` if given (an id or part of one), else a Dutch voice."""
    if wanted:
        for voice in voices:
            if voice.id == wanted or wanted in voice.id:
                return voice.id
        return wanted
    by_language = [v.id for v in voices if "nl" in [str(lang).lower() for lang in v.languages or []]]
    by_id = [v.id for v in voices if "nl" in re.split(r"[/_\-.]", v.id.lower())]
    if by_language or by_id:
        return (by_language + by_id)[0]
    raise TTSError("no Dutch text-to-speech voice found; install espeak-ng "
                   "(`sudo apt-get install espeak-ng`), which brings the voice gmw/nl")


def is_mbrola(voice_id: str) -> bool:
    return voice_id.startswith("mb/") or "mb-" in voice_id


@cache
def voice_sample_rate(voice_id: str) -> int:
    """The rate espeak-ng really produces for a voice, asked from the espeak-ng program
    (its own WAV headers are right); without it: 16 kHz for MBROLA voices, else 22,050 Hz."""
    fallback = MBROLA_RATE if is_mbrola(voice_id) else ESPEAK_RATE
    program = shutil.which("espeak-ng")
    if not program:
        return fallback
    try:
        with tempfile.TemporaryDirectory() as folder:
            probe = Path(folder) / "probe.wav"
            subprocess.run([program, "-v", voice_id, "-w", str(probe), "a"], capture_output=True,
                           timeout=10, check=True)
            with wave.open(str(probe), "rb") as wav:
                return wav.getframerate() if wav.getnframes() else fallback
    except (OSError, subprocess.SubprocessError, wave.Error, EOFError):
        return fallback


def _fix_header(path: Path, rate: int) -> int:
    """Rewrite the WAV header with the true sample rate; returns the number of frames."""
    with wave.open(str(path), "rb") as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    if params.framerate != rate:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(params.nchannels)
            wav.setsampwidth(params.sampwidth)
            wav.setframerate(rate)
            wav.writeframes(frames)
    return len(frames) // (params.sampwidth * params.nchannels)


def synthesize(text: str, path: Path, voice: str | None = None, rate: int = 170, volume: float = 1.0) -> Path:
    """Speak ``text`` into a WAV file at ``path`` with a correct header; thread-safe."""
    with _ENGINE_LOCK:
        engine = _get_engine()
        voice_id = choose_voice(engine.getProperty("voices"), voice)
        _engine_errors.clear()
        engine.setProperty("voice", voice_id)
        engine.setProperty("rate", rate)
        engine.setProperty("volume", volume)
        _settle()
        with _quiet_stdout():
            engine.save_to_file(text, str(path))
            engine.runAndWait()
        errors = list(_engine_errors)
    if errors:
        raise TTSError(f"text-to-speech failed with voice {voice_id!r}: {errors[0]}")
    try:
        frames = _fix_header(path, voice_sample_rate(voice_id))
    except (OSError, wave.Error, EOFError) as exc:
        raise TTSError(f"text-to-speech wrote no usable audio to {path} ({exc})") from None
    if frames == 0:
        raise TTSError(f"voice {voice_id!r} produced no audio; for MBROLA voices install "
                       "`sudo apt-get install mbrola mbrola-nl2`, or use the default voice")
    return path


def _play(path: Path) -> None:
    """Play a WAV file: `aplay` when installed (always on a Pi), else sounddevice."""
    with _PLAYBACK_LOCK:
        player = shutil.which("aplay")
        if player:
            done = subprocess.run([player, "-q", str(path)], check=False, capture_output=True, text=True)
            if done.returncode == 0:
                return
            raise TTSError(f"aplay could not play the reply: {done.stderr.strip() or done.returncode}; "
                           "check the speaker with `aplay -l`, or use --tts wav:DIR")
        import numpy as np
        import sounddevice as sd

        with wave.open(str(path), "rb") as wav:
            rate, samples = wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        try:
            sd.play(samples, rate, blocking=True)
        except sd.PortAudioError as exc:
            raise TTSError(f"cannot play the reply ({exc}); use --tts wav:DIR") from None


def check_playback() -> None:
    """Fail early, with the fix, when `--tts speak` has nothing to play through."""
    if shutil.which("aplay"):
        return
    try:
        import sounddevice as sd

        outputs = [d for d in sd.query_devices() if d["max_output_channels"] > 0]
    except (ImportError, OSError):
        outputs = []
    if not outputs:
        raise TTSError("--tts speak needs a loudspeaker: install `aplay` (`sudo apt-get install "
                       "alsa-utils`) and connect a speaker (check with `aplay -l`), or use --tts wav:DIR "
                       "to write the replies as WAV files, or --tts none")


class Speaker:
    """Gives a reply to the shopper: always prints its text, then speaks or saves its speech."""

    def __init__(self, mode: Mode = "none", folder: Path | None = None, echo: Echo | None = print,
                 voice: str | None = None, rate: int = 170, volume: float = 1.0) -> None:
        if mode == "wav" and folder is None:
            raise TTSError("--tts wav: needs a folder, as in wav:replies/")
        if not 80 <= rate <= 450:
            raise TTSError(f"speech rate {rate} is out of range: use 80..450 words per minute")
        if not 0.0 <= volume <= 1.0:
            raise TTSError(f"volume {volume} is out of range: use 0.0..1.0")
        self.mode, self.folder, self.echo = mode, folder, echo
        self.voice, self.rate, self.volume = voice, rate, volume
        self._lock = threading.Lock()
        self._count = self._last_number() if folder is not None else 0

    def _last_number(self) -> int:
        """Continue numbering after files already there, so a restart overwrites nothing."""
        assert self.folder is not None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TTSError(f"cannot create the WAV folder {self.folder} ({exc.strerror})") from None
        numbers = [int(p.stem) for p in self.folder.glob("[0-9][0-9][0-9][0-9]*.wav") if p.stem.isdigit()]
        return max(numbers, default=0)

    def speak(self, reply: Reply, echo: Echo | None | Literal["default"] = "default") -> Path | None:
        """Print ``reply.text``, then speak ``reply.speech``; for wav:DIR returns the file written."""
        shown = self.echo if echo == "default" else echo
        if shown is not None:
            shown(reply.text)
        if self.mode == "none" or not reply.speech.strip():
            return None
        if self.mode == "wav":
            return self._to_numbered_wav(reply)
        with tempfile.TemporaryDirectory(prefix="voiceskill-tts-") as folder:
            _play(self.to_wav(reply, Path(folder) / "reply.wav"))
        return None

    say = speak

    def to_wav(self, reply: Reply, path: str | Path) -> Path:
        """Write ``reply.speech`` as a WAV file (correct header), whatever the mode; no echo.

        It is synthesised into a uniquely named file beside ``path`` and renamed, so nobody
        ever sees half a file and parallel writers never share a temporary name.
        """
        path = Path(path)
        partial = self._synthesize_beside(reply, path)
        try:
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def _synthesize_beside(self, reply: Reply, path: Path) -> Path:
        """Synthesise into a hidden, uniquely named `.part` file in ``path``'s folder."""
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            synthesize(reply.speech, partial, self.voice, self.rate, self.volume)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return partial

    def _to_numbered_wav(self, reply: Reply) -> Path:
        """Write the reply as the next free NNNN.wav of the folder, taken without overwriting.

        The in-process counter keeps threads apart; another process writing into the same
        folder may take a number first, so a taken name moves on to the next number.
        """
        assert self.folder is not None
        partial = self._synthesize_beside(reply, self.folder / "reply.wav")
        try:
            while True:
                path = self._next_path()
                if _claim(partial, path):
                    return path
        finally:
            partial.unlink(missing_ok=True)

    def _next_path(self) -> Path:
        assert self.folder is not None
        with self._lock:
            self._count += 1
            return self.folder / f"{self._count:04d}.wav"


def _claim(partial: Path, path: Path) -> bool:
    """Give ``partial`` the name ``path`` unless that exists; False when it is taken.

    A hard link does this atomically and never overwrites. On file systems without hard
    links (FAT on a USB stick) the name is reserved with O_EXCL and then replaced.
    """
    try:
        os.link(partial, path)
        return True
    except FileExistsError:
        return False
    except OSError:
        pass
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    os.replace(partial, path)
    return True


def make_speaker(spec: str, echo: Echo | None = print, voice: str | None = None,
                 rate: int = 170, volume: float = 1.0) -> Speaker:
    """A Speaker for `--tts speak|wav:DIR|none`; a clear TTSError for anything else."""
    spec = (spec or "").strip()
    if spec == "none":
        return Speaker("none", echo=echo, voice=voice, rate=rate, volume=volume)
    if spec == "speak":
        check_playback()
        return Speaker("speak", echo=echo, voice=voice, rate=rate, volume=volume)
    if spec.startswith("wav:"):
        folder = spec[len("wav:"):].strip()
        if not folder:
            raise TTSError("--tts wav: needs a folder, as in wav:replies/")
        return Speaker("wav", Path(folder).expanduser(), echo, voice, rate, volume)
    raise TTSError(f"unknown --tts value {spec!r}: use speak (loudspeaker), wav:DIR (one WAV file "
                   "per reply in DIR) or none")
