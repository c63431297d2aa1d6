"""The audio scenarios through real speech recognition (Whisper base, the embedded default).

Synthetic espeak-ng voices are hard for Whisper base, so not every audio scenario ends
with the right cart yet. This test runs them all and holds the line: the share that
passes may not drop below what was measured when they were written (see the issue
note and bench/asr.py for the numbers; the aim is 90%).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceskill.scenarios import Runner, find_scenarios
pytestmark = pytest.mark.speech

AUDIO = Path(__file__).parent / "scenarios" / "audio"
FLOOR = 0.375
"""Share of audio scenarios that must pass: 12 of 32, where machines measured 14 and 16 (Whisper's int8 arithmetic
differs between x86 CPUs) with grammar rescoring and dialogue context, 3 of 32 before; raise it as recognition
improves."""


@pytest.fixture(scope="module")
def results():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Runner(engine="whisper").run(find_scenarios([AUDIO]))


def test_audio_scenarios_hold_their_floor(results) -> None:
    passed = sum(r.passed for r in results)
    share = passed / len(results)
    report = "\n".join(line for r in results for line in r.failure_lines())
    print(f"audio scenarios: {passed} of {len(results)} passed ({share:.0%})\n{report}")
    assert len(results) >= 20
    assert share >= FLOOR, report


CART_FLOOR = 0.63
"""Share of audio turns after which the cart is right (69% once unsure removals and new quantities are confirmed
too, 66% with a 15 s encoder window and counted phrases on the shortlist, 59% with grammar rescoring, 43%
before); raise it as recognition improves."""


def test_right_carts_after_audio_turns_hold_their_floor(results) -> None:
    turns = [t for r in results for t in r.turns if t.said.endswith(".wav")]
    right = sum(not any(f.startswith("expected cart") for f in t.failures) for t in turns) / len(turns)
    print(f"the cart was right after {right:.0%} of {len(turns)} audio turns")
    assert right >= CART_FLOOR, f"the cart was right after {right:.0%} of audio turns"


def test_audio_turns_were_recognised_not_skipped(results) -> None:
    turns = [t for r in results for t in r.turns if t.said.endswith(".wav")]
    assert len(turns) >= 60
    assert all(t.result is not None for t in turns), "every audio file was read and recognised"
    heard = sum(bool(t.transcript) for t in turns) / len(turns)
    assert heard >= 0.8, f"only {heard:.0%} of audio turns produced any transcript"
