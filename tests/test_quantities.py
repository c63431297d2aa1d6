"""Measures, containers and the conversion rule of spec/catalog.md."""

import pytest

from voiceskill.catalog import Catalog
from voiceskill.nlu import Understander


@pytest.mark.parametrize("text, product, units", [
    ("twee liter halfvolle melk", "halfvolle-melk", 2),
    ("anderhalve liter volle melk", "volle-melk", 2),
    ("een halve liter magere melk", "magere-melk", 1),
    ("twaalf eieren", "eieren", 2),
    ("zes eieren", "eieren", 1),
    ("een half dozijn eieren", "eieren", 1),
    ("een dozijn eieren", "eieren", 2),
    ("twee dozen eieren", "eieren", 2),
    ("een kilo gehakt", "gehakt", 2),
    ("500 gram gehakt", "gehakt", 1),
    ("een pond gehakt", "gehakt", 1),
    ("drie pakken halfvolle melk", "halfvolle-melk", 3),
    ("2 pakken halfvolle melk", "halfvolle-melk", 2),
    ("drie bananen", "bananen", 3),
    ("een paar bananen", "bananen", 2),
    ("twaalf rollen toiletpapier", "toiletpapier", 2),
    ("twee pakken toiletpapier", "toiletpapier", 2),
    ("drie liter cola", "cola", 2),
    ("twee krop sla", "sla", 2),
    ("vijfendertig bananen", "bananen", 35),
    ("halfvolle melk twee pakken", "halfvolle-melk", 2),
])
def test_sale_units(understander: Understander, catalog: Catalog, text: str, product: str, units: int) -> None:
    u = understander.understand(text)
    assert u.intent == "add_item"
    (item,) = u.items
    assert item.match and item.match.product_ids == (product,)
    assert item.quantity.sale_units(catalog[product]) == units


def test_default_quantity_is_one(understander: Understander, catalog: Catalog) -> None:
    (item,) = understander.understand("komkommer").items
    assert not item.quantity.explicit
    assert item.quantity.sale_units(catalog["komkommer"]) == 1
