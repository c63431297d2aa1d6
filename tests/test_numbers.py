"""Dutch number words, both ways."""

import pytest

from voiceskill.nlu.numbers import parse_number, parse_ordinal, word_value
from voiceskill.reply.dutch import money_speech, money_text, number_words


@pytest.mark.parametrize("word, value", [
    ("een", 1), ("twee", 2), ("twaalf", 12), ("eenentwintig", 21), ("tweeentwintig", 22),
    ("vijfendertig", 35), ("negenennegentig", 99), ("honderd", 100), ("honderdtwee", 102),
    ("tweehonderdvijftig", 250), ("duizend", 1000), ("2", 2), ("1.5", 1.5),
])
def test_word_value(word: str, value: float) -> None:
    assert word_value(word) == value


@pytest.mark.parametrize("word", ["en", "melk", "zestigen", "honderdmelk", ""])
def test_not_a_number(word: str) -> None:
    assert word_value(word) is None


@pytest.mark.parametrize("text, value, used", [
    ("een paar bananen", 2, 2), ("een half dozijn eieren", 6, 3), ("een dozijn eieren", 12, 2),
    ("anderhalve liter", 1.5, 1), ("een halve liter", 0.5, 2), ("drie pakken", 3, 1),
])
def test_number_phrases(text: str, value: float, used: int) -> None:
    assert parse_number(text.split()) == (value, used)


@pytest.mark.parametrize("text, position", [
    ("de eerste", 1), ("de tweede graag", 2), ("nummer drie", 3), ("de laatste", -1), ("volle", None),
])
def test_ordinals(text: str, position: int | None) -> None:
    assert parse_ordinal(text.split()) == position


@pytest.mark.parametrize("n", list(range(1001)))
def test_number_words_round_trip(n: int) -> None:
    assert word_value(number_words(n).replace("ë", "e")) == n


@pytest.mark.parametrize("amount, text, speech", [
    (4.37, "€ 4,37", "vier euro zevenendertig"), (1.0, "€ 1,00", "een euro"),
    (0.5, "€ 0,50", "vijftig cent"), (12.05, "€ 12,05", "twaalf euro vijf"),
    (21.99, "€ 21,99", "eenentwintig euro negenennegentig"),
])
def test_money(amount: float, text: str, speech: str) -> None:
    assert money_text(amount) == text
    assert money_speech(amount) == speech
