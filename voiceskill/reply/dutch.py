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
    """A measure as the shopper says it: `500 gram`, `twee liter`, `anderhalve liter`, `een kilo`,
    and `2,5 kilo` rather than `2500 gram` (spoken `tweeënhalve kilo`, `een komma vijfentwintig kilo`)."""
    names = data.load("units")["measure_names"][dimension]
    words = data.load("replies")["words"]
    for size, singular, plural in names:
        amount = round(base / size, 6)
        if amount < 1 and size != names[-1][0]:
            continue
        if amount in (0.5, 1.5):
            return f"{words['a_half' if amount == 0.5 else 'one_and_a_half']} {singular}"
        if amount == int(amount):
            n = int(amount)
            shown = number_words(n) if (speech or n <= 20) else str(n)
            return f"{shown} {singular if n == 1 else plural}"
        if round(amount, 2) == amount:
            return f"{decimal_words(amount) if speech else decimal_text(amount)} {plural}"
    return f"{base:g}"


def decimal_text(amount: float) -> str:
    """`2,5`, `1,25`: the Dutch decimal comma."""
    return _decimal(amount).replace(".", ",")


def decimal_words(amount: float) -> str:
    """`tweeënhalve`, `een komma vijfentwintig`, `een komma nul vijf`: a decimal before a measure
    (`...enhalve` up to twenty, as people say it; `vijfentwintig komma vijf` above)."""
    words = data.load("replies")["words"]
    whole, _, digits = _decimal(amount).partition(".")
    head = number_words(int(whole))
    if digits == "5" and int(whole) <= 20:
        numbers = data.load("numbers")
        return head + numbers["tens_joiner_after_e" if head.endswith("e") else "tens_joiner"] + words["and_a_half"]
    if digits.startswith("0"):
        tail = " ".join(number_words(int(d)) for d in digits)
    else:
        tail = number_words(int(digits))
    return f"{head} {words['decimal_comma']} {tail}"


def _decimal(amount: float) -> str:
    """At most two decimals, without trailing zeros: `2.5`, `1.25`."""
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def sentence_case(text: str) -> str:
    """The first letter capitalised; the Dutch digraph ij becomes IJ (`IJsbergsla`)."""
    if text[:2] == "ij":
        return "IJ" + text[2:]
    return text[:1].upper() + text[1:]
