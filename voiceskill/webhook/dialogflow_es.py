"""Dialogflow ES (v2) fulfillment, with the Google Assistant payload."""

from __future__ import annotations

from typing import Any

from ..assistant import TurnResult
from .platform import PlatformRequest, cart_count, field, shopper_words

TEXT_LIMIT = 8000


class DialogflowES:
    name = "dialogflow"
    url = "/dialogflow"
    signed = False

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest:
        session = field(body, "session")
        result = field(body, "queryResult", dict)
        inputs = field(body, "originalDetectIntentRequest.payload.inputs", list, required=False) or []
        signals = (field(result, "action", required=False),
                   *(i.get("intent") for i in inputs if isinstance(i, dict)))
        text, launch = shopper_words(field(result, "queryText", required=False),
                                     field(result, "intent.displayName", required=False),
                                     field(result, "parameters", dict, required=False) or {}, "queryResult.queryText",
                                     signals)
        user = field(body, "originalDetectIntentRequest.payload.user.userId", required=False)
        return PlatformRequest(session, user, text, field(body, "responseId", required=False), launch=launch)

    def respond(self, result: TurnResult | None, body: dict[str, Any]) -> dict[str, Any]:
        assert result is not None
        reply = result.reply.shortened(TEXT_LIMIT)
        return {
            "fulfillmentText": reply.text,
            "fulfillmentMessages": [{"text": {"text": [reply.text]}}],
            "source": "voiceskill",
            "payload": {"google": {
                "expectUserResponse": not result.ended,
                "richResponse": {"items": [{"simpleResponse": {"ssml": reply.ssml, "displayText": reply.text}}]},
            }},
            "outputContexts": [{
                "name": f"{body['session']}/contexts/voiceskill",
                "lifespanCount": 0 if result.ended else 5,
                "parameters": {"cart_count": cart_count(result), "intent": result.intent, "asks": result.asks},
            }],
        }
