"""One recogniser interface for every speech engine: stream audio in, transcripts out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import VoiceskillError

if TYPE_CHECKING:  # numpy is imported where audio is handled: a text-only start does not pay 0.1 s for it
    import numpy as np

SAMPLE_RATE = 16_000
"""Every engine takes 16 kHz mono; voiceskill.audio converts anything else."""


class SpeechError(VoiceskillError):
    """A speech engine or model that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing (seconds) and confidence (0..1)."""

    text: str
    start: float
    end: float
    confidence: float = 1.0


@dataclass(frozen=True)
class Context:
    """What the conversation makes likely next, for engines that can weigh it (Whisper)."""

    products: tuple[str, ...] = ()
    """Product ids: the last product named, the cart."""
    options: tuple[str, ...] = ()
    """Product ids the assistant just asked to choose between (`de tweede`, `volle`)."""

    @property
    def choosing(self) -> bool:
        return bool(self.options)

    @property
    def likely(self) -> tuple[str, ...]:
        """Options first, then the other products, once each."""
        return tuple(dict.fromkeys(self.options + self.products))


NO_CONTEXT = Context()


@dataclass(frozen=True)
class Transcript:
    """What was heard: the best text, how sure, and what else it might have been."""

    text: str
    confidence: float = 1.0
    alternatives: tuple[tuple[str, float], ...] = ()
    """Other hypotheses as (text, confidence), best first, not including ``text``."""
    words: tuple[Word, ...] = ()
    final: bool = True
    """False for a partial result while audio is still streaming in."""
    engine: str = ""
    margins: tuple[tuple[str, float], ...] = ()
    """For each reading from the store's grammar: log P(reading | audio) minus that of the
    recogniser's best free reading (its own words), in nats. Empty when the engine has none."""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": self.confidence,
                "alternatives": [list(a) for a in self.alternatives],
                "words": [vars(w) for w in self.words], "final": self.final, "engine": self.engine,
                "margins": [list(m) for m in self.margins]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "Transcript":
        return cls(raw["text"], raw.get("confidence", 1.0),
                   tuple((str(t), float(c)) for t, c in raw.get("alternatives", [])),
                   tuple(Word(**w) for w in raw.get("words", [])), raw.get("final", True), raw.get("engine", ""),
                   tuple((str(t), float(m)) for t, m in raw.get("margins", [])))

    def support(self, text: str) -> float | None:
        """How much better the audio itself fits ``text`` than the recogniser's own best words
        (nats; negative when the store's grammar had to favour it); None when unknown, or for
        a free reading itself.

        Why: a store sentence can win only because the grammar favours it (`dat doe je tenslotte
        ook` heard as `doe mij er nog een erbij`); then the audio hardly supports a cart change.
        """
        return dict(self.margins).get(text)

    def _free(self) -> str:
        """The recogniser's own best reading (not a grammar sentence), or ``""``."""
        grammar = dict(self.margins)
        if not grammar:
            return ""
        return next((t for t, _ in ((self.text, self.confidence), *self.alternatives) if t not in grammar), "")

    def number_contradicted(self, text: str) -> bool:
        """Whisper's own words hear one number and ``text`` another (`marker twee mond` vs `maak er een van`)."""
        free, said = _number_values(self._free()), _number_values(text)
        return len(free) == 1 and len(said) == 1 and free != said

    def number_heard_before(self, product_words: str) -> float:
        """The share of the readings that hear a number right before ``product_words``."""
        total = sum(c for _, c in ((self.text, self.confidence), *self.alternatives)) or 1.0
        counted = sum(c for t, c in ((self.text, self.confidence), *self.alternatives)
                      if _number_before(t.lower().split(), product_words.split()))
        return counted / total

    def words_beyond(self, text: str) -> int:
        """How many more words the recogniser's own best free reading has than ``text``: speech
        a short store sentence leaves unexplained (`vier pakken magere melk` read as `wit`)."""
        grammar = dict(self.margins)
        free = [t for t, _ in ((self.text, self.confidence), *self.alternatives) if t not in grammar]
        if not grammar or not free:
            return 0
        return len(free[0].split()) - len(text.split())

    def word_confidences(self) -> dict[str, float]:
        """How sure the recogniser is of each (lowercased) word, for confirming uncertain numbers.

        The word's own confidence, or, when higher, the share of the hypotheses'
        confidence that goes to readings containing it: a number all readings agree
        on is not in doubt even when an engine's word scores are low (Whisper on
        synthetic voices), one they disagree on is.
        """
        out: dict[str, float] = {}
        for word in self.words:
            key = word.text.lower().strip(".,!?")
            out[key] = min(out.get(key, 1.0), word.confidence)
        if self.alternatives:
            readings = [(set(_words(text)), weight) for text, weight in
                        ((self.text, self.confidence), *self.alternatives)]
            total = sum(weight for _, weight in readings)
            if total <= 0:
                readings, total = [(words, 1.0) for words, _ in readings], float(len(readings))
            for said in _words(self.text):
                agreement = sum(weight for words, weight in readings if said in words) / total
                out[said] = max(out.get(said, 0.0), agreement)
        return out


def _number_values(text: str) -> set[float]:
    from ..nlu.numbers import parse_number

    words = text.lower().split()
    return {found[0] for i in range(len(words)) if (found := parse_number(words, i))}


def _number_before(words: list[str], product: list[str]) -> bool:
    from ..nlu.numbers import articles, parse_number

    n = len(product)
    return any(words[i:i + n] == product and i > 0 and parse_number(words, i - 1) and words[i - 1] not in articles()
               for i in range(len(words)))


def _words(text: str) -> list[str]:
    return [w.strip(".,!?") for w in text.lower().split()]


class Stream(Protocol):
    """One utterance being recognised."""

    def accept(self, samples: np.ndarray) -> Transcript | None:
        """Feed int16 samples at 16 kHz; may return a partial transcript."""

    def finish(self) -> Transcript:
        """No more audio: the final transcript."""


class Recognizer(Protocol):
    """A loaded speech engine; cheap to open streams on, expensive to create."""

    name: str

    def stream(self, context: Context = NO_CONTEXT) -> Stream:
        """Open an utterance; ``context`` says what the conversation makes likely."""


def transcribe(recognizer: Recognizer, samples: np.ndarray, chunk: int = 4000,
               context: Context = NO_CONTEXT) -> Transcript:
    """Recognise a whole utterance by streaming it in chunks (as a microphone would)."""
    stream = recognizer.stream(context)
    for start in range(0, len(samples), chunk):
        stream.accept(samples[start:start + chunk])
    return stream.finish()


def chunks(samples: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(samples), size):
        yield samples[start:start + size]


@dataclass
class BufferedStream:
    """A stream for engines that decode whole utterances: collects audio, decodes at the end."""

    decode: Any
    """Callable[[np.ndarray], Transcript] run on finish()."""
    parts: list[np.ndarray] = field(default_factory=list)

    def accept(self, samples: np.ndarray) -> Transcript | None:
        import numpy as np

        self.parts.append(np.asarray(samples, dtype=np.int16))
        return None

    def finish(self) -> Transcript:
        import numpy as np

        audio = np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int16)
        return self.decode(audio)


def best_first(hypotheses: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Distinct non-empty hypotheses, most confident first."""
    seen: dict[str, float] = {}
    for text, score in hypotheses:
        text = " ".join(text.split())
        if text and score > seen.get(text, -1.0):
            seen[text] = score
    return sorted(seen.items(), key=lambda item: -item[1])
