"""From one utterance to an intent with its items: the understanding stage (no IO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .. import data
from ..catalog import Catalog
from .grammar import Template, compile_template
from .items import ItemReader, ItemRequest, Quantity, is_quantity_only
from .matcher import ACCEPT, ProductMatcher
from .morphology import stopwords
from .normalize import normalize
from .numbers import parse_ordinal

STRICT_CONFIDENCE = 0.75


@dataclass(frozen=True)
class Understanding:
    """What one utterance means, before the dialogue puts it in context."""

    text: str
    """The normalised text."""
    intent: str
    """One of the intents of spec/conversation.md (or `greet`)."""
    items: tuple[ItemRequest, ...] = ()
    """Products named, in order, each with its quantity."""
    quantity: Quantity | None = None
    """A bare quantity (`maak er vier van`, `nee, vier`)."""
    repair: bool = False
    """The utterance corrects what was just done (`nee, vier`)."""
    ordinal: int | None = None
    """A position named (`de tweede`), for answers to a choice."""
    confidence: float = 1.0
    """How sure recognition and understanding are, 0..1."""
    words: tuple[str, ...] = field(default=(), repr=False)

    @property
    def matched_items(self) -> tuple[ItemRequest, ...]:
        return tuple(i for i in self.items if i.match is not None)


@dataclass(frozen=True)
class _Group:
    intent: str
    templates: tuple[Template, ...]
    repair: bool
    strict: bool
    known: bool


@lru_cache(maxsize=1)
def _groups() -> tuple[_Group, ...]:
    raw = data.load("intents")
    rules = raw["rules"]
    return tuple(
        _Group(g["intent"], tuple(compile_template(s, rules) for s in g["sentences"]),
               bool(g.get("repair")), bool(g.get("strict")), bool(g.get("known")))
        for g in raw["intents"]
    )


class Understander:
    """Understands Dutch shopping utterances against one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.matcher = ProductMatcher(catalog)
        self.reader = ItemReader(self.matcher)
        _groups()

    def understand(self, text: str, confidence: float = 1.0) -> Understanding:
        """The intent and slots of ``text``; anything not understood is `fallback`."""
        norm = normalize(text)
        words = tuple(norm.split())
        ordinal = parse_ordinal(list(words))
        for group in _groups():
            for template in group.templates:
                for slots in template.matches(norm):
                    result = self._fill(group, slots, norm, words, confidence, ordinal)
                    if result is not None:
                        return result
        return Understanding(norm, "fallback", (), is_quantity_only(list(words)), False,
                             ordinal, confidence, words)

    def _fill(self, group: _Group, slots: dict[str, str], norm: str, words: tuple[str, ...],
              confidence: float, ordinal: int | None) -> Understanding | None:
        """Check and read the slots of a matching template; None rejects the match."""
        quantity = None
        items: list[ItemRequest] = []
        if "number" in slots:
            quantity = is_quantity_only(slots["number"].split())
            if quantity is None:
                return None
        if "items" in slots:
            items = self.reader.read(slots["items"].split())
            if not _acceptable(group, items):
                return None
        return Understanding(norm, group.intent, tuple(items), quantity, group.repair,
                             ordinal, confidence, words)


def _content(words: str) -> list[str]:
    return [w for w in words.split() if w not in stopwords()]


def _acceptable(group: _Group, items: list[ItemRequest]) -> bool:
    """Whether the items make sense for this kind of template.

    With a carrier phrase (`ik wil graag een fiets`) an unknown product is still
    an order; without one, or for a repair, the words must name catalog products
    and little else, so `I want a cola` is not an order but `twee fietsen` is.
    """
    if not items:
        return False
    for item in items:
        content = _content(item.words)
        if group.known and item.match is None and content:
            return False
        if not (group.strict or group.repair):
            continue
        if item.match is None:
            if not (group.strict and item.quantity.explicit and 1 <= len(content) <= 2):
                return False
        elif len(content) - len(_content(item.match.said)) > 1 or \
                (group.repair and item.match.confidence < STRICT_CONFIDENCE):
            return False
    return any(i.match or i.quantity.explicit or _content(i.words) for i in items)


__all__ = ["Understander", "Understanding", "ACCEPT"]
