"""`voiceskill insights`: the figures of the conversation log for a period, as a table or JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from ..cart import CartStore
from ..insights import PeriodError, parse_period
from ..insights.read import insights as read_insights
from ..insights.table import table
from .base import db_option, main


@main.command()
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD",
              help="First day, UTC (default: 6 days before --to).")
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD", help="Last day, UTC, included (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (the same as GET /api/insights).")
@db_option
def insights(start: str | None, end: str | None, as_json: bool, db: str | None) -> None:
    """Conversations, containment, handovers, orders, what was not understood or not sold, CES.

    Example: voiceskill insights --from 2026-11-01 --to 2026-11-30
    """
    try:
        period = parse_period(start, end, datetime.now(timezone.utc).date())
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.param}") from None
    found = read_insights(CartStore(db), period)
    click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) if as_json else table(found))
