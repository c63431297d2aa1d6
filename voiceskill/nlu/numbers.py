"""Dutch numbers as shoppers and speech recognisers say them."""

from __future__ import annotations

import re
from functools import lru_cache

from .. import data


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], list[tuple[tuple[str, ...], float]], dict[str, int]]:
    raw = data.load("numbers")
    simple: dict[str, float] = {}
    for group in ("units", "teens", "tens"):
        simple.update({k: float(v) for k, v in raw[group].items()})
    phrases = sorted(((tuple(k.split()), float(v)) for k, v in raw["phrases"].items()),
                     key=lambda item: -len(item[0]))
    return simple, phrases, dict(raw["ordinals"])


@lru_cache(maxsize=4096)
def word_value(word: str) -> float | None:
    """Value of one number word or numeral: `drie`, `eenentwintig`, `honderdtwee`, `2`, `1.5`."""
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    simple, _, _ = _tables()
    if word in simple:
        return simple[word]
    raw = data.load("numbers")
    for big, factor in ((raw["thousand"], 1000), (raw["hundred"], 100)):
        head, found, tail = word.partition(big)
        if found:
            mult = 1.0 if head in ("", "een") else word_value(head)
            if tail.startswith("en") and word_value(tail) is None:
                tail = tail[2:]
            rest = word_value(tail) if tail else 0.0
            if mult is not None and rest is not None and rest < factor:
                return mult * factor + rest
            return None
    for tens, value in raw["tens"].items():
        head = word[: -len(tens)]
        if word.endswith(tens) and head.endswith(raw["tens_joiner"]):
            unit = raw["units"].get(head[: -len(raw["tens_joiner"])])
            if unit and 0 < unit < 10:
                return float(unit + value)
    return None


@lru_cache(maxsize=1)
def _phrases_by_first() -> dict[str, list[tuple[tuple[str, ...], float]]]:
    _, phrases, _ = _tables()
    index: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for phrase, value in phrases:
        index.setdefault(phrase[0], []).append((phrase, value))
    return index


def parse_number(words: list[str], start: int = 0) -> tuple[float, int] | None:
    """Number at ``words[start]``: (value, words used), phrases like `een paar` first."""
    if start >= len(words):
        return None
    for phrase, value in _phrases_by_first().get(words[start], ()):
        if tuple(words[start:start + len(phrase)]) == phrase:
            # "een half brood" is half; "een halve liter" too; "een paar" is two.
            return value, len(phrase)
    single = word_value(words[start]) if start < len(words) else None
    return (single, 1) if single is not None else None


@lru_cache(maxsize=1)
def _ordinal_pattern() -> re.Pattern[str]:
    _, _, ordinals = _tables()
    phrases = sorted(ordinals, key=len, reverse=True)
    return re.compile(r"(?:^| )(" + "|".join(re.escape(p) for p in phrases) + r")(?= |$)")


@lru_cache(maxsize=1)
def articles() -> frozenset[str]:
    """Number words that are also the indefinite article (`een`)."""
    return frozenset(data.load("numbers")["articles"])


def parse_ordinal(words: list[str]) -> int | None:
    """1-based position named by `de eerste`, `nummer twee`, `de laatste` (-1); the longest
    phrase wins where several start at one place, the earliest place otherwise."""
    _, _, ordinals = _tables()
    hits = [m.group(1) for m in _ordinal_pattern().finditer(" ".join(words))]
    if not hits:
        return None
    return int(ordinals[max(hits, key=len)])
