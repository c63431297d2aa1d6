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
    """Plural of a Dutch noun, or of a name ending in one, by the spelling rules, with exceptions from data.

    `pizza margherita` -> `pizza's margherita` (a head noun in `plural_head_first` comes first);
    `wit brood` -> `witte broden` (before a `het_nouns` noun the adjective takes -e in the plural);
    `Oud Brugge` stays (a name ending in a capitalised word takes no plural).
    """
    words = data.load("replies")["words"]
    first, _, rest = word.partition(" ")
    if rest and first in words["plural_head_first"]:
        return f"{pluralize(first)} {rest}"
    head, _, last = word.rpartition(" ")
    if last[:1].isupper():
        return word
    for base, plural in words["plurals"].items():
        ends_word = " " not in base and len(base) > 3 and word.endswith(base)
        if word == base or word.endswith(" " + base) or ends_word:
            return word[: len(word) - len(base)] + plural
    if head and any(last.endswith(noun) for noun in words["het_nouns"]):
        before, _, adjective = head.rpartition(" ")
        head = (f"{before} " if before else "") + _inflected(adjective)
    return (f"{head} " if head else "") + _plural_by_rule(last)


def _inflected(adjective: str) -> str:
    """The adjective's -e form: wit -> witte, bruin -> bruine, donker -> donkere; gesneden, rode, extra stay."""
    if not (adjective.isalpha() and adjective.islower()) or adjective.endswith(("e", "en")) \
            or adjective[-1] in "aiouy":
        return adjective
    plural = _plural_by_rule(adjective)
    return plural[:-1] if plural.endswith("en") else adjective + "e"


def _plural_by_rule(last: str) -> str:
    """The spelling rules for one word: prei -> preien, idee -> ideeën, kaas -> kazen, kiwi -> kiwi's."""
    if re.search(r"(ei|ui|oi|ij)$", last):
        return last + "en"
    if last.endswith("ee"):
        return last + "ën"
    unstressed = rf"[^{VOWELS}](el|em|en|er|erd)$|(aar|eur|e)$|[{VOWELS}][^{VOWELS}]+ar$"
    if re.search(unstressed, last) or last[-1] in "aiouy":
        return last + ("'s" if last[-1] in "aiouy" else "s")
    if re.search(rf"[{VOWELS}]{{2}}[fs]$", last):
        last = last[:-1] + {"f": "v", "s": "z"}[last[-1]]
    if re.search(rf"[^{VOWELS}]([aeou])\1[^{VOWELS}]$", last):
        last = last[:-3] + last[-2:]
    elif re.search(rf"[^{VOWELS}][{VOWELS}][^{VOWELS}wy]$", last):
        last = last + last[-1]
    return last + "en"


def lower_name(name: str) -> str:
    """A name as it reads mid-sentence: `Halfvolle melk` -> `halfvolle melk`, `IJsthee` -> `ijsthee`;
    brands keep their capitals (`Coca-Cola Zero`, `Hertog Jan pils`, `AH Cola`, `Côte d'Or`)."""
    if _is_brand(name):
        return name
    if name.startswith("IJ"):
        return "ij" + name[2:]
    return name[:1].lower() + name[1:]


def _is_brand(name: str) -> bool:
    """A first word with a capital inside (`AH`, `Coca-Cola`), a later word in mixed case (`Jan`, `d'Or`;
    codes like `AA` or `C` do not count), or a first word in the `brands` list of data/replies.yaml."""
    first, *rest = name.split() or [""]
    inside = first[2:] if first.startswith("IJ") else first[1:]
    if any(ch.isupper() for ch in inside):
        return True
    if any(any(ch.isupper() for ch in w) and any(ch.islower() for ch in w) for w in rest):
        return True
    brands = data.load("replies")["words"]["brands"]
    return first.lower() in brands or first.lower().removesuffix("'s") in brands


def singular_plural(product: Product) -> tuple[str, str]:
    """The product's name for one and for several pieces (`banaan`, `bananen`)."""
    name = lower_name(product.name)
    for synonym in product.synonyms:
        if synonym != name.lower() and pluralize(synonym) == name.lower():
            return synonym, name
    return name, pluralize(name)
