"""The colleagues' desk: web pages where store colleagues take over from the assistant (issue 12).

    Wachtende vragen (oldest first) -> open one: why, the conversation so far, the cart
    -> add / remove / set a quantity against the catalog -> a message -> close:
    the shopper hears it at the start of their next conversation, on any channel.
    Leren: an utterance that was not understood -> a synonym for a product, or an example
    sentence for an intent; who taught what when, and undo.

A Flask blueprint at /desk/ with server-rendered HTML (no JavaScript), served by `voiceskill serve
--desk-auth USER:PASSWORD` beside the webhooks or alone by `voiceskill desk`. Every page needs HTTP
basic auth (a colleague's own login: the name is recorded with what they do); every POST form
carries a token that must equal the one in the desk's cookie (double-submit, compared with hmac,
cookie SameSite=Strict), so another site cannot make a colleague's browser change a cart.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from ..assistant import Assistant
from ..nlu.normalize import tokens
from .message import shopper_message

CSRF_COOKIE = "voiceskill_desk_csrf"
REASONS = {"asked": "vroeg om een medewerker", "not_understood": "drie keer niet begrepen",
           "unsure": "bleef onzeker (een vraag bleef onbeantwoord)", "off_topic": "vraag buiten de boodschappen"}
MAX_QUANTITY = 999
DATALIST_LIMIT = 5000


def make_blueprint(logins: tuple[tuple[str, str], ...]) -> Blueprint:
    """The desk for these colleagues' logins (name, password); needs the app's `voiceskill` Assistant."""
    if not logins:
        raise ValueError("the desk needs at least one colleague login (USER:PASSWORD)")
    desk = Blueprint("desk", __name__, url_prefix="/desk", template_folder="templates",
                     static_folder="static", static_url_path="/static")

    @desk.before_request
    def authenticate() -> Any:
        auth = request.authorization
        name = auth.username if auth and auth.type == "basic" else None
        given = (auth.password or "") if auth else ""
        known = [pw for user, pw in logins if hmac.compare_digest(user.encode(), (name or "").encode())]
        if not (name and known and hmac.compare_digest(known[0].encode(), given.encode())):
            return Response("Log in met je eigen naam en wachtwoord voor de balie.", 401,
                            {"WWW-Authenticate": 'Basic realm="voiceskill balie", charset="UTF-8"'})
        g.colleague = name
        g.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not request.cookies.get(CSRF_COOKIE) or not hmac.compare_digest(sent.encode(), g.csrf.encode()):
                abort(403, "het formulier is verlopen of kwam niet van de balie: laad de pagina opnieuw")
        return None

    @desk.after_request
    def keep_token(response: Response) -> Response:
        token = getattr(g, "csrf", None)
        if token and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/desk",
                                secure=request.is_secure)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; form-action 'self'")
        return response

    desk.add_url_rule("/", "queue", _queue)
    desk.add_url_rule("/case/<int:case_id>", "case", _case)
    desk.add_url_rule("/case/<int:case_id>/add", "add", _add, methods=["POST"])
    desk.add_url_rule("/case/<int:case_id>/set", "set", _set, methods=["POST"])
    desk.add_url_rule("/case/<int:case_id>/close", "close", _close, methods=["POST"])
    from .teach import register

    register(desk)
    return desk


def assistant() -> Assistant:
    return current_app.extensions["voiceskill"]


def page(template: str, **values: Any) -> str:
    return render_template(f"desk/{template}", colleague=g.colleague, csrf=g.csrf, reasons=REASONS,
                           note=request.args.get("note", ""), **values)


def back(endpoint: str, note: str = "", **values: Any) -> Any:
    target = url_for(endpoint, **values)
    return redirect(f"{target}?{urlencode({'note': note})}" if note else target, 303)


def _queue() -> str:
    store = assistant().store
    with store.transaction():
        waiting = store.cases("waiting")
        closed = store.recent_closed(10)
    return page("queue.html", waiting=waiting, closed=closed, catalog=assistant().catalog)


def _loaded(case_id: int) -> dict[str, Any]:
    store = assistant().store
    case = store.case(case_id)
    if case is None:
        abort(404, f"vraag {case_id} bestaat niet")
    return case


def _case(case_id: int, choices: list[str] | None = None, status: int = 200) -> Any:
    bot = assistant()
    with bot.store.transaction():
        case = _loaded(case_id)
        cart = bot.store.cart(case["user"])
    products = list(bot.catalog)[:DATALIST_LIMIT]
    return page("case.html", case=case, cart=cart, catalog=bot.catalog, products=products,
                choices=choices or [], preview=shopper_message(bot.catalog, case["changes"], "")), status


def _quantity(raw: str | None, least: int) -> int | None:
    try:
        value = int((raw or "").strip())
    except ValueError:
        return None
    return value if least <= value <= MAX_QUANTITY else None


def resolve(text: str) -> list[str]:
    """Catalog products a colleague's entry names: an id or a name exactly, else what the matcher finds."""
    bot = assistant()
    wanted = text.strip()
    if wanted in bot.catalog:
        return [wanted]
    named = [p.id for p in bot.catalog if p.name.casefold() == wanted.casefold()]
    if named:
        return named[:1]
    found = bot.understander.matcher.match(tokens(wanted)) if wanted else None
    return list(found.product_ids) if found else []


def _open_case(case_id: int) -> dict[str, Any]:
    case = _loaded(case_id)
    if case["status"] != "waiting":
        abort(409, f"vraag {case_id} is al gesloten")
    return case


def _add(case_id: int) -> Any:
    bot = assistant()
    quantity = _quantity(request.form.get("quantity", "1"), 1)
    found = resolve(request.form.get("product", ""))
    if quantity is None:
        return back("desk.case", "Aantal: een heel getal van 1 tot 999.", case_id=case_id)
    if not found:
        return back("desk.case", f"{request.form.get('product', '')!s} staat niet in de catalogus.", case_id=case_id)
    if len(found) > 1:
        return _case(case_id, choices=found)
    with bot.store.transaction() as store:
        case = _open_case(case_id)
        store.db.hold(case["user"])
        before = store.cart(case["user"]).get(found[0], 0)
        store.case_change(case_id, case["user"], found[0], min(MAX_QUANTITY, before + quantity), g.colleague)
    return back("desk.case", f"{bot.catalog[found[0]].name}: {quantity} erbij.", case_id=case_id)


def _set(case_id: int) -> Any:
    bot = assistant()
    pid = request.form.get("product_id", "")
    quantity = 0 if "remove" in request.form else _quantity(request.form.get("quantity"), 0)
    if pid not in bot.catalog:
        return back("desk.case", "Dat product staat niet in de catalogus.", case_id=case_id)
    if quantity is None:
        return back("desk.case", "Aantal: een heel getal van 0 tot 999.", case_id=case_id)
    with bot.store.transaction() as store:
        case = _open_case(case_id)
        store.case_change(case_id, case["user"], pid, quantity, g.colleague)
    name = bot.catalog[pid].name
    return back("desk.case", f"{name} weggehaald." if quantity == 0 else f"{name}: nu {quantity}.", case_id=case_id)


def _close(case_id: int) -> Any:
    bot = assistant()
    note = request.form.get("message", "")
    with bot.store.transaction() as store:
        case = _open_case(case_id)
        text = shopper_message(bot.catalog, case["changes"], note)
        store.close_case(case_id, g.colleague, note.strip(), text)
    return back("desk.queue", f"Vraag {case_id} gesloten. De klant hoort bij het volgende gesprek: {text}")


__all__ = ["make_blueprint", "resolve"]
