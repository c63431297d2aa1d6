"""The desk's `Leren` page: teach an utterance that was not understood in two clicks (open the page,
click the product or the intent suggested for it), or type the synonym, product or intent; see who
taught what when, and undo it. Teachings are rows in the database (an overlay, never an edit of the
catalog CSV or intents.yaml) and take effect at once in this process and within a second in every
other process on the same database (Assistant.refresh_teachings)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, g, request
from rapidfuzz import fuzz, process

from .. import data
from ..nlu.grammar import expand_intents, spoken_part
from ..nlu.morphology import stopwords
from ..nlu.normalize import tokens
from ..nlu.numbers import word_value
from ..nlu.teaching import EXAMPLE_INTENTS, phrase
from . import assistant, back, page, resolve

INTENT_NAMES = {"read_cart": "mandje voorlezen", "cart_total": "totaal noemen", "clear_cart": "mandje leegmaken",
                "checkout": "afrekenen", "undo": "ongedaan maken", "reorder": "vorige bestelling opnieuw",
                "help": "hulp", "handover": "medewerker vragen", "yes": "ja", "no": "nee", "cancel": "laat maar",
                "goodbye": "tot ziens", "forget_me": "vergeet mijn gegevens"}
SUGGESTIONS = 3
SUGGEST_FROM = 60
"""Similarity (0..100) from which a product or command is offered as a one-click teaching."""


def register(desk: Blueprint) -> None:
    desk.add_url_rule("/teach", "teach", _teach_page)
    desk.add_url_rule("/teach", "teach_add", _teach, methods=["POST"])
    desk.add_url_rule("/teach/<int:teaching_id>/undo", "teach_undo", _undo, methods=["POST"])


def content_words(text: str) -> str:
    """The words of an utterance that may name a product: no little words, no numbers."""
    return " ".join(w for w in tokens(text) if w not in stopwords() and word_value(w) is None)


@lru_cache(maxsize=1)
def _commands() -> tuple[list[str], list[str]]:
    fixed = [(s, i) for i, s in expand_intents(spoken_part(data.load("intents")))
             if "{" not in s and i in EXAMPLE_INTENTS]
    return [s for s, _ in fixed], [i for _, i in fixed]


def suggestions(text: str) -> tuple[list[str], list[str]]:
    """Products and intents the utterance most likely meant, best first."""
    bot = assistant()
    words = content_words(text)
    products: list[str] = []
    if words:
        names = {p.id: " ".join([p.name.lower(), *p.synonyms]) for p in bot.base_catalog}
        for _name, score, pid in process.extract(words, names, scorer=fuzz.partial_ratio, limit=SUGGESTIONS * 3):
            if score >= SUGGEST_FROM and pid not in products:
                products.append(pid)
    sentences, intents = _commands()
    found: list[str] = []
    for _s, score, index in process.extract(phrase(text), sentences, scorer=fuzz.ratio, limit=20):
        if score >= SUGGEST_FROM and intents[index] not in found:
            found.append(intents[index])
    return products[:SUGGESTIONS], found[:SUGGESTIONS]


def _teach_page() -> str:
    bot = assistant()
    bot.refresh_teachings()
    with bot.store.transaction():
        missed = bot.store.not_understood()
        taught = bot.store.teachings()
    rows = []
    for line in missed:
        understood = bot.understand(line["text"]).intent != "fallback"
        products, intents = suggestions(line["text"])
        rows.append({**line, "understood": understood, "products": products, "intents": intents,
                     "words": content_words(line["text"]) or phrase(line["text"])})
    return page("teach.html", rows=rows, taught=taught, catalog=bot.base_catalog, products=list(bot.base_catalog),
                intents=EXAMPLE_INTENTS, intent_names=INTENT_NAMES)


def _teach() -> Any:
    bot = assistant()
    kind = request.form.get("kind", "")
    said = request.form.get("phrase", "")
    source = request.form.get("source", "")
    words = phrase(said)
    if not words:
        return back("desk.teach", "Vul in wat de klant zei.")
    if kind == "synonym":
        found = resolve(request.form.get("target", ""))
        if len(found) != 1:
            return back("desk.teach", f"Kies één product uit de catalogus (gevonden: {len(found)}).")
        target = found[0]
        shown = bot.base_catalog[target].name
    elif kind == "example":
        target = request.form.get("target", "")
        if target not in EXAMPLE_INTENTS:
            abort(400, "onbekende bedoeling")
        shown = INTENT_NAMES.get(target, target)
    else:
        abort(400, "kind is synonym of example")
    with bot.store.transaction() as store:
        store.teach(kind, target, words, g.colleague, source)
    bot.refresh_teachings(force=True)
    what = "een andere naam voor" if kind == "synonym" else "een zin voor"
    return back("desk.teach", f"Geleerd: ‘{words}’ is {what} {shown}.")


def _undo(teaching_id: int) -> Any:
    bot = assistant()
    with bot.store.transaction() as store:
        done = store.undo_teaching(teaching_id, g.colleague)
    bot.refresh_teachings(force=True)
    return back("desk.teach", f"Les {teaching_id} is teruggedraaid." if done else f"Les {teaching_id} was al teruggedraaid.")
