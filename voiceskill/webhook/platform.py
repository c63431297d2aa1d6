"""What every platform shares: one request shape, one view, auth, and size limits.

A platform adapter only translates: its JSON to a `PlatformRequest`, and a
`TurnResult` to its JSON. Everything else happens once, here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Blueprint, current_app, jsonify, request
from werkzeug.datastructures import Headers

from .. import data
from ..assistant import Assistant, TurnResult
from ..cart import storage_key
from ..reply import Reply
from ..errors import VoiceskillError
from .config import WebhookConfig

log = logging.getLogger("voiceskill.webhook")


class WebhookError(VoiceskillError):
    """A request the webhook refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PlatformRequest:
    """A platform request reduced to what the assistant needs."""

    session: str
    user: str | None
    text: str
    request_id: str | None
    launch: bool = False
    """The shopper opened the skill: greet."""
    closed: bool = False
    """The platform says the session is over: nothing to say."""


class Adapter(Protocol):
    name: str
    url: str
    signed: bool
    """True: the platform signs requests (Alexa); False: basic auth or a shared secret header."""

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest: ...

    def respond(self, result: TurnResult | None, body: dict[str, Any]) -> dict[str, Any]: ...


def field(body: Any, path: str, kind: type | tuple[type, ...] = str, required: bool = True) -> Any:
    """The value at a dotted ``path``; a 400 naming the field when it is missing or of the wrong type."""
    value = body
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            if required:
                raise WebhookError(400, f"missing field {path}")
            return None
    if not isinstance(value, kind):
        raise WebhookError(400, f"field {path} has the wrong type")
    return value


def body_hash(raw: bytes) -> str:
    """A request id for platforms without one: a retry repeats the body byte for byte."""
    return hashlib.sha256(raw).hexdigest()


def text_for_intent(name: str, params: dict[str, Any]) -> str | None:
    """A Dutch sentence for a mapped platform intent, or None when the intent is unknown.

    `ProductVervangenIntent` falls back to `ProductVervangen` (Alexa's naming habit)."""
    templates = data.load("platform_intents")["intents"]
    name = name if name in templates else name.removesuffix("Intent")
    if name not in templates:
        return None
    values = {k: str(v) for k, v in params.items() if v not in (None, "", [])}
    filled = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), ""), templates[name])
    return " ".join(filled.split())


def is_launch(*names: str | None) -> bool:
    """True when any of the platform's names for this request (intent, handler, action, event) is a welcome."""
    launch = data.load("platform_intents")["launch"]
    return any(name and name in launch for name in names)


def is_invocation(text: str | None) -> bool:
    """True when the text is only the invocation phrase (`praat met de boodschappenhulp`), which
    some platforms pass on with the welcome: it opens the conversation, it is not an order."""
    spoken = " " + " ".join(re.sub(r"[^\w'-]+", " ", (text or "").lower()).split()) + " "
    invocation = data.load("platform_intents")["invocation"]
    for name in sorted(invocation["names"], key=len, reverse=True):
        if f" {name} " in spoken:
            rest = spoken.replace(f" {name} ", " ", 1).split()
            return all(word in invocation["words"] for word in rest)
    return False


def shopper_words(text: str | None, intent: str | None, params: dict[str, Any], text_field: str,
                  signals: tuple[str | None, ...] = ()) -> tuple[str, bool]:
    """(the words, whether it is a launch).

    A welcome greets even when it carries text: a launch intent, or one of ``signals`` (handler,
    action, event name; the text itself, which Dialogflow sets to the event name), or text that is
    only the invocation phrase. Otherwise the raw text, else the mapped intent's sentence.
    """
    if is_launch(intent, text, *signals) or is_invocation(text):
        return "", True
    if text:
        return text, False
    mapped = text_for_intent(intent or "", params)
    if mapped is None:
        raise WebhookError(400, f"missing field {text_field} (and no mapped intent)")
    return mapped, False


def catch_all_slots() -> list[str]:
    return list(data.load("platform_intents")["catch_all_slots"])


def _same(given: str | None, expected: str) -> bool:
    """A constant-time comparison on bytes, so a non-ASCII value fails instead of raising.

    `surrogatepass`: every str encodes, a lone surrogate (`\\ud800`) too."""
    return hmac.compare_digest((given or "").encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


def check_secret(config: WebhookConfig, headers: Headers) -> None:
    """Basic auth and/or the shared secret header, whichever are configured."""
    if config.basic_auth:
        try:
            auth = request.authorization
        except ValueError:  # werkzeug's base64 decoding of a header with non-ASCII bytes
            auth = None
        user, password = config.basic_auth
        if not (auth and _same(auth.username, user) and _same(auth.password, password)):
            raise WebhookError(401, "HTTP basic authentication failed")
    if config.secret_header:
        name, secret = config.secret_header
        if not _same(headers.get(name, ""), secret):
            raise WebhookError(401, f"header {name} is missing or wrong")


MAX_DEPTH = 64
"""Deepest JSON nesting a request may have (platform requests are about 8 deep): far below Python's
recursion limit, so no later step (the answer's `jsonify`) can run out of stack once the turn is stored."""


def _not_json(constant: str) -> Any:
    raise WebhookError(400, f"body is not valid JSON: {constant} is no JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise WebhookError(400, f"body is not valid JSON: the number {text[:20]} is too large")
    return number


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object. A 400 for anything that is not strict JSON (NaN, Infinity,
    a number too large for a float or with more digits than Python converts), for nesting deeper
    than MAX_DEPTH and for lone surrogates."""
    try:
        body = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise WebhookError(400, "body is nested too deeply") from None
    except UnicodeEncodeError:
        raise WebhookError(400, "body holds text that is no valid Unicode (a lone surrogate)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WebhookError(400, f"body is not valid JSON: {exc}") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise WebhookError(400, "body is not valid JSON: a number has too many digits") from None
    if not isinstance(body, dict):
        raise WebhookError(400, "body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise WebhookError(400, f"body is nested too deeply (more than {MAX_DEPTH} levels)")
    return body


def _authenticated_body(adapter: Adapter, config: WebhookConfig, raw: bytes) -> dict[str, Any]:
    if not adapter.signed:
        check_secret(config, request.headers)
        return parse_json(raw)
    verifier = current_app.extensions["voiceskill.alexa"]
    if verifier is None:
        body = parse_json(raw)
        skill = field(body, "session.application.applicationId", required=False) or \
            field(body, "context.System.application.applicationId", required=False)
        if config.alexa_skill_ids and skill not in config.alexa_skill_ids:
            raise WebhookError(400, "unknown Alexa application id")
        return body
    parse_json(raw)  # the same strict, depth-limited JSON rules before any signature work
    try:
        return verifier.verify(request.headers, raw)
    except VoiceskillError as exc:
        raise WebhookError(400, f"Alexa request verification failed: {exc}") from None


def run(assistant: Assistant, config: WebhookConfig, platform: str, req: PlatformRequest) -> TurnResult | None:
    """One platform request through the one dialogue engine; carts per user or per session."""
    session = storage_key(platform, "session", req.session)
    user = storage_key(platform, "user", req.user) if config.cart_per == "user" and req.user else session
    request_id = f"{session}|{user}|{req.request_id}" if req.request_id else None
    if req.closed:
        return None
    if req.launch:
        return assistant.open(user, session, request_id)
    return assistant.turn(req.text, user, session, request_id=request_id)


def make_blueprint(adapter: Adapter) -> Blueprint:
    """One blueprint per platform, all served by the same view."""
    blueprint = Blueprint(adapter.name, __name__)

    def hook() -> Any:
        config: WebhookConfig = current_app.extensions["voiceskill.config"]
        raw = request.get_data(cache=True)
        body = _authenticated_body(adapter, config, raw)
        req = _checked(adapter, body, raw)
        result = run(current_app.extensions["voiceskill"], config, adapter.name, req)
        return jsonify(adapter.respond(result, body))

    blueprint.add_url_rule(adapter.url, adapter.name, hook, methods=["POST"])
    return blueprint


RESPONSE_CHECK = TurnResult("", "", "", "fallback", 1.0, Reply("", ""), {}, False, "answered")
"""A stand-in turn: answering it reads every request field the real answer will read."""


def _checked(adapter: Adapter, body: dict[str, Any], raw: bytes) -> PlatformRequest:
    """All or nothing: every field the adapter reads, for the request and for its answer, is checked
    before the turn's transaction, so a request answered with an error never changes a cart."""
    try:
        req = adapter.parse(body, raw)
        adapter.respond(RESPONSE_CHECK, body)
    except WebhookError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError):
        # No exception name in the answer: it says what is wrong with the request, not with our code.
        raise WebhookError(400, "the request has a field of an unexpected type or shape") from None
    return req


def cart_count(result: TurnResult | None) -> int:
    return sum(result.cart.values()) if result else 0

