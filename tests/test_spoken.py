"""The spoken-Dutch stage: fillers, repeats, pauses, self-corrections and limits (nlu.spoken)."""

import pytest

from voiceskill.nlu.spoken import clean, is_question


def readings(text: str) -> list[str]:
    return [" ".join(r) for r in clean(text).readings]


@pytest.mark.parametrize("said, meant", [
    ("uh, doe maar eenentwintig kiwi's", "doe maar eenentwintig kiwi's"),
    ("en... eh... drie BANANEN?", "drie bananen"),
    ("uhm een komkommer", "een komkommer"),
    ("even kijken, twee bananen", "twee bananen"),
    ("ik hoef eigenlijk geen kaas meer", "ik hoef geen kaas meer"),
    ("nee nee, twee", "nee twee"),
    ("vier, vier bananen", "vier bananen"),
    ("ik wil, eh, twee bananen", "ik wil twee bananen"),
    ("dat was het, bedankt", "dat was het"),
    ("'k wil ne pot choco", "ik wil een pot choco"),
])
def test_fillers_repeats_and_pauses_leave_the_clean_sentence(said: str, meant: str) -> None:
    assert readings(said)[-1] == meant


@pytest.mark.parametrize("said, meant", [
    ("twee, nee drie pakken melk", "drie pakken melk"),
    ("een pak volle, nee halfvolle melk", "een pak halfvolle melk"),
    ("drie bananen, ik bedoel vier", "vier bananen"),
    ("halfvolle melk, nee volle", "volle melk"),
    ("twee kroppen sla, eh, ijsbergsla bedoel ik", "twee kroppen ijsbergsla"),
])
def test_a_correction_inside_the_utterance_offers_the_corrected_reading(said: str, meant: str) -> None:
    spoken = clean(said)
    assert spoken.corrected
    assert meant in readings(said)


def test_a_correction_at_the_start_is_a_repair_not_a_rewrite() -> None:
    assert readings("nee, vijf bedoel ik") == ["nee vijf"]


@pytest.mark.parametrize("said, joined", [
    ("bananen, appels en peren", "bananen en appels en peren"),
    ("melk, twee pakken", "melk en twee pakken"),
    ("ik neem er twee, van die avocado's", "ik neem er twee van die avocado's"),
])
def test_a_pause_between_products_separates_list_items(said: str, joined: str) -> None:
    assert readings(said)[-1] == joined


def test_what_follows_a_pause_is_kept_for_when_the_whole_is_not_understood() -> None:
    assert ("een", "doos", "eieren") in clean("euh... wat was het nu weer... ah ja, een doos eieren").clauses


@pytest.mark.parametrize("said, problem", [
    ("-5 bananen", "negative"), ("min drie bananen", "negative"), ("twee bananen " * 100, "too_long"),
    ("twee bananen", ""),
])
def test_limits_are_flagged(said: str, problem: str) -> None:
    assert clean(said).problem == problem


def test_thousands_dots_are_one_number_and_decimal_commas_stay() -> None:
    assert readings("1.000 bananen") == ["1000 bananen"]
    assert readings("2,5 kilo aardappelen") == ["2.5 kilo aardappelen"]


@pytest.mark.parametrize("words, marked, question", [
    ("wat kost een pak melk", False, True), ("heb je ook havermelk", False, True),
    ("kan ik met pin betalen", False, True), ("drie bananen", True, True), ("drie bananen", False, False),
])
def test_questions_by_their_first_words_or_a_question_mark(words: str, marked: bool, question: bool) -> None:
    assert is_question(words.split(), marked) is question


def test_plain_text_takes_the_quick_path_unchanged() -> None:
    spoken = clean("doe maar twee pakken halfvolle melk")
    assert spoken.readings == (("doe", "maar", "twee", "pakken", "halfvolle", "melk"),)
    assert not spoken.corrected and not spoken.dropped and not spoken.clauses
