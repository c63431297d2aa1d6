"""Whole-cart requests that ask first: the last order again, keep only some products,
a product the shopper says they have enough of, and forgetting the shopper."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..reply import Phrase, item_phrase, join, render
from ..reply.render import name_phrase
from .state import Pending, Planned

if TYPE_CHECKING:
    from .turn import Turn


def reorder(turn: "Turn") -> None:
    """Name the last order and ask; products no longer sold are named and skipped."""
    last = turn.last_order
    if not last:
        turn.say("reorder_none")
        return
    sold = {pid: qty for pid, qty in last.items() if pid in turn.catalog}
    gone = [pid for pid in last if pid not in turn.catalog]
    if gone:
        turn.say("reorder_skipped", items=join([Phrase.same(pid.replace("-", " ")) for pid in gone]))
    if not sold:
        turn.say("reorder_none")
        return
    planned = [Planned(pid, "add", qty) for pid, qty in sold.items()]
    items = join([item_phrase(turn.catalog[pid], qty) for pid, qty in sold.items()])
    turn.ask([turn.confirm_question(planned, "reorder_ask", items=items)])


def forget_me(turn: "Turn") -> None:
    """Ask before deleting everything stored about the shopper."""
    turn.ask([Pending("confirm_forget", render("forget_ask", asks=True).to_dict())])


def keep_only(turn: "Turn") -> None:
    """`haal alles weg behalve de melk`: ask, then remove every other product."""
    keep: set[str] = set()
    for item in turn.u.items:
        if item.match:
            keep.update(item.match.product_ids)
    kept = [name_phrase(turn.catalog[p]) for p in turn.cart if p in keep]
    named = join(kept) if kept else Phrase.same(" en ".join(i.words or i.said for i in turn.u.items))
    planned = [Planned(pid, "remove", None) for pid in turn.cart if pid not in keep]
    if not planned:
        turn.say("except_nothing", items=named)
        return
    turn.ask([turn.confirm_question(planned, "except_ask", items=named)])


def no_need(turn: "Turn") -> None:
    """`we hebben nog genoeg toiletpapier`: offer to take it out, else just note it."""
    for item in turn.u.items:
        match = item.match
        inside = [p for p in match.product_ids if p in turn.cart] if match else []
        shown = name_phrase(turn.catalog[inside[0]]) if len(inside) == 1 else \
            Phrase.same((match.family or match.said) if match else item.words)
        if inside:
            planned = [Planned(pid, "remove", None) for pid in inside]
            turn.ask([turn.confirm_question(planned, "no_need_ask", product=shown)])
        else:
            turn.say("no_need", product=shown)
