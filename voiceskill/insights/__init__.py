"""Insights from the conversation log: what shoppers do with the assistant, and where it fails them.

    from voiceskill.insights import compute, parse_period
    from voiceskill.insights.read import insights
    figures = insights(CartStore("carts.db"), parse_period("2026-11-01", "2026-11-30", today)).to_dict()

Per period, channel and day: conversations, turns per conversation, containment (conversations
without a handover), the handover rate and its causes, fallback and confirmation rates per turn,
journey completion (conversations that ended in an order), carts abandoned, items and euros per
order, time to order, the intent mix, the top not-understood utterances, the products asked for
that the store does not sell, and the Customer Effort Score. `compute` does no IO: it takes plain
rows (voiceskill/insights/rows.py); `read` gets them from a CartStore; `table` prints them.
`voiceskill insights` and `GET /api/insights` (voiceskill/webhook/insights_api.py) show them.
"""

from __future__ import annotations

from .compute import Conversation, Facts, Figures, Insights, compute, conversations
from .rows import CesAnswer, HandoverCase, LoggedTurn, OrderRow, Period, PeriodError, parse_period
from .rules import Rules, rules

__all__ = ["CesAnswer", "Conversation", "Facts", "Figures", "HandoverCase", "Insights", "LoggedTurn", "OrderRow",
           "Period", "PeriodError", "Rules", "compute", "conversations", "parse_period", "rules"]
