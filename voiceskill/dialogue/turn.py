"""One turn of the dialogue: the handlers for each intent and for answers to questions."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from ..nlu.evidence import BOTH, OFFER, REFERENCE
from ..nlu.items import ItemRequest, Quantity
from ..nlu.matcher import ACCEPT, SUGGEST
from ..nlu.understand import Understanding
from ..reply import Phrase, Reply, item_phrase, join, render
from ..reply.render import more_phrase, name_phrase
from . import catalog_answers, orders, swaps, whole_cart
from .state import Change, DialogueState, Pending, Planned

if TYPE_CHECKING:
    from .engine import CartView, Decision, Dialogue

CONFIRM_NUMBER_BELOW = 0.6
"""A spoken number heard with less confidence than this is confirmed (`drie` vs `die`)."""
CONFIRM_UTTERANCE_BELOW = 0.35
"""A whole utterance heard with less confidence than this is confirmed before changing the cart."""
MAX_OPTIONS = 3
AS_SAID = 99
"""Sale units of one product taken as said; more are confirmed first (spec: sensible amounts)."""
REFUSED = 1000
"""Sale units of one product from which an amount is refused."""


class Turn:
    """Works out one turn; collects cart operations and reply parts."""

    def __init__(self, dialogue: "Dialogue", state: DialogueState, u: Understanding, cart: "CartView") -> None:
        self.catalog = dialogue.catalog
        self.matcher = dialogue.matcher
        self.ces = dialogue.ces
        self.state = state
        self.u = u
        self.cart = dict(cart.items)
        self.undo_batch = cart.undo
        self.last_order = dict(cart.last_order)
        self.ops: list = []
        self.replies: list[Reply] = []
        self.intent = u.intent
        self.outcome = ""
        self.doubtful = False
        """Set when what was said does not fit the conversation: changes are asked first."""
        self.touched: list[str] = []
        """Products this turn talked about, in order: the next turn's focus."""

    # -- running -------------------------------------------------------------

    def run(self) -> "Decision":
        from .engine import Decision

        previous = self.state.last_changes
        self.state.last_changes = []
        pending, self.state.pending = self.state.pending, None
        if self.u.problem:
            self.refuse(self.u.problem)
        elif not (pending and self.answer(pending)):
            self.handle(previous)
        if self.touched:
            self.state.focus = list(dict.fromkeys(reversed(self.touched)))
            self.state.last_product = self.state.focus[0]
        first_turn = self.state.turns == 0
        self.state.turns += 1
        reply = self.reply()
        if first_turn and self.intent != "greet":
            reply = render("intro") + reply
        return Decision(self.intent, reply, self.ops, self.state, self.outcome or self._outcome(reply), self.cart)

    def reply(self) -> Reply:
        reply = Reply("", "")
        for part in self.replies:
            reply = reply + part
        return reply

    def _outcome(self, reply: Reply) -> str:
        if self.state.ended:
            return "ended"
        if self.ops:
            return "changed"
        return "asked" if reply.asks else ("fallback" if self.intent == "fallback" else "answered")

    def say(self, key: str, **parts: Phrase | str) -> None:
        self.replies.append(render(key, False, **parts))

    def touch(self, *product_ids: str) -> None:
        """These products were talked about: reference words in the next turn point at them."""
        self.touched.extend(product_ids)

    def ask(self, questions: list[Pending]) -> None:
        """Ask the first question; the rest wait in its queue."""
        if not questions:
            return
        first = questions[0]
        first.queue = questions[1:] + first.queue
        self.state.pending = first
        self.replies.append(Reply.from_dict(first.question))

    def handle(self, previous: list[Change]) -> None:
        handlers: dict[str, Callable[[], None]] = {
            "add_item": lambda: self.add(previous), "remove_item": self.remove,
            "set_quantity": lambda: self.set_quantity(previous), "read_cart": lambda: whole_cart.read_cart(self),
            "ask_product": lambda: catalog_answers.ask_product(self), "replace_item": lambda: swaps.replace_item(self),
            "reorder": lambda: orders.reorder(self), "forget_me": lambda: orders.forget_me(self),
            "cart_total": self.total_or_price, "clear_cart": lambda: whole_cart.clear_cart(self),
            "checkout": lambda: whole_cart.checkout(self), "undo": lambda: whole_cart.undo(self),
            "help": lambda: self.say("help"), "handover": lambda: self.handover("asked"),
            "yes": lambda: self.say("nothing_pending"), "no": lambda: self.say("nothing_pending"),
            "cancel": lambda: self.say("cancelled"), "goodbye": self.goodbye,
            "greet": lambda: self.say("greet"), "fallback": lambda: self.fallback(previous),
            "thanks": lambda: self.say("thanks"), "identity": lambda: self.say("identity"),
        }
        if self.intent != "fallback":
            self.state.misses = 0
        handlers[self.intent]()

    def refuse(self, problem: str) -> None:
        """Input the contract says to change nothing on: too long, negative, off-topic."""
        self.outcome = "answered"
        if problem == "other_domain":
            self.say("not_shopping")
        elif problem == "off_topic":
            self.ask([Pending("offer_handover", render("off_topic", asks=True).to_dict(), reason="off_topic")])
        else:
            self.say({"too_many": "too_long"}.get(problem, problem))

    def ranked(self, ids: tuple[str, ...] | list[str]) -> list[str]:
        """Products the shopper most likely means first: bought before or in the cart, then catalog order."""
        known = set(self.last_order) | set(self.cart)
        return sorted(ids, key=lambda pid: pid not in known)

    # -- cart changes --------------------------------------------------------

    def execute(self, planned: list[Planned]) -> None:
        """Carry out planned actions and say what was done, grouped by action."""
        said: dict[str, list[Phrase]] = {}
        for plan in planned:
            product = self.catalog[plan.product_id]
            before = self.cart.get(plan.product_id, 0)
            if plan.action == "add":
                after, shown = before + (plan.units or 1), plan.units or 1
            elif plan.action == "remove":
                after = 0 if plan.units is None else max(0, before - plan.units)
                shown = before - after
            else:
                after = shown = plan.units or 0
            key = "removed" if plan.action == "set" and after == 0 else plan.action
            shown = before if key == "removed" and plan.action == "set" else shown
            self.set_quantity_op(plan.product_id, before, after, plan)
            said.setdefault(key, []).append(item_phrase(product, shown, plan.measure, plan.amount))
        for key, phrases in said.items():
            self.say({"add": "added", "remove": "removed", "removed": "removed", "set": "set"}[key],
                     items=join(phrases))
        if len(planned) == 1 and planned[0].action == "add":
            total = self.cart.get(planned[0].product_id, 0)
            if total != planned[0].units:
                self.say("added_now", items=item_phrase(self.catalog[planned[0].product_id], total))

    def set_quantity_op(self, product_id: str, before: int, after: int, plan: Planned) -> None:
        from .engine import CartOp

        if after:
            self.cart[product_id] = after
        else:
            self.cart.pop(product_id, None)
        self.ops.append(CartOp("set", product_id, after))
        self.state.last_changes.append(Change(product_id, before, after, plan.action, plan.units))
        self.state.last_product = product_id
        self.touch(product_id)

    def units(self, product_id: str, quantity: Quantity) -> int:
        return quantity.sale_units(self.catalog[product_id])

    def plan(self, product_id: str, action: str, quantity: Quantity, whole: bool = False) -> Planned:
        """A planned action for ``quantity`` of a product; ``whole`` removes all of it."""
        units = None if whole else self.units(product_id, quantity)
        return Planned(product_id, action, units, quantity.measure, quantity.amount)

    # -- questions -----------------------------------------------------------

    def choose_question(self, options: tuple[str, ...] | list[str], family: str, action: str,
                        quantity: Quantity, from_cart: bool = False) -> Pending:
        """Which one? The likeliest three are named, and how many more there are."""
        options = self.ranked(options)
        shown = join([name_phrase(self.catalog[p]) for p in options[:MAX_OPTIONS]], "or")
        key = "which_cart" if from_cart else ("which_large" if len(options) > MAX_OPTIONS else "which")
        question = render(key, asks=True, family=family, options=shown, more=more_phrase(len(options) - MAX_OPTIONS))
        return Pending("choose", question.to_dict(), action, list(options), quantity.to_dict(), family)

    def confirm_question(self, planned: list[Planned], key: str, **parts: Phrase | str) -> Pending:
        self.touch(*(p.product_id for p in planned))
        question = render(key, asks=True, **parts)
        return Pending("confirm", question.to_dict(), planned=planned)

    def heard_question(self, planned: list[Planned]) -> Pending:
        """`Zei je vier bananen?`, `Wil je vier bananen uit je mandje halen?`, `Zal ik er drie van maken?`"""
        phrases = [self.planned_phrase(p) for p in planned]
        key = {"add": "confirm_heard", "remove": "confirm_heard_remove"}.get(planned[0].action, "confirm_heard_set")
        return self.confirm_question(planned, key, items=join(phrases))

    def uncertain(self) -> bool:
        """Was the utterance, or a number in it, heard too unsurely to change the cart on, or does
        it correct (`nee, de komkommer`) something it cannot be a correction of?"""
        quantities = [i.quantity for i in self.u.items] + ([self.u.quantity] if self.u.quantity else [])
        return self.doubtful or self.u.confidence < CONFIRM_UTTERANCE_BELOW or any(
            q.confidence < CONFIRM_NUMBER_BELOW for q in quantities)

    def commit(self, planned: list[Planned], questions: list[Pending] | None = None) -> None:
        """Carry out ``planned`` and ask ``questions``; when what was heard is uncertain, first
        ask whether it was meant (the spec: confirm instead of guessing)."""
        questions = list(questions or [])
        if planned and self.uncertain():
            questions.insert(0, self.heard_question(planned))
            planned = []
        self.execute(planned)
        self.ask(questions)

    def answer(self, pending: Pending) -> bool:
        """Handle the answer to ``pending``; False when the turn is a new command instead."""
        from .answers import answer

        return answer(self, pending)

    # -- intents -------------------------------------------------------------

    def add(self, previous: list[Change]) -> None:
        if self.u.repair and previous:
            swaps.repair_product(self, previous[-1])
            return
        self.doubtful = self.doubtful or self.u.repair
        if self.u.detail == BOTH:
            self.more_of_each(self.u.quantity or Quantity(1))
            return
        if not self.u.items:
            self.more_of_last(self.u.quantity or Quantity(1))
            return
        planned: list[Planned] = []
        questions: list[Pending] = []
        for item in self.u.items:
            self.plan_add(item, planned, questions)
        if self.u.detail == OFFER:
            questions = [self.confirm_question([plan], "heard_offer", items=self.planned_phrase(plan))
                         for plan in planned] + questions
            planned = []
        self.commit(planned, questions)

    def more_of_each(self, quantity: Quantity) -> None:
        """`van allebei nog eentje`: the amount of each product last talked about."""
        focus = [p for p in self.state.focus[:2] if p in self.catalog]
        if len(focus) < 2:
            self.more_of_last(quantity)
            return
        questions: list[Pending] = []
        planned = [self.plan(p, "add", self.counted(p, quantity)) for p in focus
                   if self.sensible(p, self.counted(p, quantity), questions)]
        self.commit(planned, questions)

    def total_or_price(self) -> None:
        """`wat kost het` is the total; `wat kost dat?` right after a product was named is its price."""
        if self.u.detail == REFERENCE and self.state.last_product in self.catalog:
            self.intent = "ask_product"
            catalog_answers.price_of(self, self.state.last_product)
        else:
            whole_cart.cart_total(self)

    def plan_add(self, item: ItemRequest, planned: list[Planned], questions: list[Pending]) -> None:
        match = item.match
        sold_so = self.in_container(match.product_ids, item.quantity) if match else None
        if match is None or match.confidence < SUGGEST:
            self.say("unknown", product=item.words or item.said)
        elif match.confidence < ACCEPT:
            pid = match.product_ids[0]
            plan = [self.plan(pid, "add", item.quantity)]
            questions.append(self.confirm_question(plan, "unknown_suggest", product=item.words,
                                                   suggestion=name_phrase(self.catalog[pid])))
        elif len(match.product_ids) > 1 and not sold_so:
            family = match.family or match.said
            questions.append(self.choose_question(match.product_ids, family, "add", item.quantity))
        elif not item.quantity.fits(self.catalog[sold_so or match.product_ids[0]]):
            plan = self.plan(match.product_ids[0], "add", replace(item.quantity, container=None))
            questions.append(self.confirm_question([plan], "container_ask", items=self.planned_phrase(plan)))
        elif sold_so and sold_so != match.product_ids[0]:
            if self.sensible(sold_so, item.quantity, questions):
                planned.append(self.plan(sold_so, "add", item.quantity))
        elif self.sensible(match.product_ids[0], item.quantity, questions):
            plan = self.plan(match.product_ids[0], "add", item.quantity)
            if item.unexplained:
                questions.append(self.confirm_question([plan], "unclear_ask", words=" ".join(item.unexplained),
                                                       items=self.planned_phrase(plan)))
            else:
                planned.append(plan)

    def in_container(self, ids: tuple[str, ...], quantity: Quantity) -> str | None:
        """The one product of ``ids`` sold in the container said (`twee kratten bier`), if exactly one is."""
        if not quantity.container:
            return None
        sold = [p for p in ids if self.catalog[p].unit == quantity.container]
        return sold[0] if len(sold) == 1 else None

    def planned_phrase(self, plan: Planned) -> Phrase:
        units = self.cart.get(plan.product_id, 1) if plan.units is None else plan.units or 1
        return item_phrase(self.catalog[plan.product_id], units, plan.measure, plan.amount)

    def sensible(self, product_id: str, quantity: Quantity, questions: list[Pending], action: str = "add") -> bool:
        """Whether an amount may go ahead: absurd ones are refused, large ones asked about first."""
        product = self.catalog[product_id]
        number = quantity.number or 1.0
        units = self.units(product_id, quantity) if number < REFUSED * 1000 else REFUSED
        if units >= REFUSED:
            self.say("amount_refused", product=name_phrase(product), most=str(REFUSED - 1))
            return False
        if units > AS_SAID:
            plan = self.plan(product_id, action, quantity)
            questions.append(self.confirm_question([plan], "amount_confirm", items=self.planned_phrase(plan)))
            return False
        return True

    def more_of_last(self, quantity: Quantity) -> None:
        pid = self.state.last_product
        if not pid or pid not in self.catalog:
            self.say("no_product")
            return
        self.change_amount(pid, "add", self.counted(pid, quantity))

    def change_amount(self, product_id: str, action: str, quantity: Quantity) -> None:
        """Make the change when the amount is sensible; else ask about it, or refuse it."""
        questions: list[Pending] = []
        if self.sensible(product_id, quantity, questions, action):
            self.commit([self.plan(product_id, action, quantity)])
        self.ask(questions)

    def counted(self, product_id: str, quantity: Quantity) -> Quantity:
        """A bare number about a product already named (`nee, vier`, `nog twee`) counts its sale units."""
        if quantity.container or quantity.measure:
            return quantity
        return replace(quantity, container=self.catalog[product_id].unit)

    def in_cart(self, item: ItemRequest, action: str) -> str | Pending | None:
        """The cart product an item names, a question when several fit, or None."""
        match = item.match
        if match is None and not item.words and self.state.last_product in self.cart:
            return self.state.last_product
        if match is None or match.confidence < SUGGEST:
            self.say("not_in_cart", product=item.words or item.said)
            return None
        inside = [p for p in match.product_ids if p in self.cart]
        if len(inside) == 1:
            return inside[0]
        if len(inside) > 1:
            return self.choose_question(inside, match.family or match.said, action, item.quantity, True)
        if action == "set" and match.resolved:
            return match.product_ids[0]
        if action == "set" and match.ambiguous:
            return self.choose_question(match.product_ids, match.family or match.said, action, item.quantity)
        shown = name_phrase(self.catalog[match.product_ids[0]]) if match.resolved else (match.family or match.said)
        self.say("not_in_cart", product=shown)
        return None

    def remove(self) -> None:
        if self.u.detail in ("except", "no_need"):
            (orders.keep_only if self.u.detail == "except" else orders.no_need)(self)
            return
        planned: list[Planned] = []
        questions: list[Pending] = []
        for item in self.u.items:
            target = self.in_cart(item, "remove")
            if isinstance(target, Pending):
                questions.append(target)
            elif target:
                planned.append(self.plan(target, "remove", item.quantity, whole=not item.quantity.explicit))
        self.commit(planned, questions)

    def set_quantity(self, previous: list[Change]) -> None:
        quantity = self.u.quantity
        if self.u.repair and previous:
            self.repair_number(previous[-1], quantity or Quantity(1))
            return
        target: str | Pending | None = self.state.last_product or None
        if self.u.items:
            item = self.u.items[0]
            if self.sibling_swap(item):
                return
            quantity = item.quantity if item.quantity.explicit else quantity
            target = self.in_cart(item, "set")
            if target is None:
                return
        elif isinstance(target, str) and target in self.catalog and quantity:
            quantity = self.counted(target, quantity)
        if isinstance(target, Pending):
            target.quantity = (quantity or Quantity(1)).to_dict()
            self.ask([target])
        elif not target or target not in self.catalog or quantity is None:
            self.say("no_product")
        elif quantity.number == 0:
            self.commit([self.plan(target, "remove", quantity, whole=True)])
        else:
            self.change_amount(target, "set", quantity)

    def sibling_swap(self, item: ItemRequest) -> bool:
        """`maak er maar rosé van`, `toch maar de volle`: a product not in the cart whose
        family is, without a new number, replaces that one."""
        match = item.match
        if item.quantity.explicit or not (match and match.resolved) or match.product_ids[0] in self.cart:
            return False
        new = self.catalog[match.product_ids[0]]
        kin = [p for p in self.cart if new.family and self.catalog[p].family == new.family]
        if len(kin) != 1:
            return False
        swaps.replace(self, Change(kin[0], 0, self.cart[kin[0]], "add", self.cart[kin[0]]), new.id, Quantity())
        return True

    def repair_number(self, change: Change, quantity: Quantity) -> None:
        quantity = self.counted(change.product_id, quantity)
        questions: list[Pending] = []
        if not self.sensible(change.product_id, quantity, questions, change.action):
            self.ask(questions)
            return
        units = self.units(change.product_id, quantity)
        after = {"add": change.before + units, "set": units}.get(change.action, max(0, change.before - units))
        if self.uncertain():
            self.ask([self.heard_question([Planned(change.product_id, "set", after)])])
            return
        plan = self.plan(change.product_id, change.action, quantity)
        self.set_quantity_op(change.product_id, self.cart.get(change.product_id, 0), after, plan)
        product = self.catalog[change.product_id]
        if after:
            self.say("set", items=item_phrase(product, after))
        else:
            self.say("none_left", product=name_phrase(product))

    def handover(self, reason: str = "asked") -> None:
        """A case for the store's desk (with the transcript so far and the cart), and a reply that says
        honestly what happens: nobody is on the line now; a colleague looks at it and the shopper hears
        back at the start of the next conversation."""
        from .engine import CartOp

        self.state.handed_over = True
        self.state.pending = None
        self.outcome = "handover"
        self.ops.append(CartOp("open_case", note=reason))
        self.say("handover")

    def goodbye(self) -> None:
        self.state.ended = True
        self.state.pending = None
        self.say("goodbye")

    def fallback(self, previous: list[Change]) -> None:
        if swaps.repair_by_word(self, previous):
            return
        self.state.misses += 1
        if self.state.misses == 1:
            self.say("fallback_1")
        elif self.state.misses == 2:
            self.say("fallback_2")
        else:
            self.state.misses = 0
            self.ask([Pending("offer_handover", render("handover_offer", asks=True).to_dict(),
                              reason="not_understood")])

