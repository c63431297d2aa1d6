"""The `voiceskill` command's trunk: the group, its shared options and clean errors.

The commands themselves live beside it, one module per kind of user: conversation
(shoppers and testers), store (carts, catalog, the webhook server), speech (models, grammar).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import VoiceskillError
from ..reply import cart_phrase
from ..scenarios import ScenarioResult

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
catalog_option = click.option("--catalog", type=click.Path(dir_okay=False), default=None,
                              help="Catalog CSV (default: $VOICESKILL_CATALOG or the built-in one).")
db_option = click.option("--db", type=click.Path(dir_okay=False), default=None,
                         help="Cart database: a SQLite file or a postgresql://USER:PASSWORD@HOST/DBNAME URL "
                              "(default: $VOICESKILL_DB or ~/.local/share/voiceskill/voiceskill.db).")
user_option = click.option("--user", default="default", show_default=True, help="Whose cart.")
engine_option = click.option("--engine", type=click.Choice(["auto", "vosk", "whisper"]), default="auto",
                             show_default=True, help="Speech engine; auto prefers an installed Dutch vosk model.")
model_option = click.option("--model", type=click.Path(), default=None,
                            help="Speech model folder (default: $VOICESKILL_VOSK_MODEL or the data dir).")
ces_option = click.option("--ces", type=click.Choice(["on", "off"]), default=None,
                          help="Ask the effort question (Customer Effort Score, 1-5) after a placed order "
                               "(default: $VOICESKILL_CES, else off).")
tts_option = click.option("--tts", default="none", show_default=True,
                          help="Replies aloud: speak, wav:DIR (one WAV per reply) or none.")


class CleanErrors(click.Group):
    """Turns VoiceskillError into a one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except VoiceskillError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=CleanErrors)
@click.version_option(package_name="voiceskill")
def main() -> None:
    """voiceskill: an offline Dutch voice shopping assistant.

    Example: voiceskill chat --user anna
    """


def _cart_line(catalog, items: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    return f"mandje: {cart_phrase(catalog, items).text or 'leeg'}"


def _report(results: list[ScenarioResult], as_json: bool) -> None:
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if as_json:
        click.echo(json.dumps({"passed": passed, "failed": failed,
                               "scenarios": [r.to_dict() for r in results]}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            for line in result.failure_lines():
                click.echo(line)
        click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
