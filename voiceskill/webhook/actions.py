"""Actions Builder (Google Assistant conversational actions) webhook."""

from __future__ import annotations

from typing import Any

from ..assistant import TurnResult
from .platform import PlatformRequest, body_hash, cart_count, field, shopper_words

END = "actions.scene.END_CONVERSATION"
TEXT_LIMIT = 8000


class ActionsBuilder:
    name = "actions"
    url = "/actions"
    signed = False

    def parse(self, body: dict[str, Any], raw: bytes) -> PlatformRequest:
        session = field(body, "session.id")
        params = {k: (v.get("resolved") if isinstance(v, dict) else v)
                  for k, v in (field(body, "intent.params", dict, required=False) or {}).items()}
        handler = field(body, "handler.name", required=False)
        text, launch = shopper_words(field(body, "intent.query", required=False),
                                     field(body, "intent.name", required=False) or handler, params, "intent.query",
                                     (handler, field(body, "scene.name", required=False)))
        # Actions requests carry no id; a retry repeats the body, and our turn counter
        # in session.params makes every genuine next request differ.
        return PlatformRequest(session, None, text, body_hash(raw), launch=launch)

    def respond(self, result: TurnResult | None, body: dict[str, Any]) -> dict[str, Any]:
        assert result is not None
        reply = result.reply.shortened(TEXT_LIMIT)
        params = dict(field(body, "session.params", dict, required=False) or {})
        params.update(cart_count=cart_count(result), voiceskill_turn=int(params.get("voiceskill_turn", 0)) + 1)
        scene = field(body, "scene.name", required=False) or "Winkelen"
        return {
            "session": {"id": body["session"]["id"], "params": params},
            "prompt": {"override": False, "firstSimple": {"speech": reply.ssml, "text": reply.text}},
            "scene": {"name": scene, "slots": {}, "next": {"name": END if result.ended else scene}},
        }
