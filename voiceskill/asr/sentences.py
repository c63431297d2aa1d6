"""Sentences a shopper could have said, near what a recogniser heard: the closed set to rescore.

Whisper hears synthetic or unclear Dutch as sound-alike nonsense (`mat later in
mijn mondje`), yet its decoder still tells which *sentence of the store's
grammar* fits the audio best (`wat zit er in mijn mandje`). This module builds
that shortlist without any audio: the command sentences of ``data/intents.yaml``
(slots filled with the catalog's products and number words) that are closest in
spelling to the recogniser's own hypotheses. ``whisper_engine`` scores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz, process

from .. import data
from ..catalog import Catalog, Product
from ..nlu.grammar import expand_intents, spoken_part
from ..nlu.matcher import ProductMatcher
from ..nlu.morphology import lower_name, singular_plural
from ..nlu.normalize import normalize
from ..nlu.numbers import word_value
from .base import NO_CONTEXT, Context

ITEMS, NUMBER = "{items}", "{number}"
MAX_NUMBER = 10
"""Quantities put into the shortlist: the ones people say to a shopping list."""
ORDINAL_ARTICLE = "de"
ARTICLES = ("de", "het")
EXPANSIONS = 3000
"""Sentences kept per template: all the everyday ways (`mijn mandje`, not only `mand`)."""


@dataclass(frozen=True)
class Shortlist:
    """How many sentences of each kind to keep per utterance."""

    fixed: int = 10
    items: int = 16
    numbers: int = 6
    phrases: int = 24
    per_product: int = 3
    frames: int = 6
    context: int = 6
    products: int = 6


def _words_by_value() -> dict[int, str]:
    """The plain number word for 1..MAX_NUMBER (`een`, `twee`, ...)."""
    out: dict[int, str] = {}
    for word, value in data.load("numbers")["units"].items():
        if isinstance(value, int) and 1 <= value <= MAX_NUMBER and word.isalpha() and word.isascii():
            out.setdefault(value, word)
    return out


PHRASES_KEPT = 2000
"""Products whose item phrases are kept between utterances."""


class SentenceSpace:
    """Every command sentence of the grammar, and the item phrases of the catalog's products."""

    def __init__(self, catalog: Catalog, matcher: ProductMatcher | None = None,
                 shortlist: Shortlist = Shortlist()) -> None:
        self.catalog = catalog
        self.matcher = matcher or ProductMatcher.shared(catalog)
        self.shortlist = shortlist
        self.numbers = _words_by_value()
        units = data.load("units")["sale_units"]
        self.unit_forms = {unit: (unit, _plurals(unit, spec)) for unit, spec in units.items()}
        self._phrases: dict[str, list[str]] = {}

    def prepare(self) -> None:
        """Expand the grammar now (about 0.3 s), so the first utterance is not the slow one."""
        _ = self._templates

    @cached_property
    def _templates(self) -> tuple[list[str], list[str], list[str]]:
        """(slot-free sentences, sentences with one {items}, sentences with one {number})."""
        expanded = [sentence for _, sentence in expand_intents(spoken_part(data.load("intents")), EXPANSIONS)]
        fixed = [s for s in expanded if "{" not in s]
        items = [s for s in expanded if s.count("{") == 1 and ITEMS in s]
        numbers = [s for s in expanded if s.count("{") == 1 and NUMBER in s]
        return (list(dict.fromkeys(fixed)), list(dict.fromkeys(items)),
                list(dict.fromkeys(numbers)))

    @cached_property
    def _number_filled(self) -> list[str]:
        """{number} sentences with every number word filled in (`maak er vier van`)."""
        _, _, frames = self._templates
        return [f.replace(NUMBER, w) for f in frames for w in self.numbers.values()]

    def number_sentences(self, heard: list[str]) -> list[str]:
        """The {number} sentences (every number word filled in) nearest the hypotheses."""
        return _closest(heard, self._number_filled, self.shortlist.numbers)

    def renumbered(self, text: str) -> list[str]:
        """``text`` with each number word in turn replaced by every other one."""
        words = text.split()
        values = set(self.numbers.values())
        return [" ".join([*words[:i], other, *words[i + 1:]])
                for i, word in enumerate(words) if word in values
                for other in self.numbers.values() if other != word]

    def item_phrases(self, product: Product) -> list[str]:
        """How a shopper names ``product`` with or without a quantity (`twee pakken halfvolle melk`);
        kept for the products heard most recently, as the same ones come back turn after turn."""
        phrases = self._phrases.get(product.id)
        if phrases is None:
            if len(self._phrases) >= PHRASES_KEPT:
                self._phrases.pop(next(iter(self._phrases)))
            phrases = self._phrases[product.id] = self._item_phrases(product)
        return phrases

    def _item_phrases(self, product: Product) -> list[str]:
        name = lower_name(product.name).lower()
        one, many = (w.lower() for w in singular_plural(product))
        unit_one, unit_many = self.unit_forms.get(product.unit, (product.unit, [product.unit]))
        names = list(dict.fromkeys([name, *(s.lower() for s in product.synonyms)]))
        forms = list(dict.fromkeys([*names, one, many]))
        out = [*forms, *(f"de {n}" for n in forms), *(f"het {n}" for n in names)]
        if product.family:
            rest = " ".join(w for w in name.split() if w != product.family)
            out += [product.family, f"de {product.family}", *([rest, f"de {rest}"] if rest != name else [])]
            names.append(product.family)
        for value, word in self.numbers.items():
            out.append(f"{word} {one if value == 1 else many}")
            out.extend(f"{word} {unit} {n}" for unit in ([unit_one] if value == 1 else unit_many) for n in names)
        measures = self.measure_amounts.get(product.size.dimension if product.size else "", ())
        out.extend(f"{amount} {name}" for amount in measures)
        return list(dict.fromkeys(normalize(p) for p in out))

    @cached_property
    def measure_amounts(self) -> dict[str, list[str]]:
        """Spoken amounts per dimension (`twee liter`, `vijfhonderd gram`): whole base units,
        and hundreds of the smaller one."""
        names = data.load("units")["measure_names"]
        hundred = data.load("numbers")["hundred"]
        out: dict[str, list[str]] = {}
        for dimension, scale in names.items():
            if len(scale) < 2:
                continue
            (_, big_one, big_many), (_, small, _) = scale[0], scale[-1]
            amounts = [f"{w} {big_one if v == 1 else big_many}" for v, w in self.numbers.items()]
            amounts += [f"{'' if v == 1 else w}{hundred} {small}" for v, w in self.numbers.items() if v < 10]
            out[dimension] = amounts
        return out

    def products_heard(self, hypotheses: Sequence[str]) -> list[Product]:
        """Products whose names (or sound-alikes) occur in the hypotheses."""
        found: dict[str, None] = {}
        for text in hypotheses:
            words = text.split()
            for size in (3, 2, 1):
                for start in range(len(words) - size + 1):
                    match = self.matcher.match(words[start:start + size])
                    if match is not None:
                        found.update(dict.fromkeys(match.product_ids[:self.shortlist.products]))
        return [self.catalog[pid] for pid in list(found)[:self.shortlist.products * 2]]

    def candidates(self, hypotheses: Sequence[str], context: Context = NO_CONTEXT) -> list[str]:
        """Grammar sentences closest in spelling to any hypothesis, best kinds first, no repeats.

        ``context`` names the products the conversation makes likely (the cart's
        contents, the options just offered), so `haal de bananen weg` can be
        considered even when no hypothesis names bananas; while a choice is
        pending, the answers (`de tweede`, `volle`) are always considered.
        """
        heard = [normalize(h) for h in hypotheses if h.strip()]
        if not heard:
            return []
        fixed, item_frames, _ = self._templates
        limits = self.shortlist
        likely = [self.catalog[pid] for pid in context.likely if pid in self.catalog]
        likely = likely[:limits.products]
        windows = _windows(heard)
        per_product = [self._closest_phrases(windows, p) for p in self.products_heard(heard)]
        pairs = [f"{a} en {b}" for i, first in enumerate(per_product) for j, second in enumerate(per_product)
                 if i != j for a in first for b in second]
        phrases = _closest(windows, [p for best in per_product for p in best] + pairs, limits.phrases)
        filled = [frame.replace(ITEMS, phrase) for frame in self._item_frames(heard, phrases)
                  for phrase in phrases if frame != ITEMS or not _definite(phrase)]
        likely_phrases = [phrase for product in likely for phrase in self._closest_phrases(windows, product)]
        expected = [frame.replace(ITEMS, phrase) for frame in item_frames for phrase in likely_phrases]
        chosen = (_closest(heard, fixed, limits.fixed) + _closest(heard, filled, limits.items)
                  + _closest(heard, expected, limits.context) + self.number_sentences(heard))
        if context.choosing:
            offered = [self.catalog[pid] for pid in context.options if pid in self.catalog]
            chosen += self.ordinal_phrases + [p for product in offered for p in self.item_phrases(product)
                                              if not self._counted(p)]
        return list(dict.fromkeys(chosen))

    def _closest_phrases(self, windows: list[str], product: Product) -> list[str]:
        """The phrases for ``product`` nearest the heard words, with and without a number
        apiece: a bare name matches its own words exactly and would crowd out
        `vier pakken magere melk` for `vij pakken magere melk`."""
        phrases = self.item_phrases(product)
        counted = [p for p in phrases if self._counted(p)]
        plain = [p for p in phrases if not self._counted(p)]
        keep = self.shortlist.per_product
        return _closest(windows, plain, keep) + _closest(windows, counted, keep)

    @staticmethod
    def _counted(phrase: str) -> bool:
        """`twee pakken melk`, `vijfhonderd gram gehakt`: a phrase that orders an amount."""
        return word_value(phrase.split()[0]) is not None

    @cached_property
    def ordinal_phrases(self) -> list[str]:
        """`de eerste`, `de tweede`, `de goedkoopste`, ...: answers to a choice, always worth scoring."""
        superlatives = [w for words in data.load("morphology").get("superlatives", {}).values() for w in words]
        return [f"{ORDINAL_ARTICLE} {w}" for w in [*data.load("numbers")["ordinals"], *superlatives]
                if w.replace(" ", "").isalpha()]

    def _item_frames(self, heard: list[str], phrases: list[str]) -> list[str]:
        """The bare item, and the {items} sentences whose other words best fit each hypothesis around its item words."""
        if not phrases:
            return []
        _, frames, _ = self._templates
        chosen = [ITEMS]
        for text in heard:
            spans = _windows([text])
            span = spans[int(process.cdist(spans, phrases, scorer=fuzz.ratio, workers=1).max(axis=1).argmax())]
            chosen += _closest([text], [f.replace(ITEMS, span) for f in frames], self.shortlist.frames, frames)
        return list(dict.fromkeys(chosen))


def _definite(phrase: str) -> bool:
    """`de bananen`: a product named as one already in play. Said on its own it answers a
    question (offered then, with the options); as a new order it only misleads."""
    return phrase.split()[0] in ARTICLES


def _plurals(unit: str, spec: dict) -> list[str]:
    """The unit's plural and its other spoken plurals (`stuks`, `stukken`; `bakjes`, `bakken`).
    Diminutives (`stukjes`) are left out: they would double the counted phrases of every product."""
    others = [w for w in spec.get("spoken", []) if w.isalpha() and w not in (unit, spec["plural"])
              and w.endswith(("en", "s")) and not w.endswith(("je", "jes"))]
    return [spec["plural"], *others]


def _windows(texts: list[str]) -> list[str]:
    """Every run of consecutive words of the texts: where an item phrase may be."""
    out: list[str] = []
    for text in texts:
        words = text.split()
        out += [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)]
    return out


def _closest(heard: list[str], choices: list[str], keep: int, keys: list[str] | None = None) -> list[str]:
    """The ``keep`` choices most similar to any of the heard texts (or their ``keys``, in step).

    Ties go to the longer choice: of `melk`, `halfvolle melk` and `twee pakken halfvolle
    melk`, all found whole in a hypothesis, the one that explains most of it.
    """
    if not choices or keep <= 0:
        return []
    scores = process.cdist(heard, choices, scorer=fuzz.ratio, workers=1).max(axis=0)
    pool = range(len(choices))
    if len(choices) > keep:
        pool = np.flatnonzero(scores >= np.partition(scores, len(choices) - keep)[len(choices) - keep])
    order = sorted(pool, key=lambda i: (-scores[i], -len(choices[i])))
    picked = keys or choices
    return list(dict.fromkeys(picked[i] for i in order[:keep]))
