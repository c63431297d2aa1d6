"""What the store's people work with, beside the carts: effort scores, handover cases, messages for
shoppers and what colleagues taught (schema v7). A mixin of CartStore: the same backend, the same
shared SQL dialect, the same transactions (call these inside `CartStore.transaction`).

Why cases keep copies: a case holds the transcript and the cart as they were at the handover, so a
colleague sees what the shopper saw even when the shopper went on shopping; the colleague's changes
are applied to the live cart (undoable by the shopper like any change) and remembered per product
(`changes`: product -> [quantity before the colleague's first change, after the last]) for the
message the shopper hears at the start of their next conversation.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Backend

TRANSCRIPT_TURNS = 50
"""Turns of the conversation a case keeps (the latest)."""
CASE_COLUMNS = ('id, "user", session, reason, opened, status, transcript, cart, changes, message, colleague, '
                "closed")
TEACHING_KINDS = ("synonym", "example")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _case(row: dict[str, Any]) -> dict[str, Any]:
    for key, empty in (("transcript", []), ("cart", {}), ("changes", {})):
        row[key] = json.loads(row[key]) if row.get(key) else empty
    return row


class DeskStore:
    """Methods of CartStore for the CES answers, the handover desk and teachings."""

    db: "Backend"

    # -- Customer Effort Score -------------------------------------------------

    def add_ces(self, user: str, session: str, score: int, said: str = "") -> None:
        self.db.hold(user)
        self.db.execute('INSERT INTO ces_answers ("user", session, at, score, said) VALUES (?, ?, ?, ?, ?)',
                        [user, session, _now(), int(score), said[:200]])

    def ces_answers(self, user: str | None = None) -> list[dict[str, Any]]:
        """Every stored effort score (of one shopper), oldest first."""
        where, params = ('WHERE "user" = ?', [user]) if user else ("", [])
        return self.db.dicts(f'SELECT id, "user", session, at, score, said FROM ces_answers {where} ORDER BY id',
                             params)

    # -- handover cases ----------------------------------------------------------

    def open_case(self, user: str, session: str, reason: str, cart: dict[str, int]) -> int:
        """A waiting case with the session's transcript so far and the cart; a shopper with a case
        still waiting gets that one brought up to date instead of a second one."""
        self.db.hold(user)
        rows = self.db.dicts("SELECT at, text, reply, intent FROM conversation_log WHERE session = ? "
                             "ORDER BY id DESC LIMIT ?", [session, TRANSCRIPT_TURNS])[::-1]
        transcript = json.dumps(rows, ensure_ascii=False)
        waiting = self.db.execute("SELECT id FROM handover_cases WHERE \"user\" = ? AND status = 'waiting' "
                                  "ORDER BY id LIMIT 1", [user]).fetchone()
        if waiting:
            self.db.execute("UPDATE handover_cases SET session = ?, reason = ?, transcript = ?, cart = ? "
                            "WHERE id = ?", [session, reason, transcript, json.dumps(cart), waiting[0]])
            return int(waiting[0])
        return self.db.insert_id(
            'INSERT INTO handover_cases ("user", session, reason, opened, status, transcript, cart, changes) '
            "VALUES (?, ?, ?, ?, 'waiting', ?, ?, '{}')", [user, session, reason, _now(), transcript, json.dumps(cart)])

    def cases(self, status: str = "waiting", limit: int = 200) -> list[dict[str, Any]]:
        """Cases of one status, oldest first (the desk's queue)."""
        return [_case(r) for r in self.db.dicts(f"SELECT {CASE_COLUMNS} FROM handover_cases WHERE status = ? "
                                                "ORDER BY id LIMIT ?", [status, limit])]

    def recent_closed(self, limit: int = 20) -> list[dict[str, Any]]:
        return [_case(r) for r in self.db.dicts(f"SELECT {CASE_COLUMNS} FROM handover_cases WHERE status = 'closed' "
                                                "ORDER BY id DESC LIMIT ?", [limit])]

    def case(self, case_id: int) -> dict[str, Any] | None:
        rows = self.db.dicts(f"SELECT {CASE_COLUMNS} FROM handover_cases WHERE id = ?", [int(case_id)])
        return _case(rows[0]) if rows else None

    def case_change(self, case_id: int, user: str, product_id: str, quantity: int, colleague: str) -> int:
        """Set one product's quantity in the shopper's cart for a case (one undoable change);
        the quantity before."""
        from ..dialogue import CartOp

        self.db.hold(user)
        before = self.cart(user).get(product_id, 0)  # type: ignore[attr-defined]
        self.apply(user, [CartOp("set", product_id, max(0, int(quantity)))])  # type: ignore[attr-defined]
        row = self.db.execute("SELECT changes FROM handover_cases WHERE id = ?", [int(case_id)]).fetchone()
        changes = json.loads(row[0]) if row and row[0] else {}
        first = changes.get(product_id, [before, before])[0]
        changes[product_id] = [first, max(0, int(quantity))]
        self.db.execute("UPDATE handover_cases SET changes = ?, colleague = ? WHERE id = ?",
                        [json.dumps(changes), colleague, int(case_id)])
        return before

    def close_case(self, case_id: int, colleague: str, message: str, shopper_text: str) -> None:
        """Close a case and leave ``shopper_text`` for the shopper's next conversation."""
        case = self.case(case_id)
        if case is None:
            return
        self.db.hold(case["user"])
        self.db.execute("UPDATE handover_cases SET status = 'closed', message = ?, colleague = ?, closed = ? "
                        "WHERE id = ?", [message, colleague, _now(), int(case_id)])
        self.db.execute('INSERT INTO shopper_messages ("user", case_id, text, at) VALUES (?, ?, ?, ?)',
                        [case["user"], int(case_id), shopper_text, _now()])

    def take_messages(self, user: str) -> list[str]:
        """The messages waiting for a shopper, oldest first, marked delivered (in this transaction)."""
        self.db.hold(user)
        rows = self.db.execute('SELECT id, text FROM shopper_messages WHERE "user" = ? AND delivered IS NULL '
                               "ORDER BY id", [user]).fetchall()
        for message_id, _text in rows:
            self.db.execute("UPDATE shopper_messages SET delivered = ? WHERE id = ?", [_now(), message_id])
        return [text for _id, text in rows]

    def messages(self, user: str) -> list[dict[str, Any]]:
        self.db.hold(user)
        return self.db.dicts('SELECT id, "user", case_id, text, at, delivered FROM shopper_messages '
                             'WHERE "user" = ? ORDER BY id', [user])

    # -- teachings ---------------------------------------------------------------

    def teach(self, kind: str, target: str, phrase: str, colleague: str, source: str = "") -> int:
        if kind not in TEACHING_KINDS:
            raise ValueError(f"unknown teaching kind {kind!r}")
        return self.db.insert_id("INSERT INTO teachings (kind, target, phrase, source, colleague, at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", [kind, target, phrase, source[:500], colleague, _now()])

    def undo_teaching(self, teaching_id: int, colleague: str) -> bool:
        cursor = self.db.execute("UPDATE teachings SET undone = ?, undone_by = ? WHERE id = ? AND undone IS NULL",
                                 [_now(), colleague, int(teaching_id)])
        return bool(cursor.rowcount)

    def teachings(self, active: bool | None = None) -> list[dict[str, Any]]:
        """Every teaching, newest first (``active``: only those not undone, or only the undone ones)."""
        where = "" if active is None else ("WHERE undone IS NULL" if active else "WHERE undone IS NOT NULL")
        return self.db.dicts(f"SELECT id, kind, target, phrase, source, colleague, at, undone, undone_by "
                             f"FROM teachings {where} ORDER BY id DESC")

    def teachings_mark(self) -> tuple[int, int]:
        """Changes whenever a teaching is added or undone: (last id, how many are undone); one cheap read."""
        row = self.db.execute("SELECT coalesce(max(id), 0), count(undone) FROM teachings").fetchone()
        return int(row[0]), int(row[1])

    def not_understood(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent utterances that fell back, newest first, one row per distinct text."""
        return self.db.dicts("SELECT max(id) AS id, text, count(*) AS times, max(at) AS at FROM conversation_log "
                             "WHERE intent = 'fallback' AND text != '' GROUP BY text ORDER BY max(id) DESC LIMIT ?",
                             [limit])
