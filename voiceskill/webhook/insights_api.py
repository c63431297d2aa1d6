"""`GET /api/insights?from=YYYY-MM-DD&to=YYYY-MM-DD`: the figures of `voiceskill insights --json`.

    app = create_app(config)
    app.register_blueprint(insights_blueprint(auth=check_colleague))

``auth`` guards the endpoint the way Flask's ``before_request`` functions do: it is called
before every request with no arguments (it reads ``flask.request``) and returns None to let
the request through, or a response (e.g. ``(jsonify(error="..."), 401)``) to refuse it. Without
it the endpoint is open: register it only behind the desk's authentication or on a closed network.
`colleague_login(logins)` is such a function: HTTP basic auth against the desk's colleague logins.
Dates are whole UTC days, both included; without them, the last 7 days. A bad date is a 400 with
a JSON error.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from ..insights import PeriodError, parse_period
from ..insights.read import insights


def insights_blueprint(auth: Callable[[], Any] | None = None) -> Blueprint:
    """The blueprint of `/api/insights`, reading the app's store (``app.extensions["voiceskill"].store``)."""
    blueprint = Blueprint("insights", __name__)
    if auth is not None:
        blueprint.before_request(auth)

    @blueprint.get("/api/insights")
    def figures() -> Any:
        try:
            period = parse_period(request.args.get("from"), request.args.get("to"), datetime.now(timezone.utc).date())
        except PeriodError as exc:
            return jsonify(error=f"{exc.param}: {exc}", param=exc.param), 400
        return jsonify(insights(current_app.extensions["voiceskill"].store, period).to_dict())

    return blueprint


def colleague_login(logins: tuple[tuple[str, str], ...]) -> Callable[[], Any]:
    """An ``auth`` for `insights_blueprint`: HTTP basic auth with one of these (name, password) logins
    (the desk's, `WebhookConfig.desk_auth`); a JSON 401 otherwise."""
    if not logins:
        raise ValueError("the insights need at least one colleague login (USER:PASSWORD)")

    def check() -> Any:
        auth = request.authorization
        name = (auth.username or "") if auth and auth.type == "basic" else ""
        given = ((auth.password or "") if auth else "").encode()
        # Every login is compared, so the time taken does not tell which names exist.
        matches = [hmac.compare_digest(user.encode(), name.encode()) & hmac.compare_digest(pw.encode(), given)
                   for user, pw in logins]
        if name and any(matches):
            return None
        answer = jsonify(error="log in with your desk name and password")
        answer.headers["WWW-Authenticate"] = 'Basic realm="voiceskill insights", charset="UTF-8"'
        return answer, 401

    return check


__all__ = ["colleague_login", "insights_blueprint"]
