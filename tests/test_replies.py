"""Dutch replies: plurals, units, money, SSML."""

import pytest

from voiceskill.reply import Reply, item_phrase, join, money
from voiceskill.reply.dutch import pluralize
from voiceskill.reply.render import Phrase


@pytest.mark.parametrize("product, units, text", [
    ("halfvolle-melk", 2, "twee pakken halfvolle melk"), ("halfvolle-melk", 1, "een pak halfvolle melk"),
    ("bananen", 3, "drie bananen"), ("bananen", 1, "een banaan"), ("komkommer", 2, "twee komkommers"),
    ("volkorenbrood", 1, "een volkorenbrood"), ("eieren", 2, "twee dozen eieren"),
    ("gehakt", 1, "een bakje gehakt"), ("sla", 3, "drie kroppen sla"), ("cola", 2, "twee flessen cola"),
])
def test_item_phrases(catalog, product: str, units: int, text: str) -> None:
    assert item_phrase(catalog[product], units).text == text


def test_measure_is_echoed(catalog) -> None:
    phrase = item_phrase(catalog["gehakt"], 1, "mass")
    assert phrase.text == "500 gram gehakt (een bakje)"
    assert item_phrase(catalog["gehakt"], 2, "mass").speech == "een kilo gehakt, twee bakjes"


@pytest.mark.parametrize("word, plural", [
    ("komkommer", "komkommers"), ("banaan", "bananen"), ("brood", "broden"), ("kaas", "kazen"),
    ("ei", "eieren"), ("kiwi", "kiwi's"), ("krentenbol", "krentenbollen"), ("tomaat", "tomaten"),
    ("druif", "druiven"), ("croissant", "croissants"), ("peer", "peren"), ("citroen", "citroenen"),
])
def test_pluralize(word: str, plural: str) -> None:
    assert pluralize(word) == plural


def test_money_reads_and_speaks() -> None:
    assert money(4.37) == Phrase("€ 4,37", "vier euro zevenendertig")


def test_join() -> None:
    parts = [Phrase.same(w) for w in ("a", "b", "c")]
    assert join(parts).text == "a, b en c"
    assert join(parts, "or").text == "a, b of c"


def test_ssml_is_escaped_and_round_trips() -> None:
    reply = Reply("Tom & Jerry <3", "Tom & Jerry <3", asks=True)
    assert reply.ssml == "<speak>Tom &amp; Jerry &lt;3</speak>"
    assert Reply.from_dict(reply.to_dict()) == reply
