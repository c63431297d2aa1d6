"""What colleagues taught, as an overlay on the catalog and the intent data (no IO; issue 12).

A taught synonym is one more name of a catalog product (the CSV is not changed: the overlay
catalog is a copy with the synonym added, and gets its own index); a taught example sentence is
one more sentence of a slot-free intent (`mag ik de rekening` -> checkout), looked up when no
template explains an utterance. The Assistant rebuilds its understanding from the overlay when
the teachings in its database change (voiceskill/assistant.py, `refresh_teachings`), so they take
effect without a restart, in every process sharing the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..catalog import Catalog
from .normalize import normalize
from .spoken import clean

EXAMPLE_INTENTS = ("read_cart", "cart_total", "clear_cart", "checkout", "undo", "reorder", "help", "handover",
                   "yes", "no", "cancel", "goodbye", "forget_me")
"""Intents an example sentence can teach: those that need no product named (a sentence with a
product in it is taught as a synonym of the product instead)."""


def phrase(text: str) -> str:
    """A taught phrase as understanding sees words: lower case, no punctuation, single spaces."""
    return " ".join(normalize(text).split())


def overlay_catalog(catalog: Catalog, synonyms: Mapping[str, Iterable[str]]) -> Catalog:
    """``catalog`` with the taught synonyms added to their products (unknown products skipped)."""
    products = dict(catalog.products)
    taught: list[str] = []
    for pid, words in synonyms.items():
        if pid not in products:
            continue
        added = tuple(w for w in dict.fromkeys(phrase(w) for w in words) if w and w not in products[pid].synonyms)
        if added:
            products[pid] = replace(products[pid], synonyms=products[pid].synonyms + added)
            taught.extend(f"{pid}={w}" for w in added)
    if not taught:
        return catalog
    digest = hashlib.sha1((catalog.digest + "\n" + "\n".join(taught)).encode()).hexdigest() if catalog.digest else ""
    return Catalog(products, catalog.source, digest)


def example_table(examples: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(intent, sentence) pairs as normalised sentence -> intent; the latest teaching of a sentence wins."""
    table: dict[str, str] = {}
    for intent, sentence in examples:
        if intent not in EXAMPLE_INTENTS or not phrase(sentence):
            continue
        spoken = clean(sentence)
        for words in [*spoken.readings, phrase(sentence).split()]:
            if words:
                table[" ".join(words)] = intent
    return table
