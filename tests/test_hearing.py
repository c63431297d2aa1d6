"""Assistant.hear weighs what the audio supports: a store sentence the speech does not bear out is asked first."""

from pathlib import Path

import pytest

from voiceskill import Assistant, load_catalog
from voiceskill.asr.base import Transcript

BUILTIN = load_catalog()


@pytest.fixture()
def bot(tmp_path: Path) -> Assistant:
    return Assistant(BUILTIN, tmp_path / "carts.db")


def heard(text: str, confidence: float, alternatives: list[tuple[str, float]],
          margins: list[tuple[str, float]]) -> Transcript:
    return Transcript(text, confidence, tuple(alternatives), engine="whisper", margins=tuple(margins))


OFF_TOPIC = heard("doe mij er nog een erbij", 0.9,
                  [("dat doe je tenslotte ook in een gesprek met je vrienden", 0.1)],
                  [("doe mij er nog een erbij", -6.6)])


def test_support_and_words_beyond_come_from_the_margins() -> None:
    assert OFF_TOPIC.support("doe mij er nog een erbij") == -6.6
    assert OFF_TOPIC.support("dat doe je tenslotte ook in een gesprek met je vrienden") is None
    assert OFF_TOPIC.words_beyond("doe mij er nog een erbij") == 5


def test_engines_without_free_readings_leave_the_audio_unweighed() -> None:
    plain = Transcript("twee bananen", 0.9, (("drie bananen", 0.1),))
    assert plain.support("twee bananen") is None and plain.words_beyond("twee bananen") == 0
    assert not plain.number_contradicted("twee bananen")


def test_off_topic_speech_forced_onto_a_store_sentence_changes_nothing(bot: Assistant) -> None:
    bot.turn("twee pakken halfvolle melk en een komkommer", user="anna")
    result = bot.hear(OFF_TOPIC, user="anna")
    assert result.cart == {"halfvolle-melk": 2, "komkommer": 1}
    assert result.asks


def test_a_number_whisper_hears_otherwise_is_confirmed(bot: Assistant) -> None:
    bot.turn("zes bananen", user="anna")
    transcript = heard("maak er een van", 0.67, [("marker twee mond", 0.0), ("maak er drie van", 0.3)],
                       [("maak er een van", 9.4), ("maak er drie van", 8.5)])
    assert transcript.number_contradicted("maak er een van")
    result = bot.hear(transcript, user="anna")
    assert result.cart == {"bananen": 6} and result.asks


def test_a_number_other_readings_hear_is_not_taken_as_one(bot: Assistant) -> None:
    transcript = Transcript("bananen en komkommer", 0.72, (("vier bananen en komkommer", 0.28),), engine="whisper")
    assert transcript.number_heard_before("bananen") == pytest.approx(0.28)
    result = bot.hear(transcript, user="anna")
    assert result.cart == {} and result.asks


def test_a_supported_change_goes_ahead(bot: Assistant) -> None:
    transcript = heard("vijf flessen cola", 0.78, [("maai flessen cola", 0.0)], [("vijf flessen cola", -6.8)])
    assert bot.hear(transcript, user="anna").cart == {"cola": 5}


def test_an_answer_the_speech_does_not_explain_is_confirmed(bot: Assistant) -> None:
    bot.turn("een brood", user="anna")
    transcript = heard("volkoren", 0.8, [("vij pakken magere melk", 0.0)], [("volkoren", 9.4)])
    result = bot.hear(transcript, user="anna")
    assert result.cart == {} and result.asks
    assert bot.turn("ja", user="anna").cart == {"volkorenbrood": 1}


def test_a_repair_heard_unsurely_is_asked_first(bot: Assistant) -> None:
    bot.turn("twee pakken halfvolle melk", user="anna")
    result = bot.hear(Transcript("nee ik bedoel vijf", 0.2), user="anna")
    assert result.cart == {"halfvolle-melk": 2} and result.asks
    assert bot.turn("ja", user="anna").cart == {"halfvolle-melk": 5}


def test_an_undo_heard_unsurely_is_asked_first(bot: Assistant) -> None:
    bot.turn("twee bananen", user="anna")
    result = bot.hear(Transcript("ongedaan maken", 0.2), user="anna")
    assert result.cart == {"bananen": 2} and result.asks
    assert bot.turn("ja", user="anna").cart == {}
