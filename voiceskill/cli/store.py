"""Commands for the store: look at or empty carts, check a catalog, serve the webhooks."""

from __future__ import annotations

import json

import click

from ..cart import CartStore
from ..catalog import load_catalog
from .base import catalog_option, db_option, main, user_option


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
@click.option("--alexa-allow-sha1", is_flag=True, help="Also accept Alexa's legacy SHA-1 Signature header alone.")
@click.option("--cart-per", type=click.Choice(["user", "session"]), default="user", show_default=True,
              help="A cart per platform user id, or per session.")
@click.option("--connection-limit", type=click.IntRange(1, 100_000), default=None,
              help="Open connections at most (default 500; $VOICESKILL_CONNECTION_LIMIT).")
@click.option("--channel-timeout", type=click.FloatRange(0.5, 3600), default=None,
              help="Seconds before a silent connection is closed (default 15; $VOICESKILL_CHANNEL_TIMEOUT).")
def serve(host: str, port: int, threads: int, catalog: str | None, db: str | None, auth: str | None,
          secret_header: str | None, alexa_skill_id: tuple[str, ...], no_alexa_verify: bool, alexa_allow_sha1: bool,
          cart_per: str, connection_limit: int | None, channel_timeout: float | None) -> None:
    """Serve the smart-speaker webhooks (Dialogflow ES/CX, Actions, Alexa) with waitress.

    Example: voiceskill serve --port 8080 --secret-header X-Voiceskill-Secret=s3cret --alexa-skill-id amzn1.ask.skill.1
    """
    import logging

    from ..webhook import WebhookConfig, create_app
    from ..webhook.config import parse_pair
    from ..webhook.server import ServeLimits
    from ..webhook.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WebhookConfig.from_env(
        catalog=catalog, db=db, basic_auth=parse_pair(auth, ":", "--auth"),
        secret_header=parse_pair(secret_header, "=", "--secret-header"),
        alexa_skill_ids=frozenset(alexa_skill_id) or None, alexa_verify=False if no_alexa_verify else None,
        alexa_allow_sha1_signature=alexa_allow_sha1 or None,
        cart_per=cart_per)
    try:
        limits = ServeLimits.from_env(connection_limit=connection_limit, channel_timeout=channel_timeout)
    except ValueError as exc:
        raise click.BadParameter(f"VOICESKILL_CONNECTION_LIMIT / VOICESKILL_CHANNEL_TIMEOUT: {exc}") from None
    run_server(create_app(config), host, port, threads, limits=limits)


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
