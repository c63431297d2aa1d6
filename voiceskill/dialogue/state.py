"""What a conversation remembers between turns; plain data that round-trips through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACTION_INTENTS = {"add": "add_item", "remove": "remove_item", "set": "set_quantity"}


@dataclass
class Planned:
    """A cart action decided on, maybe waiting for a `ja`."""

    product_id: str
    action: str
    """`add`, `remove` or `set`."""
    units: int | None
    """Sale units; None removes the product entirely."""
    measure: str | None = None
    """The measure the shopper named (`volume`), to echo it in the reply."""
    amount: float | None = None
    """How much of that measure, in base units (1500 for `anderhalve liter`)."""


@dataclass
class Pending:
    """A question the assistant asked and waits on."""

    kind: str
    """`choose`, `confirm`, `confirm_clear`, `confirm_checkout` or `offer_handover`."""
    question: dict[str, Any]
    """The reply that asked it, to ask again."""
    action: str = "add"
    options: list[str] = field(default_factory=list)
    quantity: dict[str, Any] | None = None
    family: str = ""
    planned: list[Planned] = field(default_factory=list)
    misses: int = 0
    queue: list["Pending"] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "Pending":
        raw = dict(raw)
        raw["planned"] = [Planned(**p) for p in raw.get("planned", [])]
        raw["queue"] = [cls.from_dict(q) for q in raw.get("queue", [])]
        return cls(**raw)


@dataclass
class Change:
    """One product's change in the last turn, for `nee, vier` repairs."""

    product_id: str
    before: int
    after: int
    action: str
    units: int | None


@dataclass
class DialogueState:
    """One conversation's memory."""

    turns: int = 0
    ended: bool = False
    pending: Pending | None = None
    last_product: str = ""
    last_changes: list[Change] = field(default_factory=list)
    misses: int = 0
    handed_over: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> "DialogueState":
        if not raw:
            return cls()
        raw = dict(raw)
        raw["pending"] = Pending.from_dict(raw["pending"]) if raw.get("pending") else None
        raw["last_changes"] = [Change(**c) for c in raw.get("last_changes", [])]
        return cls(**raw)
