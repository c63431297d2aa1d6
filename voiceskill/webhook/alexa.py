"""Alexa custom skill endpoint (requests verified in alexa_verify)."""

from __future__ import annotations

from typing import Any

from ..assistant import TurnResult
from ..reply import render
from .platform import (PlatformRequest, WebhookError, catch_all_slots, cart_count, field, is_invocation, is_launch,
                       text_for_intent)

SPEECH_LIMIT = 8000


def _slot_value(slot: dict[str, Any]) -> str | None:
    """The spoken value, or the entity resolution's canonical name when it matched."""
    for authority in (slot.get("resolutions") or {}).get("resolutionsPerAuthority", []):
        if authority.get("status", {}).get("code") == "ER_SUCCESS_MATCH" and authority.get("values"):
            return authority["values"][0]["value"]["name"]
    return slot.get("value")


def _intent_text(intent: dict[str, Any]) -> str:
    slots = {name: _slot_value(slot) for name, slot in (intent.get("slots") or {}).items()
             if isinstance(slot, dict)}
    for name in catch_all_slots():
        if slots.get(name):
            return str(slots[name])
    text = text_for_intent(str(intent.get("name", "")), slots)
    if text is None:
        raise WebhookError(400, f"intent {intent.get('name')!r} is not mapped and has no catch-all slot")
    return text


class Alexa:
    name = "alexa"
    url = "/alexa"
    signed = True

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest:
        kind = field(body, "request.type")
        session = field(body, "session.sessionId", required=False) or field(body, "request.requestId")
        user = field(body, "session.user.userId", required=False) or \
            field(body, "context.System.user.userId", required=False)
        request_id = field(body, "request.requestId", required=False)
        if kind == "LaunchRequest":
            return PlatformRequest(session, user, "", request_id, launch=True)
        if kind == "SessionEndedRequest":
            return PlatformRequest(session, user, "", request_id, closed=True)
        if kind != "IntentRequest":
            raise WebhookError(400, f"unsupported request type {kind!r}")
        intent = field(body, "request.intent", dict)
        text = None if is_launch(intent.get("name")) else _intent_text(intent)
        if text is None or is_invocation(text):  # a welcome intent, or only `open boodschappenhulp`
            return PlatformRequest(session, user, "", request_id, launch=True)
        return PlatformRequest(session, user, text, request_id)

    def respond(self, result: TurnResult | None, body: dict[str, Any]) -> dict[str, Any]:
        if result is None:
            return {"version": "1.0", "response": {}}
        reply = result.reply.shortened(SPEECH_LIMIT)
        attributes = dict(field(body, "session.attributes", dict, required=False) or {})
        attributes["cart_count"] = cart_count(result)
        response: dict[str, Any] = {"outputSpeech": {"type": "SSML", "ssml": reply.ssml},
                                    "shouldEndSession": result.ended}
        if not result.ended:
            reprompt = reply if result.asks else render("reprompt")
            response["reprompt"] = {"outputSpeech": {"type": "SSML", "ssml": reprompt.shortened(SPEECH_LIMIT).ssml}}
        return {"version": "1.0", "sessionAttributes": attributes, "response": response}
