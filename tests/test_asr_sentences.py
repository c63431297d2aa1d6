"""The grammar shortlist Whisper rescores: which sentences a shopper could have said."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceskill import load_catalog
from voiceskill.asr.base import Context
from voiceskill.asr.sentences import SentenceSpace, Shortlist
from voiceskill.catalog import Catalog

SPEC = Path(__file__).parent / "catalogs" / "spec.csv"


@pytest.fixture(scope="module")
def space() -> SentenceSpace:
    return SentenceSpace(load_catalog(SPEC))


@pytest.mark.parametrize("heard, said", [
    ("mat later in mijn mondje", "wat zit er in mijn mandje"),
    ("om je dan maakken", "ongedaan maken"),
    ("aferikenden", "afrekenen"),
    ("tot liens", "tot ziens"),
    ("hovel kost het", "hoeveel kost het"),
    ("en kaoslag", "een krop sla"),
    ("twee liter mag er melk", "twee liter magere melk"),
    ("en fless cola en en zak koffie", "een fles cola en een zak koffie"),
    ("maak er twee mond", "maak er twee van"),
    ("twee pakken halfvolle melk", "twee pakken halfvolle melk"),   # not only `twee pakken volle melk`
    ("twee sterk en oude kaas", "twee stukken oude kaas"),          # every spoken plural of the unit
    ("tweede pakken halfvolle melk", "twee pakken halfvolle melk"),  # a counted phrase, not only `halfvolle melk`
])
def test_the_sentence_meant_is_on_the_shortlist(space: SentenceSpace, heard: str, said: str) -> None:
    assert said in space.candidates([heard])


def test_context_products_are_considered_without_being_heard(space: SentenceSpace) -> None:
    heard = ["halfvolle melk"]
    assert not any("bananen" in c for c in space.candidates(heard))
    with_cart = space.candidates(heard, Context(("bananen",)))
    assert any("bananen" in c for c in with_cart) and "de tweede" not in with_cart


def test_a_pending_choice_brings_its_answers(space: SentenceSpace) -> None:
    asked = Context(options=("halfvolle-melk", "volle-melk", "magere-melk"))
    found = space.candidates(["oke"], asked)
    assert {"de eerste", "de tweede", "de laatste", "volle", "halfvolle", "magere"} <= set(found)
    assert not any("liter" in c or "gram" in c for c in found), "an amount is no answer to which one"
    assert "de tweede" not in space.candidates(["oke"])


def test_item_phrases_speak_units_measures_and_answers(space: SentenceSpace) -> None:
    catalog = space.catalog
    milk = space.item_phrases(catalog["volle-melk"])
    assert {"volle melk", "twee pakken volle melk", "een pak volle melk", "volle", "twee liter volle melk"} <= set(milk)
    assert "vijfhonderd gram gehakt" in space.item_phrases(catalog["gehakt"])
    assert {"een banaan", "vier bananen"} <= set(space.item_phrases(catalog["bananen"]))


def test_shortlist_is_bounded_and_unique(space: SentenceSpace) -> None:
    limits = Shortlist()
    found = space.candidates(["ik wil graag twee pakken halfvolle melk en vier bananen", "help"])
    bound = limits.fixed + limits.items + limits.context + limits.numbers * len(space.numbers)
    assert len(found) == len(set(found)) <= bound


def test_every_number_is_tried_in_the_nearest_number_sentences(space: SentenceSpace) -> None:
    found = space.candidates(["maak er met spad"])
    assert {"maak er zes van", "maak er vier van", "maak er twee van"} <= set(found)
    assert space.renumbered("twee pakken melk")[:2] == ["een pakken melk", "drie pakken melk"]
    assert space.candidates([]) == [] and space.candidates(["   "]) == []


def test_a_bare_definite_item_is_only_an_answer(space: SentenceSpace) -> None:
    assert "de bananen" not in space.candidates(["de bananen"])
    assert "haal de bananen weg" in space.candidates(["haal de bananen weg"])
    assert "de volle" in space.candidates(["de volle"], Context(options=("halfvolle-melk", "volle-melk")))


def test_counted_phrases_use_every_spoken_plural(space: SentenceSpace) -> None:
    cheese = space.item_phrases(space.catalog["oude-kaas"])
    assert {"een stuk oude kaas", "twee stuks oude kaas", "twee stukken oude kaas"} <= set(cheese)
    assert not any("stukjes" in phrase for phrase in cheese)


def test_works_for_any_catalog(tmp_path: Path) -> None:
    csv = tmp_path / "fiets.csv"
    csv.write_text("id,name,synonyms,family,category,unit,size,price\n"
                   "bel,Fietsbel,bel,,fiets,stuk,,4.99\nband,Binnenband,,,fiets,stuk,,7.50\n", "utf-8")
    space = SentenceSpace(load_catalog(csv))
    assert "twee binnenbanden" in space.candidates(["twee binnen banden"])
    assert isinstance(space.catalog, Catalog)
