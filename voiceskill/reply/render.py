"""Building replies from the templates in data/replies.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as _html_escape

from .. import data
from ..catalog import Catalog, Product
from .dutch import (count_words, lower_name, measure_words, money_speech, money_text, sentence_case,
                    singular_plural)


def escape(text: str) -> str:
    """&, < and > as SSML needs them (xml.sax.saxutils would import urllib, 30 ms of a start)."""
    return _html_escape(text, quote=False)


@dataclass(frozen=True)
class Phrase:
    """A piece of a reply: how it looks and how it sounds."""

    text: str
    speech: str

    @classmethod
    def same(cls, text: str) -> "Phrase":
        return cls(text, text)


@dataclass(frozen=True)
class Reply:
    """What the assistant answers: text to show, text to speak, and whether it waits for an answer."""

    text: str
    speech: str
    asks: bool = False

    @property
    def ssml(self) -> str:
        return f"<speak>{escape(self.speech)}</speak>"

    def __add__(self, other: "Reply") -> "Reply":
        return Reply(f"{self.text} {other.text}".strip(), f"{self.speech} {other.speech}".strip(),
                     self.asks or other.asks)

    def shortened(self, limit: int) -> "Reply":
        """At most ``limit`` characters of speech (escaped) and text, cut after a comma or sentence."""
        def cut(text: str, room: int) -> str:
            if len(text) <= room:
                return text
            head = text[: room - 1]
            stop = max(head.rfind(", "), head.rfind(". "))
            return (head[:stop] if stop > room // 2 else head).rstrip(" ,.") + "…"

        room = size = limit - len("<speak></speak>")
        speech = cut(self.speech, size)
        while len(escape(speech)) > room:
            size -= len(escape(speech)) - room
            speech = cut(self.speech, size)
        return Reply(cut(self.text, limit), speech, self.asks)

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "speech": self.speech, "asks": self.asks, "ssml": self.ssml}

    @classmethod
    def from_dict(cls, raw: dict) -> "Reply":
        return cls(raw["text"], raw["speech"], bool(raw.get("asks")))


def render(key: str, asks: bool = False, **parts: Phrase | str) -> Reply:
    """Fill template ``key``; string parts read the same on screen and aloud."""
    replies = data.load("replies")
    template = replies["templates"][key]
    values = {k: v if isinstance(v, Phrase) else Phrase.same(str(v)) for k, v in parts.items()}
    values.setdefault("name", Phrase.same(replies["assistant_name"]))
    text = template.format(**{k: v.text for k, v in values.items()})
    speech = template.format(**{k: v.speech for k, v in values.items()})
    return Reply(sentence_case(text), sentence_case(speech), asks)


def join(phrases: list[Phrase], word: str = "and") -> Phrase:
    """`a, b en c` (or `of` with word='or')."""
    conj = data.load("replies")["words"][word]
    if len(phrases) <= 1:
        return phrases[0] if phrases else Phrase.same("")

    def glue(parts: list[str]) -> str:
        return ", ".join(parts[:-1]) + f" {conj} " + parts[-1]

    return Phrase(glue([p.text for p in phrases]), glue([p.speech for p in phrases]))


def _unit_words(product: Product, units: int) -> str:
    spec = data.load("units")["sale_units"][product.unit]
    return product.unit if units == 1 else spec["plural"]


def item_phrase(product: Product, units: int, measure: str | None = None, amount: float | None = None) -> Phrase:
    """`twee pakken halfvolle melk`, `een brood`, `drie bananen`; with a measure said,
    that first: `anderhalve liter halfvolle melk (twee pakken)`."""
    count = count_words(units)
    if product.unit == "stuk":
        one, many = singular_plural(product)
        plain = f"{count} {one if units == 1 else many}"
    else:
        plain = f"{count} {_unit_words(product, units)} {lower_name(product.name)}"
    if not measure or not product.size or product.size.dimension != measure or measure == "count":
        return Phrase.same(plain)
    total = amount or units * product.size.base
    name = lower_name(product.name)
    shown = f"{measure_words(measure, total, speech=False)} {name}"
    spoken = f"{measure_words(measure, total, speech=True)} {name}"
    packs = f"{count} {_unit_words(product, units)}" if product.unit != "stuk" else plain
    return Phrase(f"{shown} ({packs})", f"{spoken}, {packs}")


def name_phrase(product: Product) -> Phrase:
    """The product named without a number, as in `de bananen`."""
    return Phrase.same(lower_name(product.name))


def cart_phrase(catalog: Catalog, cart: dict[str, int]) -> Phrase:
    """Every item of a cart, joined: `twee pakken halfvolle melk en een brood`."""
    return join([item_phrase(catalog[pid], qty) for pid, qty in cart.items() if pid in catalog])


def money(amount: float) -> Phrase:
    return Phrase(money_text(amount), money_speech(amount))


def more_phrase(n: int) -> Phrase:
    """`Er is er nog één`, `Er zijn er nog twaalf`: how many more there are."""
    words = data.load("replies")["words"]
    if n <= 0:
        return Phrase.same("")
    if n == 1:
        return Phrase.same(words["more_one"])
    return Phrase.same(words["more_many"].format(n=count_words(n)))


def count_phrase(n: int) -> Phrase:
    """`drie artikelen`, `een artikel`."""
    words = data.load("replies")["words"]
    return Phrase.same(f"{count_words(n)} {words['item'] if n == 1 else words['items']}")
