"""Dutch replies: plurals, units, names, measures, money, SSML."""

from pathlib import Path

import pytest

from voiceskill import load_catalog
from voiceskill.catalog import DEFAULT_CATALOG, Product
from voiceskill.reply import Reply, item_phrase, join, money, render
from voiceskill.reply.dutch import lower_name, measure_words, pluralize, sentence_case, singular_plural
from voiceskill.reply.render import Phrase, name_phrase

CATALOGS = [DEFAULT_CATALOG, *sorted((Path(__file__).parent / "catalogs").glob("*.csv"))]

# The plural of every product sold per piece (unit `stuk`) in the built-in and test catalogs,
# checked by hand. A new `stuk` product fails the test below until its plural is added here.
STUK_PLURALS = {
    "Afwasborstel": "afwasborstels", "Ananas": "ananassen", "Aubergine": "aubergines",
    "Avocado": "avocado's", "Babyfles": "babyflessen", "Bananen": "bananen",
    "Belegen kaas": "belegen kazen", "Blauwe kaas": "blauwe kazen", "Bleekselderij": "bleekselderijen",
    "Bloemkool": "bloemkolen", "Brie": "bries", "Broccoli": "broccoli's", "Bruinbrood": "bruinbroden",
    "Cantaloupe": "cantaloupes", "Cheddar": "cheddars", "Ciabatta": "ciabatta's",
    "Courgette": "courgettes", "Deodorant": "deodoranten", "Edammer": "edammers",
    "Emmentaler": "emmentalers", "Extra belegen kaas": "extra belegen kazen", "Flosdraad": "flosdraden",
    "Fopspeen": "fopspenen", "Galiameloen": "galiameloenen", "Geitenkaas": "geitenkazen",
    "Gele paprika": "gele paprika's", "Gember": "stukken gember", "Glutenvrij brood": "glutenvrije broden",
    "Granaatappel": "granaatappels", "Grapefruit": "grapefruits", "Groene paprika": "groene paprika's",
    "Hele kip": "hele kippen", "Jong belegen kaas": "jong belegen kazen", "Jonge kaas": "jonge kazen",
    "Knolselderij": "knolselderijen", "Komijnekaas": "komijnekazen", "Komkommer": "komkommers",
    "Krentenbrood": "krentenbroden", "Leverworst": "leverworsten", "Lippenbalsem": "lippenbalsems",
    "Maasdammer": "maasdammers", "Mango": "mango's", "Meergranenbrood": "meergranenbroden",
    "Oude kaas": "oude kazen", "Parmezaanse kaas": "parmezaanse kazen", "Pizza funghi": "pizza's funghi",
    "Pizza margherita": "pizza's margherita", "Pizza salami": "pizza's salami", "Pompoen": "pompoenen",
    "Prei": "preien", "Rode kool": "rode kolen", "Rode paprika": "rode paprika's",
    "Rookworst": "rookworsten", "Scheerschuim": "bussen scheerschuim", "Speltbrood": "speltbroden",
    "Spitskool": "spitskolen", "Stokbrood": "stokbroden", "Suikerbrood": "suikerbroden",
    "Tandenborstel": "tandenborstels", "Tijgerbrood": "tijgerbroden", "Vegarookworst": "vegarookworsten",
    "Vleestomaten": "vleestomaten", "Volkorenbrood": "volkorenbroden", "Watermeloen": "watermeloenen",
    "Witbrood": "witbroden", "Witte kool": "witte kolen",
    # tests/catalogs/bio.csv and vlaams.csv
    "Bamboe tandenborstel": "bamboe tandenborstels", "Baguette": "baguettes", "Bruin brood": "bruine broden",
    "Citroenen": "citroenen", "Desembrood": "desembroden", "Herve": "herves", "Hespenworst": "hespenworsten",
    "Hokkaido pompoen": "hokkaido pompoenen", "Kiwi's": "kiwi's", "Knoflook": "bollen knoflook",
    "Knolselder": "knolselders", "Maredsous": "Maredsous", "Natuurlijke deodorant": "natuurlijke deodoranten",
    "Oud Brugge": "Oud Brugge", "Passendale": "Passendale", "Rijsttaart": "rijsttaarten",
    "Rozijnenbrood": "rozijnenbroden", "Shampoo bar": "shampoo bars", "Wit brood": "witte broden",
    "Zonnepittenbrood": "zonnepittenbroden",
}


def stuk_products() -> list[Product]:
    return [p for path in CATALOGS for p in load_catalog(path) if p.unit == "stuk"]


def test_every_stuk_product_has_its_hand_checked_plural() -> None:
    products = stuk_products()
    assert {p.name for p in products} == set(STUK_PLURALS)
    wrong = {p.name: singular_plural(p)[1] for p in products if singular_plural(p)[1] != STUK_PLURALS[p.name]}
    assert wrong == {}


@pytest.mark.parametrize("name, synonyms, one, many", [
    ("Prei", (), "prei", "preien"), ("Bananen", ("banaan",), "banaan", "bananen"),
    ("Vleestomaten", ("vleestomaat",), "vleestomaat", "vleestomaten"),
    ("Pizza salami", (), "pizza salami", "pizza's salami"),
])
def test_singular_and_plural(name: str, synonyms: tuple[str, ...], one: str, many: str) -> None:
    product = Product("p", name, "stuk", synonyms)
    assert singular_plural(product) == (one, many)
    assert item_phrase(product, 1).text == f"een {one}" and item_phrase(product, 2).text == f"twee {many}"


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
    ("prei", "preien"), ("ui", "uien"), ("kooi", "kooien"), ("bleekselderij", "bleekselderijen"),
    ("idee", "ideeën"), ("pompoen", "pompoenen"), ("fopspeen", "fopspenen"), ("cheddar", "cheddars"),
    ("kar", "karren"), ("bloemkool", "bloemkolen"), ("kipfilet", "kipfilets"), ("sla", "kroppen sla"),
    ("hele kip", "hele kippen"), ("glutenvrij brood", "glutenvrije broden"), ("courgette", "courgettes"),
    ("wit brood", "witte broden"), ("donker brood", "donkere broden"), ("wit gesneden brood", "wit gesneden broden"),
    ("lekker broodje", "lekkere broodjes"), ("shampoo bar", "shampoo bars"), ("Oud Brugge", "Oud Brugge"),
    ("pizza salami", "pizza's salami"),
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


@pytest.mark.parametrize("name, shown", [
    ("Halfvolle melk", "halfvolle melk"), ("Coca-Cola Zero", "Coca-Cola Zero"),
    ("Hertog Jan pils", "Hertog Jan pils"), ("AH Cola", "AH Cola"), ("Côte d'Or", "Côte d'Or"),
    ("IPA", "IPA"), ("IJsbergsla", "ijsbergsla"), ("Batterijen AA", "batterijen AA"),
    ("Vitamine C", "vitamine C"), ("Vrije-uitloopeieren", "vrije-uitloopeieren"), ("Wc-papier", "wc-papier"),
    ("Becel halvarine", "Becel halvarine"), ("Lay's naturel", "Lay's naturel"),
    ("Tony's Chocolonely", "Tony's Chocolonely"), ("Pink Lady appels", "Pink Lady appels"),
    ("Mr. Proper allesreiniger", "Mr. Proper allesreiniger"), ("PMD-zakken", "PMD-zakken"),
    ("Vitamine D3", "vitamine D3"), ("Maredsous", "Maredsous"), ("Jonge kaas", "jonge kaas"),
])
def test_names_keep_brand_capitals_mid_sentence(name: str, shown: str) -> None:
    assert lower_name(name) == shown


def test_brand_names_in_replies() -> None:
    cola = Product("cola-zero", "Coca-Cola Zero", "fles", ("cola zero",))
    pils = Product("hertog-jan", "Hertog Jan pils", "krat")
    assert item_phrase(cola, 2).text == "twee flessen Coca-Cola Zero"
    assert item_phrase(pils, 1).text == "een krat Hertog Jan pils"
    assert render("added", items=join([item_phrase(cola, 1), item_phrase(pils, 1)])).text == \
        "Ik heb een fles Coca-Cola Zero en een krat Hertog Jan pils toegevoegd."


def test_a_reply_that_starts_with_ij_capitalises_both_letters() -> None:
    sla = Product("ijsbergsla", "IJsbergsla", "krop")
    assert render("did_you_mean", suggestion=name_phrase(sla)).text == "Bedoel je ijsbergsla?"
    assert render("undo_gone", product=name_phrase(sla)).text.startswith("Ik heb ijsbergsla")
    assert sentence_case("ijsbergsla is op") == "IJsbergsla is op"


@pytest.mark.parametrize("dimension, base, text, speech", [
    ("mass", 2500, "2,5 kilo", "tweeënhalve kilo"), ("volume", 2500, "2,5 liter", "tweeënhalve liter"),
    ("mass", 1500, "anderhalve kilo", "anderhalve kilo"), ("mass", 4500, "4,5 kilo", "vierenhalve kilo"),
    ("mass", 1250, "1,25 kilo", "een komma vijfentwintig kilo"),
    ("mass", 1050, "1,05 kilo", "een komma nul vijf kilo"),
    ("mass", 22500, "22,5 kilo", "tweeëntwintig komma vijf kilo"),
    ("mass", 750, "750 gram", "zevenhonderdvijftig gram"),
    ("mass", 500, "500 gram", "vijfhonderd gram"), ("mass", 2000, "twee kilo", "twee kilo"),
    ("mass", 1001, "1001 gram", "duizendeen gram"), ("volume", 330, "330 milliliter", "driehonderddertig milliliter"),
])
def test_measures_read_back_as_said(dimension: str, base: float, text: str, speech: str) -> None:
    assert measure_words(dimension, base, speech=False) == text
    assert measure_words(dimension, base, speech=True) == speech


def test_two_and_a_half_kilo_is_echoed(catalog) -> None:
    phrase = item_phrase(catalog["gehakt"], 5, "mass", 2500)
    assert phrase.text == "2,5 kilo gehakt (vijf bakjes)"
    assert phrase.speech == "tweeënhalve kilo gehakt, vijf bakjes"


def test_two_and_a_half_kilo_through_a_turn(assistant) -> None:
    reply = assistant.turn("2,5 kilo gehakt", user="anna").reply
    assert "2,5 kilo gehakt" in reply.text and "gram" not in reply.text
    assert "tweeënhalve kilo gehakt" in reply.speech
