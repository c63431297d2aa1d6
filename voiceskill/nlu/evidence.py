"""Understanding from evidence: cue words, product mentions and numbers, for what no template explains.

Templates know the sentences we wrote; strangers talk differently. This stage tags each word
(a product mention, a number or container, a cue for adding, removing, asking, reference,
another domain, thanks, identity) and decides the intent from the cues present, in an explicit
precedence: other assistants' work, identity and thanks first; then a product named with a
remove, question or add cue; a product named in a frame nothing explains is offered, never
added; without a product, reference words and a number point back at the product last talked
about. The cue lexicons are data (data/cues.yaml); nothing here does IO.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache

from .. import data
from .items import ItemReader, ItemRequest, Quantity, read_quantity
from .matcher import ACCEPT, ProductMatcher
from .morphology import stopwords
from .numbers import parse_number

Rule = tuple[tuple[str, ...], ...]
"""Word groups; the rule holds when every group has a word (or phrase) in the utterance."""
MAX_SPAN = 5
MAX_LOOSE = 2
MIN_FRAME = 2
"""Cue words an offered product's frame needs: one (`want`) may be a word of another language."""
"""Words no cue explains that an offer may leave over; more, and the words are no Dutch frame we know
(`I want a cola`): not understood."""
OFFER = "offer"
"""Understanding.detail of an add whose frame is unclear: the product is offered, not added."""
BOTH = "both"
"""Understanding.detail of an add for each of the products last talked about (`van allebei`)."""
REFERENCE = "reference"
"""Understanding.detail of a question about the product last talked about (`wat kost dat?`)."""
PRICE = frozenset({"kost", "kosten", "kostte", "prijs", "duur"})
POINTING = frozenset({"dat", "die", "deze", "dit", "hem"})
ADDING = frozenset({"nog", "ook", "erbij", "bij"})
"""Words that make a `weg`/`geen` cue part of an addition (`doe er ook nog een bij`)."""


@dataclass(frozen=True)
class Cues:
    """The cue lexicons of data/cues.yaml."""

    other_domains: tuple[Rule, ...]
    store_words: frozenset[str]
    shopping_frame: frozenset[str]
    identity: tuple[Rule, ...]
    thanks_words: frozenset[str]
    thanks_needs: frozenset[str]
    read_cart: tuple[Rule, ...]
    checkout: tuple[Rule, ...]
    remove: frozenset[str]
    add: frozenset[str]
    question: frozenset[str]
    reference: frozenset[str]
    both: frozenset[str]
    not_products: frozenset[str]
    hedges: tuple[str, ...]
    set_words: frozenset[str]
    reference_frame: frozenset[str]
    undo: tuple[Rule, ...]
    request_modals: frozenset[str]
    request_verbs: frozenset[str]

    @property
    def explained(self) -> frozenset[str]:
        """Words a frame may hold without changing what it means."""
        return self.remove | self.add | self.question | self.reference | self.not_products


@lru_cache(maxsize=1)
def cues() -> Cues:
    """The lexicons, each read by the kind its field declares: rules, a phrase list or a word set."""
    raw = data.load("cues")

    def read(kind: str, value: list) -> object:
        if kind == "tuple[Rule, ...]":
            return tuple(tuple(tuple(str(w) for w in group) for group in rule) for rule in value)
        if kind == "tuple[str, ...]":
            return tuple(str(w) for w in value)
        return frozenset(str(w) for w in value)

    return Cues(**{f.name: read(str(f.type), raw[f.name]) for f in fields(Cues)})  # type: ignore[arg-type]


def holds(rule: Rule, words: tuple[str, ...]) -> bool:
    """Every group of ``rule`` has a word, or a phrase of consecutive words, in ``words``."""
    text = f" {' '.join(words)} "
    return all(any(f" {w} " in text for w in group) for group in rule)


def any_rule(rules: tuple[Rule, ...], words: tuple[str, ...]) -> bool:
    return any(holds(rule, words) for rule in rules)


def hedged(words: tuple[str, ...]) -> bool:
    """The shopper hedges (`dacht ik`, `misschien`): a product named is offered, not added."""
    return holds((cues().hedges,), words)


def is_thanks(words: list[str]) -> bool:
    """Nothing but thanks (`dank je wel`, `top`, `merci`, `super, bedankt hè`)."""
    c = cues()
    return bool(words) and all(w in c.thanks_words for w in words) and any(w in c.thanks_needs for w in words)


@dataclass(frozen=True)
class Reading:
    """What the cues decide: an intent, its products, what kind of it, how sure, a bare amount."""

    intent: str
    items: tuple[ItemRequest, ...] = ()
    detail: str = ""
    confidence: float = 1.0
    quantity: Quantity | None = None


@dataclass(frozen=True)
class Mention:
    """A span of words that names catalog products exactly."""

    start: int
    end: int


class EvidenceReader:
    """Reads an utterance by its cues against one catalog's products."""

    def __init__(self, matcher: ProductMatcher, reader: ItemReader) -> None:
        self.matcher = matcher
        self.reader = reader

    def mentions(self, words: tuple[str, ...]) -> list[Mention]:
        """Exact product names, longest first, left to right; cue words alone name nothing."""
        found: list[Mention] = []
        skip = cues().explained | stopwords()
        i = 0
        while i < len(words):
            length = next((n for n in range(min(MAX_SPAN, len(words) - i), 0, -1)
                           if not all(w in skip for w in words[i:i + n])
                           and parse_number(list(words[i:i + n])) is None
                           and self.matcher.names(list(words[i:i + n]))), 0)
            if length:
                found.append(Mention(i, i + length))
                i += length
            else:
                i += 1
        return found

    def other_domain(self, words: tuple[str, ...]) -> bool:
        """Another assistant's work (`doe het licht aan`, `hoe laat is het`) with no shopping in it."""
        c = cues()
        if any(w in c.shopping_frame or w in c.store_words for w in words) or not any_rule(c.other_domains, words):
            return False
        named = {i for m in self.mentions(words) for i in range(m.start, m.end)}
        return any_rule(c.other_domains, tuple(w for i, w in enumerate(words) if i not in named))

    def identity(self, words: tuple[str, ...]) -> bool:
        return any_rule(cues().identity, words) and not self.mentions(words)

    def _clear(self, words: tuple[str, ...], mention: Mention) -> bool:
        match = self.matcher.match(list(words[mention.start:mention.end]))
        return match is not None and match.confidence >= ACCEPT

    def item(self, words: tuple[str, ...], mention: Mention, after: int) -> ItemRequest:
        """The product of ``mention`` with the quantity said right before it (not before ``after``)."""
        quantity, said_from = Quantity(), mention.start
        for j in range(max(after, mention.start - 4), mention.start):
            found, used = read_quantity(list(words), j)
            gap = words[j + used:mention.start] if found else ()
            if found and all(w in stopwords() for w in gap):
                quantity, said_from = found, j
                break
        name = list(words[mention.start:mention.end])
        return ItemRequest(" ".join(words[said_from:mention.end]), quantity, self.matcher.match(name),
                           " ".join(name))

    @staticmethod
    def any_quantity(words: tuple[str, ...]) -> Quantity:
        """The first amount said anywhere (`drie flessen mag je doen van het mineraalwater`)."""
        return next((q for j in range(len(words)) for q in [read_quantity(list(words), j)[0]] if q), Quantity())

    def unexplained(self, words: tuple[str, ...], mentions: list[Mention]) -> list[str]:
        """Content words that neither name a product, nor count, nor cue anything."""
        inside = {i for m in mentions for i in range(m.start, m.end)}
        explained = cues().explained | stopwords()
        return [w for i, w in enumerate(words) if i not in inside and w not in explained
                and parse_number([w]) is None and read_quantity([w])[0] is None]

    def read(self, words: tuple[str, ...], question: bool) -> Reading | None:
        """What the cues decide, or None when they decide nothing."""
        c = cues()
        present = set(words)
        mentions = self.mentions(words)
        if not mentions:
            return self._without_product(words, present, question)
        items, after = [], 0
        for mention in mentions:
            items.append(self.item(words, mention, after))
            after = mention.end
        if len(items) == 1 and not items[0].quantity.explicit:
            items[0] = replace(items[0], quantity=self.any_quantity(words))
        if not all(i.match and i.match.confidence >= ACCEPT for i in items):
            return None
        loose = self.unexplained(words, mentions)
        sure = 1.0 if not loose else 0.3
        priced = present & PRICE
        if question and present & c.request_modals and present & c.request_verbs and not priced:
            return Reading("add_item", tuple(items), "" if not loose else OFFER)
        if question or present & c.question and priced:
            return Reading("ask_product", tuple(items), "price" if priced else "available")
        if len(items) == 1 and items[0].quantity.explicit and present & c.set_words and not present & ADDING:
            return Reading("set_quantity", tuple(items), confidence=sure)
        if present & c.remove and not present & ADDING:
            return Reading("remove_item", tuple(items), confidence=sure)
        if present & c.add and not loose and not hedged(words):
            return Reading("add_item", tuple(items))
        inside = {i for m in mentions for i in range(m.start, m.end)}
        dutch = sum(w in c.explained for i, w in enumerate(words) if i not in inside)
        if len(loose) > MAX_LOOSE or dutch < MIN_FRAME:
            return None
        return Reading("add_item", tuple(items), OFFER)

    def _without_product(self, words: tuple[str, ...], present: set[str], question: bool) -> Reading | None:
        c = cues()
        if any_rule(c.checkout, words):
            return Reading("checkout")
        if any_rule(c.undo, words) and not question:
            return Reading("undo")
        if any_rule(c.read_cart, words) and (question or present & {"wat", "wa"}):
            return Reading("read_cart")
        if self.unexplained(words, []):
            return None
        if present & PRICE and present & POINTING:
            return Reading("cart_total", detail=REFERENCE)
        framed = c.reference | c.reference_frame | stopwords()
        if question or not present & c.reference or not all(w in framed or parse_number([w]) is not None
                                                            or read_quantity([w])[0] for w in words):
            return None
        quantity = self.any_quantity(words) if any(parse_number([w]) is not None for w in words) else None
        if present & c.both:
            return Reading("add_item", detail=BOTH, quantity=quantity)
        if quantity and present & c.set_words and not present & ADDING:
            return Reading("set_quantity", quantity=quantity)
        if present & c.add or quantity or "zo" in present:
            return Reading("add_item", quantity=quantity)
        return None


__all__ = ["BOTH", "OFFER", "REFERENCE", "EvidenceReader", "Reading", "cues", "hedged", "is_thanks"]
