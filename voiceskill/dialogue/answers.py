"""Answers to the assistant's questions: a choice, `ja`/`nee`, or help in between."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import data
from ..nlu import Understanding
from ..nlu.items import LEADING, Quantity, is_quantity_only
from ..nlu.matcher import ProductMatcher
from ..nlu.morphology import stem_keys, stopwords
from ..nlu.normalize import tokens
from ..nlu.numbers import parse_number
from ..reply import Reply, join, money, render
from ..reply.dutch import count_words
from ..reply.render import name_phrase
from .state import ACTION_INTENTS, Pending, Planned
from .whole_cart import revert, total as whole_cart_total
from .turn import MAX_OPTIONS

if TYPE_CHECKING:
    from .turn import Turn

ANYTIME = frozenset({"help", "cancel", "handover"})
NEW_COMMANDS = frozenset({"add_item", "remove_item", "set_quantity", "read_cart", "cart_total",
                          "clear_cart", "checkout", "undo", "goodbye"})
"""Intents that, when they are not an answer to the choice asked, start something new."""
COMPOUND_PART = 4
"""Letters an answer needs to count as the first part of a compound name."""


def answer(turn: "Turn", pending: Pending) -> bool:
    """Handle the answer to ``pending``; False hands the turn to the normal intents."""
    intent = turn.u.intent
    if pending.kind == "ces":
        from .effort import answer_ces

        return answer_ces(turn)
    if intent in ANYTIME:
        return _anytime(turn, pending, intent)
    if intent == "thanks":
        turn.say("thanks")
        turn.state.pending = pending
        return True
    if pending.kind == "choose":
        return _choose(turn, pending)
    if pending.kind == "confirm" and len(pending.planned) == 1 and _amount_only(turn.u):
        return _corrected(turn, pending.planned[0], _amount_only(turn.u) or Quantity(1))
    if intent == "yes":
        _on_yes(turn, pending)
    elif intent == "no":
        _on_no(turn, pending)
    elif intent == "fallback" and pending.kind != "confirm":
        _missed(turn, pending)
    else:
        return False
    return True


def _amount_only(u: Understanding) -> Quantity | None:
    """An answer that is only an amount (`nee, twee`, `drie, alstublieft`, `doe maar twee`)."""
    if u.intent == "set_quantity" and u.repair or u.intent == "fallback":
        return u.quantity
    if u.intent == "add_item" and len(u.items) == 1 and u.items[0].match is None:
        return is_quantity_only(u.items[0].said.split())
    return None


def _corrected(turn: "Turn", plan: Planned, quantity: Quantity) -> bool:
    """`nee, twee` to `Weet je het zeker: tweehonderd komkommers?`: the change with the new number."""
    turn.intent = ACTION_INTENTS.get(plan.action, "add_item")
    turn.change_amount(plan.product_id, plan.action, turn.counted(plan.product_id, quantity))
    return True


def _anytime(turn: "Turn", pending: Pending, intent: str) -> bool:
    """`help` keeps the question open and asks it again; cancel and handover drop it."""
    turn.state.misses = 0
    if intent == "help":
        turn.say("help")
        turn.state.pending = pending
        turn.replies.append(Reply.from_dict(pending.question))
    elif intent == "cancel":
        turn.say("cancelled")
    else:
        turn.handover("asked")
    return True


def _next_question(turn: "Turn", pending: Pending) -> None:
    if pending.queue:
        turn.ask(pending.queue)


def pick_option(u: Understanding, options: Sequence[str], matcher: ProductMatcher) -> str | None:
    """Which of the offered product ids an answer names: `de tweede`, `volle`, `de halfvolle melk`."""
    offered = tuple(options[:MAX_OPTIONS])
    if u.ordinal is not None and u.intent in ("fallback", "add_item", "yes"):
        index = u.ordinal - 1 if u.ordinal > 0 else len(offered) - 1
        if 0 <= index < len(offered):
            return offered[index]
    if u.intent in ("yes", "no"):
        return None
    return matcher.choose(list(u.words), tuple(options))


def _picks(turn: "Turn", pending: Pending) -> list[tuple[str, Quantity | None]]:
    """Several options named at once (`een rode en een groene`), each with its own amount."""
    items = turn.u.items
    if len(items) < 2 or turn.u.intent not in ("add_item", "fallback"):
        return []
    picks = [(turn.matcher.choose(item.said.split(), tuple(pending.options)), item.quantity) for item in items]
    chosen = [pid for pid, _ in picks]
    if None in chosen or len(set(chosen)) < len(chosen):
        return []
    return [(pid, q if q.explicit else None) for pid, q in picks if pid]


def _narrowed(turn: "Turn", pending: Pending) -> list[str]:
    """Options whose names hold every content word of the answer (a brand, flavour or size);
    an option named by exactly those words (`volkoren` for volkorenbrood) is the one."""
    said = [w for w in turn.u.words if w not in LEADING and parse_number([w]) is None]
    content = [w for w in said if w not in stopwords()]
    if not content:
        return []
    by_measure = _superlative(turn, pending.options, content)
    if by_measure:
        return by_measure
    left, exact = [], []
    for pid in pending.options:
        terms = turn.matcher.terms(pid)
        phrases = [*terms.phrases, terms.size]
        words = terms.words
        if all(_names(w, words) for w in content):
            left.append(pid)
        if any(len(phrase) == len(said) and all(stem_keys(a) & stem_keys(b) for a, b in zip(phrase, said))
               for phrase in phrases):
            exact.append(pid)
    if len(exact) == 1:
        return exact
    return left if 0 < len(left) < len(pending.options) else []


def _superlative(turn: "Turn", options: Sequence[str], content: list[str]) -> list[str]:
    """`de grote`, `de goedkoopste`: the options of the largest size (in one measure) or the lowest
    price; empty when the words are not such an answer or an option's name holds them."""
    rules = {word: key for key, words in data.load("morphology")["superlatives"].items() for word in words}
    kinds = {rules.get(" ".join(content)), *(rules.get(w) for w in content)} - {None}
    if len(kinds) != 1 or any(w not in rules for w in content):
        return []
    products = [turn.catalog[pid] for pid in options]
    if any(set(content) & set(tokens(p.name)) for p in products):
        return []
    kind = kinds.pop()
    if kind in ("cheapest", "dearest"):
        values = {p.id: p.price for p in products if p.price is not None}
    else:
        dimensions = {p.size.dimension for p in products if p.size}
        values = {p.id: p.size.base for p in products if p.size} if len(dimensions) == 1 else {}
    if not values:
        return []
    best = (min if kind in ("cheapest", "smallest") else max)(values.values())
    chosen = [pid for pid in options if values.get(pid) == best]
    return chosen if len(chosen) < len(options) else []


def _names(word: str, words: list[str]) -> bool:
    """Whether ``word`` is one of ``words`` (by base form) or starts a compound of them (`bieten`
    in `bietenburger`)."""
    keys = stem_keys(word)
    return any(keys & stem_keys(w) or len(word) >= COMPOUND_PART and w.startswith(word) for w in words)


def _choose(turn: "Turn", pending: Pending) -> bool:
    """`de tweede`, `volle`, `de halfvolle melk`: pick one of the options, or narrow them."""
    u = turn.u
    several = _picks(turn, pending)
    if several:
        turn.state.misses = 0
        turn.intent = ACTION_INTENTS[pending.action]
        default = Quantity.from_dict(pending.quantity) if pending.quantity else Quantity()
        turn.commit([turn.plan(pid, pending.action, q or default) for pid, q in several], list(pending.queue))
        return True
    left = _narrowed(turn, pending) if u.ordinal is None else []
    picked = left[0] if len(left) == 1 else None if left else pick_option(u, pending.options, turn.matcher)
    if len(left) > 1:
        turn.state.misses = 0
        _ask_narrowed(turn, pending, left)
        return True
    if picked:
        turn.state.misses = 0
        turn.intent = ACTION_INTENTS[pending.action]
        quantity = Quantity.from_dict(pending.quantity) if pending.quantity else Quantity()
        said = [i for i in u.items if i.quantity.explicit]
        quantity = said[0].quantity if said else quantity
        whole = pending.action == "remove" and not quantity.explicit
        turn.commit([turn.plan(picked, pending.action, quantity, whole)], list(pending.queue))
        return True
    if u.intent in NEW_COMMANDS:
        return False
    if u.intent == "no":
        turn.say("not_added" if pending.action == "add" else "not_changed")
        return True
    _missed(turn, pending)
    return True


def _ask_narrowed(turn: "Turn", pending: Pending, left: list[str]) -> None:
    """Ask again among what is left after a narrowing answer."""
    shown = join([name_phrase(turn.catalog[p]) for p in left[:MAX_OPTIONS]], "or")
    key = "which_narrowed_more" if len(left) > MAX_OPTIONS else "which_narrowed"
    question = render(key, asks=True, family=pending.family, options=shown, count=count_words(len(left)))
    turn.ask([Pending("choose", question.to_dict(), pending.action, left, pending.quantity, pending.family,
                      queue=pending.queue)])


def _missed(turn: "Turn", pending: Pending) -> None:
    """Not an answer: ask again differently each time, then offer a colleague."""
    pending.misses += 1
    turn.state.misses = 0
    if pending.kind == "offer_handover":
        turn.handover(pending.reason or "not_understood")
        return
    if pending.misses >= 3:
        turn.ask([Pending("offer_handover", render("handover_offer", asks=True).to_dict(), reason="unsure")])
        return
    turn.state.pending = pending
    if pending.kind == "choose":
        options = join([name_phrase(turn.catalog[p]) for p in pending.options[:MAX_OPTIONS]], "or")
        key = "which_retry" if pending.misses == 1 else "which_choice"
        turn.replies.append(render(key, asks=True, options=options))
        return
    question = Reply.from_dict(pending.question)
    prefix = render("fallback_1" if pending.misses == 1 else "say_yes_or_no")
    turn.replies.append(prefix + question)


def _on_yes(turn: "Turn", pending: Pending) -> None:
    from .engine import CartOp

    if pending.kind == "confirm":
        turn.execute(pending.planned)
    elif pending.kind == "confirm_clear":
        for pid in list(turn.cart):
            turn.set_quantity_op(pid, turn.cart[pid], 0, Planned(pid, "remove", None))
        turn.say("clear_done")
    elif pending.kind == "confirm_checkout":
        total = whole_cart_total(turn)[0]
        turn.ops.append(CartOp("checkout"))
        turn.cart.clear()
        turn.outcome = "order"
        turn.say("checkout_done", total=money(total))
        if turn.ces and not turn.state.ces_asked:
            from .effort import ces_question

            pending.queue.append(ces_question(turn))
    elif pending.kind == "offer_handover":
        turn.handover(pending.reason or "asked")
    elif pending.kind == "confirm_undo":
        revert(turn)
    elif pending.kind == "confirm_forget":
        turn.ops.append(CartOp("forget"))
        turn.cart.clear()
        turn.say("forget_done")
    _next_question(turn, pending)


def _on_no(turn: "Turn", pending: Pending) -> None:
    added = all(plan.action == "add" for plan in pending.planned)
    key = {"confirm": "not_added" if added else "not_changed", "confirm_clear": "clear_kept",
           "confirm_checkout": "checkout_kept", "offer_handover": "handover_declined",
           "confirm_forget": "forget_kept", "confirm_undo": "not_changed"}[pending.kind]
    turn.say(key)
    _next_question(turn, pending)
