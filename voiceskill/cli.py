"""The `voiceskill` command: thin click commands over the Python API."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from .assistant import Assistant
from .cart import CartStore
from .catalog import load_catalog
from .errors import VoiceskillError
from .reply import cart_phrase
from .scenarios import Runner, ScenarioResult

catalog_option = click.option("--catalog", type=click.Path(dir_okay=False), default=None,
                              help="Catalog CSV (default: $VOICESKILL_CATALOG or the built-in one).")
db_option = click.option("--db", type=click.Path(dir_okay=False), default=None,
                         help="Cart database (default: $VOICESKILL_DB or ~/.local/share/voiceskill/voiceskill.db).")
user_option = click.option("--user", default="default", show_default=True, help="Whose cart.")


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


@main.command()
@user_option
@catalog_option
@db_option
@click.option("--show-cart", is_flag=True, help="Print the cart after every turn.")
def chat(user: str, catalog: str | None, db: str | None, show_cart: bool) -> None:
    """Type Dutch shopping sentences; `/mandje` shows the cart, `/stop` or Ctrl-D ends.

    Example: voiceskill chat --user anna --show-cart
    """
    bot = Assistant(catalog, db)
    click.echo(f"sam> {bot.greeting().text}")
    while True:
        try:
            text = input("jij> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if text.strip() in ("/stop", "/quit"):
            return
        if text.strip() in ("/mandje", "/cart"):
            click.echo(f"     {_cart_line(bot.catalog, bot.cart(user))}")
            continue
        result = bot.turn(text, user=user)
        click.echo(f"sam> {result.reply.text}")
        if show_cart:
            click.echo(f"     [{result.intent}] {_cart_line(bot.catalog, result.cart)}")
        if result.ended:
            return


@main.command()
@catalog_option
def demo(catalog: str | None) -> None:
    """Replay the built-in demo conversation in text and check it.

    Example: voiceskill demo
    """
    runner = Runner(catalog)
    path = Path(str(resources.files("voiceskill.data").joinpath("demo.yaml")))
    result = runner.run_file(path)
    assistant = runner.assistant(None)
    click.echo(f"sam> {assistant.greeting().text}")
    for turn in result.turns:
        if turn.result:
            click.echo(f"jij> {turn.said}\nsam> {turn.result.reply.text}")
            click.echo(f"     [{turn.result.intent}] {_cart_line(assistant.catalog, turn.result.cart)}")
    _report([result], as_json=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@catalog_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def scenarios(paths: tuple[str, ...], catalog: str | None, as_json: bool) -> None:
    """Replay scenario files (or folders of *.yaml) and check every expectation.

    Example: voiceskill scenarios tests/scenarios ../shared/peers/ha-intents-nl/scenarios
    """
    results = Runner(catalog).run(paths)
    _report(results, as_json)


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


@main.group()
def cart() -> None:
    """Look at or empty a shopper's cart.

    Example: voiceskill cart show --user anna
    """


@cart.command("show")
@user_option
@catalog_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the cart as JSON.")
def cart_show(user: str, catalog: str | None, db: str | None, as_json: bool) -> None:
    """Print a cart with quantities and prices.

    Example: voiceskill cart show --user anna
    """
    items = CartStore(db).cart(user)
    products = load_catalog(catalog)
    if as_json:
        click.echo(json.dumps(items))
        return
    if not items:
        click.echo(f"The cart of {user} is empty.")
    for pid, qty in items.items():
        product = products.products.get(pid)
        price = f"€ {product.price * qty:.2f}".replace(".", ",") if product and product.price else ""
        click.echo(f"{qty:>4} × {product.name if product else pid:<40} {price}")


@cart.command("clear")
@user_option
@db_option
def cart_clear(user: str, db: str | None) -> None:
    """Empty a cart (one change; `ongedaan maken` in a chat brings it back).

    Example: voiceskill cart clear --user anna
    """
    store = CartStore(db)
    with store.transaction():
        count = store.clear(user)
    click.echo(f"Removed {count} product(s) from the cart of {user}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads.")
@catalog_option
@db_option
@click.option("--auth", default=None, help="Basic auth USER:PASSWORD for Dialogflow/Actions ($VOICESKILL_WEBHOOK_AUTH).")
@click.option("--secret-header", default=None, help="NAME=VALUE shared-secret header ($VOICESKILL_WEBHOOK_SECRET).")
@click.option("--alexa-skill-id", multiple=True, help="Accepted Alexa skill id ($VOICESKILL_ALEXA_SKILL_IDS).")
@click.option("--no-alexa-verify", is_flag=True, help="Skip Alexa signature checks (local testing only).")
@click.option("--cart-per", type=click.Choice(["user", "session"]), default="user", show_default=True,
              help="A cart per platform user id, or per session.")
def serve(host: str, port: int, threads: int, catalog: str | None, db: str | None, auth: str | None,
          secret_header: str | None, alexa_skill_id: tuple[str, ...], no_alexa_verify: bool, cart_per: str) -> None:
    """Serve the smart-speaker webhooks (Dialogflow ES/CX, Actions, Alexa) with waitress.

    Example: voiceskill serve --port 8080 --secret-header X-Voiceskill-Secret=s3cret --alexa-skill-id amzn1.ask.skill.1
    """
    import logging

    from .webhook import WebhookConfig, create_app
    from .webhook.config import parse_pair
    from .webhook.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WebhookConfig.from_env(
        catalog=catalog, db=db, basic_auth=parse_pair(auth, ":", "--auth"),
        secret_header=parse_pair(secret_header, "=", "--secret-header"),
        alexa_skill_ids=frozenset(alexa_skill_id) or None, alexa_verify=False if no_alexa_verify else None,
        cart_per=cart_per)
    run_server(create_app(config), host, port, threads)


@main.command("catalog")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def catalog_check(path: str | None) -> None:
    """Check a catalog CSV and summarise it; errors name the line.

    Example: voiceskill catalog my-store.csv
    """
    products = load_catalog(path)
    categories = sorted({p.category for p in products if p.category})
    click.echo(f"{products.source}: {len(products)} products, {len(products.families)} families, "
               f"{len(categories)} categories")


if __name__ == "__main__":
    main()
