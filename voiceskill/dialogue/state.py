"""What a conversation remembers between turns; plain data that round-trips through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
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
    """`choose`, `confirm`, `confirm_clear`, `confirm_checkout`, `offer_handover` or `ces` (the
    optional effort question after an order)."""
    question: dict[str, Any]
    """The reply that asked it, to ask again."""
    action: str = "add"
    options: list[str] = field(default_factory=list)
    quantity: dict[str, Any] | None = None
    family: str = ""
    planned: list[Planned] = field(default_factory=list)
    misses: int = 0
    queue: list["Pending"] = field(default_factory=list)
    reason: str = ""
    """offer_handover: why a colleague is offered (`not_understood`, `unsure`, `off_topic`)."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any], families: Families | None = None) -> "Pending":
        raw = dict(raw)
        raw["planned"] = [Planned(**p) for p in raw.get("planned", [])]
        raw["queue"] = [cls.from_dict(q, families) for q in raw.get("queue", [])]
        packed = raw.pop("packed", None)
        if packed and families and raw.get("family") in families:
            raw["options"] = unpack_options(packed, families[raw["family"]])
        return cls(**raw)

    def to_dict(self, families: Families | None = None) -> dict[str, Any]:
        raw = {f.name: getattr(self, f.name) for f in fields(self)}
        raw.update(question=dict(self.question), options=list(self.options), planned=[asdict(p) for p in self.planned],
                   quantity=dict(self.quantity) if self.quantity else None,
                   queue=[q.to_dict(families) for q in self.queue])
        members = (families or {}).get(self.family)
        if members and len(self.options) > PACK_FROM and set(self.options) <= set(members):
            raw["options"], raw["packed"] = [], pack_options(self.options, members)
        return raw


Families = dict[str, tuple[str, ...]]
PACK_FROM = 12
"""Options of a large family are stored as a bitmap over its members, not as hundreds of ids."""


def pack_options(options: list[str], members: tuple[str, ...]) -> dict[str, Any]:
    """Options as the ids ranked ahead of catalog order (bought before) and a hex bitmap of the rest."""
    position = {pid: n for n, pid in enumerate(members)}
    lead = 0
    while lead < len(options) - 1 and not all(position[a] < position[b] for a, b in
                                              zip(options[lead:], options[lead + 1:])):
        lead += 1
    bits = 0
    for pid in options[lead:]:
        bits |= 1 << position[pid]
    return {"lead": options[:lead], "members": format(bits, "x")}


def unpack_options(packed: dict[str, Any], members: tuple[str, ...]) -> list[str]:
    lead = list(packed.get("lead", []))
    bits = int(packed.get("members") or "0", 16)
    return lead + [pid for n, pid in enumerate(members) if bits >> n & 1 and pid not in lead]


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
    """The product most recently talked about: focus[0]."""
    focus: list[str] = field(default_factory=list)
    """Products talked about in the last turn that named any (added, removed, asked about, offered),
    most salient first: what `er`, `dat`, `die`, `nog zo een` and `van allebei` refer to."""
    last_changes: list[Change] = field(default_factory=list)
    misses: int = 0
    handed_over: bool = False
    ces_asked: bool = False
    """The effort question was asked in this conversation: never twice."""

    def to_dict(self, families: Families | None = None) -> dict[str, Any]:
        """Plain JSON data; with the catalog's ``families``, large option lists are packed."""
        raw = {f.name: getattr(self, f.name) for f in fields(self)}
        raw["last_changes"] = [asdict(c) for c in self.last_changes]
        raw["pending"] = self.pending.to_dict(families) if self.pending else None
        return raw

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None, families: Families | None = None) -> "DialogueState":
        if not raw:
            return cls()
        raw = dict(raw)
        raw["pending"] = Pending.from_dict(raw["pending"], families) if raw.get("pending") else None
        raw["last_changes"] = [Change(**c) for c in raw.get("last_changes", [])]
        return cls(**raw)
