"""One Wyoming connection: events in, answers out, on the `wyoming` library's event handler.

What a connection may ask (Home Assistant opens one per request):

- `describe` -> `info` (answered at once, also while speech is being decoded: Home Assistant
  waits one second for it);
- `transcribe` (optional; its `context.conversation_id` is used when present), then
  `audio-start`, `audio-chunk`..., `audio-stop` -> `transcript`;
- `transcript` (with `context.conversation_id`) -> `handled` with the reply, or `not-handled`;
- `synthesize` -> `audio-start`, `audio-chunk`..., `audio-stop` (with --tts);
- `ping` -> `pong`; `select-program` is accepted (there is one program of each kind).

Errors: an unknown event type gets an `error` event and the connection stays usable (newer
clients may send events this server does not know). A request that cannot be answered (audio
before `audio-start`, a bad audio format, audio longer than 30 s, a missing text, a failing
database) gets an `error` event and the connection is closed, so a client waiting for its
answer learns at once. Events larger than the limit are refused from their header, before the
payload is read, and the connection is closed. A client that goes away mid-stream leaves
nothing behind: an utterance lives in its connection only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler

from ..audio import MAX_SECONDS
from ..errors import VoiceskillError
from .info import describe
from .pcm import AudioProblem, PcmFormat, Utterance
from .service import LANGUAGE, MAX_ID, WyomingService

log = logging.getLogger("voiceskill.wyoming")

TTS_CHUNK_FRAMES = 1024


@dataclass(frozen=True)
class Limits:
    """What one connection may send and how long it may stay silent."""

    max_event_bytes: int = 4 * 1024 * 1024
    """Largest data or payload of one event (an audio chunk is a few KiB; 30 s of 16 kHz audio in
    one chunk is 960 KB)."""
    max_seconds: float = MAX_SECONDS
    """Longest utterance."""
    idle_s: float = 60.0
    """A connection silent this long between events is closed."""
    max_connections: int = 64
    """Open connections at a time, all listeners together; more are refused with an `error`."""


class EventTooLarge(Exception):
    """An event header declaring more data or payload than allowed (or a length that is no number)."""


class BoundedReader:
    """The connection's StreamReader for `wyoming.event.async_read_event`, refusing a data or
    payload length over the limit before reading it: the library would wait for, and buffer,
    whatever length a header declares."""

    def __init__(self, reader: asyncio.StreamReader, limit: int) -> None:
        self._reader, self.limit = reader, limit

    async def readline(self) -> bytes:
        return await self._reader.readline()

    async def readexactly(self, size: int) -> bytes:
        if not isinstance(size, int) or isinstance(size, bool):
            raise EventTooLarge(f"an event declares a length of {size!r}"[:100] + ", not a number of bytes")
        if size > self.limit:
            raise EventTooLarge(f"an event of {size} bytes is larger than the {self.limit} bytes allowed")
        return await self._reader.readexactly(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def _conversation_id(context: Any) -> str | None:
    """Home Assistant's conversation id from an event's `context`; ValueError when it is no id."""
    if context is None:
        return None
    if not isinstance(context, dict):
        raise ValueError("context must be an object")
    ident = context.get("conversation_id")
    if ident is None or ident == "":
        return None
    if not isinstance(ident, str) or len(ident) > MAX_ID:
        raise ValueError(f"context.conversation_id must be a string of at most {MAX_ID} characters")
    return ident


class Connection(AsyncEventHandler):
    """One client connection to one listener (whose turns fill ``owner``'s cart)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, service: WyomingService,
                 owner: str, limits: Limits, open_connections: list[int]) -> None:
        super().__init__(BoundedReader(reader, limits.max_event_bytes), writer)  # type: ignore[arg-type]
        self.service, self.owner, self.limits = service, owner, limits
        self._open = open_connections
        self.peer = writer.get_extra_info("peername")
        self.utterance: Utterance | None = None
        self.conversation_id: str | None = None
        """From `transcribe`: the conversation the next utterance belongs to."""
        self.handlers: dict[str, Callable[[Event], Awaitable[bool]]] = {
            "describe": self.on_describe,
            "transcribe": self.on_transcribe, "audio-start": self.on_audio_start,
            "audio-chunk": self.on_audio_chunk, "audio-stop": self.on_audio_stop,
            "transcript": self.on_transcript, "synthesize": self.on_synthesize,
            "ping": self.on_ping, "select-program": self.on_select_program,
        }

    # -- the read loop -------------------------------------------------------

    async def run(self) -> None:
        """Events until the client goes, an answer ends the connection, or it idles too long.

        The library's loop, with the limits and the failures of a server on a network around it."""
        self._open[0] += 1
        try:
            if self._open[0] > self.limits.max_connections:
                log.warning("refused %s: %d connections open", self.peer, self._open[0] - 1)
                await self.refuse(f"too many connections (at most {self.limits.max_connections})", "busy")
                return
            while await self._next():
                pass
        except (ConnectionError, asyncio.IncompleteReadError, EOFError):
            log.info("%s went away mid-event", self.peer)
        except Exception:  # noqa: BLE001 - one connection's bug must not stop the server
            log.exception("connection %s failed", self.peer)
            await self.refuse("internal error; see the voiceskill log", "internal")
        finally:
            self._open[0] -= 1
            if self.utterance is not None:
                log.info("%s went away mid-stream: %.1f s of audio dropped", self.peer, self.utterance.seconds)
            self.utterance = None
            await self.disconnect()
            self.writer.close()

    async def _next(self) -> bool:
        try:
            event = await asyncio.wait_for(async_read_event(self.reader), self.limits.idle_s)  # type: ignore[arg-type]
        except asyncio.TimeoutError:
            log.info("closed %s: silent for %g s", self.peer, self.limits.idle_s)
            return False
        except EventTooLarge as exc:
            return await self.refuse(str(exc), "too-large")
        except (AttributeError, KeyError, TypeError):  # a JSON header that is no event
            return await self.refuse("the event header is not a Wyoming event", "bad-event")
        if event is None:  # end of stream, or a header that is no JSON (the library reads both as None)
            return False
        if not isinstance(event.type, str) or not isinstance(event.data, dict):
            return await self.refuse("the event header is not a Wyoming event", "bad-event")
        return await self.handle_event(event)

    async def handle_event(self, event: Event) -> bool:
        handler = self.handlers.get(event.type)
        if handler is None:
            log.info("%s sent an unknown event type %r", self.peer, event.type[:80])
            await self.write_event(Error(text=f"unknown event type {event.type[:80]!r}", code="unknown-event").event())
            return True
        try:
            return await handler(event)
        except VoiceskillError as exc:
            return await self.refuse(f"{event.type}: {exc}", "failed")

    async def refuse(self, text: str, code: str) -> bool:
        """An `error` event; False: the connection closes (the client gets no other answer)."""
        log.warning("refused %s (%s): %s", self.peer, code, text)
        try:
            await self.write_event(Error(text=text, code=code).event())
        except (ConnectionError, RuntimeError):
            pass
        return False

    # -- events ----------------------------------------------------------------

    async def on_describe(self, _event: Event) -> bool:
        await self.write_event(describe(self.service, self.owner).event())
        return True

    async def on_ping(self, event: Event) -> bool:
        await self.write_event(Pong(text=Ping.from_event(event).text).event())
        return True

    async def on_select_program(self, _event: Event) -> bool:
        return True

    async def on_transcribe(self, event: Event) -> bool:
        if self.service.recognizer is None:
            return await self.refuse("no speech-to-text here (started with --no-stt)", "no-asr")
        language = event.data.get("language")  # the rest of `transcribe` (model name, VAD) does not apply
        if language and not str(language).lower().startswith(LANGUAGE):
            return await self.refuse(f"only Dutch ({LANGUAGE}) speech, not {str(language)[:20]!r}",
                                     "unsupported-language")
        try:
            self.conversation_id = _conversation_id(event.data.get("context"))
        except ValueError as exc:
            return await self.refuse(str(exc), "bad-context")
        return True

    async def on_audio_start(self, event: Event) -> bool:
        if self.service.recognizer is None:
            return await self.refuse("no speech-to-text here (started with --no-stt)", "no-asr")
        try:
            self.utterance = Utterance(PcmFormat.from_data(event.data), self.limits.max_seconds)
        except AudioProblem as exc:
            return await self.refuse(str(exc), exc.code)
        return True

    async def on_audio_chunk(self, event: Event) -> bool:
        if self.utterance is None:
            return await self.refuse("audio-chunk before audio-start", "no-audio-start")
        try:
            fmt = PcmFormat.from_data(event.data)
            self.utterance.add(event.payload or b"", fmt)
        except AudioProblem as exc:
            self.utterance = None
            return await self.refuse(str(exc), exc.code)
        return True

    async def on_audio_stop(self, _event: Event) -> bool:
        utterance, self.utterance = self.utterance, None
        if utterance is None:
            return await self.refuse("audio-stop before audio-start", "no-audio-start")
        stopped = time.monotonic()
        samples = utterance.finish()
        transcript = await self.service.transcribe_async(samples, self.owner, self.conversation_id)
        log.info("%s heard %r (%.2f, %.1f s of audio) %.2f s after audio-stop", self.owner, transcript.text,
                 transcript.confidence, utterance.seconds, time.monotonic() - stopped)
        context = {"conversation_id": self.conversation_id} if self.conversation_id else None
        await self.write_event(Transcript(text=transcript.text, language=LANGUAGE, context=context).event())
        self.conversation_id = None
        return True

    async def on_transcript(self, event: Event) -> bool:
        text = event.data.get("text")
        if not isinstance(text, str):
            return await self.refuse("transcript needs a text", "bad-transcript")
        try:
            conversation_id = _conversation_id(event.data.get("context"))
        except ValueError as exc:
            return await self.refuse(str(exc), "bad-context")
        began = time.monotonic()
        handling = await self.service.handle_async(text, self.owner, conversation_id)
        result = handling.result
        log.info("%s [%s] %s %r -> %r %.3f s", self.owner, result.intent if result else "-",
                 "handled" if handling.handled else "not-handled", text[:200], handling.text[:200],
                 time.monotonic() - began)
        context = {"conversation_id": conversation_id} if conversation_id else None
        answer = Handled if handling.handled else NotHandled
        await self.write_event(answer(text=handling.text, context=context).event())
        return True

    async def on_synthesize(self, event: Event) -> bool:
        if self.service.speaker is None:
            return await self.refuse("no text-to-speech here (start with --tts)", "no-tts")
        text = event.data.get("text")
        if not isinstance(text, str) or not text.strip():
            return await self.refuse("synthesize needs a text", "bad-synthesize")
        rate, width, channels, audio = await self.service.synthesize_async(text[:2000])  # voice: the one there is
        await self.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        step = TTS_CHUNK_FRAMES * width * channels
        for start in range(0, len(audio), step):
            await self.write_event(AudioChunk(rate=rate, width=width, channels=channels,
                                              audio=audio[start:start + step]).event())
        await self.write_event(AudioStop().event())
        return True
