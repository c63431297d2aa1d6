"""The plain Python API: one turn from text to reply, with the cart stored.

    >>> from voiceskill import Assistant
    >>> bot = Assistant(db=":memory:")
    >>> bot.turn("doe maar twee pakken halfvolle melk", user="anna").cart
    {'halfvolle-melk': 2}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cart import CartStore, LogEntry
from .catalog import Catalog, load_catalog
from .dialogue import CartView, Dialogue, DialogueState
from .nlu import Understander, Understanding
from .reply import Reply


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


class Assistant:
    """Understanding, dialogue and cart for one catalog and one database."""

    def __init__(self, catalog: Catalog | str | Path | None = None,
                 db: CartStore | str | Path | None = None) -> None:
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        self.store = db if isinstance(db, CartStore) else CartStore(db)
        self.understander = Understander(self.catalog)
        self.dialogue = Dialogue(self.catalog, self.understander.matcher)

    def greeting(self) -> Reply:
        """The opening line: the assistant's name, that it is a computer, and what it can do."""
        return self.dialogue.greeting()

    def understand(self, text: str, confidence: float = 1.0) -> Understanding:
        """Understanding alone, without context or storage."""
        return self.understander.understand(text, confidence)

    def turn(self, text: str, user: str = "default", session: str | None = None,
             confidence: float = 1.0, understanding: Understanding | None = None) -> TurnResult:
        """One shopper utterance: understand, decide, change the cart, log; one transaction."""
        session = session or user
        u = understanding or self.understander.understand(text, confidence)
        with self.store.transaction() as store:
            state = DialogueState.from_dict(store.load_state(session))
            view = CartView(store.cart(user), store.undo_batch(user))
            decision = self.dialogue.decide(state, u, view)
            store.apply(user, decision.ops, self.catalog)
            store.save_state(session, user, decision.state.to_dict())
            store.log(LogEntry(user, session, text[:2000], decision.intent, u.confidence,
                               decision.reply.text, decision.outcome))
        return TurnResult(user, session, text, decision.intent, u.confidence, decision.reply,
                          decision.cart, decision.ended, decision.outcome, u)

    def cart(self, user: str = "default") -> dict[str, int]:
        return self.store.cart(user)
