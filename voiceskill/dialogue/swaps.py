"""Swapping one product for another: `vervang de volle melk door halfvolle`, `doe de cola maar
light`, `toch liever de jonge kaas`, and repairs right after a change (`nee, volle`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import data
from ..nlu.items import ItemRequest, Quantity
from ..nlu.normalize import tokens
from ..reply import item_phrase
from .state import Change, Planned

if TYPE_CHECKING:
    from .turn import Turn


def variant(turn: "Turn", old: str, words: list[str]) -> str | None:
    """The product that ``words`` (`halfvolle`, `light`, `rode`) make of ``old``: a member of its
    family, else the catalog product named by those words with the rest of old's name."""
    family = turn.catalog.families.get(turn.catalog[old].family, ())
    picked = turn.matcher.choose(words, family) if family and words else None
    if picked:
        return picked
    name = tokens(turn.catalog[old].name)
    for keep in range(len(name), 0, -1):
        for phrase in (words + name[-keep:], name[:keep] + words):
            match = turn.matcher.match(phrase)
            said = set(match.said.split()) if match else set()
            if match and match.resolved and match.product_ids[0] != old and said & set(words) and \
                    said & set(name):
                return match.product_ids[0]
    return None


def replace_item(turn: "Turn") -> None:
    """Swap a cart product for the one wanted, keeping its quantity unless a new one is said."""
    wanted = turn.u.replacement[0]
    old = replaced_product(turn, turn.u.items[0] if turn.u.items else None, wanted)
    if old is None:
        return
    words = wanted.words.split() or wanted.said.split()
    new = variant(turn, old, words)
    if new is None and wanted.match and wanted.match.resolved:
        new = wanted.match.product_ids[0]
    if new is None:
        turn.say("unknown", product=wanted.words or wanted.said)
        return
    units = turn.cart[old]
    replace(turn, Change(old, 0, units, "add", units), new, wanted.quantity)


def replaced_product(turn: "Turn", item: ItemRequest | None, wanted: ItemRequest) -> str | None:
    """The cart product to swap: the one named, else the one of the wanted product's family."""
    named = set(item.match.product_ids) if item and item.match else set()
    kin: set[str] = set()
    if wanted.match and len(wanted.match.product_ids) == 1:
        kin = set(turn.catalog.families.get(turn.catalog[wanted.match.product_ids[0]].family, ()))
    for candidates in (named, kin - set(wanted.match.product_ids if wanted.match else ())):
        inside = [p for p in turn.cart if p in candidates]
        if inside:
            return inside[0]
    if item and not (wanted.match and wanted.match.resolved):
        turn.say("not_in_cart", product=item.words or item.said)
    elif wanted.match and wanted.match.resolved:
        plan = turn.plan(wanted.match.product_ids[0], "add", wanted.quantity)
        turn.ask([turn.confirm_question([plan], "replace_none", product=item.words if item else
                                        (wanted.match.family or wanted.match.said),
                                        items=turn.planned_phrase(plan))])
    else:
        turn.say("unknown", product=wanted.words or wanted.said)
    return None


def repair_product(turn: "Turn", change: Change) -> None:
    """`nee, volle melk` right after adding halfvolle melk: replace, keeping the quantity."""
    item = turn.u.items[0]
    new = variant(turn, change.product_id, item.words.split()) if item.words else None
    if new is None and item.match and item.match.resolved:
        new = item.match.product_ids[0]
        if turn.catalog[new].family != turn.catalog[change.product_id].family and new != change.product_id:
            new = None
    if not new or change.action == "remove":
        turn.doubtful = True
        turn.add([])
        return
    replace(turn, change, new, item.quantity)


def repair_by_word(turn: "Turn", previous: list[Change]) -> bool:
    """`nee, volle` or `nee, rode` right after a change: the distinguishing word alone."""
    words = list(turn.u.words)
    if not previous or not words or words[0] not in data.load("morphology")["repair_words"]:
        return False
    change = previous[-1]
    picked = variant(turn, change.product_id, words[1:]) if words[1:] else None
    if not picked or change.action == "remove":
        return False
    replace(turn, change, picked, Quantity())
    return True


def replace(turn: "Turn", change: Change, new: str, quantity: Quantity) -> None:
    """Undo ``change`` and make it with ``new`` instead; the same product with a number sets it."""
    turn.intent = "replace_item"
    if new == change.product_id:
        if quantity.explicit:
            turn.intent = "set_quantity"
            turn.commit([turn.plan(new, "set", quantity)])
        else:
            turn.say("set", items=item_phrase(turn.catalog[new], turn.cart.get(new, 0)))
        return
    delta = max(1, change.after - change.before if change.action == "add" else change.after)
    plan = turn.plan(new, "add", quantity) if quantity.explicit else Planned(new, "add", delta)
    if turn.uncertain():
        back = Planned(change.product_id, "set", turn.cart.get(change.product_id, 0) - (change.after - change.before))
        turn.ask([turn.confirm_question([back, plan], "replace_ask",
                                        old=item_phrase(turn.catalog[change.product_id], delta),
                                        new=turn.planned_phrase(plan))])
        return
    turn.set_quantity_op(change.product_id, change.after, change.before,
                         Planned(change.product_id, "set", change.before))
    before = turn.cart.get(new, 0)
    turn.set_quantity_op(new, before, before + (plan.units or 1), plan)
    turn.say("replaced", old=item_phrase(turn.catalog[change.product_id], delta),
             new=item_phrase(turn.catalog[new], plan.units or 1, plan.measure, plan.amount))
