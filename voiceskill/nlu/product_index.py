"""The catalog's words indexed once: phrases as written, base-form keys, sound-alike keys, letter trigrams.

Why: matching must not grow with the catalog. Every lookup is a dictionary hit, and the
fuzzy guess scores only the few hundred names that share letter trigrams with what was
said, not all names of a 30,000-product store. Targets are small integers and postings
tuples, so memory per product stays bounded. The built index is cached on disk, keyed by
the catalog's digest and this code's own (voiceskill/disk_cache.py), so a warm start loads
it instead of building it.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from dataclasses import dataclass

from ..catalog import Catalog
from ..disk_cache import cached
from .morphology import phonetic_key, stem_keys
from .normalize import tokens

Target = tuple[str, str]
"""(`product`, id) or (`family`, word)."""
MAX_KEYS = 16
"""Base-form combinations kept per phrase (words with several readings multiply)."""
COMMON_GRAM = 0.05
"""A trigram in more than this share of the names picks no candidates (`mel` of every `melk`)."""
RARE_GRAMS = 8


Postings = int | tuple[int, ...]
"""Target numbers: one number alone (most keys name one product), else a tuple; memory per product
stays small as a 30,000-product store holds some 300,000 keys."""


def postings(numbers: list[int]) -> Postings:
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def each(found: Postings | None) -> tuple[int, ...]:
    """The target numbers of a posting (none for a missing key)."""
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


def phrase_keys(words: list[str]) -> set[str]:
    """Stem keys of a phrase, spaces removed: every combination of its words' base forms."""
    options = [sorted(stem_keys(w)) for w in words]
    return {"".join(combo) for combo in itertools.islice(itertools.product(*options), MAX_KEYS)}


def trigrams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(len(text) - 2)}


@dataclass
class ProductIndex:
    """Postings from keys to target numbers; built by `build`, read by ProductMatcher."""

    targets: list[Target]
    surface: dict[str, Postings]
    """The phrase as written, words joined by spaces."""
    keys: dict[str, Postings]
    """Base-form keys of the phrase, spaces removed (`halfvollemelk` names `halfvolle melk` too)."""
    phonetic: dict[str, Postings]
    phrases: list[tuple[str, ...]]
    """Every phrase of each target, for breaking ties between base-form hits."""
    choices: list[str]
    """Distinct phrases without spaces: what the fuzzy guess compares."""
    choice_targets: list[Postings]
    grams: dict[str, array]
    """Trigram -> numbers of the choices holding it."""

    @classmethod
    def build(cls, catalog: Catalog) -> "ProductIndex":
        numbers: dict[Target, int] = {}
        surface: dict[str, list[int]] = {}
        keys: dict[str, list[int]] = {}
        phonetic: dict[str, list[int]] = {}
        phrases: list[list[str]] = []
        choices: dict[str, list[int]] = {}

        def add(words: list[str], target: Target) -> None:
            if not words:
                return
            number = numbers.setdefault(target, len(numbers))
            if number == len(phrases):
                phrases.append([])
            phrase = " ".join(words)
            phrases[number].append(phrase)
            compact = phrase.replace(" ", "")
            for table, key in [(surface, phrase), (phonetic, phonetic_key(compact)), (choices, compact),
                               *((keys, k) for k in phrase_keys(words))]:
                bucket = table.setdefault(key, [])
                if number not in bucket:
                    bucket.append(number)

        for product in catalog:
            for phrase in (product.name, *product.synonyms):
                add(tokens(phrase), ("product", product.id))
        for family in catalog.families:
            add(tokens(family), ("family", family))
        names = list(choices)
        grams: dict[str, array] = {}
        for n, name in enumerate(names):
            for gram in trigrams(name):
                grams.setdefault(gram, array("i")).append(n)

        def frozen(table: dict[str, list[int]]) -> dict[str, Postings]:
            return {key: postings(value) for key, value in table.items()}

        return cls(list(numbers), frozen(surface), frozen(keys), frozen(phonetic),
                   [tuple(p) for p in phrases], names, [postings(choices[n]) for n in names], grams)

    def candidates(self, text: str, limit: int) -> list[int]:
        """The choices sharing most trigrams with ``text`` (at most ``limit``), best first.

        Only the rarest trigrams are counted (RARE_GRAMS of them, none held by more than
        COMMON_GRAM of the names): a name close to what was said shares most of them anyway.
        """
        common = max(50, int(len(self.choices) * COMMON_GRAM))
        postings = sorted((self.grams[g] for g in trigrams(text) if g in self.grams), key=len)
        used = [p for p in postings if len(p) <= common][:RARE_GRAMS] or postings[:2]
        counts: Counter[int] = Counter()
        for posting in used:
            counts.update(posting)
        if len(counts) <= limit:
            return sorted(counts, key=counts.__getitem__, reverse=True)
        return [n for n, _ in counts.most_common(limit)]


INDEX_CODE = ("nlu/product_index.py", "nlu/morphology.py", "nlu/normalize.py", "data/morphology.yaml")
"""What the index depends on besides the catalog."""


CACHE_FROM = 2000
"""Products from which the index is worth keeping on disk (smaller ones build in a blink)."""


def load_index(catalog: Catalog) -> ProductIndex:
    """The catalog's index: from the disk cache when this catalog and code built it before."""
    key = catalog.digest if len(catalog) >= CACHE_FROM else ""
    return cached("index", key, lambda: ProductIndex.build(catalog), ProductIndex, INDEX_CODE)
