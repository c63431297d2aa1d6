"""Dialogflow CX (v3) webhook fulfillment."""

from __future__ import annotations

from typing import Any

from ..assistant import TurnResult
from .platform import PlatformRequest, cart_count, field, shopper_words

TEXT_LIMIT = 8000


def _resolved(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.get("resolvedValue") if isinstance(v, dict) else v) for k, v in params.items()}


class DialogflowCX:
    name = "dialogflow-cx"
    url = "/dialogflow-cx"
    signed = False

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest:
        session = field(body, "sessionInfo.session")
        text, launch = shopper_words(
            field(body, "text", required=False) or field(body, "transcript", required=False),
            field(body, "intentInfo.displayName", required=False),
            _resolved(field(body, "intentInfo.parameters", dict, required=False) or {}), "text",
            (field(body, "triggerEvent", required=False),))
        return PlatformRequest(session, None, text, field(body, "detectIntentResponseId", required=False),
                               launch=launch)

    def respond(self, result: TurnResult | None, body: dict[str, Any]) -> dict[str, Any]:
        assert result is not None
        reply = result.reply.shortened(TEXT_LIMIT)
        incoming = field(body, "intentInfo.parameters", dict, required=False) or {}
        parameters: dict[str, Any] = {name: None for name in incoming}
        parameters.update(cart_count=cart_count(result), voiceskill_intent=result.intent,
                          voiceskill_ended=result.ended)
        response: dict[str, Any] = {
            "fulfillmentResponse": {
                "messages": [{"text": {"text": [reply.text]}}, {"outputAudioText": {"ssml": reply.ssml}}],
                "mergeBehavior": "REPLACE",
            },
            "sessionInfo": {"parameters": parameters},
        }
        page = field(body, "pageInfo.currentPage", required=False)
        if result.ended and page and "/pages/" in page:
            response["targetPage"] = page.rsplit("/pages/", 1)[0] + "/pages/END_SESSION"
        return response
