"""Tolerant product matching: names, synonyms, forms, sound-alikes, families."""

import pytest

from voiceskill.nlu import Understander
from voiceskill.nlu.matcher import ACCEPT
from voiceskill.nlu.morphology import phonetic_key, stem_keys


def match(understander: Understander, words: str):
    return understander.matcher.match(words.split())


@pytest.mark.parametrize("words, product", [
    ("halfvolle melk", "halfvolle-melk"), ("halfvol", "halfvolle-melk"), ("melk halfvol", "halfvolle-melk"),
    ("banaan", "bananen"), ("banaantjes", "bananen"), ("bananen", "bananen"),
    ("komkommers", "komkommer"), ("eitjes", "eieren"), ("ei", "eieren"),
    ("appeltjes", "appels"), ("volkorenbroden", "volkorenbrood"),
    ("peper en zout", "peper-en-zout"), ("wc papier", "toiletpapier"),
])
def test_exact_forms(understander: Understander, words: str, product: str) -> None:
    found = match(understander, words)
    assert found and found.product_ids == (product,) and found.confidence == 1.0


@pytest.mark.parametrize("words, product", [
    ("halvolle melk", "halfvolle-melk"), ("hagel slag", "hagelslag"), ("kipfillet", "kipfilet"),
    ("komkomer", "komkommer"), ("hagelslach", "hagelslag"), ("bananne", "bananen"),
])
def test_speech_errors_are_matched_confidently(understander: Understander, words: str, product: str) -> None:
    found = match(understander, words)
    assert found and found.product_ids == (product,) and found.confidence >= ACCEPT


def test_family_word_is_ambiguous(understander: Understander) -> None:
    found = match(understander, "melk")
    assert found and found.family == "melk"
    assert set(found.product_ids) == {"halfvolle-melk", "volle-melk", "magere-melk"}
    assert found.ambiguous and not found.resolved


def test_unknown_product(understander: Understander) -> None:
    assert match(understander, "fietsbel") is None


@pytest.mark.parametrize("answer, chosen", [
    ("volle", "volle-melk"), ("de halfvolle", "halfvolle-melk"), ("magere melk graag", "magere-melk"),
])
def test_choose_by_distinguishing_word(understander: Understander, answer: str, chosen: str) -> None:
    options = ("halfvolle-melk", "volle-melk", "magere-melk")
    assert understander.matcher.choose(answer.split(), options) == chosen


def test_keys() -> None:
    assert stem_keys("tomaatjes") & stem_keys("tomaat")
    assert stem_keys("kazen") & stem_keys("kaas")
    assert phonetic_key("komkomer") == phonetic_key("komkommer")
