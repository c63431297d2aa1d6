"""Smart-speaker webhooks: one Flask blueprint per platform over the one dialogue engine.

    from voiceskill.webhook import create_app
    app = create_app({"db": "carts.db", "secret_header": ("X-Voiceskill-Secret", "s3cret")})
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from ..assistant import Assistant
from ..errors import StorageError
from .actions import ActionsBuilder
from .alexa import Alexa
from .config import WebhookConfig
from .dialogflow_cx import DialogflowCX
from .dialogflow_es import DialogflowES
from .platform import WebhookError, make_blueprint

log = logging.getLogger("voiceskill.webhook")
ADAPTERS = (DialogflowES(), DialogflowCX(), ActionsBuilder(), Alexa())


def create_app(config: WebhookConfig | dict[str, Any] | None = None) -> Flask:
    """The webhook app; ``config`` as WebhookConfig, a dict of its fields, or None for the environment."""
    if not isinstance(config, WebhookConfig):
        config = WebhookConfig.from_env(**(config or {}))
    app = Flask("voiceskill")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.extensions["voiceskill.config"] = config
    app.extensions["voiceskill"] = Assistant(config.catalog, config.db, ces=config.ces)
    app.extensions["voiceskill.alexa"] = _alexa_verifier(config)
    if not (config.basic_auth or config.secret_header):
        log.warning("no basic auth or secret header configured: Dialogflow and Actions endpoints are open")
    for adapter in ADAPTERS:
        app.register_blueprint(make_blueprint(adapter))
    if config.desk_auth:
        from ..desk import make_blueprint as make_desk

        from .insights_api import colleague_login, insights_blueprint

        app.register_blueprint(make_desk(config.desk_auth))
        app.register_blueprint(insights_blueprint(auth=colleague_login(config.desk_auth)))
    app.add_url_rule("/healthz", "healthz", _healthz)
    _register_errors(app)
    return app


def _healthz() -> Any:
    """200 when a turn could be stored; 503 otherwise, so a load balancer takes this instance out."""
    problem = current_app.extensions["voiceskill"].store.write_problem()
    if problem:
        return jsonify(status="unhealthy", error=problem), 503
    return jsonify(status="ok")


def _alexa_verifier(config: WebhookConfig) -> Any:
    if not config.alexa_verify:
        log.warning("Alexa request verification is off: use this only for local tests")
        return None
    if config.alexa_verifier is not None:
        return config.alexa_verifier
    from .alexa_verify import AlexaVerifier

    return AlexaVerifier(application_ids=config.alexa_skill_ids,
                         allow_sha1_signature=config.alexa_allow_sha1_signature)


def _register_errors(app: Flask) -> None:
    """Every error is JSON that says what is wrong; never a traceback."""

    @app.errorhandler(WebhookError)
    def refused(exc: WebhookError) -> Any:
        return jsonify(error=str(exc)), exc.status

    @app.errorhandler(StorageError)
    def unavailable(exc: StorageError) -> Any:
        """The turn was rolled back: the platform may retry, and the load balancer sees /healthz fail."""
        log.error("%s", exc)
        return jsonify(error="the cart database takes no changes right now; the request was not applied"), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        message = "request body is larger than 64 KiB" if exc.code == 413 else exc.description
        return jsonify(error=message), exc.code

    @app.errorhandler(Exception)
    def crashed(exc: Exception) -> Any:
        log.exception("webhook request failed")
        return jsonify(error="internal error; the request was not applied"), 500


__all__ = ["WebhookConfig", "create_app"]
