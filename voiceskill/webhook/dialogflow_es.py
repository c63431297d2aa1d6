"""Dialogflow ES (v2) fulfillment, with the Google Assistant payload."""

from __future__ import annotations

from typing import Any

from ..assistant import TurnResult
from .platform import PlatformRequest, WebhookError, cart_count, field, is_launch, text_for_intent

TEXT_LIMIT = 8000


class DialogflowES:
    name = "dialogflow"
    url = "/dialogflow"
    signed = False

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest:
        session = field(body, "session")
        result = field(body, "queryResult", dict)
        intent = field(result, "intent.displayName", required=False)
        text = field(result, "queryText", required=False)
        if not text and not is_launch(intent):
            text = text_for_intent(intent or "", field(result, "parameters", dict, required=False) or {})
            if text is None:
                raise WebhookError(400, "missing field queryResult.queryText (and no mapped intent)")
        user = field(body, "originalDetectIntentRequest.payload.user.userId", required=False)
        return PlatformRequest(session, user, text or "", field(body, "responseId", required=False),
                               launch=is_launch(intent) and not text)

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


