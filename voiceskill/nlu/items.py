"""Items in an utterance: split `twee bananen en een komkommer`, read each quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .. import data
from ..catalog import Product
from .matcher import ACCEPT, ProductMatch, ProductMatcher
from .morphology import stopwords
from .numbers import parse_number



def _words(name: str) -> frozenset[str]:
    return frozenset(data.load("morphology")[name])


SEPARATORS = _words("item_separators")
LEADING = _words("leading_words")
TIMES = _words("times_words")
LINKING = _words("linking_words")
PURPOSE = _words("purpose_words")


@dataclass(frozen=True)
class Quantity:
    """A spoken amount: `twee pakken`, `anderhalve liter`, `twaalf`, or nothing."""

    number: float | None = None
    """The number said, or None when none was (the default 1 then applies)."""
    container: str | None = None
    """A sale unit named (`pak`), singular."""
    measure: str | None = None
    """`volume`, `mass` or `count` when a measure word was said."""
    base: float = 0.0
    """The measure per 1 in base units (ml, g, pieces)."""
    confidence: float = 1.0
    """How sure the recogniser was of the number."""

    @property
    def explicit(self) -> bool:
        return self.number is not None

    @property
    def amount(self) -> float | None:
        """The measure said, in base units (`anderhalve liter` -> 1500), or None."""
        return (1.0 if self.number is None else self.number) * self.base if self.measure else None

    def sale_units(self, product: Product) -> int:
        """Whole sale units of ``product``, by the measure rule of spec/catalog.md."""
        number = 1.0 if self.number is None else self.number
        size = product.size
        if size and self.measure and size.dimension == self.measure:
            return product.units_for(self.measure, number * self.base)
        counts_pieces = self.measure is None and self.number is not None and self.container != product.unit \
            and not self.same_pack(product)
        if size and size.dimension == "count" and counts_pieces and product.unit != "stuk":
            return product.units_for("count", number)
        return max(1, math.ceil(round(number, 6)))

    def fits(self, product: Product) -> bool:
        """Whether the container said (if any) is the product's own kind of pack (spec: Containers)."""
        if self.container in (None, "stuk", product.unit) or self.measure or self.same_pack(product):
            return True
        return bool(product.size and product.size.dimension == "count")

    def same_pack(self, product: Product) -> bool:
        """The container said and the product's sale unit are one kind of pack (`pak` and `bakje`)."""
        return any(self.container in kind and product.unit in kind for kind in pack_kinds())

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "container": self.container, "measure": self.measure,
                "base": self.base, "confidence": self.confidence}

    @classmethod
    def from_dict(cls, raw: dict) -> "Quantity":
        return cls(**raw)


@dataclass(frozen=True)
class ItemRequest:
    """One product the shopper named, with its quantity."""

    said: str
    """All words of the item, quantity included."""
    quantity: Quantity
    match: ProductMatch | None
    """None when no product fits the words."""
    words: str = ""
    """The words that should name the product (`fiets` in `twee fietsen`)."""
    unexplained: tuple[str, ...] = ()
    """Content words of the item that its product does not account for (`grote` in
    `twee grote bananen`): the meaning may differ from the product found."""

    @property
    def clear(self) -> bool:
        """Named exactly, with nothing left over: safe to act on without asking."""
        return self.match is not None and self.match.confidence >= ACCEPT and not self.unexplained


@lru_cache(maxsize=1)
def _unit_words() -> tuple[dict[str, str], dict[str, tuple[str, float]]]:
    units = data.load("units")
    containers = {word: unit for unit, spec in units["sale_units"].items() for word in spec["spoken"]}
    measures = {word: (dim, float(base)) for word, (dim, base) in units["measures"].items()}
    return containers, measures


@lru_cache(maxsize=1)
def pack_kinds() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(kind) for kind in data.load("units").get("pack_kinds", []))


ALTERNATIVE = 0.0
"""The confidence of an amount said as alternatives (`drie of vier`): always asked, never guessed."""


def read_quantity(words: list[str], start: int = 0) -> tuple[Quantity | None, int]:
    """Quantity at ``words[start]``: number (or `drie of vier`), `keer`, then a container or measure word."""
    containers, measures = _unit_words()
    i = start
    number = parse_number(words, i)
    value, sure = None, 1.0
    if number:
        value, used = number
        i += used
        other = parse_number(words, i + 1) if i < len(words) and words[i] in ("of", "tot") else None
        if other:
            i, sure = i + 1 + other[1], ALTERNATIVE
        if i < len(words) and words[i] in TIMES:
            i += 1
    if i < len(words) and words[i] in measures and (value is not None or words[i] not in ("l", "g")):
        dim, base = measures[words[i]]
        return Quantity(value, measure=dim, base=base, confidence=sure), i + 1 - start
    if i < len(words) and words[i] in containers:
        return Quantity(value, container=containers[words[i]], confidence=sure), i + 1 - start
    if value is None:
        return None, 0
    return Quantity(value, confidence=sure), i - start


def is_quantity_only(words: list[str]) -> Quantity | None:
    """`vier`, `er vier`, `vier pakken`: a quantity and nothing else."""
    content = [w for w in words if w not in LEADING]
    quantity, used = read_quantity(content)
    return quantity if quantity and used == len(content) else None


class ItemReader:
    """Reads the product phrases of an utterance against one catalog."""

    def __init__(self, matcher: ProductMatcher) -> None:
        self.matcher = matcher

    def _protected(self, words: list[str], k: int) -> bool:
        """True when `en` at ``k`` is part of a product name (`peper en zout`)."""
        for length in (3, 4, 5):
            for start in range(max(0, k - length + 2), k):
                span = words[start:start + length]
                if len(span) == length and self.matcher.names(span):
                    return True
        return False

    def split(self, words: list[str]) -> list[list[str]]:
        """Split at `en`/`plus` and where a new number starts after product words."""
        chunks: list[list[str]] = [[]]
        for k, word in enumerate(words):
            if word in SEPARATORS and not self._protected(words, k):
                chunks.append([])
                continue
            current = chunks[-1]
            has_product_word = any(w not in stopwords() and parse_number([w]) is None
                                   and read_quantity([w])[0] is None for w in current)
            if has_product_word and parse_number(words, k):
                chunks.append([])
            chunks[-1].append(word)
        return [c for c in chunks if c]

    def read_chunk(self, words: list[str]) -> ItemRequest:
        """One item: its quantity (first, or last: `melk, twee pakken`), then the product words;
        a purpose after them (`voor de klas`) says what it is for, not what it is."""
        i = 0
        while i < len(words) - 1 and (words[i] in LEADING or words[i] in stopwords()) \
                and parse_number(words, i) is None:
            i += 1
        quantity, used = read_quantity(words, i)
        rest = words[i + used:]
        if quantity is None and len(rest) >= 2:
            for j in range(len(rest) - 1, 0, -1):
                tail, tail_used = read_quantity(rest, j)
                if tail and j + tail_used == len(rest):
                    quantity, rest = tail, rest[:j]
                    break
        while rest and rest[0] in LINKING:
            rest = rest[1:]
        match = self.matcher.match(rest) if rest else None
        unexplained = _unexplained(rest, match)
        purpose = next((j for j, w in enumerate(rest) if w in PURPOSE and j > 0), None)
        if unexplained and purpose is not None:
            named = self.matcher.match(rest[:purpose])
            if named and not _unexplained(rest[:purpose], named):
                rest, match, unexplained = rest[:purpose], named, ()
        return ItemRequest(" ".join(words), quantity or Quantity(), match, " ".join(rest), unexplained)

    def segment(self, words: list[str]) -> list[list[str]]:
        """Bare nouns said in a row (`melk eieren kaas brood`): one chunk per product named.

        Only when every content word falls inside some exactly named product;
        otherwise the chunk stays whole and its leftover words are unexplained.
        """
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            found = next((length for length in range(min(6, len(words) - i), 0, -1)
                          if not all(w in stopwords() for w in words[i:i + length])
                          and self.matcher.names(words[i:i + length])), 0)
            if found:
                spans.append((i, i + found))
                i += found
            elif words[i] in stopwords() or read_quantity(words, i)[0] is not None:
                i += 1
            else:
                return [words]
        if len(spans) < 2:
            return [words]
        starts = [0] + [end for _, end in spans[:-1]]
        return [words[a:end] for a, (_, end) in zip(starts, spans)]

    def read(self, words: list[str]) -> list[ItemRequest]:
        """All item requests; a bare quantity joins the item before it (`melk, twee pakken`)."""
        items: list[ItemRequest] = []
        waiting: Quantity | None = None
        read = [(chunk, self.read_chunk(chunk)) for chunk in self.split(words)]
        read = [(part, self.read_chunk(part) if len(parts) > 1 else item)
                for chunk, item in read
                for parts in [self.segment(chunk) if item.unexplained else [chunk]] for part in parts]
        chunks = [chunk for chunk, _ in read]
        for chunk, item in read:
            if waiting and item.match and not item.quantity.explicit:
                item = ItemRequest(item.said, waiting, item.match, item.words, item.unexplained)
            waiting = None
            if item.match is None and is_quantity_only(chunk) and not items:
                waiting = is_quantity_only(chunk)
                continue
            if item.match is None and items and items[-1].match and not items[-1].quantity.explicit \
                    and is_quantity_only(chunk):
                last = items[-1]
                items[-1] = ItemRequest(f"{last.said} {item.said}", item.quantity, last.match, last.words,
                                        last.unexplained)
                continue
            items.append(item)
        if waiting:
            items.append(ItemRequest(" ".join(chunks[-1]), waiting, None, ""))
        return items


def _unexplained(words: list[str], match: ProductMatch | None) -> tuple[str, ...]:
    """Content words outside the matched words (all of them when nothing matched)."""
    said = set(match.said.split()) if match else set()
    return tuple(w for w in words if w not in said and w not in stopwords() and parse_number([w]) is None
                 and read_quantity([w])[0] is None)
