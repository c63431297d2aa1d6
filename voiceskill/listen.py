"""The hands-free loop of a Raspberry Pi speaker: listen, recognise, answer, listen again.

Audio comes from a *source*, any iterator of 16 kHz int16 chunks: the microphone
(`microphone_source`) on the device, WAV files (`wav_source`) in tests and headless demos.
The loop only uses the recogniser interface of `voiceskill.asr.base`, so every engine works.
"""

from __future__ import annotations

from dataclasses import replace

import logging
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .asr.base import NO_CONTEXT, Context, Recognizer, Stream
from .assistant import Assistant, TurnResult
from .audio import SAMPLE_RATE, read_wav
from .errors import VoiceskillError
from .reply import Reply
from .tts import Speaker
from .vad import Endpointer

Source = Iterable[np.ndarray]
LOG = logging.getLogger("voiceskill.listen")


class NoInputDevice(VoiceskillError):
    """No microphone to listen with; the message says what was found and what to do."""


def _devices_seen(sd: Any) -> str:
    """What sounddevice can see, one device a line, for error messages."""
    try:
        devices = list(sd.query_devices())
    except sd.PortAudioError as exc:
        return f"  (cannot list devices: {exc})"
    lines = [f"  {i}: {d['name']} ({d['max_input_channels']} in, {d['max_output_channels']} out)"
             for i, d in enumerate(devices)]
    return "\n".join(lines) or "  (no audio devices at all: no sound card was found)"


def _no_input(sd: Any, problem: str) -> NoInputDevice:
    return NoInputDevice(
        f"{problem}\nsounddevice sees these audio devices:\n{_devices_seen(sd)}\n"
        "Plug in a USB microphone (check with `arecord -l`), or pick an input device by "
        "number or name with --device. Without a microphone, `voiceskill replay FILE.wav` "
        "runs recorded speech through the same assistant.")


def _open_rate(sd: Any, device: int | str | None) -> int:
    """16 kHz when the device allows it, else its own rate (resampled later)."""
    problem: Exception | None = None
    for rate in (SAMPLE_RATE, None):
        try:
            if rate is None:
                rate = int(sd.query_devices(device, "input")["default_samplerate"])
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=rate)
            return rate
        except (sd.PortAudioError, ValueError) as exc:
            problem = problem or exc
    raise _no_input(sd, f"Cannot use microphone {device!r}: {problem}.")


def microphone_source(device: int | str | None = None, block_ms: int = 100) -> Iterator[np.ndarray]:
    """Chunks of ``block_ms`` from a microphone; NoInputDevice (at once) when there is none."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise NoInputDevice(f"cannot use the sound system ({exc}); install PortAudio with "
                            "`sudo apt-get install libportaudio2`, or use `voiceskill replay FILE.wav`") from None
    try:
        inputs = [d for d in sd.query_devices() if d["max_input_channels"] > 0]
    except sd.PortAudioError:
        inputs = []
    if not inputs:
        raise _no_input(sd, "No microphone found: there is no audio input device.")
    return _record(sd, device, _open_rate(sd, device), block_ms)


def _record(sd: Any, device: int | str | None, rate: int, block_ms: int) -> Iterator[np.ndarray]:
    """The generator behind microphone_source: the stream is open while it is consumed."""
    import soxr

    block = rate * block_ms // 1000
    resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="int16") if rate != SAMPLE_RATE else None
    try:
        stream = sd.InputStream(samplerate=rate, blocksize=block, device=device, channels=1, dtype="int16")
    except sd.PortAudioError as exc:
        raise _no_input(sd, f"Cannot open the microphone: {exc}.") from None
    with stream:
        while True:
            data, overflowed = stream.read(block)
            if overflowed:
                LOG.debug("microphone overflow: audio was lost (the machine is too busy)")
            samples = data[:, 0].copy()
            yield resampler.resample_chunk(samples) if resampler else samples


def wav_source(paths: Iterable[str | Path], gap_ms: int = 800, block_ms: int = 100) -> Iterator[np.ndarray]:
    """WAV files as microphone-like chunks, with ``gap_ms`` of silence before and after each."""
    block = SAMPLE_RATE * block_ms // 1000
    gap = np.zeros(SAMPLE_RATE * gap_ms // 1000, dtype=np.int16)
    for path in paths:
        audio = np.concatenate([gap, read_wav(path), gap])
        for start in range(0, len(audio), block):
            yield audio[start:start + block]


def press_enter() -> bool:
    """Push-to-talk on a keyboard: wait for Enter; False when stdin is closed."""
    print("Press Enter, then speak.", file=sys.stderr, flush=True)
    return sys.stdin.readline() != ""


def _wake_pattern(wake: str) -> re.Pattern[str]:
    """The wake phrase as whole words, any punctuation or spacing between them."""
    words = [re.escape(word) for word in re.findall(r"\w+", wake.lower())]
    return re.compile(r"\b" + r"\W+".join(words) + r"\b", re.IGNORECASE)


def speaker_session(user: str) -> str:
    """The speaker's conversations are filed as `speaker:<user>`, so insights can tell the Pi speaker
    from typed chat; the cart stays the shopper's own."""
    return f"speaker:{user}"


class Listener:
    """Listens for spoken commands and answers them, one utterance at a time, until stopped.

    With a wake phrase, only utterances containing it are acted on (the words after it are
    the command); the wake phrase alone gets ``wake_prompt`` and opens the next utterance.
    A reply that asks a question also opens the next utterance, so "ja" needs no wake phrase.
    With ``push_to_talk``, ``trigger`` (Enter on stdin) starts each utterance and no wake
    phrase is needed.
    """

    def __init__(self, assistant: Assistant, recognizer: Recognizer, speaker: Speaker, user: str = "default",
                 wake: str | None = "hallo sam", push_to_talk: bool = False, source: Source | None = None,
                 log: logging.Logger = LOG, *,
                 endpointer: Endpointer | None = None, trigger: Callable[[], bool] = press_enter,
                 stop_on_end: bool = False, wake_prompt: str = "Ja?", follow_up_s: float = 8.0,
                 preroll_ms: int = 500, clock: Callable[[], float] = time.monotonic) -> None:
        self.assistant, self.recognizer, self.speaker = assistant, recognizer, speaker
        self.user, self.push_to_talk, self.source, self.log = user, push_to_talk, source, log
        self.session = speaker_session(user)
        self.wake = _wake_pattern(wake) if wake and wake.strip() else None
        self.endpointer = endpointer or Endpointer()
        self.trigger, self.stop_on_end, self.clock = trigger, stop_on_end, clock
        self.prompt = Reply(wake_prompt, wake_prompt, asks=True)
        self.follow_up_s = follow_up_s
        self.preroll = SAMPLE_RATE * preroll_ms // 1000
        self._open_until = float("-inf")

    def run(self, max_utterances: int | None = None) -> int:
        """Listen until the audio ends, ``max_utterances`` were heard, the conversation ended
        (with ``stop_on_end``) or Ctrl-C; returns how many utterances were heard."""
        close_source = self.source is None
        chunks = iter(microphone_source() if close_source else self.source)
        heard = 0
        try:
            while max_utterances is None or heard < max_utterances:
                if self.push_to_talk and not self.trigger():
                    break
                utterance = self._utterance(chunks)
                if utterance is None:
                    break
                heard += 1
                result = self._respond(*utterance)
                if result is not None and result.ended and self.stop_on_end:
                    break
        except KeyboardInterrupt:
            close_source = True
            self.log.info("stopped listening (interrupted)")
        finally:
            if close_source and hasattr(chunks, "close"):
                chunks.close()
        return heard

    def _utterance(self, chunks: Iterator[np.ndarray]) -> tuple[Stream, Context, float, float] | None:
        """Wait for speech and stream it to the recogniser, with the audio just before it.

        Returns the stream, the dialogue context it was opened with, when speech started and
        when its end was detected; None when the audio runs out before anyone speaks.
        """
        self.endpointer.reset()
        before: deque[np.ndarray] = deque()
        stream: Stream | None = None
        context = NO_CONTEXT
        started = 0.0
        for chunk in chunks:
            state = self.endpointer.feed(chunk)
            if stream is None and state == "silence":
                before.append(chunk)
                while sum(len(c) for c in before) - len(before[0]) >= self.preroll:
                    before.popleft()
                continue
            if stream is None:
                context = self.assistant.expected(self.user, self.session)
                stream, started = self.recognizer.stream(context), self.clock()
                for early in before:
                    stream.accept(early)
            stream.accept(chunk)
            if state == "end":
                return stream, context, started, self.clock()
        return (stream, context, started, self.clock()) if stream is not None else None

    def _respond(self, stream: Stream, context: Context, started: float, ended: float) -> TurnResult | None:
        """Recognise, and act on the command if it was meant for us; None when not acted on."""
        transcript = stream.finish()
        recognised = self.clock()
        if not transcript.text.strip():
            self.log.debug("heard nothing recognisable")
            return None
        command = self._command(transcript.text, started)
        if command is None:
            self.log.debug("ignored, no wake phrase: %r", transcript.text)
            return None
        if not command:
            self._reply(self.prompt, "wake", transcript.text, ended, recognised)
            return None
        alternatives = tuple((alt, conf) for text, conf in transcript.alternatives
                             if (alt := self._command(text, started)))
        result = self.assistant.hear(replace(transcript, text=command, alternatives=alternatives), user=self.user,
                                     session=self.session, context=context)
        self._reply(result.reply, result.intent, transcript.text, ended, recognised)
        return result

    def _command(self, text: str, started: float) -> str | None:
        """The command in an utterance: the words after the wake phrase, or all of them when
        no wake phrase is needed now; None when it was not meant for the assistant."""
        match = self.wake.search(text) if self.wake else None
        if match:
            return text[match.end():].strip(" \t,.!?;:")
        if self.wake is None or self.push_to_talk or started <= self._open_until:
            return text.strip()
        return None

    def _reply(self, reply: Reply, intent: str, heard: str, ended: float, recognised: float) -> None:
        """Log the turn with its latency, then give the reply; a question opens the next turn."""
        latency = (self.clock() - ended) * 1000
        self.log.info("heard %r -> %s; reply after %.0f ms (recognition %.0f ms)",
                      heard, intent, latency, (recognised - ended) * 1000)
        self.speaker.speak(reply)
        self._open_until = self.clock() + self.follow_up_s if reply.asks else float("-inf")
