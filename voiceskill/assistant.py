"""The plain Python API: one turn from text to reply, with the cart stored.

    >>> from voiceskill import Assistant
    >>> bot = Assistant(db=":memory:")
    >>> bot.turn("doe maar twee pakken halfvolle melk", user="anna").cart
    {'halfvolle-melk': 2}
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .asr.base import Context, Transcript
from .cart import CartStore, LogEntry
from .catalog import Catalog, load_catalog
from .dialogue import CartView, Dialogue, DialogueState
from .dialogue.answers import pick_option
from .dialogue.turn import MAX_OPTIONS
from .errors import VoiceskillError
from .nlu import Understander, Understanding
from .nlu.teaching import example_table, overlay_catalog
from .reply import Reply, cart_phrase, render


MAX_HYPOTHESES = 5
TEACHING_CHECK_S = 1.0
"""How often a turn looks whether colleagues taught something (one small read of the database)."""
CHANGES = frozenset({"add_item", "remove_item", "set_quantity", "replace_item", "undo"})
"""Intents that change the cart at once, without a question first."""
WORDS_BEYOND = 3
"""Words the recogniser's own reading may have beyond a store sentence before that sentence no
longer explains the speech (`dat doe je tenslotte ook in een gesprek met je vrienden` is not
`doe mij er nog een erbij`)."""
NUMBER_DOUBT = 0.25
"""Share of the readings that hear a number before a product said without one, from which the
default of one is in doubt."""
REJECTED = -12.0
"""A grammar reading that scores this many nats below Whisper's own words lost even with the
grammar's favour: the audio rejects it, so it is no cart change and no answer (it may still be
a question or a command that asks first)."""
UNSUPPORTED = 0.3
"""Confidence given to a change the audio does not support: below the dialogue's threshold for asking."""


def ces_setting(value: str | None = None) -> bool:
    """The effort question's setting: `on`/`off` (also true/false, ja/nee, 1/0); $VOICESKILL_CES when not given."""
    import os

    raw = (os.environ.get("VOICESKILL_CES", "off") if value is None else value).strip().lower()
    if raw in ("on", "true", "ja", "yes", "1"):
        return True
    if raw in ("off", "false", "nee", "no", "0", ""):
        return False
    raise VoiceskillError(f"the effort question (--ces / VOICESKILL_CES) is on or off, not {value!r}")


def _check_text(**arguments: object) -> None:
    """Arguments that must be text (None allowed for an optional session): a clear TypeError naming them."""
    for name, value in arguments.items():
        if not isinstance(value, str) and not (name == "session" and value is None):
            raise TypeError(f"Assistant.turn: {name} must be a str, not {type(value).__name__}")


def _unsaid_numbers(transcript: Transcript, u: Understanding) -> list[str]:
    """Product words said without a number that other readings hear one before (`vier bananen`)."""
    return [i.match.said for i in u.items if i.match and not i.quantity.explicit
            and transcript.number_heard_before(i.match.said) >= NUMBER_DOUBT]


def _weighed(transcript: Transcript, text: str, u: Understanding, answer: bool = False,
             unsaid: list[str] | None = None) -> Understanding:
    """A cart change the audio does not clearly support is asked first: one that leaves much of
    the speech unexplained, whose number Whisper's own words contradict, or whose unsaid number
    (`bananen en melk`) other readings hear said (`vier bananen en melk`)."""
    if u.intent not in CHANGES and not answer:
        return u
    unsaid = _unsaid_numbers(transcript, u) if unsaid is None else unsaid
    if transcript.words_beyond(text) < WORDS_BEYOND and not transcript.number_contradicted(text) and not unsaid:
        return u
    return replace(u, confidence=min(u.confidence, UNSUPPORTED))


@dataclass(frozen=True)
class TurnResult:
    """Everything one turn produced, for the CLI, the webhooks and the scenario runner."""

    user: str
    session: str
    text: str
    intent: str
    confidence: float
    reply: Reply
    cart: dict[str, int]
    ended: bool
    outcome: str
    understanding: Understanding | None = field(default=None, repr=False, compare=False)

    @property
    def asks(self) -> bool:
        return self.reply.asks

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "session": self.session, "text": self.text, "intent": self.intent,
                "confidence": self.confidence, "reply": self.reply.to_dict(), "cart": dict(self.cart),
                "ended": self.ended, "outcome": self.outcome, "asks": self.asks}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "TurnResult":
        return cls(raw["user"], raw["session"], raw["text"], raw["intent"], raw["confidence"],
                   Reply.from_dict(raw["reply"]), dict(raw["cart"]), raw["ended"], raw["outcome"])


class Assistant:
    """Understanding, dialogue and cart for one catalog and one database."""

    def __init__(self, catalog: Catalog | str | Path | None = None,
                 db: CartStore | str | Path | None = None, ces: bool | None = None) -> None:
        """``ces``: ask the Customer Effort Score question after a placed order (default: $VOICESKILL_CES,
        `on` or `off`; off when unset)."""
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self.store = db if isinstance(db, CartStore) else CartStore(db)
        self.ces = ces_setting() if ces is None else bool(ces)
        self.base_catalog = self.catalog
        """The catalog as loaded; ``catalog`` is it with what colleagues taught (nlu/teaching.py)."""
        self.understander = Understander(self.catalog)
        self.dialogue = Dialogue(self.catalog, self.understander.matcher, ces=self.ces)
        self._taught: tuple[int, int] = (0, 0)
        self._checked = 0.0
        self._teaching = threading.Lock()
        self.refresh_teachings(force=True)

    def refresh_teachings(self, force: bool = False) -> bool:
        """Take up teachings added or undone since the last look (at most once a second unless
        ``force``): the catalog overlay and the example sentences, without a restart. True when
        the understanding was rebuilt."""
        now = time.monotonic()
        if not force and now - self._checked < TEACHING_CHECK_S:
            return False
        with self._teaching:
            self._checked = now
            mark = self.store.teachings_mark()
            if mark == self._taught:
                return False
            rows = self.store.teachings(active=True)[::-1]
            synonyms: dict[str, list[str]] = {}
            for row in rows:
                if row["kind"] == "synonym":
                    synonyms.setdefault(row["target"], []).append(row["phrase"])
            catalog = overlay_catalog(self.base_catalog, synonyms)
            understander = Understander(catalog, example_table((r["target"], r["phrase"]) for r in rows
                                                               if r["kind"] == "example"))
            dialogue = Dialogue(catalog, understander.matcher, ces=self.ces)
            self.catalog, self.understander, self.dialogue = catalog, understander, dialogue
            self._taught = mark
            return True

    def greeting(self) -> Reply:
        """The opening line: the assistant's name, that it is a computer, and what it can do."""
        return self.dialogue.greeting()

    def understand(self, text: str, confidence: float = 1.0) -> Understanding:
        """Understanding alone, without context or storage."""
        return self.understander.understand(text, confidence)

    def turn(self, text: str, user: str = "default", session: str | None = None,
             confidence: float = 1.0, understanding: Understanding | None = None,
             request_id: str | None = None) -> TurnResult:
        """One shopper utterance: understand, decide, change the cart, log; one transaction.

        With ``request_id``, a retried request gets the stored result and changes nothing.
        """
        _check_text(text=text, user=user, session=session)
        session = session or user
        if understanding is None:
            self.refresh_teachings()
        u = understanding or self.understander.understand(text, confidence)

        def work(store: CartStore) -> TurnResult:
            raw = store.load_state(session)
            state = DialogueState.from_dict(raw, self.catalog.families)
            starts = not raw or state.ended or state.turns == 0
            news = self._news(store, user) if starts else None
            decision = self.dialogue.decide(state, u, CartView(store.cart(user), store.undo_batch(user),
                                                                 store.last_order(user)))
            reply = news + decision.reply if news else decision.reply
            store.apply(user, decision.ops, self.catalog)
            if not any(op.kind == "forget" for op in decision.ops):
                store.save_state(session, user, decision.state.to_dict(self.catalog.families))
                store.log(LogEntry(user, session, text[:2000], decision.intent, u.confidence,
                                   reply.text, decision.outcome))
                store.record(user, session, decision.ops, text, decision.cart)
            return TurnResult(user, session, text, decision.intent, u.confidence, reply,
                              decision.cart, decision.ended, decision.outcome, u)

        return self._once(request_id, user, work)

    def open(self, user: str = "default", session: str | None = None,
             request_id: str | None = None) -> TurnResult:
        """Start a conversation (a smart speaker's launch): greet, and start the dialogue afresh."""
        session = session or user
        reply = self.greeting()

        def work(store: CartStore) -> TurnResult:
            news = self._news(store, user)
            said = news + reply if news else reply
            store.save_state(session, user, DialogueState(turns=1).to_dict())
            store.log(LogEntry(user, session, "", "greet", 1.0, said.text, "answered"))
            return TurnResult(user, session, "", "greet", 1.0, said, store.cart(user), False, "answered")

        return self._once(request_id, user, work)

    def _news(self, store: CartStore, user: str) -> Reply | None:
        """At the start of a conversation, on any channel: what colleagues left for this shopper
        (`Een collega heeft je mandje aangepast: ...`) and the cart as it is now; delivered once."""
        messages = store.take_messages(user)
        if not messages:
            return None
        cart = store.cart(user)
        news = Reply(" ".join(messages), " ".join(messages))
        return news + (render("cart_read", items=cart_phrase(self.catalog, cart)) if cart else render("cart_empty"))

    def _once(self, request_id: str | None, user: str, work: Callable[[CartStore], TurnResult]) -> TurnResult:
        """Run ``work`` in one transaction about ``user`` (locked first), at most once per request id."""
        with self.store.transaction(user) as store:
            stored = store.processed(request_id) if request_id else None
            if stored:
                return TurnResult.from_dict(stored)
            result = work(store)
            if request_id:
                store.remember(request_id, result.to_dict())
        return result

    def hear(self, transcript: Transcript, user: str = "default", session: str | None = None,
             request_id: str | None = None, context: Context | None = None) -> TurnResult:
        """A turn from speech: the hypothesis understanding explains best, with the recogniser's doubts.

        ``context`` is what ``expected()`` gave the recogniser for this utterance (read again when absent).
        """
        self.refresh_teachings()
        context = context if context is not None else self.expected(user, session)
        text, understanding = self.best_hypothesis(transcript, context)
        return self.turn(text, user, session, transcript.confidence, understanding, request_id)

    def best_hypothesis(self, transcript: Transcript, context: Context | None = None) -> tuple[str, Understanding]:
        """Among the recogniser's hypotheses, the first that understanding fully explains.

        Recognisers often have the right words in a lower hypothesis (`die flessen` vs
        `drie flessen`); a hypothesis is explained when its intent is known and every
        product it names is in the catalog, or, while a choice is pending, when it
        picks one of the options (`volle`, `de eerste`).
        """
        words = transcript.word_confidences()
        candidates = [(transcript.text, transcript.confidence), *transcript.alternatives]
        understood = [(text, self.understander.understand(text, confidence, words))
                      for text, confidence in candidates[:MAX_HYPOTHESES]]
        options = context.options if context else ()
        for text, u in understood:
            support = transcript.support(text)
            if support is not None and support < REJECTED and (u.intent in CHANGES or options):
                continue
            if options and pick_option(u, options, self.understander.matcher):
                return text, _weighed(transcript, text, u, answer=True)
            if u.intent != "fallback" and all(i.match and i.match.resolved or i.match and i.match.ambiguous
                                              for i in u.items):
                return self._numbered(transcript, text, u, understood)
        return understood[0]

    def _numbered(self, transcript: Transcript, text: str, u: Understanding,
                  understood: list[tuple[str, Understanding]]) -> tuple[str, Understanding]:
        """The reading weighed; when other readings hear a number before a product this one
        says without (`vier bananen en melk` for `bananen en melk`), that reading, to be confirmed."""
        unsaid = _unsaid_numbers(transcript, u) if u.intent in CHANGES else []
        for other, v in understood if unsaid else ():
            if v.intent == u.intent and len(v.items) == len(u.items) and \
                    any(i.quantity.explicit and i.match and i.match.said == unsaid[0] for i in v.items):
                return other, replace(v, confidence=min(v.confidence, UNSUPPORTED))
        return text, _weighed(transcript, text, u, unsaid=unsaid)

    def expected(self, user: str = "default", session: str | None = None) -> Context:
        """What the shopper is likely to say next: the options just offered, the last
        product, the cart. Speech engines use it to weigh what they heard."""
        with self.store.transaction() as store:
            state = DialogueState.from_dict(store.load_state(session or user), self.catalog.families)
            cart = store.cart(user)
        pending = state.pending
        options = tuple(pending.options[:MAX_OPTIONS]) if pending and pending.kind == "choose" else ()
        products = dict.fromkeys([*([state.last_product] if state.last_product else []), *cart])
        return Context(tuple(products), options)

    def cart(self, user: str = "default") -> dict[str, int]:
        return self.store.cart(user)
