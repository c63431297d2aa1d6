"""Vosk (Kaldi) speech recognition, restricted to the store's grammar, with a full-vocabulary safety net.

Grammar mode is fast (real-time factor ~0.02) and accurate for in-domain
commands, but forces out-of-grammar speech onto grammar words or ``[unk]``.
So each stream keeps its utterance's audio, and when the grammar result is
mostly ``[unk]`` (or empty although there was speech) it decodes the same
audio again with the model's full vocabulary (engine tag ``vosk-full``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog import Catalog
from .base import NO_CONTEXT, SAMPLE_RATE, Context, SpeechError, Transcript, Word, best_first
from .grammar import ensure_grammar
from .models import missing_files, resolve_vosk_model

ENGINE = "vosk"
ENGINE_FULL = "vosk-full"
UNK = "[unk]"
MAX_BUFFER_SECONDS = 60.0
MAX_IDLE = 4
"""Finished recognizers kept per grammar for the next utterances (one per concurrent stream)."""
"""Audio kept per utterance for the second pass; longer utterances get no fallback."""
SPEECH_RMS = 300.0
"""Frame loudness (int16 RMS, about -40 dBFS) that counts as sound."""
SPEECH_SECONDS = 0.15
FIX = "run `voiceskill model download vosk-nl`, or pass --model PATH to an unzipped vosk model folder"
_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Hypothesis:
    """One decoding of (part of) an utterance, confidence 0..1."""

    text: str
    confidence: float
    words: tuple[Word, ...] = ()


def _vosk() -> Any:
    """Import vosk with its C++ logging silenced (-2: no warnings; errors are captured on load)."""
    try:
        import vosk
    except ImportError as exc:
        raise SpeechError(f"the vosk package is not installed ({exc}); `pip install vosk`") from None
    vosk.SetLogLevel(-2)
    return vosk


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what native code writes to fd 2, so a load error can quote Kaldi's reason."""
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def load_model(path: Path) -> Any:
    """A vosk.Model, loaded once per folder (and reloaded when final.mdl changes)."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise SpeechError(f"vosk model folder {path} does not exist; {FIX}")
    lacking = missing_files(path)
    if lacking:
        raise SpeechError(f"{path} is not a vosk model (missing {', '.join(lacking)}); "
                          f"point at the unzipped model folder itself, or {FIX}")
    stat = (path / "am" / "final.mdl").stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    vosk = _vosk()
    with _MODELS_LOCK:
        if key not in _MODELS:
            failed = False
            with _captured_stderr() as log:
                try:
                    _MODELS[key] = vosk.Model(str(path))
                except Exception:  # noqa: BLE001 - vosk raises a bare Exception
                    failed = True
            if failed:
                reason = next((line for line in reversed(log) if "ERROR" in line), "no reason given")
                raise SpeechError(f"vosk could not load the model in {path} ({reason.strip()}); "
                                  f"the files are damaged or incomplete: {FIX}")
        return _MODELS[key]


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


def _words(raw: list[dict[str, Any]], default: float) -> tuple[Word, ...]:
    return tuple(Word(str(w["word"]), float(w.get("start", 0.0)), float(w.get("end", 0.0)),
                      float(w.get("conf", default))) for w in raw)


def _word_posteriors(hyps: list[Hypothesis]) -> list[Hypothesis]:
    """Per-word confidence of the N-best: the weight of hypotheses with that word at that time.

    Why: vosk gives no word confidences in N-best mode; this marks the words
    the hypotheses disagree on (typically a number) as uncertain.
    """
    out = []
    for hyp in hyps:
        words = tuple(
            Word(w.text, w.start, w.end, min(1.0, round(sum(
                other.confidence for other in hyps
                if any(o.text == w.text and o.start < w.end and w.start < o.end for o in other.words)), 6)))
            for w in hyp.words)
        out.append(Hypothesis(hyp.text, hyp.confidence, words))
    return out


def parse_result(raw: str | dict[str, Any]) -> list[Hypothesis]:
    """Hypotheses of one vosk Result()/FinalResult(), best first.

    N-best results (``alternatives``) get confidences by softmax over vosk's
    scores; a single result gets the mean word confidence. Empty text is dropped.
    """
    result = json.loads(raw) if isinstance(raw, str) else raw
    if "alternatives" in result:
        alts = [a for a in result["alternatives"] if str(a.get("text", "")).strip()]
        if not alts:
            return []
        confs = _softmax([float(a.get("confidence", 0.0)) for a in alts])
        hyps = [Hypothesis(" ".join(str(a["text"]).split()), round(c, 6), _words(a.get("result", []), c))
                for a, c in zip(alts, confs)]
        return _word_posteriors(hyps)
    text = " ".join(str(result.get("text", "")).split())
    if not text:
        return []
    words = _words(result.get("result", []), 1.0)
    conf = sum(w.confidence for w in words) / len(words) if words else 1.0
    return [Hypothesis(text, round(conf, 6), words)]


def parse_partial(raw: str | dict[str, Any]) -> str:
    """The text of a PartialResult(), without ``[unk]``."""
    result = json.loads(raw) if isinstance(raw, str) else raw
    return strip_unk(str(result.get("partial", "")))


def strip_unk(text: str) -> str:
    return " ".join(word for word in text.split() if word != UNK)


def unk_share(segments: list[list[Hypothesis]]) -> float:
    """Share of ``[unk]`` among the best hypothesis's words (1.0 for an empty result)."""
    words = [word for hyps in segments if hyps for word in hyps[0].text.split()]
    return sum(word == UNK for word in words) / len(words) if words else 1.0


def _clean(hyp: Hypothesis) -> Hypothesis:
    return Hypothesis(strip_unk(hyp.text), hyp.confidence, tuple(w for w in hyp.words if w.text != UNK))


def to_transcript(segments: list[list[Hypothesis]], engine: str, max_alternatives: int = 3) -> Transcript:
    """One Transcript from the results of an utterance's segments (vosk splits at pauses).

    The text joins each segment's best; an alternative swaps one segment's
    hypothesis; confidence is the least sure segment's. ``[unk]`` is removed.
    """
    segments = [[_clean(h) for h in hyps] for hyps in segments if hyps]
    if not segments:
        return Transcript("", 0.0, (), (), True, engine)
    best = [hyps[0] for hyps in segments]
    confidence = min(h.confidence for h in best)
    others = []
    for i, hyps in enumerate(segments):
        rest = min((h.confidence for j, h in enumerate(best) if j != i), default=1.0)
        for alt in hyps[1:]:
            texts = [alt.text if j == i else h.text for j, h in enumerate(best)]
            others.append((" ".join(" ".join(texts).split()), min(alt.confidence, rest)))
    text = " ".join(" ".join(h.text for h in best).split())
    alternatives = tuple(a for a in best_first(others) if a[0] != text)[:max(0, max_alternatives - 1)]
    words = tuple(w for h in best for w in h.words)
    return Transcript(text, round(confidence, 6), alternatives, words, True, engine)


def has_speech(audio: np.ndarray, rate: int = SAMPLE_RATE) -> bool:
    """Whether the audio has at least SPEECH_SECONDS of frames louder than SPEECH_RMS."""
    frame = rate // 50
    usable = len(audio) // frame * frame
    if usable == 0:
        return False
    frames = audio[:usable].astype(np.float32).reshape(-1, frame)
    loud = np.sqrt((frames ** 2).mean(axis=1)) > SPEECH_RMS
    return int(loud.sum()) * frame >= SPEECH_SECONDS * rate


def to_int16(samples: np.ndarray) -> np.ndarray:
    """int16 samples as they are; float samples in -1..1 scaled to int16."""
    audio = np.asarray(samples)
    if np.issubdtype(audio.dtype, np.floating):
        return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    return audio.astype(np.int16, copy=False)


class VoskStream:
    """One utterance: grammar decoding as audio arrives, and the audio kept for a second pass."""

    def __init__(self, recognizer: VoskRecognizer, grammar: str | None) -> None:
        self._recognizer = recognizer
        self._grammar = grammar
        self._kaldi = recognizer.acquire(grammar)
        self._segments: list[list[Hypothesis]] = []
        self._audio: list[np.ndarray] = []
        self._kept = 0
        self._overflow = False
        self._last_partial = ""
        self._done = False

    def accept(self, samples: np.ndarray) -> Transcript | None:
        """Feed int16 samples at 16 kHz; returns a partial transcript when the text changed."""
        if self._done:
            raise RuntimeError("this stream is finished; open a new one with recognizer.stream()")
        audio = to_int16(samples)
        if audio.size == 0:
            return None
        self._keep(audio)
        if self._kaldi.AcceptWaveform(audio.astype("<i2").tobytes()):
            self._segments.append(parse_result(self._kaldi.Result()))
            partial = ""
        else:
            partial = parse_partial(self._kaldi.PartialResult())
        heard = [strip_unk(hyps[0].text) for hyps in self._segments if hyps] + [partial]
        text = " ".join(" ".join(heard).split())
        if not text or text == self._last_partial:
            return None
        self._last_partial = text
        return Transcript(text, 0.0, final=False, engine=ENGINE)

    def _keep(self, audio: np.ndarray) -> None:
        """Buffer audio for the second pass, up to MAX_BUFFER_SECONDS."""
        if self._grammar is None or self._overflow:
            return
        self._kept += audio.size
        if self._kept > MAX_BUFFER_SECONDS * SAMPLE_RATE:
            self._overflow, self._audio = True, []
        else:
            self._audio.append(audio.copy())

    def _needs_full_pass(self, audio: np.ndarray) -> bool:
        """Grammar result mostly ``[unk]``, or empty although someone spoke."""
        if self._grammar is None or self._overflow:
            return False
        if not any(self._segments):
            return has_speech(audio)
        return unk_share(self._segments) >= self._recognizer.unk_fallback

    def finish(self) -> Transcript:
        """The final transcript (from the full-vocabulary pass when the grammar did not fit)."""
        if not self._done:
            self._done = True
            self._segments.append(parse_result(self._kaldi.FinalResult()))
            self._recognizer.release(self._grammar, self._kaldi)
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, dtype=np.int16)
        limit = self._recognizer.max_alternatives
        if self._needs_full_pass(audio):
            full = self._recognizer.decode_full(audio)
            if any(full):
                return to_transcript(full, ENGINE_FULL, limit)
        return to_transcript(self._segments, ENGINE, limit)


class VoskRecognizer:
    """A loaded vosk model, optionally restricted to a phrase grammar; cheap to open streams on."""

    name = ENGINE

    def __init__(self, model_path: Path, phrases: list[str] | None = None,
                 max_alternatives: int = 3, unk_fallback: float = 0.5) -> None:
        self.model_path = Path(model_path)
        self.max_alternatives = max_alternatives
        self.unk_fallback = unk_fallback
        self._model = load_model(self.model_path)
        self._vocabulary: dict[str, bool] = {}
        self._idle: dict[str | None, list[Any]] = {}
        self._idle_lock = threading.Lock()
        self.compiled = 0
        """KaldiRecognizers made so far: one per grammar and concurrent stream, not one per utterance."""
        self.phrases: list[str] | None = None
        self.missing_words: tuple[str, ...] = ()
        self._grammar: str | None = None
        self.set_phrases(phrases)

    def knows(self, word: str) -> bool:
        """Whether the model's vocabulary has ``word``."""
        if word not in self._vocabulary:
            self._vocabulary[word] = self._model.vosk_model_find_word(word) >= 0
        return self._vocabulary[word]

    def set_phrases(self, phrases: list[str] | None) -> None:
        """Switch the grammar for new streams (None: full vocabulary).

        Phrases with a word the model lacks are left out whole (vosk would drop
        just that word, turning `geen melk meer` into `geen meer`); the lacking
        words are listed in ``missing_words``. An empty grammar becomes
        ``["[unk]"]`` because libvosk crashes on ``[]``.
        """
        with self._idle_lock:
            self._idle = {None: self._idle.get(None, [])}
        if phrases is None:
            self.phrases, self.missing_words, self._grammar = None, (), None
            return
        known, missing = [], {}
        for phrase in dict.fromkeys(" ".join(p.split()) for p in phrases if p.strip()):
            lacking = [w for w in phrase.split() if w != UNK and not self.knows(w)]
            missing.update(dict.fromkeys(lacking))
            if not lacking:
                known.append(phrase)
        self.phrases, self.missing_words = known, tuple(missing)
        self._grammar = json.dumps(known or [UNK], ensure_ascii=False)

    def acquire(self, grammar: str | None) -> Any:
        """A KaldiRecognizer for ``grammar``: an idle one when there is one, as compiling the
        grammar's decoding graph costs 60-300 ms on x86 and several times that on a Pi."""
        with self._idle_lock:
            idle = self._idle.get(grammar)
            if idle:
                return idle.pop()
        return self.kaldi(grammar)

    def release(self, grammar: str | None, kaldi: Any) -> None:
        """Give back a finished recognizer (FinalResult resets it) for the next utterance."""
        reset = getattr(kaldi, "Reset", None)
        if reset:
            reset()
        with self._idle_lock:
            if grammar == self._grammar or grammar is None:
                pool = self._idle.setdefault(grammar, [])
                if len(pool) < MAX_IDLE:
                    pool.append(kaldi)

    def kaldi(self, grammar: str | None) -> Any:
        """A fresh vosk KaldiRecognizer with words, N-best and the given grammar (JSON list)."""
        vosk = _vosk()
        self.compiled += 1
        if grammar is None:
            kaldi = vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        else:
            kaldi = vosk.KaldiRecognizer(self._model, SAMPLE_RATE, grammar)
        kaldi.SetWords(True)
        kaldi.SetMaxAlternatives(self.max_alternatives if self.max_alternatives > 1 else 0)
        return kaldi

    def decode_full(self, audio: np.ndarray) -> list[list[Hypothesis]]:
        """Decode a whole utterance with the full vocabulary: hypotheses per segment."""
        kaldi = self.acquire(None)
        segments = []
        for start in range(0, len(audio), 8000):
            if kaldi.AcceptWaveform(audio[start:start + 8000].astype("<i2").tobytes()):
                segments.append(parse_result(kaldi.Result()))
        segments.append(parse_result(kaldi.FinalResult()))
        self.release(None, kaldi)
        return segments

    def stream(self, context: Context = NO_CONTEXT) -> VoskStream:
        """``context`` is not needed: the grammar already holds every product of the catalog."""
        return VoskStream(self, self._grammar)


def load_recognizer(model: str | Path | None, catalog: Catalog | None, **options: Any) -> VoskRecognizer:
    """A VoskRecognizer for the chosen model (see models.resolve_vosk_model) and the catalog's grammar."""
    path = resolve_vosk_model(model)
    phrases = ensure_grammar(catalog) if catalog is not None else None
    return VoskRecognizer(path, phrases, **options)
