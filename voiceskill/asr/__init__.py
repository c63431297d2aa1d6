"""Speech recognition: one interface (base.py), engines for vosk and Whisper."""

from .base import SAMPLE_RATE, Recognizer, SpeechError, Stream, Transcript, Word, transcribe

__all__ = ["SAMPLE_RATE", "Recognizer", "SpeechError", "Stream", "Transcript", "Word", "transcribe"]
