"""Intents and slots of conversation.md's example sentences."""

import pytest

from voiceskill.nlu import Understander
from voiceskill.nlu.normalize import normalize

EXAMPLES = {
    "add_item": ["twee pakken melk", "zet appels op mijn lijst", "doe mij maar een brood",
                 "ik wil graag drie bananen", "voeg kaas toe", "twee bananen en een komkommer",
                 "doe maar twee pakken halfvolle melk", "nog twee bananen", "nog een", "nog eentje"],
    "remove_item": ["haal de bananen weg", "verwijder de melk", "ik hoef geen kaas meer",
                    "vink de appels af", "haal één banaan weg"],
    "set_quantity": ["maak er vier van", "doe toch maar drie pakken melk", "nee, vier"],
    "read_cart": ["wat zit er in mijn mandje", "wat heb ik al", "lees mijn lijst voor"],
    "cart_total": ["hoeveel kost het", "wat is het totaal"],
    "clear_cart": ["maak mijn mandje leeg", "gooi alles weg"],
    "checkout": ["afrekenen", "bestel maar", "ik ben klaar"],
    "undo": ["ongedaan maken", "dat was niet de bedoeling", "draai dat terug"],
    "help": ["wat kan ik zeggen", "help"],
    "handover": ["ik wil een medewerker", "mag ik een mens spreken"],
    "yes": ["ja", "graag", "klopt"],
    "no": ["nee", "liever niet"],
    "cancel": ["laat maar", "stop", "annuleer"],
    "goodbye": ["dat was het", "doei", "tot ziens"],
    "fallback": ["", "   ", "asdf qwerty", "the weather is nice today", "!!!", "x" * 10_000],
    "remove_item_more": ["haal de melk er maar uit", "toch maar geen koffie", "vergeet de sinaasappels maar"],
    "replace_item": ["doe de melk maar halfvol", "vervang de volle melk door halfvolle",
                     "toch liever de jonge kaas"],
    "ask_product": ["wat kost een pak melk", "hoeveel kost de kaas", "heb je ook havermelk",
                    "welke soorten kaas hebben jullie", "wat is de goedkoopste koffie"],
    "reorder": ["hetzelfde als vorige keer", "doe mijn vorige boodschappen nog eens",
                "wat heb ik de vorige keer besteld"],
    "forget_me": ["vergeet mij", "wis mijn gegevens"],
    "read_cart_one": ["hoeveel bananen heb ik"],
}
ALIASES = {"remove_item_more": "remove_item", "read_cart_one": "read_cart"}


@pytest.mark.parametrize("intent, text", [(i, t) for i, ts in EXAMPLES.items() for t in ts])
def test_intent(understander: Understander, intent: str, text: str) -> None:
    assert understander.understand(text).intent == ALIASES.get(intent, intent)


@pytest.mark.parametrize("text, detail", [
    ("wat kost een pak melk", "price"), ("heb je ook havermelk", "available"),
    ("welke soorten kaas hebben jullie", "kinds"), ("wat is de goedkoopste koffie", "cheapest"),
    ("haal alles weg behalve de melk", "except"), ("we hebben nog genoeg toiletpapier", "no_need"),
])
def test_the_kind_of_question_or_removal(understander: Understander, text: str, detail: str) -> None:
    assert understander.understand(text).detail == detail


def test_words_the_product_does_not_explain_are_kept(understander: Understander) -> None:
    item = understander.understand("twee grote bananen").items[0]
    assert item.match.product_ids == ("bananen",) and item.unexplained == ("grote",) and not item.clear


def test_a_short_word_named_only_through_a_base_form_is_loose() -> None:
    from voiceskill import load_catalog

    match = Understander(load_catalog()).matcher.match(["pin"])   # pils has the synonym `pintje`
    assert match is not None and match.product_ids == ("pils",) and not match.resolved


@pytest.mark.parametrize("text, problem", [
    ("kan ik met pin betalen?", "off_topic"), ("hoe laat gaan jullie dicht?", "off_topic"),
    ("-5 bananen", "negative"), ("twee bananen en " * 80, "too_long"),
    (", ".join(["bananen", "komkommer", "gehakt", "eieren", "hagelslag", "kipfilet", "appels", "cola",
                "sla", "koffie", "jonge kaas", "oude kaas", "witbrood", "volkorenbrood", "toiletpapier",
                "halfvolle melk", "volle melk", "magere melk", "belegen kaas", "geraspte kaas",
                "peper en zout"]), "too_many"),
])
def test_input_that_may_change_nothing(understander: Understander, text: str, problem: str) -> None:
    assert understander.understand(text).problem == problem


def test_the_reading_that_explains_most_wins(understander: Understander) -> None:
    u = understander.understand("twee pakken halfvolle melk, nee volle")
    assert [(i.match.product_ids, i.quantity.number) for i in u.items] == [(("volle-melk",), 2)]


def test_bare_nouns_in_a_row_are_each_an_item(understander: Understander) -> None:
    u = understander.understand("bananen appels komkommer jonge kaas")
    assert [i.match.product_ids[0] for i in u.items] == ["bananen", "appels", "komkommer", "jonge-kaas"]


def test_several_items(understander: Understander) -> None:
    u = understander.understand("twee bananen, een komkommer en drie pakken halfvolle melk")
    assert [(i.match.product_ids[0], i.quantity.number) for i in u.items] == [
        ("bananen", 2), ("komkommer", 1), ("halfvolle-melk", 3)]


def test_repair_is_flagged(understander: Understander) -> None:
    u = understander.understand("nee, volle melk")
    assert u.repair and u.items[0].match.product_ids == ("volle-melk",)


@pytest.mark.parametrize("raw, clean", [
    ("Doe maar TWEE pakken!", "doe maar twee pakken"), ("één", "een"), ("1,5 liter", "1.5 liter"),
    ("m'n lijst", "m'n lijst"), ("  veel   spaties ", "veel spaties"), ("2x melk", "2 x melk"),
])
def test_normalize(raw: str, clean: str) -> None:
    assert normalize(raw) == clean


@pytest.mark.parametrize("heard, intent", [
    ("lees mijn laatst vol", "read_cart"), ("tot ziense", "goodbye"), ("ik wil een mademerker", "handover"),
    ("matkan ik negen", "help"), ("ongevan maken", "undo"),
])
def test_misheard_commands_by_spelling_or_sound(understander: Understander, heard: str, intent: str) -> None:
    u = understander.understand(heard)
    assert u.intent == intent and u.confidence < 1.0


@pytest.mark.parametrize("text", ["heel", "asdf qwerty", "hoe gaat het met je", "ik wil een fiets"])
def test_fuzzy_commands_stay_out_of_the_way(understander: Understander, text: str) -> None:
    assert understander.understand(text).intent in ("fallback", "add_item")


def test_templates_are_indexed_by_how_they_open_and_end() -> None:
    from voiceskill.nlu.grammar import compile_template

    template = compile_template("(haal|doe) {items} [er] (weg|uit)", {})
    assert template.heads == {"ha", "do"} and template.tails == {"eg", "it"}
    assert template.may_match("ha", "eg") and not template.may_match("ze", "eg")
    assert compile_template("{items} graag", {}).heads is None


def test_speech_leaves_out_groups_marked_speech_false() -> None:
    from voiceskill import data
    from voiceskill.nlu.grammar import spoken_part

    raw = data.load("intents")
    spoken = spoken_part(raw)
    assert len(spoken["intents"]) < len(raw["intents"])
    assert all(group.get("speech", True) for group in spoken["intents"])
    assert {g["intent"] for g in spoken["intents"]} >= {"add_item", "ask_product", "reorder", "forget_me"}
