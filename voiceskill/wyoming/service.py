"""The plain Python API behind `voiceskill wyoming`: speech-to-text, the shopping conversation and
text-to-speech for Home Assistant, with no protocol in it (the server in server.py wraps it).

Keys: a cart owner is `wyoming:user:<owner>` (`household` unless a satellite's listener names
another), a Home Assistant conversation is `wyoming:session:<conversation id>`, both made by
`cart.storage_key`. Each conversation keeps its own dialogue state (a question asked waits for
the next utterance of the same conversation); a new conversation id starts afresh on the same
cart. Home Assistant's speech-to-text requests carry no conversation id, so speech is decoded in
the context of the owner's most recent conversation (its pending question, its products) for
``follow_s`` seconds, and the handle request that follows with the same words gets the
recogniser's doubts too (`Assistant.hear`), as a spoken turn should.

Blocking work runs in bounded thread pools, never on the event loop: speech decodes (one at a
time by default: Whisper uses both cores of a Pi), turns (SQLite or PostgreSQL) and speech
synthesis (pyttsx3 has one engine per process).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
import wave
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

import numpy as np

from ..assistant import Assistant, TurnResult
from ..asr.base import Context, Recognizer, Transcript, transcribe
from ..cart import storage_key
from ..dialogue import DialogueState
from ..reply import Reply
from ..reply.render import render

log = logging.getLogger("voiceskill.wyoming")

PLATFORM = "wyoming"
LANGUAGE = "nl"
MAX_TEXT = 2000
"""Characters of an utterance that reach understanding (a spoken command has far fewer)."""
MAX_ID = 256
"""Longest conversation id taken (Home Assistant's are 26-character ULIDs)."""
T = TypeVar("T")


def not_shopping() -> str:
    """The `not-handled` text for what is no shopping (data/replies.yaml); Home Assistant says it when
    nothing else takes the words."""
    return render("not_shopping").text


@dataclass(frozen=True)
class WyomingOptions:
    """How the service maps Home Assistant onto carts and conversations."""

    owner: str = "household"
    """Whose cart turns fill when the listener names nobody else: one household cart."""
    off_topic: Literal["not-handled", "answer"] = "not-handled"
    """`not-handled`: what is no shopping goes back to Home Assistant unanswered, and the
    conversation is left as it was; `answer`: the shopping assistant answers everything."""
    intro: Literal["once", "every"] = "once"
    """`once`: the assistant introduces itself (a computer, not a person) in an owner's first
    conversation only; `every`: in every new conversation, as on a smart speaker."""
    follow_s: float = 300.0
    """How long speech is decoded in the context of the owner's last conversation
    (Home Assistant keeps a conversation for 5 minutes)."""
    decoders: int = 1
    """Speech decodes at a time."""
    workers: int = 4
    """Turns at a time."""
    voice: str | None = None
    """espeak-ng voice for text-to-speech (default: the Dutch one)."""


@dataclass(frozen=True)
class Handling:
    """What the handle program answers: handled (with the reply) or not, and for which conversation."""

    handled: bool
    text: str
    conversation_id: str | None
    result: TurnResult | None = None


@dataclass(frozen=True)
class Heard:
    transcript: Transcript
    context: Context
    session: str


class Recent:
    """A bounded, thread-safe memory whose entries expire: key -> value, oldest dropped first."""

    def __init__(self, size: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.seconds, self.clock = size, seconds, clock
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (self.clock(), value)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: Any, pop: bool = False) -> Any:
        with self._lock:
            found = self._items.pop(key, None) if pop else self._items.get(key)
            if found is None or self.clock() - found[0] > self.seconds:
                self._items.pop(key, None)
                return None
            return found[1]

    def __len__(self) -> int:
        return len(self._items)


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def about_shopping(result: TurnResult) -> bool:
    """Whether a turn concerned the store, judged from what was understood, not from the reply.

    Not about shopping: nothing understood (`fallback`), a question that is no shopping question
    (`off_topic`), or words that name nothing the store sells and changed and asked nothing
    (`doe het licht aan` understood as an order of `licht aan`). A changed cart, a question back,
    an answer to a pending question and the assistant's own limits (too long, negative) are.
    """
    u = result.understanding
    if result.outcome in ("changed", "asked", "order", "handover") or u is None:
        return True
    if u.problem:
        return u.problem not in ("off_topic", "other_domain")
    if result.intent == "fallback":
        return False
    return not (u.items and not any(item.match for item in u.items))


class WyomingService:
    """Speech-to-text, the shopping conversation and text-to-speech, for any number of listeners.

    ``recognizer`` None: no speech-to-text program; ``speaker`` None: no text-to-speech program.
    """

    def __init__(self, assistant: Assistant, recognizer: Recognizer | None = None, speaker: Any = None,
                 options: WyomingOptions | None = None) -> None:
        self.assistant = assistant
        self.recognizer = recognizer
        self.speaker = speaker
        self.options = options or WyomingOptions()
        self._decoding = ThreadPoolExecutor(max(1, self.options.decoders), "wyoming-decode")
        self._turns = ThreadPoolExecutor(max(1, self.options.workers), "wyoming-turn")
        self._speaking = ThreadPoolExecutor(1, "wyoming-tts")
        self._followed = Recent(4096, self.options.follow_s)
        """owner -> the session key of its latest conversation."""
        self._heard = Recent(1024, 120.0)
        """(owner, words) -> what the recogniser heard, for the handle request that follows."""
        self._spoken = Recent(1024, 600.0)
        """reply text -> its speech text (`€ 3,67` is said `drie euro zevenenzestig`)."""

    # -- keys ----------------------------------------------------------------

    def keys(self, owner: str, conversation_id: str | None) -> tuple[str, str]:
        """(cart owner key, session key); without a conversation id the owner has one conversation."""
        user = storage_key(PLATFORM, "user", owner)
        ident = conversation_id if conversation_id else f"owner:{owner}"
        return user, storage_key(PLATFORM, "session", ident)

    # -- speech-to-text ------------------------------------------------------

    def listening_context(self, owner: str, conversation_id: str | None = None) -> tuple[Context, str]:
        """What the next utterance of ``owner`` is likely to be, and in which session (blocking):
        the conversation named, else the owner's latest one, else the owner's own."""
        user, session = self.keys(owner, conversation_id)
        chosen = session if conversation_id else self._followed.get(owner) or session
        return self.assistant.expected(user, chosen), chosen

    def transcribe(self, samples: np.ndarray, owner: str, conversation_id: str | None = None) -> Transcript:
        """One utterance (16 kHz mono int16) to a transcript, in the owner's context (blocking)."""
        if self.recognizer is None:
            raise RuntimeError("this service has no speech-to-text")
        context, session = self.listening_context(owner, conversation_id)
        transcript = transcribe(self.recognizer, samples, context=context)
        if transcript.text.strip():
            self._heard.put((owner, _words(transcript.text)), Heard(transcript, context, session))
        return transcript

    # -- the conversation ----------------------------------------------------

    def handle(self, text: str, owner: str, conversation_id: str | None = None) -> Handling:
        """One utterance of a Home Assistant conversation (blocking)."""
        text = text[:MAX_TEXT]
        user, session = self.keys(owner, conversation_id)
        before = self._prepare(user, session)
        heard = self._heard.get((owner, _words(text)), pop=True)
        if heard is not None:
            context = heard.context if heard.session == session else None
            result = self.assistant.hear(heard.transcript, user, session, context=context)
        else:
            result = self.assistant.turn(text, user, session)
        self._followed.put(owner, session)
        if self.options.off_topic == "not-handled" and not about_shopping(result):
            self._restore(user, session, before)
            return Handling(False, not_shopping(), conversation_id, result)
        if result.reply.speech and result.reply.speech != result.reply.text:
            self._spoken.put(result.reply.text, result.reply.speech)
        return Handling(True, result.reply.text, conversation_id, result)

    def _prepare(self, user: str, session: str) -> dict[str, Any] | None:
        """The conversation's state before this turn; a new conversation of an owner who has spoken
        with the assistant before starts without the introduction (with ``intro="once"``)."""
        with self.assistant.store.transaction(user) as store:
            state = store.load_state(session)
            fresh = state is None or DialogueState.from_dict(state).ended
            if fresh and self.options.intro == "once" and store.log_entries(user, limit=1):
                state = DialogueState(turns=1).to_dict()
                store.save_state(session, user, state)
        return state

    def _restore(self, user: str, session: str, state: dict[str, Any] | None) -> None:
        """Leave a conversation as it was before a turn that was no shopping (a question stays pending)."""
        with self.assistant.store.transaction(user) as store:
            store.save_state(session, user, state if state is not None else DialogueState().to_dict())

    # -- text-to-speech ------------------------------------------------------

    def synthesize(self, text: str) -> tuple[int, int, int, bytes]:
        """(rate, width, channels, PCM bytes) of ``text`` said in the Dutch voice (blocking).

        A reply this service gave is said as its speech text, the way `--tts speak` says it."""
        if self.speaker is None:
            raise RuntimeError("this service has no text-to-speech")
        speech = self._spoken.get(text) or text
        with tempfile.TemporaryDirectory(prefix="voiceskill-wyoming-") as folder:
            path = self.speaker.to_wav(Reply(text, speech), Path(folder) / "reply.wav")
            with wave.open(str(path), "rb") as wav:
                return wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), wav.readframes(wav.getnframes())

    # -- running the blocking parts off the event loop --------------------------

    async def _in(self, pool: ThreadPoolExecutor, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, partial(call, *args))

    async def transcribe_async(self, samples: np.ndarray, owner: str, conversation_id: str | None = None) -> Transcript:
        return await self._in(self._decoding, self.transcribe, samples, owner, conversation_id)

    async def handle_async(self, text: str, owner: str, conversation_id: str | None = None) -> Handling:
        return await self._in(self._turns, self.handle, text, owner, conversation_id)

    async def synthesize_async(self, text: str) -> tuple[int, int, int, bytes]:
        return await self._in(self._speaking, self.synthesize, text)

    def close(self) -> None:
        """Finish the work under way, start no more."""
        for pool in (self._decoding, self._turns, self._speaking):
            pool.shutdown(wait=True, cancel_futures=True)
