"""Text normalisation shared by understanding and catalog indexing."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 2000
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_NOT_WORD = re.compile(r"[^a-z0-9'.\s]+")
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_STRAY_APOSTROPHE = re.compile(r"(?<![a-z])'|'(?![a-z])")
_DIGIT_WORD = re.compile(r"(\d)([a-z])")


def strip_accents(text: str) -> str:
    """Drop diacritics: `één` -> `een`, `tweeëntwintig` -> `tweeentwintig`."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Lowercase, accent-free, punctuation-free text with single spaces.

    Decimal commas survive as dots (`1,5` -> `1.5`), so do apostrophes inside
    words (`m'n`, `kilo's`); very long input is cut to keep every turn fast.
    """
    text = strip_accents(text[:MAX_CHARS].lower())
    text = text.replace("\u2019", "'").replace("`", "'")
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    text = _NOT_WORD.sub(" ", text)
    text = _STRAY_DOT.sub(" ", text)
    text = _STRAY_APOSTROPHE.sub(" ", text)
    text = _DIGIT_WORD.sub(r"\1 \2", text)
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    return normalize(text).split()
