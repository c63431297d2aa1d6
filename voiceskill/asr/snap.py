"""Snapping a transcript to the store's words, without inventing any.

Whisper hears the sounds right more often than the word boundaries: it splits
compounds (`half volle melk`), glues words (`kratpils`) and spells sound-alikes
(`komkomer`). Understanding copes better with the catalog's own spelling, so the
recogniser rewrites only what is safe: joins that give a catalog word, splits
into two known words, and swaps to a catalog word with the identical sound key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import data
from ..nlu.matcher import ProductMatcher
from ..nlu.morphology import phonetic_key, stem_keys, stopwords
from ..nlu.normalize import tokens
from .grammar import unit_words

MIN_PART = 3
"""Shortest half of a split word: shorter pieces (`ei`, `en`) match too much by chance."""
MAX_JOIN = 3
_TEMPLATE_WORD = re.compile(r"[a-z']+")
MIN_SOUND_ALIKE = 3


@dataclass(frozen=True)
class Vocabulary:
    """The words a transcript may be snapped to, for one catalog."""

    catalog: frozenset[str]
    catalog_stems: frozenset[str]
    numbers: frozenset[str]
    known: frozenset[str]
    """Catalog, unit and number words: what a split word may be split into."""
    commands: frozenset[str]
    """Words of the command sentences (`afrekenen`, `mandje`): never rewritten."""
    sounds: dict[str, frozenset[str]]
    """Sound key -> catalog words with that key."""


def _number_words() -> set[str]:
    numbers = data.load("numbers")
    words = {*numbers["units"], *numbers["teens"], *numbers["tens"], numbers["hundred"], numbers["thousand"]}
    words |= {w for phrase in numbers["phrases"] for w in str(phrase).split()}
    return {w for word in words for w in tokens(str(word))}


def _command_words() -> set[str]:
    """Words of the intent sentence templates, without their template syntax."""
    intents = data.load("intents")
    templates = [*intents["rules"].values()]
    templates += [sentence for intent in intents["intents"] for sentence in intent["sentences"]]
    return {w for template in templates for w in _TEMPLATE_WORD.findall(template) if len(w) >= MIN_PART}


@lru_cache(maxsize=8)
def vocabulary(matcher: ProductMatcher) -> Vocabulary:
    """Built once per matcher (the recogniser keeps one for its catalog)."""
    phrases = [*matcher.catalog.families]
    for product in matcher.catalog:
        phrases += [product.name, *product.synonyms]
    catalog = {w for phrase in phrases for w in tokens(phrase) if w not in stopwords()}
    sounds: dict[str, set[str]] = {}
    for word in catalog:
        if len(word) >= MIN_SOUND_ALIKE and not word.isdigit():
            sounds.setdefault(phonetic_key(word), set()).add(word)
    numbers = _number_words()
    return Vocabulary(
        catalog=frozenset(catalog), catalog_stems=frozenset(k for w in catalog for k in stem_keys(w)),
        numbers=frozenset(numbers), known=frozenset(catalog | numbers | {w for word in unit_words() for w in tokens(word)}),
        commands=frozenset(_command_words()), sounds={key: frozenset(ws) for key, ws in sounds.items()})


def _is_word(word: str, vocab: Vocabulary) -> bool:
    """Spelled exactly like a catalog, unit, number, command or filler word: never rewritten."""
    return word in vocab.known or word in vocab.commands or word in stopwords()


def _is_known(word: str, vocab: Vocabulary) -> bool:
    """A catalog, unit or number word, or a plural/diminutive of a catalog word (`pilsjes`)."""
    return word in vocab.known or bool(stem_keys(word) & vocab.catalog_stems)


def _sound_alike(word: str, vocab: Vocabulary) -> str | None:
    """The one catalog word that sounds exactly like ``word``, if there is exactly one."""
    matches = vocab.sounds.get(phonetic_key(word), frozenset())
    return next(iter(matches)) if len(matches) == 1 else None


def _join_at(words: list[str], start: int, vocab: Vocabulary) -> tuple[str, int] | None:
    """A catalog word spelled across ``words[start:]``: (the word, how many words it spans)."""
    for size in range(min(MAX_JOIN, len(words) - start), 1, -1):
        parts = words[start:start + size]
        joined = "".join(parts)
        if joined in vocab.catalog:
            return joined, size
        if all(_is_word(p, vocab) for p in parts) or any(p.isdigit() for p in parts):
            continue
        alike = _sound_alike(joined, vocab)
        if alike:
            return alike, size
    return None


def join_compounds(words: list[str], vocab: Vocabulary) -> list[str]:
    """`half volle` -> `halfvolle`, `hagel slach` -> `hagelslag` (only into catalog words)."""
    out: list[str] = []
    index = 0
    while index < len(words):
        found = _join_at(words, index, vocab)
        if found:
            out.append(found[0])
            index += found[1]
        else:
            out.append(words[index])
            index += 1
    return out


def split_glued(word: str, vocab: Vocabulary) -> list[str]:
    """`kratpils` -> `krat pils` when both halves are known (number compounds stay whole)."""
    whole = _is_word(word, vocab) or _is_known(word, vocab)
    if whole or len(word) < 2 * MIN_PART or any(ch.isdigit() for ch in word):
        return [word]
    candidates = []
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        left, right = word[:cut], word[cut:]
        if not (_is_known(left, vocab) and _is_known(right, vocab)):
            continue
        if left in vocab.numbers and right in vocab.numbers:
            continue
        exact = left in vocab.known and right in vocab.known
        candidates.append((not exact, -min(len(left), len(right)), cut))
    if not candidates:
        return [word]
    cut = min(candidates)[2]
    return [word[:cut], word[cut:]]


def snap_to_catalog(text: str, matcher: ProductMatcher) -> str:
    """Normalised text with compounds, glued words and sound-alikes put in catalog spelling."""
    words = tokens(text)
    if not words:
        return ""
    vocab = vocabulary(matcher)
    words = join_compounds(words, vocab)
    words = [part for word in words for part in split_glued(word, vocab)]
    snapped = []
    for word in words:
        replace = not _is_word(word, vocab) and len(word) >= MIN_SOUND_ALIKE and not word.isdigit()
        snapped.append((_sound_alike(word, vocab) if replace else None) or word)
    return " ".join(snapped)
