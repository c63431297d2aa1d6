"""The figures: conversations cut from the log, then counted per period, channel and day (no IO).

A conversation is one session's run of turns. A new one starts when the session changes, after
`silence_minutes` without a turn, with a greeting (intent `greet`, unless the conversation so far
is only greetings: `chat` greets at its start and the shopper may say `hallo` back), or after a
turn that ended it (outcome `ended`). The opening greeting of a launch (no text) starts a
conversation but is not one of the shopper's turns.

What counts as what, per conversation:
- contained: no turn handed over to a colleague (outcome `handover`); handed over otherwise.
- the handover's cause: the desk case's `reason` when a case of that session was opened during
  the conversation; otherwise `asked` (intent `handover`), `low_confidence` (the turn before was
  heard with less confidence than the dialogue confirms at), `three_misses` or `off_topic` (the
  turn before offered a colleague with that reply template), else `other`.
- completed: it has an order turn (outcome `order`); its items and euros come from the row of
  `orders` stored with it; time to order runs from the conversation's first turn to that turn.
- cart abandoned: it changed the cart (outcome `changed`) after its last order, or without one.

And per shopper turn: fallback (intent `fallback`: not understood, off-topic included) and
confirmation (the reply asks whether it heard right, data/insights.yaml `confirmations`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .rows import CesAnswer, HandoverCase, LoggedTurn, OrderRow, Period
from .rules import Rules, rules as default_rules

CASE_BEFORE = timedelta(minutes=1)
"""A desk case may be stored up to this long before the conversation's first logged turn (clocks)."""


@dataclass
class Conversation:
    """One session's run of turns, the opening greeting included."""

    turns: list[LoggedTurn]
    channel: str

    @property
    def start(self) -> datetime:
        return self.turns[0].at

    @property
    def end(self) -> datetime:
        return self.turns[-1].at

    @property
    def session(self) -> str:
        return self.turns[0].session

    @property
    def said(self) -> list[LoggedTurn]:
        """The shopper's turns (the opening greeting left out)."""
        return [t for t in self.turns if not t.opening]


@dataclass(frozen=True)
class Facts:
    """What one conversation counts for."""

    channel: str
    day: str
    turns: int
    handover: bool
    cause: str | None
    orders: tuple[OrderRow | None, ...]
    """One per order turn: the stored order, None when none was found for it."""
    minutes_to_order: float | None
    abandoned: bool
    fallbacks: int
    confirmations: int
    intents: Counter[str]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float], places: int = 2) -> float | None:
    return round(statistics.fmean(values), places) if values else None


@dataclass(frozen=True)
class Figures:
    """The figures of one slice of conversations (all of them, one channel, one day)."""

    conversations: int = 0
    turns: int = 0
    turns_per_conversation: float | None = None
    containment_rate: float | None = None
    handover_rate: float | None = None
    handovers: int = 0
    handover_causes: dict[str, int] = field(default_factory=dict)
    fallback_rate: float | None = None
    confirmation_rate: float | None = None
    completion_rate: float | None = None
    orders: int = 0
    carts_abandoned: int = 0
    items_per_order: float | None = None
    euros_per_order: float | None = None
    euros: float = 0.0
    minutes_to_order_median: float | None = None
    ces_mean: float | None = None
    ces_responses: int = 0
    intents: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, facts: Sequence[Facts], ces: Sequence[CesAnswer] = ()) -> "Figures":
        count = len(facts)
        turns = sum(f.turns for f in facts)
        handed = [f for f in facts if f.handover]
        ordered = [f for f in facts if f.orders]
        stored = [o for f in facts for o in f.orders if o is not None]
        intents: Counter[str] = Counter()
        for f in facts:
            intents.update(f.intents)
        minutes = [f.minutes_to_order for f in facts if f.minutes_to_order is not None]
        return cls(
            conversations=count,
            turns=turns,
            turns_per_conversation=round(turns / count, 2) if count else None,
            containment_rate=_rate(count - len(handed), count),
            handover_rate=_rate(len(handed), count),
            handovers=len(handed),
            handover_causes=dict(Counter(f.cause or "other" for f in handed).most_common()),
            fallback_rate=_rate(sum(f.fallbacks for f in facts), turns),
            confirmation_rate=_rate(sum(f.confirmations for f in facts), turns),
            completion_rate=_rate(len(ordered), count),
            orders=sum(len(f.orders) for f in facts),
            carts_abandoned=sum(f.abandoned for f in facts),
            items_per_order=_mean([o.items for o in stored]),
            euros_per_order=_mean([o.total for o in stored]),
            euros=round(float(sum(o.total for o in stored)), 2),
            minutes_to_order_median=round(statistics.median(minutes), 2) if minutes else None,
            ces_mean=_mean([a.score for a in ces]),
            ces_responses=len(ces),
            intents=dict(sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Insights:
    """All figures of a period; ``to_dict()`` is the JSON of `GET /api/insights` and `insights --json`."""

    period: Period | None
    total: Figures
    top_not_understood: list[dict[str, Any]]
    """`{"utterance": "doe er # bij", "count": 3, "example": "uh, doe er 3 bij"}`, most frequent first."""
    top_unknown_products: list[dict[str, Any]]
    """`{"product": "kaviaar", "count": 2, "example": "heb je kaviaar?"}`: asked for, not sold."""
    by_channel: dict[str, Figures]
    by_day: dict[str, Figures]

    def to_dict(self) -> dict[str, Any]:
        return {**(self.period.to_dict() if self.period else {}), **self.total.to_dict(),
                "top_not_understood": self.top_not_understood, "top_unknown_products": self.top_unknown_products,
                "by_channel": {k: v.to_dict() for k, v in self.by_channel.items()},
                "by_day": {k: v.to_dict() for k, v in self.by_day.items()}}


def conversations(turns: Iterable[LoggedTurn], rules: Rules | None = None) -> list[Conversation]:
    """The log cut into conversations, each session's in time order."""
    rules = rules or default_rules()
    silence = timedelta(minutes=rules.silence_minutes)
    found: list[Conversation] = []
    current: Conversation | None = None
    for turn in sorted(turns, key=lambda t: (t.session, t.at, t.id)):
        if current is None or turn.session != current.session or turn.at - current.end > silence \
                or current.turns[-1].outcome == "ended" \
                or turn.intent == "greet" and any(t.intent != "greet" for t in current.turns):
            current = Conversation([], rules.channel(turn.session, turn.user))
            found.append(current)
        current.turns.append(turn)
    return found


def _match_orders(found: list[Conversation], orders: Sequence[OrderRow], rules: Rules) -> dict[int, OrderRow]:
    """Order turn id -> the stored order of that shopper nearest in time (each order used once)."""
    window = timedelta(minutes=rules.order_match_minutes)
    by_user: dict[str, list[OrderRow]] = {}
    for order in orders:
        by_user.setdefault(order.user, []).append(order)
    used: set[int] = set()
    linked: dict[int, OrderRow] = {}
    order_turns = sorted((t for c in found for t in c.turns if t.outcome == "order"), key=lambda t: (t.at, t.id))
    for turn in order_turns:
        near = [o for o in by_user.get(turn.user, ()) if o.id not in used and abs(o.at - turn.at) <= window]
        if near:
            best = min(near, key=lambda o: (abs(o.at - turn.at), o.id))
            used.add(best.id)
            linked[turn.id] = best
    return linked


def _case_reason(conversation: Conversation, cases: list[HandoverCase], rules: Rules) -> str | None:
    """The reason of the desk case this conversation's handover opened, if the desk stored one."""
    window = timedelta(minutes=rules.order_match_minutes)
    for case in cases:
        same = case.session == conversation.session if case.session else \
            case.user in {t.user for t in conversation.turns}
        if same and conversation.start - CASE_BEFORE <= case.at <= conversation.end + window:
            cases.remove(case)
            return rules.reason(case.reason) if case.reason else None
    return None


def _derived_cause(turns: list[LoggedTurn], index: int, rules: Rules) -> str:
    turn = turns[index]
    if turn.intent == "handover":
        return "asked"
    before = turns[index - 1] if index else None
    if before is None:
        return "other"
    if before.confidence < rules.low_confidence:
        return "low_confidence"
    return rules.offer(before.reply) or "other"


def facts(conversation: Conversation, linked: dict[int, OrderRow], cases: list[HandoverCase],
          rules: Rules) -> Facts:
    """What one conversation counts for (see the module's docstring)."""
    turns = conversation.turns
    said = conversation.said
    handovers = [i for i, t in enumerate(turns) if t.outcome == "handover"]
    cause = None
    if handovers:
        cause = _case_reason(conversation, cases, rules) or _derived_cause(turns, handovers[0], rules)
    order_turns = [t for t in turns if t.outcome == "order"]
    changes = [t for t in turns if t.outcome == "changed"]
    abandoned = bool(changes) and (not order_turns or changes[-1].at > order_turns[-1].at
                                   or changes[-1].at == order_turns[-1].at and changes[-1].id > order_turns[-1].id)
    minutes = (order_turns[0].at - conversation.start).total_seconds() / 60 if order_turns else None
    return Facts(
        channel=conversation.channel,
        day=conversation.start.date().isoformat(),
        turns=len(said),
        handover=bool(handovers),
        cause=cause,
        orders=tuple(linked.get(t.id) for t in order_turns),
        minutes_to_order=minutes,
        abandoned=abandoned,
        fallbacks=sum(t.intent == "fallback" for t in said),
        confirmations=sum(rules.confirms(t.reply) for t in said),
        intents=Counter(t.intent for t in said),
    )


def _top(counted: Counter[str], examples: dict[str, str], name: str, most: int) -> list[dict[str, Any]]:
    ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:most]
    return [{name: key, "count": count, "example": examples[key]} for key, count in ranked]


def _channel_order(rules: Rules, seen: Iterable[str]) -> list[str]:
    known = list(dict.fromkeys([rules.default_channel, *rules.channels.values()]))
    seen = set(seen)
    return [c for c in known if c in seen] + sorted(seen - set(known))


def compute(turns: Iterable[LoggedTurn], orders: Sequence[OrderRow] = (), ces: Iterable[CesAnswer] = (),
            cases: Iterable[HandoverCase] = (), period: Period | None = None,
            rules: Rules | None = None) -> Insights:
    """The insights of ``period`` (turns and CES answers outside it are left out; None: all given).

    ``orders`` may reach beyond the period: an order turn is linked to the stored order of
    the same shopper nearest in time. ``cases`` are the desk's handover cases, whose reason
    wins over the one derived from the turns.
    """
    rules = rules or default_rules()

    since, until = (period.since, period.until) if period else (None, None)

    def inside(moment: datetime) -> bool:
        return since is None or until is None or since <= moment < until

    found = conversations([t for t in turns if inside(t.at)], rules)
    answers = [a for a in ces if inside(a.at)]
    linked = _match_orders(found, orders, rules)
    open_cases = sorted(cases, key=lambda c: c.at)
    all_facts = [facts(c, linked, open_cases, rules) for c in found]

    missed: Counter[str] = Counter()
    missed_example: dict[str, str] = {}
    wanted: Counter[str] = Counter()
    wanted_example: dict[str, str] = {}
    for conversation in found:
        for turn in conversation.said:
            if turn.intent == "fallback":
                key = rules.utterance_key(turn.text)
                if key:
                    missed[key] += 1
                    missed_example.setdefault(key, turn.text.strip())
            for said in rules.unknown_products(turn.reply):
                key = rules.product_key(said)
                if key:
                    wanted[key] += 1
                    wanted_example.setdefault(key, turn.text.strip())

    by_channel = _grouped(all_facts, answers, lambda f: f.channel, lambda a: rules.channel(a.session, a.user))
    by_day = _grouped(all_facts, answers, lambda f: f.day, lambda a: a.at.date().isoformat())
    days = [d.isoformat() for d in period.days] if period else sorted(by_day)
    return Insights(
        period=period,
        total=Figures.of(all_facts, answers),
        top_not_understood=_top(missed, missed_example, "utterance", rules.top),
        top_unknown_products=_top(wanted, wanted_example, "product", rules.top),
        by_channel={c: Figures.of(*by_channel[c]) for c in _channel_order(rules, by_channel)},
        by_day={d: Figures.of(*by_day.get(d, ([], []))) for d in days},
    )


def _grouped(all_facts: list[Facts], answers: list[CesAnswer], fact_key: Callable[[Facts], str],
             answer_key: Callable[[CesAnswer], str]) -> dict[str, tuple[list[Facts], list[CesAnswer]]]:
    """Conversations and CES answers by channel or by day."""
    groups: dict[str, tuple[list[Facts], list[CesAnswer]]] = {}
    for f in all_facts:
        groups.setdefault(fact_key(f), ([], []))[0].append(f)
    for a in answers:
        groups.setdefault(answer_key(a), ([], []))[1].append(a)
    return groups
