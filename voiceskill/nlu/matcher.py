"""Tolerant matching of spoken words to catalog products, with a confidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from ..catalog import Catalog
from .morphology import phonetic_key, stem_keys, stopwords
from .normalize import tokens
from .product_index import ProductIndex, Target, each, load_index, phrase_keys

MAX_SPAN = 6
FUZZY_CANDIDATES = 300
"""Names the fuzzy guess scores: those sharing most letter trigrams with what was said."""
RECENT = 4096
TERMS_KEPT = 50_000
"""Words whose fuzzy candidates are kept: the readings of one utterance ask for the same ones."""
ACCEPT = 0.88
SUGGEST = 0.62
LOOSE = 0.8
"""A short word that names a product only through a base form (`pin` of `pintje`): ask first."""
SHORT_WORD = 4


@dataclass(frozen=True)
class ProductMatch:
    """What the shopper's words name: one product, several (a family), or a guess."""

    product_ids: tuple[str, ...]
    """Matching products; more than one means the words were ambiguous."""
    said: str
    """The words that matched, as said."""
    confidence: float = 1.0
    """1.0 for an exact name; lower for sound-alike and fuzzy matches."""
    family: str = ""
    """The family word when the shopper used one (`melk`)."""

    @property
    def resolved(self) -> bool:
        return len(self.product_ids) == 1 and self.confidence >= ACCEPT

    @property
    def ambiguous(self) -> bool:
        return len(self.product_ids) > 1 and self.confidence >= ACCEPT


class ProductMatcher:
    """Lookups in a catalog's ProductIndex: exact spans first, then sound-alike and fuzzy guesses."""

    def __init__(self, catalog: Catalog, index: ProductIndex | None = None) -> None:
        self.catalog = catalog
        self.index = index or load_index(catalog)
        self._recent: dict[str, list[int]] = {}
        self._terms: dict[str, ProductTerms] = {}
        self._numbers = {value: n for n, (kind, value) in enumerate(self.index.targets) if kind == "product"}

    @classmethod
    def shared(cls, catalog: Catalog) -> "ProductMatcher":
        """One matcher per catalog, for understanding, snapping and the speech shortlist alike."""
        matcher = catalog.__dict__.get("_matcher")
        if matcher is None:
            matcher = catalog.__dict__["_matcher"] = cls(catalog)
        return matcher

    def forget_recent(self) -> None:
        """Drop the kept fuzzy candidates, for benchmarks that must time first sightings."""
        self._recent.clear()

    def _targets(self, numbers: Iterable[int]) -> set[Target]:
        return {self.index.targets[n] for n in numbers}

    def _resolve(self, targets: set[Target], said: str, confidence: float) -> ProductMatch:
        ids: dict[str, None] = {}
        family = ""
        for kind, value in sorted(targets):
            members = self.catalog.families[value] if kind == "family" else (value,)
            family = value if kind == "family" else family
            ids.update(dict.fromkeys(members))
        return ProductMatch(tuple(ids), said, confidence, family)

    def names(self, words: list[str]) -> set[Target]:
        """Targets a span names: as written if any (`brood` is not `broodje`), else by base forms."""
        index = self.index
        said = " ".join(words)
        if said in index.surface:
            return self._targets(each(index.surface[said]))
        keys = phrase_keys(words)
        found = {n for key in keys for n in each(index.keys.get(key))}
        if len(found) > 1:
            forms = {said, *keys}
            scores = {n: max(fuzz.ratio(s, p) for p in index.phrases[n] for s in forms) for n in found}
            best = max(scores.values())
            found = {n for n, score in scores.items() if score == best}
        return self._targets(found)

    def match(self, words: list[str]) -> ProductMatch | None:
        """Best match for a product phrase: the longest exact span, else a tolerant guess."""
        words = words[:40]
        for length in range(min(MAX_SPAN, len(words)), 0, -1):
            for start in range(len(words) - length + 1):
                span = words[start:start + length]
                if all(w in stopwords() for w in span):
                    continue
                targets = self.names(span)
                if targets:
                    said = " ".join(span)
                    loose = said not in self.index.surface and len(said.replace(" ", "")) <= SHORT_WORD
                    return self._prefer_wider(self._resolve(targets, said, LOOSE if loose else 1.0), words)
        return self.guess([w for w in words if w not in stopwords()])

    def _prefer_wider(self, exact: ProductMatch, words: list[str]) -> ProductMatch:
        """`halvolle melk`: a sound-alike of all the words beats an exact `melk`."""
        content = [w for w in words if w not in stopwords()]
        if len(exact.said.split()) >= len(content) or exact.resolved:
            return exact
        wider = self.guess(content, min_length=len(content))
        return wider if wider and wider.resolved else exact

    def guess(self, content: list[str], min_length: int = 1) -> ProductMatch | None:
        """Sound-alike or fuzzy match on the content words; confidence from the score."""
        best: tuple[float, set[Target], str] | None = None
        for length in range(min(max(3, min_length), len(content)), min_length - 1, -1):
            for start in range(len(content) - length + 1):
                span = content[start:start + length]
                compact = "".join(span)
                if len(compact) < 3:
                    continue
                penalty = 0.06 * (len(content) - length)
                numbers = each(self.index.phonetic.get(phonetic_key(compact)))
                if numbers:
                    score, targets = 0.93 - penalty, self._targets(numbers)
                else:
                    short = 0.9 if len(compact) <= 4 else 1.0
                    floor = max(SUGGEST, best[0] if best else 0.0) + penalty
                    hit = self._fuzzy(compact, min(100.0, floor / short * 100))
                    if hit is None:
                        continue
                    score, targets = hit[0] / 100 * short - penalty, self._targets(hit[1])
                if best is None or score > best[0]:
                    best = (score, targets, " ".join(span))
        if best is None or best[0] < SUGGEST:
            return None
        return self._resolve(best[1], best[2], round(best[0], 3))

    def _fuzzy(self, compact: str, cutoff: float) -> tuple[float, tuple[int, ...]] | None:
        """The closest name among those sharing trigrams with ``compact``, if it scores ``cutoff``."""
        index = self.index
        numbers = self._recent.get(compact)
        if numbers is None:
            if len(self._recent) >= RECENT:
                self._recent.pop(next(iter(self._recent)))
            numbers = self._recent[compact] = index.candidates(compact, FUZZY_CANDIDATES)
        hit = process.extractOne(compact, [index.choices[n] for n in numbers], scorer=fuzz.ratio,
                                 score_cutoff=cutoff)
        return (hit[1], each(index.choice_targets[numbers[hit[2]]])) if hit else None

    def terms(self, product_id: str) -> ProductTerms:
        """A product's phrases as words, and their base-form keys, worked out once per product:
        answers to a choice among hundreds of options compare against these, not the raw names."""
        found = self._terms.get(product_id)
        if found is None:
            if len(self._terms) >= TERMS_KEPT:
                self._terms.pop(next(iter(self._terms)))
            product = self.catalog[product_id]
            number = self._numbers.get(product_id)
            phrases = tuple(tuple(p.split()) for p in self.index.phrases[number]) if number is not None else ()
            size = _size_words(str(product.size)) if product.size else ()
            keys = tuple(frozenset(k for w in phrase for k in stem_keys(w)) for phrase in phrases)
            found = self._terms[product_id] = ProductTerms(phrases, size, keys)
        return found

    def choose(self, words: list[str], options: tuple[str, ...]) -> str | None:
        """Which of ``options`` (product ids) an answer like `volle` or `de halfvolle` names."""
        content = [stem_keys(w) for w in words if w not in stopwords()]
        if not content:
            return None
        scores: dict[str, int] = {}
        for product_id in options:
            scores[product_id] = max(sum(1 for w in content if w & keys) for keys in self.terms(product_id).keys)
        top = max(scores.values())
        winners = [pid for pid, score in scores.items() if score == top]
        if top and len(winners) == 1:
            return winners[0]
        match = self.match(words)
        if match and match.confidence >= SUGGEST:
            inside = [pid for pid in match.product_ids if pid in options]
            if len(inside) == 1:
                return inside[0]
        return None


@lru_cache(maxsize=4096)
def _size_words(size: str) -> tuple[str, ...]:
    return tuple(tokens(size))


@dataclass(frozen=True)
class ProductTerms:
    """One product's words for answers to a choice."""

    phrases: tuple[tuple[str, ...], ...]
    """Name and synonyms, each as its words."""
    size: tuple[str, ...]
    """`500 g` as words, for `de 500 gram`."""
    keys: tuple[frozenset[str], ...]
    """Per phrase, the base-form keys of all its words."""

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for phrase in (*self.phrases, self.size) for w in phrase)
