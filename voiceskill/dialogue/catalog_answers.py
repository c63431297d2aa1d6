"""Answers from the catalog and the cart to a shopper's questions (`ask_product`, `hoeveel
bananen heb ik`): the cart never changes; a single product may be offered, which `ja` adds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import Product
from ..nlu.items import ItemRequest, Quantity
from ..nlu.matcher import ACCEPT, SUGGEST
from ..reply import Phrase, item_phrase, join, money
from ..reply.dutch import measure_words
from ..reply.render import more_phrase, name_phrase
from .state import Planned

if TYPE_CHECKING:
    from .turn import Turn

LISTED = 3
"""Products named at most in one answer (spec: up to three kinds and how many more)."""


def sized(product: Product) -> Phrase:
    """`een pak halfvolle melk van 1 liter`, `een banaan`: one sale unit with its size."""
    one = item_phrase(product, 1)
    size = product.size
    if size is None or product.unit == "stuk" and size.dimension == "count":
        return one
    return Phrase(f"{one.text} van {measure_words(size.dimension, size.base, speech=False)}",
                  f"{one.speech} van {measure_words(size.dimension, size.base, speech=True)}")


def _priced(product: Product) -> Phrase:
    if product.price is None:
        return name_phrase(product)
    price = money(product.price)
    name = name_phrase(product)
    return Phrase(f"{name.text} {price.text}", f"{name.speech} {price.speech}")


def _family_name(turn: "Turn", item: ItemRequest, ids: tuple[str, ...]) -> str:
    match = item.match
    return (match.family or match.said) if match else (item.words or turn.catalog[ids[0]].family)


def ask_product(turn: "Turn") -> None:
    """Price, availability, kinds or the cheapest, for each product asked about."""
    for item in turn.u.items[:LISTED]:
        match = item.match
        if match is None or match.confidence < ACCEPT:
            _not_sold(turn, item)
            continue
        ids = match.product_ids
        inside = [p for p in ids if p in turn.cart]
        ids = (inside[0],) if len(ids) > 1 and len(inside) == 1 and turn.u.detail == "price" else ids
        detail = turn.u.detail
        if detail == "cheapest":
            _cheapest(turn, item, ids)
        elif len(ids) > 1 or detail == "kinds":
            _kinds(turn, item, _family_of(turn, ids), detail == "price")
        else:
            _one(turn, turn.catalog[ids[0]], item.quantity, detail)


def _family_of(turn: "Turn", ids: tuple[str, ...]) -> tuple[str, ...]:
    """A single product asked about by kind stands for its whole family."""
    if len(ids) == 1 and turn.catalog[ids[0]].family:
        return turn.catalog.families[turn.catalog[ids[0]].family]
    return ids


def _not_sold(turn: "Turn", item: ItemRequest) -> None:
    """Not sold: say so, with the closest product we do sell when there is one."""
    said = item.words or item.said
    guess = item.match or turn.matcher.guess(said.split())
    if guess and guess.confidence >= SUGGEST and guess.product_ids:
        turn.say("available_close", product=said, suggestion=name_phrase(turn.catalog[guess.product_ids[0]]))
    else:
        turn.say("available_no", product=said)


def _one(turn: "Turn", product: Product, quantity: Quantity, detail: str) -> None:
    """One product: its price per sale unit with its size, then the offer to add it."""
    if product.price is None:
        turn.say("available_unpriced" if detail == "available" else "price_unknown",
                 item=sized(product), product=name_phrase(product))
    elif detail == "available":
        turn.say("available_yes", item=sized(product), price=money(product.price))
    else:
        turn.say("price", item=sized(product), price=money(product.price))
    plan = turn.plan(product.id, "add", quantity if quantity.explicit else Quantity())
    turn.ask([turn.confirm_question([plan], "offer_more" if product.id in turn.cart else "offer_add")])


def _kinds(turn: "Turn", item: ItemRequest, ids: tuple[str, ...], with_prices: bool) -> None:
    """Up to three kinds, the likeliest first, and how many more there are."""
    ranked = turn.ranked(ids)
    shown = [(_priced if with_prices else name_phrase)(turn.catalog[p]) for p in ranked[:LISTED]]
    family = _family_name(turn, item, ids)
    more = len(ranked) - len(shown)
    if len(ranked) == 1:
        turn.say("kinds_one", family=family, options=shown[0])
        return
    key = ("price_family" if with_prices else "kinds") + ("_more" if more else "")
    turn.say(key, family=family, count=str(len(ranked)), options=join(shown), more=more_phrase(more))


def _cheapest(turn: "Turn", item: ItemRequest, ids: tuple[str, ...]) -> None:
    ids = _family_of(turn, ids)
    priced = [turn.catalog[p] for p in ids if turn.catalog[p].price is not None]
    family = _family_name(turn, item, ids)
    if not priced:
        turn.say("price_unknown", product=family)
        return
    best = min(priced, key=lambda p: p.price or 0.0)
    turn.say("cheapest", family=family, item=sized(best), price=money(best.price or 0.0))
    turn.ask([turn.confirm_question([Planned(best.id, "add", 1)], "offer_add")])


def price_of(turn: "Turn", product_id: str) -> None:
    """`wat kost dat?` about the product last talked about: its price, then the offer."""
    _one(turn, turn.catalog[product_id], Quantity(), "price")


def read_one(turn: "Turn") -> None:
    """`hoeveel bananen heb ik`, `heb ik al eieren`: how many of it the cart holds."""
    for item in turn.u.items[:LISTED]:
        match = item.match
        inside = [p for p in match.product_ids if p in turn.cart] if match else []
        if inside:
            turn.say("cart_has", items=join([item_phrase(turn.catalog[p], turn.cart[p]) for p in inside]))
        elif match and match.resolved:
            turn.say("cart_has_not", product=name_phrase(turn.catalog[match.product_ids[0]]))
        else:
            turn.say("cart_has_not", product=(match.family or match.said) if match else item.words or item.said)


__all__ = ["ask_product", "price_of", "read_one", "sized"]
