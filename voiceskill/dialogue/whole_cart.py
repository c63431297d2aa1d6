"""Requests about the whole cart: read it out, its total, empty it, check out, undo the last change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..reply import Phrase, Reply, cart_phrase, item_phrase, join, money, render
from ..reply.render import count_phrase, name_phrase
from .catalog_answers import read_one
from .state import Pending

if TYPE_CHECKING:
    from .turn import Turn


def read_cart(turn: "Turn") -> None:
    """The whole cart, or with a product named, how many of it are in it."""
    if turn.u.items:
        read_one(turn)
    elif not turn.cart:
        turn.say("cart_empty")
    else:
        turn.say("cart_read", items=cart_phrase(turn.catalog, turn.cart))


def total(turn: "Turn") -> tuple[float, list[str]]:
    """The cart's total in euros, and the products without a price."""
    prices = {pid: turn.catalog[pid].price for pid in turn.cart}
    euros = sum(price * turn.cart[pid] for pid, price in prices.items() if price is not None)
    return round(euros, 2), [pid for pid, price in prices.items() if price is None]


def cart_total(turn: "Turn") -> None:
    euros, unpriced = total(turn)
    if not turn.cart:
        turn.say("total_empty", total=money(0))
    elif unpriced:
        turn.say("total_unpriced", total=money(euros),
                 items=join([name_phrase(turn.catalog[p]) for p in unpriced]))
    else:
        turn.say("total", total=money(euros))


def item_count(turn: "Turn") -> Phrase:
    return count_phrase(sum(turn.cart.values()))


def clear_cart(turn: "Turn") -> None:
    """Asks first (spec); `ja` empties it."""
    if not turn.cart:
        turn.say("already_empty")
        return
    question = render("clear_ask", asks=True, count=item_count(turn))
    turn.ask([Pending("confirm_clear", question.to_dict())])


def checkout(turn: "Turn") -> None:
    """Says the total and asks first; `ja` makes the cart an order."""
    if not turn.cart:
        turn.say("checkout_empty")
        return
    question = render("checkout_ask", asks=True, total=money(total(turn)[0]), count=item_count(turn))
    turn.ask([Pending("confirm_checkout", question.to_dict())])


def undo(turn: "Turn") -> None:
    """Reverts the last change to the cart, whatever turn made it; asks first when unsure."""
    if not turn.undo_batch:
        turn.say("undo_nothing")
        return
    if turn.uncertain():
        turn.ask([Pending("confirm_undo", render("undo_ask", asks=True).to_dict())])
        return
    revert(turn)


def revert(turn: "Turn") -> None:
    """Put the products of the last change back as they were."""
    from .engine import CartOp

    parts: list[Phrase] = []
    for pid, before, _after in turn.undo_batch:
        if pid not in turn.catalog:
            continue
        if before:
            turn.cart[pid] = before
            parts.append(_inline(render("undo_back", items=item_phrase(turn.catalog[pid], before))))
        else:
            turn.cart.pop(pid, None)
            parts.append(_inline(render("undo_gone", product=name_phrase(turn.catalog[pid]))))
    turn.ops.append(CartOp("undo"))
    if len(parts) > 2 and turn.cart:
        turn.say("undo_many", items=cart_phrase(turn.catalog, turn.cart))
    else:
        turn.say("undo_done", items=join(parts))


def _inline(reply: Reply) -> Phrase:
    """A rendered sentence as a phrase inside another: no capital, no full stop."""
    def inner(text: str) -> str:
        return text[:1].lower() + text[1:].rstrip(".")

    return Phrase(inner(reply.text), inner(reply.speech))
