"""The rows the insights need, read from a CartStore (SQLite or PostgreSQL) with plain SELECTs.

Reads run outside a transaction (each SELECT stands alone), so they never wait for or block a
turn. Tables that another part of voiceskill adds later are read when they exist: the CES
answers (`ces_answers`: "user", session, score, at) and the desk's handover cases (the first of
CASE_TABLES with a `reason` column and a time column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..cart import CartStore
from .compute import Insights, compute
from .rows import CesAnswer, HandoverCase, LoggedTurn, OrderRow, Period, utc

CES_TABLE = "ces_answers"
CASE_TABLES = ("cases", "desk_cases", "handover_cases")
CASE_TIMES = ("opened_at", "opened", "created_at", "created", "at")
ORDER_SLACK = timedelta(days=1)
"""Orders are read this much beyond the period, so an order turn near midnight finds its order."""


@dataclass(frozen=True)
class LogRows:
    """Everything `compute` takes, for one period."""

    turns: list[LoggedTurn]
    orders: list[OrderRow]
    ces: list[CesAnswer]
    cases: list[HandoverCase]


def _between(period: Period, slack: timedelta = timedelta(0)) -> list[str]:
    """The period as the text bounds `at` compares with: whole days (`2026-11-01` <= `2026-11-01T09:30...`)."""
    return [(period.since - slack).date().isoformat(), (period.until + slack).date().isoformat()]


def turns(store: CartStore, period: Period) -> list[LoggedTurn]:
    rows = store.db.dicts('SELECT id, at, "user", session, text, intent, confidence, reply, outcome '
                          "FROM conversation_log WHERE at >= ? AND at < ? ORDER BY session, at, id",
                          _between(period))
    found = []
    for row in rows:
        at = utc(row["at"] or "")
        if at is not None:
            found.append(LoggedTurn(int(row["id"]), at, row["user"] or "", row["session"] or row["user"] or "",
                                    row["text"] or "", row["intent"] or "", _number(row["confidence"], 1.0),
                                    row["reply"] or "", row["outcome"] or ""))
    return found


def orders(store: CartStore, period: Period) -> list[OrderRow]:
    rows = store.db.dicts('SELECT id, "user", at, total, items FROM orders WHERE at >= ? AND at < ? ORDER BY id',
                          _between(period, ORDER_SLACK))
    return [OrderRow(int(r["id"]), r["user"] or "", at, _number(r["total"], 0.0), int(r["items"] or 0))
            for r in rows if (at := utc(r["at"] or "")) is not None]


def ces_answers(store: CartStore, period: Period) -> list[CesAnswer]:
    """The CES answers of the period; none while the database has no `ces_answers` table."""
    if not _has(store, CES_TABLE, ("user", "session", "score", "at")):
        return []
    rows = store.db.dicts(f'SELECT "user", session, score, at FROM {CES_TABLE} WHERE at >= ? AND at < ?',
                          _between(period))
    return [CesAnswer(r["user"] or "", r["session"] or r["user"] or "", float(r["score"]), at)
            for r in rows if r["score"] is not None and (at := utc(str(r["at"] or ""))) is not None]


def handover_cases(store: CartStore, period: Period) -> list[HandoverCase]:
    """The desk's handover cases with their reasons; none while the desk stores none."""
    tables = set(store.db.table_names())
    for table in CASE_TABLES:
        if table not in tables:
            continue
        columns = set(store.db.columns(table))
        time = next((c for c in CASE_TIMES if c in columns), None)
        if time is None or "reason" not in columns or not {"user", "session"} & columns:
            continue
        user = '"user"' if "user" in columns else "''"
        session = "session" if "session" in columns else "''"
        rows = store.db.dicts(f'SELECT {user} AS "user", {session} AS session, reason, {time} AS at FROM {table} '
                              f"WHERE {time} >= ? AND {time} < ?", _between(period, ORDER_SLACK))
        return [HandoverCase(r["user"] or "", r["session"] or "", at, str(r["reason"] or ""))
                for r in rows if (at := utc(str(r["at"] or ""))) is not None]
    return []


def _has(store: CartStore, table: str, columns: tuple[str, ...]) -> bool:
    return table in store.db.table_names() and set(columns) <= set(store.db.columns(table))


def _number(value: Any, default: float) -> float:
    return default if value is None else float(value)


def read(store: CartStore, period: Period) -> LogRows:
    return LogRows(turns(store, period), orders(store, period), ces_answers(store, period),
                   handover_cases(store, period))


def insights(store: CartStore, period: Period) -> Insights:
    """The insights of ``period`` from ``store``: `read`, then the pure `compute`."""
    rows = read(store, period)
    return compute(rows.turns, rows.orders, rows.ces, rows.cases, period)
