"""Dutch words for numbers, money, measures and plurals, to show and to say."""

from __future__ import annotations

from functools import lru_cache

from .. import data
from ..nlu.morphology import lower_name, pluralize, singular_plural

__all__ = ["lower_name", "pluralize", "singular_plural"]


@lru_cache(maxsize=1)
def _number_words() -> dict[int, str]:
    raw = data.load("numbers")
    words: dict[int, str] = {}
    for group in ("units", "teens", "tens"):
        for word, value in raw[group].items():
            words.setdefault(int(value), word)
    return words


def number_words(n: int) -> str:
    """`21` -> `eenentwintig`, `22` -> `tweeëntwintig`, `105` -> `honderdvijf`."""
    table = _number_words()
    raw = data.load("numbers")
    if n in table:
        return table[n]
    if n < 100:
        unit = table[n % 10]
        joiner = raw["tens_joiner_after_e"] if unit.endswith("e") else raw["tens_joiner"]
        return f"{unit}{joiner}{table[n - n % 10]}"
    for size, word in ((1000, raw["thousand"]), (100, raw["hundred"])):
        if n >= size:
            head = "" if n // size == 1 else number_words(n // size)
            tail = "" if n % size == 0 else number_words(n % size)
            return f"{head}{word}{tail}"
    return str(n)


def count_words(n: int) -> str:
    """Number as said before a noun: `een`, `twee`, `13`. Large numbers stay digits on screen."""
    return number_words(n) if n <= 100 else str(n)


def money_text(amount: float) -> str:
    """`€ 4,37`."""
    return "€ " + f"{amount:.2f}".replace(".", ",")


def money_speech(amount: float) -> str:
    """`vier euro zevenendertig`, `vijftig cent`, `een euro`."""
    cents_total = round(amount * 100)
    euros, cents = divmod(cents_total, 100)
    if euros == 0:
        return f"{number_words(cents)} cent"
    spoken = f"{number_words(euros)} euro"
    return f"{spoken} {number_words(cents)}" if cents else spoken


def measure_words(dimension: str, base: float, speech: bool) -> str:
    """`500 gram`, `twee liter`, `anderhalve liter`, `een kilo`."""
    names = data.load("units")["measure_names"][dimension]
    for size, singular, plural in names:
        amount = base / size
        if amount >= 1 or size == names[-1][0]:
            if amount == 1.5:
                return f"anderhalve {singular}"
            if amount == 0.5:
                return f"een halve {singular}"
            if amount != int(amount):
                continue
            n = int(amount)
            noun = singular if n == 1 else plural
            shown = number_words(n) if (speech or n <= 20) else str(n)
            return f"{shown} {noun}"
    return f"{base:g}"
