"""Commands for the store: look at or empty carts, check a catalog, serve the webhooks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import data
from ..cart import WEBHOOK_PLATFORMS, CartStore, storage_key
from ..catalog import load_catalog
from ..reply.dutch import money_text
from ..reply.render import render
from .base import catalog_option, ces_option, db_option, main, user_option


@main.group()
def cart() -> None:
    """Look at or empty a shopper's cart.

    Example: voiceskill cart show --user anna
    """


platform_option = click.option(
    "--platform", type=click.Choice(WEBHOOK_PLATFORMS), default=None,
    help="The shopper's cart on a smart speaker: --user is then that platform's user id.")


def _owner(user: str, platform: str | None) -> str:
    """The cart's storage key: `anna`, or `alexa:user:<id>` with --platform alexa."""
    return storage_key(platform, "user", user) if platform else user


@cart.command("show")
@user_option
@platform_option
@catalog_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the cart as JSON.")
def cart_show(user: str, platform: str | None, catalog: str | None, db: str | None, as_json: bool) -> None:
    """Print a cart with quantities, prices and the total.

    Example: voiceskill cart show --user anna
    """
    owner = _owner(user, platform)
    items = CartStore(db).cart(owner)
    products = load_catalog(catalog)
    if as_json:
        click.echo(json.dumps(items))
        return
    if not items:
        click.echo(render("console_cart_empty", user=owner).text)
        return
    total = 0.0
    for pid, qty in items.items():
        product = products.products.get(pid)
        price = product.price * qty if product and product.price else None
        total += price or 0
        click.echo(f"{qty:>4} × {product.name if product else pid:<40} {money_text(price) if price else ''}")
    click.echo(render("console_cart_total", total=money_text(total), count=count_phrase(sum(items.values()))).text)


@cart.command("clear")
@user_option
@platform_option
@db_option
def cart_clear(user: str, platform: str | None, db: str | None) -> None:
    """Empty a cart (one change; `ongedaan maken` in a chat brings it back).

    Example: voiceskill cart clear --user anna
    """
    owner = _owner(user, platform)
    store = CartStore(db)
    with store.transaction():
        count = store.clear(owner)
    click.echo(render("console_cart_cleared", user=owner, count=count_phrase(count, "product")).text)


def count_phrase(count: int, word: str = "item") -> str:
    """`1 artikel`, `3 producten`: the words from data/replies.yaml."""
    words = data.load("replies")["words"]
    return f"{count} {words[word] if count == 1 else words[word + 's']}"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Threads per worker process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), envvar="VOICESKILL_WORKERS",
              help="Worker processes on the one port, so all cores work ($VOICESKILL_WORKERS; e.g. one per core).")
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
@ces_option
@click.option("--desk-auth", "desk_auth", multiple=True,
              help="Serve the colleagues' desk at /desk/ for this USER:PASSWORD (repeat per colleague; "
                   "$VOICESKILL_DESK_AUTH, comma-separated). Without it there is no desk.")
def serve(host: str, port: int, threads: int, workers: int, catalog: str | None, db: str | None, auth: str | None,
          secret_header: str | None, alexa_skill_id: tuple[str, ...], no_alexa_verify: bool, alexa_allow_sha1: bool,
          cart_per: str, connection_limit: int | None, channel_timeout: float | None, ces: str | None,
          desk_auth: tuple[str, ...]) -> None:
    """Serve the smart-speaker webhooks (Dialogflow ES/CX, Actions, Alexa) with waitress.

    Example: voiceskill serve --port 8080 --secret-header X-Voiceskill-Secret=s3cret --alexa-skill-id amzn1.ask.skill.1

    Several hosts on one database: voiceskill serve --workers 4 --db postgresql://shop:PASSWORD@db.example.nl/carts
    """
    import logging

    from ..webhook import WebhookConfig, create_app
    from ..webhook.config import parse_logins, parse_pair
    from ..webhook.server import ServeLimits, serve_workers
    from ..webhook.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WebhookConfig.from_env(
        catalog=catalog, db=db, basic_auth=parse_pair(auth, ":", "--auth"),
        secret_header=parse_pair(secret_header, "=", "--secret-header"),
        alexa_skill_ids=frozenset(alexa_skill_id) or None, alexa_verify=False if no_alexa_verify else None,
        alexa_allow_sha1_signature=alexa_allow_sha1 or None,
        cart_per=cart_per, ces=None if ces is None else ces == "on",
        desk_auth=parse_logins(",".join(desk_auth), "--desk-auth") if desk_auth else None)
    try:
        limits = ServeLimits.from_env(connection_limit=connection_limit, channel_timeout=channel_timeout)
    except ValueError as exc:
        raise click.BadParameter(f"VOICESKILL_CONNECTION_LIMIT / VOICESKILL_CHANNEL_TIMEOUT: {exc}") from None
    if workers > 1 and (config.db or "") == ":memory:":
        raise click.BadParameter("--workers with --db :memory: would give each worker its own empty database; "
                                 "pass a file or a postgresql:// URL", param_hint="--workers")
    if workers == 1:
        app = create_app(config)
        _log_store(app.extensions["voiceskill"].store)
        run_server(app, host, port, threads, limits=limits)
        return
    # A bad database or catalog is refused here, once, before any worker starts; the app itself is
    # made in each worker only (see webhook/server.py: a fork must not copy its threads' locks).
    store = CartStore(config.db)
    _log_store(store)
    store.close()
    load_catalog(config.catalog)
    serve_workers(lambda: create_app(config), host, port, threads, workers, limits=limits)


def _log_store(store: CartStore) -> None:
    import logging

    logging.getLogger("voiceskill.webhook").info("carts in %s (%s)", store.db.where, store.db.kind)


@main.command("catalog")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def catalog_check(path: str | None) -> None:
    """Check a catalog CSV and summarise it; errors name the line.

    Example: voiceskill catalog catalog/examples/my-store.csv
    """
    if path and not Path(path).exists():
        raise click.UsageError(f"{path}: no such file. Usage: voiceskill catalog PATH.csv, "
                               "e.g. voiceskill catalog catalog/examples/my-store.csv")
    products = load_catalog(path)
    categories = sorted({p.category for p in products if p.category})
    click.echo(f"{products.source}: {len(products)} products, {len(products.families)} families, "
               f"{len(categories)} categories")
