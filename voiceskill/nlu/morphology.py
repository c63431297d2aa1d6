"""Dutch word keys for matching: plural/diminutive-free stems and a phonetic key."""

from __future__ import annotations

import re
from functools import lru_cache

from .. import data
from ..catalog import Product

VOWELS = "aeiou"

_DOUBLE = re.compile(r"(.)\1+")


def _rules() -> dict:
    return data.load("morphology")


def _squash(stem: str) -> str:
    """Fold spelling that varies between a base and its forms (aa/a, kk/k, z/s, v/f)."""
    stem = _DOUBLE.sub(r"\1", stem)
    if len(stem) > 3 and stem.endswith("e"):
        stem = stem[:-1]
    if stem.endswith("z"):
        stem = stem[:-1] + "s"
    if stem.endswith("v"):
        stem = stem[:-1] + "f"
    return stem


@lru_cache(maxsize=65536)
def stem_keys(word: str) -> frozenset[str]:
    """All plausible base-form keys of one word (`tomaatjes` -> tomaat or tomaa)."""
    rules = _rules()
    if word in rules["irregular"]:
        return frozenset({_squash(rules["irregular"][word])})
    keys = {_squash(word)}
    for ending in rules["endings"]:
        stem = word[: -len(ending)]
        if not word.endswith(ending) or len(stem) < rules["min_stem"]:
            continue
        if ending == "s" and (len(word) <= 3 or stem[-1] not in rules["s_after"]):
            continue
        keys.add(_squash(stem))
        if ending.endswith(("je", "jes")) and stem.endswith("t") and len(stem) > 3:
            keys.add(_squash(stem[:-1]))
    return frozenset(keys)


def stem_key(word: str) -> str:
    """The canonical key of a catalog word: its shortest base-form key."""
    return min(stem_keys(word), key=lambda key: (len(key), key))


@lru_cache(maxsize=65536)
def phonetic_key(text: str) -> str:
    """A sound-alike key: `komkomer`, `komkommer` and `kipfillet`/`kipfilet` agree."""
    key = text.replace(" ", "")
    for spelled, sound in _rules()["phonetic"]:
        key = key.replace(spelled, sound)
    return _DOUBLE.sub(r"\1", key)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_rules()["stopwords"])


def pluralize(word: str) -> str:
    """Plural of a Dutch noun by the spelling rules, with exceptions from data."""
    exceptions = data.load("replies")["words"]["plurals"]
    head, _, last = word.rpartition(" ")
    prefix = f"{head} " if head else ""
    for base, plural in exceptions.items():
        if last == base or (last.endswith(base) and len(base) > 3):
            return prefix + last[: len(last) - len(base)] + plural
    if re.search(r"(el|em|en|er|erd|je|aar|eur|ie|e)$", last) or last[-1] in "aiouy":
        return prefix + last + ("'s" if last[-1] in "aiouy" else "s")
    if re.search(rf"[{VOWELS}]{{2}}[fs]$", last):
        last = last[:-1] + {"f": "v", "s": "z"}[last[-1]]
    if re.search(rf"[^{VOWELS}]([aeou])\1[^{VOWELS}]$", last):
        last = last[:-3] + last[-2:]
    elif re.search(rf"[^{VOWELS}][{VOWELS}][^{VOWELS}wy]$", last) and not last.endswith(("ij", "ei")):
        last = last + last[-1]
    return prefix + last + "en"


def lower_name(name: str) -> str:
    """`Halfvolle melk` -> `halfvolle melk`; `AH Cola` keeps its capitals."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def singular_plural(product: Product) -> tuple[str, str]:
    """The product's name for one and for several pieces (`banaan`, `bananen`)."""
    name = lower_name(product.name)
    for synonym in product.synonyms:
        if synonym != name.lower() and pluralize(synonym) == name.lower():
            return synonym, name
    return name, pluralize(name)
