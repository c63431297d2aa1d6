"""Dialogue state round-trips through JSON, and a large family's options are stored compactly."""

from __future__ import annotations

import json

from voiceskill.dialogue.state import DialogueState, Pending

MEMBERS = tuple(f"sap-{n:03d}" for n in range(487))
FAMILIES = {"sap": MEMBERS}


def _state(options: list[str]) -> DialogueState:
    question = {"text": "Wat voor sap wil je?", "speech": "Wat voor sap wil je?", "asks": True}
    queued = Pending("choose", question, options=list(options), family="sap")
    return DialogueState(turns=3, pending=Pending("choose", question, options=list(options), family="sap",
                                                  queue=[queued]))


def test_large_family_options_are_packed_and_come_back_in_order() -> None:
    bought = ["sap-400", "sap-007"]
    options = bought + [m for m in MEMBERS if m not in bought and not m.endswith("3")]
    state = _state(options)
    packed = json.dumps(state.to_dict(FAMILIES))
    assert len(packed) < 1000 < len(json.dumps(state.to_dict()))
    back = DialogueState.from_dict(json.loads(packed), FAMILIES)
    assert back.pending.options == options and back.pending.queue[0].options == options
    assert back == state


def test_small_or_foreign_option_lists_stay_as_ids() -> None:
    few = _state(["sap-001", "sap-002"])
    assert few.to_dict(FAMILIES)["pending"]["options"] == ["sap-001", "sap-002"]
    foreign = _state([*MEMBERS[:20], "cola"])
    assert DialogueState.from_dict(foreign.to_dict(FAMILIES), FAMILIES) == foreign
    assert DialogueState.from_dict(foreign.to_dict(), None) == foreign
