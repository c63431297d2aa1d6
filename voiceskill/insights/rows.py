"""What the insights are computed from: plain rows of the database, and the period asked for (no IO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .. import data


@dataclass(frozen=True)
class LoggedTurn:
    """One line of `conversation_log`: a shopper's utterance and what the assistant did with it."""

    id: int
    at: datetime
    """When, in UTC (timezone-aware)."""
    user: str
    session: str
    text: str
    """What the shopper said; empty for a conversation's opening (a smart speaker's launch, `chat`'s start)."""
    intent: str
    confidence: float
    reply: str
    outcome: str
    """`changed`, `asked`, `answered`, `fallback`, `handover`, `order` or `ended` (dialogue.engine.Decision)."""

    @property
    def opening(self) -> bool:
        """The assistant's greeting at launch: the start of a conversation, not a shopper's turn."""
        return not self.text.strip() and self.intent == "greet"


@dataclass(frozen=True)
class OrderRow:
    """One row of `orders`: what was bought, for how much."""

    id: int
    user: str
    at: datetime
    total: float
    items: int


@dataclass(frozen=True)
class CesAnswer:
    """A shopper's Customer Effort Score answer (`ces_answers`)."""

    user: str
    session: str
    score: float
    at: datetime


@dataclass(frozen=True)
class HandoverCase:
    """A desk case opened by a handover, with the reason the desk stored (when it has one)."""

    user: str
    session: str
    at: datetime
    reason: str


class PeriodError(ValueError):
    """A period that cannot be read; ``param`` is the one at fault, `from` or `to`, for the message."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Period:
    """Whole UTC days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=timezone.utc)

    @property
    def until(self) -> datetime:
        """The first moment after the period (midnight after ``end``)."""
        return self.since + timedelta(days=(self.end - self.start).days + 1)

    def to_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """`--from`/`--to` or `?from=&to=` (YYYY-MM-DD, both optional): by default the last 7 days up to ``today``."""
    last = _day("to", end) if end else today
    first = _day("from", start) if start else last - timedelta(days=6)
    if first > last:
        raise PeriodError("from", f"{first.isoformat()} is after the last day, {last.isoformat()}")
    most = int(data.load("insights")["max_days"])
    if (last - first).days + 1 > most:
        raise PeriodError("to", f"{first.isoformat()} to {last.isoformat()} is more than {most} days; "
                                "ask for a shorter period")
    return Period(first, last)


def _day(param: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip()) if len(text.strip()) == 10 else _refuse(param, text)
    except ValueError:
        return _refuse(param, text)


def _refuse(param: str, text: str) -> date:
    raise PeriodError(param, f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-01")


def utc(text: str) -> datetime | None:
    """An ISO-8601 time of the log as an aware UTC datetime; None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
