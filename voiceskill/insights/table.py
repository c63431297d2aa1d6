"""The insights as a table for the terminal, in Dutch (labels: data/insights.yaml)."""

from __future__ import annotations

from typing import Any

from .. import data
from ..reply.dutch import money_text
from .compute import Figures, Insights

ROWS = ("conversations", "turns", "turns_per_conversation", "containment_rate", "handover_rate", "fallback_rate",
        "confirmation_rate", "completion_rate", "orders", "carts_abandoned", "items_per_order", "euros_per_order",
        "euros", "minutes_to_order_median", "ces_mean", "ces_responses")
"""The figures of the main table, in this order (one column per channel)."""


def _labels() -> dict[str, Any]:
    return data.load("insights")["labels"]


def _decimal(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def cell(name: str, value: Any) -> str:
    """One figure as the table shows it: `83,3%`, `6,5`, `€ 12,40`, `4,0 min`, `–` when there is none."""
    labels = _labels()
    if value is None:
        return labels["none"]
    if name.endswith("_rate"):
        return _decimal(value * 100, 1) + "%"
    if name.startswith("euros"):
        return money_text(value)
    if name.startswith("minutes"):
        return labels["minutes"].format(value=_decimal(value, 1))
    if isinstance(value, float):
        return _decimal(value, 2 if name == "ces_mean" else 1)
    return str(value)


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in [header, *rows]]


def _top(rows: list[dict[str, Any]], key: str, labels: dict[str, Any]) -> list[str]:
    if not rows:
        return [f"  {labels['nothing']}"]
    width = max(len(str(r["count"])) for r in rows)
    said = max(len(r[key]) for r in rows)
    return [f"  {str(r['count']).rjust(width)}×  {r[key].ljust(said)}  ({labels['example']} \"{r['example']}\")"
            for r in rows]


def table(insights: Insights) -> str:
    """The whole printout: the figures per channel, handover causes, intents, the top lists, per day."""
    labels = _labels()
    top = data.load("insights")["top"]
    columns: list[tuple[str, Figures]] = [(labels["total"], insights.total)]
    columns += [(labels["channels"].get(c, c), f) for c, f in insights.by_channel.items()]
    lines = []
    if insights.period:
        lines += [labels["title"].format(start=insights.period.start.isoformat(),
                                         end=insights.period.end.isoformat()), ""]
    lines += _grid([""] + [name for name, _ in columns],
                   [[labels["figures"][r]] + [cell(r, getattr(f, r)) for _, f in columns] for r in ROWS])
    total = insights.total
    lines += ["", labels["causes"]["title"]]
    lines += [f"  {labels['causes'].get(cause, cause)}: {count}" for cause, count in total.handover_causes.items()] \
        or [f"  {labels['nothing']}"]
    lines += ["", labels["intents"]]
    lines += [f"  {', '.join(f'{intent} {count}' for intent, count in total.intents.items()) or labels['nothing']}"]
    lines += ["", labels["not_understood"].format(top=top)] + _top(insights.top_not_understood, "utterance", labels)
    lines += ["", labels["not_sold"].format(top=top)] + _top(insights.top_unknown_products, "product", labels)
    if insights.by_day:
        names = labels["day_figures"]
        lines += ["", labels["by_day"]]
        lines += _grid([labels["day"]] + [labels["figures"][n] for n in names],
                       [[day] + [cell(n, getattr(f, n)) for n in names] for day, f in insights.by_day.items()])
    return "\n".join(lines)
