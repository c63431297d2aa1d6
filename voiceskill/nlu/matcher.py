"""Tolerant matching of spoken words to catalog products, with a confidence."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from ..catalog import Catalog
from .morphology import phonetic_key, stem_keys, stopwords
from .normalize import tokens

MAX_SPAN = 6
MAX_KEYS = 16
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


def phrase_keys(words: list[str]) -> set[str]:
    """Stem keys of a phrase: every combination of its words' base forms."""
    options = [sorted(stem_keys(w)) for w in words]
    return {" ".join(combo) for combo in itertools.islice(itertools.product(*options), MAX_KEYS)}


class ProductMatcher:
    """An index of a catalog's names, synonyms and families for fast lookup."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._surface: dict[str, set[tuple[str, str]]] = {}
        self._exact: dict[str, set[tuple[str, str]]] = {}
        self._compact: dict[str, set[tuple[str, str]]] = {}
        self._phrases: dict[tuple[str, str], list[str]] = {}
        self._phonetic: dict[str, set[tuple[str, str]]] = {}
        self._fuzzy_choices: list[str] = []
        self._fuzzy_targets: list[tuple[str, str]] = []
        for product in catalog:
            for phrase in (product.name, *product.synonyms):
                self._add(tokens(phrase), ("product", product.id))
        for family in catalog.families:
            self._add(tokens(family), ("family", family))

    def _add(self, words: list[str], target: tuple[str, str]) -> None:
        if not words:
            return
        self._surface.setdefault(" ".join(words), set()).add(target)
        self._phrases.setdefault(target, []).append(" ".join(words))
        for key in phrase_keys(words):
            self._exact.setdefault(key, set()).add(target)
            self._compact.setdefault(key.replace(" ", ""), set()).add(target)
        compact = "".join(words)
        self._phonetic.setdefault(phonetic_key(compact), set()).add(target)
        self._fuzzy_choices.append(compact)
        self._fuzzy_targets.append(target)

    def _resolve(self, targets: set[tuple[str, str]], said: str, confidence: float) -> ProductMatch:
        ids: list[str] = []
        family = ""
        for kind, value in sorted(targets):
            members = self.catalog.families[value] if kind == "family" else (value,)
            family = value if kind == "family" else family
            ids.extend(m for m in members if m not in ids)
        return ProductMatch(tuple(ids), said, confidence, family)

    def _lookup(self, words: list[str]) -> set[tuple[str, str]]:
        """Targets a span names: as written if any (`brood` is not `broodje`), else by base forms."""
        if " ".join(words) in self._surface:
            return self._surface[" ".join(words)]
        found: set[tuple[str, str]] = set()
        for key in phrase_keys(words):
            found |= self._exact.get(key, set()) | self._compact.get(key.replace(" ", ""), set())
        if len(found) > 1:
            said = {" ".join(words), *phrase_keys(words)}
            scores = {t: max(fuzz.ratio(s, p) for p in self._phrases[t] for s in said) for t in found}
            best = max(scores.values())
            found = {t for t, score in scores.items() if score == best}
        return found

    def match(self, words: list[str]) -> ProductMatch | None:
        """Best match for a product phrase: the longest exact span, else a tolerant guess."""
        words = words[:40]
        for length in range(min(MAX_SPAN, len(words)), 0, -1):
            for start in range(len(words) - length + 1):
                span = words[start:start + length]
                if all(w in stopwords() for w in span):
                    continue
                targets = self._lookup(span)
                if targets:
                    said = " ".join(span)
                    loose = said not in self._surface and len(said.replace(" ", "")) <= SHORT_WORD
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
        best: tuple[float, set[tuple[str, str]], str] | None = None
        for length in range(min(max(3, min_length), len(content)), min_length - 1, -1):
            for start in range(len(content) - length + 1):
                span = content[start:start + length]
                compact = "".join(span)
                if len(compact) < 3:
                    continue
                uncovered = len(content) - length
                targets = self._phonetic.get(phonetic_key(compact))
                score = 0.93 if targets else 0.0
                if not targets:
                    hit = process.extractOne(compact, self._fuzzy_choices, scorer=fuzz.ratio)
                    if hit is None:
                        continue
                    score = hit[1] / 100 * (0.9 if len(compact) <= 4 else 1.0)
                    targets = {self._fuzzy_targets[hit[2]]}
                score -= 0.06 * uncovered
                if best is None or score > best[0]:
                    best = (score, targets, " ".join(span))
        if best is None or best[0] < SUGGEST:
            return None
        return self._resolve(best[1], best[2], round(best[0], 3))

    def choose(self, words: list[str], options: tuple[str, ...]) -> str | None:
        """Which of ``options`` (product ids) an answer like `volle` or `de halfvolle` names."""
        content = [w for w in words if w not in stopwords()]
        if not content:
            return None
        scores: dict[str, int] = {}
        for product_id in options:
            product = self.catalog[product_id]
            for phrase in (product.name, *product.synonyms):
                keys = {k for w in tokens(phrase) for k in stem_keys(w)}
                hits = sum(1 for w in content if stem_keys(w) & keys)
                scores[product_id] = max(scores.get(product_id, 0), hits)
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
