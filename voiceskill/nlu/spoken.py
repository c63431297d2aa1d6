"""Spoken Dutch to the sentences it means: fillers, repeats, pauses and self-corrections (no IO).

Shoppers and recognisers hand us `uh, doe maar twee, nee drie pakken melk...`;
understanding wants `doe maar drie pakken melk`. A correction inside an
utterance can be read more than one way (`halfvolle melk, nee volle` is
`volle melk`; `een pak volle, nee halfvolle melk` is `een pak halfvolle melk`),
so this stage offers every plausible reading and understanding keeps the one
that explains the most words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import data
from .morphology import stopwords
from .normalize import normalize, strip_accents
from .numbers import parse_number

PAUSE = ","
_PAUSES = re.compile(r"[,;:!]+|\.{2,}|…| - | – ")
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_NEGATIVE = re.compile(r"(?:^|[\s(])[-−–]\s?\d|\bmin(?:us)?\s+(?:\d|een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien)\b")
_LAST_SENTENCE_MARK = re.compile(r"[?.!…\s]+$")


@dataclass(frozen=True)
class Spoken:
    """An utterance cleaned of what spoken Dutch adds around its meaning."""

    readings: tuple[tuple[str, ...], ...]
    """The sentences it may mean, as normalised words; the literal one last."""
    clauses: tuple[tuple[str, ...], ...] = ()
    """What follows a pause, alone (`wat was het nu, een doos eieren`): for when the whole is not understood."""
    question: bool = False
    """It ends with `?` or opens with a question word."""
    problem: str = ""
    """`too_long` or `negative` when the contract says to change nothing."""
    corrected: bool = False
    """The shopper corrected themselves inside the utterance."""
    dropped: int = 0
    """Fillers, repeats and pauses left out."""

    @property
    def words(self) -> tuple[str, ...]:
        """The literal reading."""
        return self.readings[-1]


@lru_cache(maxsize=1)
def _data() -> dict:
    return data.load("spoken")


@lru_cache(maxsize=None)
def _phrases(key: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """A phrase list of spoken.yaml as word tuples by first word, longest first."""
    phrases = sorted({tuple(normalize(p).split()) for p in _data()[key]} - {()}, key=len, reverse=True)
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(found) for first, found in index.items()}


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return frozenset(_data()["function_words"])


@lru_cache(maxsize=1)
def _spellings() -> dict[str, tuple[str, ...]]:
    return {normalize(k) or k: tuple(normalize(v).split()) for k, v in _data()["spellings"].items()}


def _starts(words: list[str], i: int, phrases: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    """Length of the longest of ``phrases`` found at ``words[i]``, 0 when none."""
    if i >= len(words):
        return 0
    for phrase in phrases.get(words[i], ()):
        if tuple(words[i:i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


@lru_cache(maxsize=1)
def _marked_words() -> frozenset[str]:
    """Words that can start something this stage changes: fillers, openers, cues, tails."""
    keys = ("fillers", "openers", "correction_cues", "correction_tails")
    return frozenset(first for key in keys for first in _phrases(key)) | _clause_words()


def _plain(words: list[str]) -> bool:
    """Nothing here for this stage to do: no pause, filler, cue or repeated word (the common case)."""
    marked = _marked_words()
    return all(w != PAUSE and w not in marked for w in words) and \
        all(a != b for a, b in zip(words, words[1:]))


def _words_with_pauses(text: str) -> list[str]:
    """Normalised words, with a PAUSE token where the shopper paused (comma, dots)."""
    text = _DECIMAL_COMMA.sub(r"\1.\2", _THOUSANDS.sub("", text))
    words: list[str] = []
    for piece in _PAUSES.split(text) if _PAUSES.search(text) else (text,):
        words.extend(normalize(piece).split())
        words.append(PAUSE)
    spellings = _spellings()
    out: list[str] = []
    for word in words[:-1]:
        out.extend(spellings.get(word, (word,)))
    return out


def _drop_fillers(words: list[str]) -> tuple[list[str], int]:
    fillers = _phrases("fillers")
    out: list[str] = []
    i = dropped = 0
    while i < len(words):
        used = _starts(words, i, fillers)
        if used:
            i += used
            dropped += 1
            continue
        if words[i] == PAUSE and (not out or out[-1] == PAUSE):
            i += 1
            continue
        said = [w for w in out if w != PAUSE]
        if said and words[i] == said[-1]:
            while out[-1] == PAUSE:
                out.pop()
            dropped += 1
            i += 1
            continue
        out.append(words[i])
        i += 1
    while out and out[-1] == PAUSE:
        out.pop()
    return out, dropped


def _drop_openers(words: list[str]) -> list[str]:
    openers = _phrases("openers")
    while len(words) > 1:
        used = _starts(words, 0, openers)
        if words[0] == PAUSE:
            used = 1
        if not used or used >= len(words):
            break
        words = words[used:]
    return words


def _is_function_word(word: str) -> bool:
    return word in stopwords() or word in _function_words()


def _pauses_to_lists(words: list[str]) -> list[str]:
    """A pause after a product word separates list items (`bananen, appels`); others go."""
    out: list[str] = []
    for k, word in enumerate(words):
        if word != PAUSE:
            out.append(word)
        elif out and k + 1 < len(words) and not _is_function_word(out[-1]) and \
                not _is_function_word(words[k + 1]) and words[k + 1] not in ("plus", "met", "of"):
            out.append("en")
    return out


def _number_span(words: list[str]) -> tuple[int, int] | None:
    """Where the last number of ``words`` is, and how many words it takes."""
    for i in range(len(words) - 1, -1, -1):
        number = parse_number(words, i)
        if number:
            return i, number[1]
    return None


def _corrections(left: list[str], right: list[str]) -> list[list[str]]:
    """Readings of `left, nee right`: right replaces a part of left, the rest may stay."""
    if not right:
        return [left]
    number = parse_number(right, 0)
    span = _number_span(left)
    if number and span:
        start, used = span
        if number[1] == len(right):
            return [left[:start] + right + left[start + used:]]
        return [left[:start] + right, left[:start] + right + left[start + len(right):]]
    readings = [right]
    for p in range(len(left)):
        if _is_function_word(left[p]) or parse_number(left, p):
            continue
        readings.append(left[:p] + right)
        readings.append(left[:p] + right + left[p + len(right):])
    return readings


def _split_correction(words: list[str]) -> tuple[list[str], list[str]] | None:
    """The words before and after the last correction cue that follows some content."""
    cues = _phrases("correction_cues")
    for k in range(len(words) - 1, 0, -1):
        used = _starts(words, k, cues)
        before = [w for w in words[:k] if w != PAUSE]
        if used and any(not _is_function_word(w) or parse_number([w]) for w in before):
            return before, [w for w in words[k + used:] if w != PAUSE]
    return None


def _drop_tail(words: list[str]) -> tuple[list[str], bool]:
    tails = [t for found in _phrases("correction_tails").values() for t in found]
    for tail in tails:
        if len(words) > len(tail) and tuple(words[-len(tail):]) == tail:
            return words[:-len(tail)], True
    return words, False


def _tail_correction(words: list[str]) -> tuple[list[str], list[str]] | None:
    """`twee kroppen sla, ijsbergsla bedoel ik`: what follows the last pause corrects what precedes it."""
    if PAUSE not in words:
        return None
    k = len(words) - 1 - words[::-1].index(PAUSE)
    before = [w for w in words[:k] if w != PAUSE]
    if any(not _is_function_word(w) for w in before):
        return before, words[k + 1:]
    return None


def _clauses(words: list[str]) -> list[list[str]]:
    """Every stretch after a pause or a clause word (`dus`, `want`), to the end."""
    starts = _clause_words()
    return [_pauses_to_lists(words[k + 1:]) for k, w in enumerate(words)
            if (w == PAUSE or w in starts) and words[k + 1:]]


@lru_cache(maxsize=1)
def _clause_words() -> frozenset[str]:
    return frozenset(_data()["clause_words"])


def is_question(words: list[str] | tuple[str, ...], marked: bool = False) -> bool:
    """A final `?`, or a question word first (`wat kost`, `heb je`, `kan ik`)."""
    return marked or bool(_starts(list(words), 0, _phrases("question_openers")))


def clean(text: str) -> Spoken:
    """The readings of one utterance; very long or negative-amount input is flagged."""
    raw = text or ""
    if len(raw) > int(_data()["max_chars"]):
        return Spoken(((),), problem="too_long")
    ascii_text = strip_accents(raw)
    problem = "negative" if _NEGATIVE.search(ascii_text) else ""
    marked = raw.rstrip().endswith("?")
    words = _words_with_pauses(_LAST_SENTENCE_MARK.sub("", raw))
    if _plain(words):
        return Spoken((tuple(words),), (), is_question(words, marked), problem)
    words, dropped = _drop_fillers(words)
    words = _drop_openers(words)
    words, tail = _drop_tail(words)
    readings: list[list[str]] = []
    corrected = False
    split = _split_correction(words) or (_tail_correction(words) if tail else None)
    if split:
        corrected = True
        readings = [_pauses_to_lists(r) for r in _corrections(*split)]
    literal = _pauses_to_lists(words)
    readings = readings + [literal] if readings else [literal]
    unique = tuple(dict.fromkeys(tuple(r) for r in readings if r)) or ((),)
    clauses = tuple(tuple(c) for c in _clauses(words) if c)
    return Spoken(unique, clauses, is_question(unique[-1], marked), problem, corrected or tail, dropped)


def clean_spelling(words: list[str]) -> list[str]:
    """Colloquial spellings written out (`wa weet ge` -> `wat weet je`), nothing dropped: for cues
    that fillers would hide (`weet je` is a filler, `wat weet je van mij` a question)."""
    spellings = _spellings()
    return [out for word in words for out in spellings.get(word, (word,))]
