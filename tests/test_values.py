"""Values that cross stages round-trip through plain dicts (and so JSON)."""

import json

from voiceskill.dialogue.state import Change, DialogueState, Pending, Planned
from voiceskill.nlu.items import Quantity
from voiceskill.reply import Reply


def test_dialogue_state_round_trip() -> None:
    inner = Pending("confirm", Reply("Bedoel je x?", "Bedoel je x?", True).to_dict(),
                    planned=[Planned("cola", "add", 2, None)])
    state = DialogueState(turns=3, pending=Pending("choose", {"text": "Welke?", "speech": "Welke?", "asks": True},
                                                   options=["a", "b"], quantity=Quantity(2, "pak").to_dict(),
                                                   queue=[inner]),
                          last_product="a", last_changes=[Change("a", 0, 2, "add", 2)], misses=1)
    raw = json.loads(json.dumps(state.to_dict()))
    assert DialogueState.from_dict(raw) == state
    assert DialogueState.from_dict(None) == DialogueState()


def test_quantity_and_reply_round_trip() -> None:
    quantity = Quantity(1.5, None, "volume", 1000.0, 0.6)
    assert Quantity.from_dict(json.loads(json.dumps(quantity.to_dict()))) == quantity
    reply = Reply("€ 1,00", "een euro", True)
    assert Reply.from_dict(json.loads(json.dumps(reply.to_dict()))) == reply


def test_turn_result_is_json(assistant) -> None:
    result = assistant.turn("twee bananen", user="j")
    raw = json.loads(json.dumps(result.to_dict()))
    assert raw["cart"] == {"bananen": 2} and raw["intent"] == "add_item" and raw["asks"] is False


def test_transcript_round_trip_and_number_agreement() -> None:
    """A number's certainty is the confidence share of the readings that contain it."""
    from voiceskill.asr.base import Transcript, Word

    heard = Transcript("vier bananen", 0.7, (("vijf bananen", 0.2), ("vier banaan", 0.1)),
                       (Word("vier", 0.0, 0.4, 0.2), Word("bananen", 0.4, 1.0, 0.9)))
    assert Transcript.from_dict(json.loads(json.dumps(heard.to_dict()))) == heard
    agreement = heard.word_confidences()
    assert agreement["vier"] == 0.8 and agreement["bananen"] == 0.9
    unweighted = Transcript("vier bananen", 0.0, (("vijf bananen", 0.0), ("vier banaan", 0.0)), heard.words)
    assert unweighted.word_confidences()["vier"] == 2 / 3
    alone = Transcript("vier bananen", 0.7, (), heard.words)
    assert alone.word_confidences() == {"vier": 0.2, "bananen": 0.9}


def test_uncertain_spoken_number_is_confirmed(assistant) -> None:
    from voiceskill.asr.base import Transcript, Word

    doubt = Transcript("vier bananen", 0.9, (), (Word("vier", 0, 0.4, 0.3), Word("bananen", 0.4, 1, 0.95)))
    asked = assistant.hear(doubt, user="n")
    assert asked.asks and "Zei je vier bananen?" in asked.reply.text and asked.cart == {}
    assert assistant.turn("ja", user="n").cart == {"bananen": 4}


def test_uncertain_removals_and_new_quantities_are_confirmed_too(assistant) -> None:
    """Confirm instead of guessing holds for every change to the cart, not only for adding."""
    from voiceskill.asr.base import Transcript

    assistant.turn("vier bananen en een komkommer", user="r")
    asked = assistant.hear(Transcript("haal de bananen weg", 0.2), user="r")
    assert asked.asks and "Wil je vier bananen uit je mandje halen?" in asked.reply.text
    assert asked.cart == {"bananen": 4, "komkommer": 1}
    assert assistant.turn("ja", user="r").cart == {"komkommer": 1}
    asked = assistant.hear(Transcript("maak er drie van", 0.3), user="r")
    assert asked.asks and "Zal ik er drie bananen van maken?" in asked.reply.text and asked.cart == {"komkommer": 1}
    kept = assistant.turn("nee", user="r")
    assert kept.cart == {"komkommer": 1} and "zoals het was" in kept.reply.text
    sure = assistant.hear(Transcript("haal de komkommer weg", 0.9), user="r")
    assert not sure.asks and sure.cart == {}
    assistant.turn("een komkommer", user="r")
    more = assistant.hear(Transcript("nog eentje", 0.2), user="r")
    assert more.asks and "Zei je een komkommer?" in more.reply.text and more.cart == {"komkommer": 1}


def test_a_reading_taken_from_the_alternatives_is_as_sure_as_its_own_share(assistant) -> None:
    """Unintelligible best reading, a command far below it: ask before acting on the command."""
    from voiceskill.asr.base import Transcript

    assistant.turn("een krop sla", user="s")
    heard = Transcript("mag meen mondjuri", 0.33, (("mag meenmondjuri", 0.26), ("maak er maar drie", 0.11)))
    asked = assistant.hear(heard, user="s")
    assert asked.intent == "set_quantity" and asked.asks and asked.cart == {"sla": 1}
    assert "drie kroppen sla" in asked.reply.text


def test_a_spoken_answer_to_a_choice_is_taken_even_when_it_is_no_sentence(assistant) -> None:
    """`volle` means nothing alone; after `Welke melk?` it is the answer, not the `oke` below it."""
    from voiceskill.asr.base import Transcript

    asked = assistant.turn("melk", user="k")
    assert asked.asks and assistant.expected("k").options
    heard = Transcript("volle", 0.57, (("oke", 0.36), ("de volle", 0.04)))
    assert assistant.hear(heard, user="k").cart == {"volle-melk": 1}
    assert assistant.expected("k").options == () and assistant.expected("k").products[0] == "volle-melk"
