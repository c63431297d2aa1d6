"""From one utterance to an intent with its items: the understanding stage (no IO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .. import data
from ..catalog import Catalog
from .grammar import Template, compile_template
from .items import ItemReader, ItemRequest, Quantity, is_quantity_only
from .matcher import ACCEPT, ProductMatcher
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


@lru_cache(maxsize=1)
def _groups() -> tuple[_Group, ...]:
    raw = data.load("intents")
    rules = raw["rules"]
    return tuple(
        _Group(g["intent"], tuple(compile_template(s, rules) for s in g["sentences"]),
               bool(g.get("repair")), bool(g.get("strict")))
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
            named = [i for i in items if i.match is not None]
            if group.strict or group.repair:
                if not named or max(i.match.confidence for i in named) < STRICT_CONFIDENCE:
                    return None
            elif not items or (not named and not any(i.quantity.explicit for i in items)
                               and not _looks_like_product(items)):
                return None
        return Understanding(norm, group.intent, tuple(items), quantity, group.repair,
                             ordinal, confidence, words)


def _looks_like_product(items: list[ItemRequest]) -> bool:
    """An unknown product still counts when some content word was said."""
    from .morphology import stopwords

    return any(w not in stopwords() for i in items for w in i.said.split())


__all__ = ["Understander", "Understanding", "ACCEPT"]
