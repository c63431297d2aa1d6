"""`voiceskill desk`: the colleagues' web pages alone (handover cases, teaching), on their own port.

The same pages are served beside the webhooks by `voiceskill serve --desk-auth USER:PASSWORD`;
run this one instead when the desk should live on another port or host (e.g. only on the shop's
own network) than the webhooks the smart-speaker platforms reach.
"""

from __future__ import annotations

import click

from .base import catalog_option, db_option, main


@main.command("desk")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@catalog_option
@db_option
@click.option("--auth", "logins", multiple=True,
              help="A colleague's login USER:PASSWORD (repeat per colleague; $VOICESKILL_DESK_AUTH, comma-separated).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads.")
def desk(host: str, port: int, catalog: str | None, db: str | None, logins: tuple[str, ...], threads: int) -> None:
    """Serve the handover desk: waiting cases, carts, messages for shoppers, teaching.

    Open http://HOST:PORT/desk/ in a browser and log in with your own name and password.

    Example: voiceskill desk --port 8090 --db carts.db --auth anna:geheim --auth piet:ookgeheim
    """
    import logging
    import os

    from flask import Flask, redirect

    from ..assistant import Assistant
    from ..desk import make_blueprint
    from ..webhook.config import parse_logins
    from ..webhook.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    accounts = parse_logins(",".join(logins), "--auth") if logins else \
        parse_logins(os.environ.get("VOICESKILL_DESK_AUTH"), "VOICESKILL_DESK_AUTH")
    if not accounts:
        raise click.UsageError("the desk shows shoppers' conversations and carts: give each colleague a login "
                               "with --auth USER:PASSWORD (or $VOICESKILL_DESK_AUTH=anna:pw1,piet:pw2)")
    app = Flask("voiceskill.desk")
    app.extensions["voiceskill"] = Assistant(catalog, db)
    app.register_blueprint(make_blueprint(accounts))
    app.add_url_rule("/", "home", lambda: redirect("/desk/"))
    serve(app, host, port, threads)
