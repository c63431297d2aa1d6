"""The corpus of spoken Dutch (tests/corpus/README.md): load it, run it, count what happened.

Each case is said to a fresh shopper (its ``given`` turns first, unscored) and lands in
one class: **meant** (every expectation holds), **asked** (not meant, the cart did not
change and the reply asks), **wrong** (the cart changed and is not the expected cart)
or **missed** (anything else). Counts and shares are kept per phenomenon and overall.

    summary = run_corpus(["tests/corpus"])
    print(summary.overall.meant_share, summary.phenomena["fillers"].wrong)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .asr.base import Recognizer, transcribe
from .assistant import Assistant, TurnResult
from .audio import read_wav
from .errors import VoiceskillError
from .scenarios import Runner, _as_list, _Loader, _truthy, check, find_scenarios

MEANT, ASKED, WRONG, MISSED = "meant", "asked", "wrong", "missed"
CLASSES = (MEANT, ASKED, WRONG, MISSED)
FILE_KEYS = frozenset({"phenomenon", "catalog", "cases"})
CASE_KEYS = frozenset({"say", "given", "cart", "intent", "asks", "reply_contains", "reply_excludes"})


class CorpusError(VoiceskillError):
    """A corpus file that cannot be read or is not in the corpus format; names file and case."""


@dataclass(frozen=True)
class Case:
    """One utterance to score: what is said first (unscored), what is said, what must hold."""

    path: Path
    number: int
    phenomenon: str
    catalog: Path | None
    say: str
    given: tuple[str, ...]
    expect: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}, case {self.number} ({self.say!r})"

    @property
    def cart(self) -> dict[str, int]:
        return dict(self.expect["cart"])


@dataclass(frozen=True)
class CorpusFile:
    """One phenomenon file: its row name, its catalog (None: built-in) and its cases."""

    path: Path
    phenomenon: str
    catalog: Path | None
    cases: tuple[Case, ...]


@dataclass
class CaseResult:
    """What one case did: its class, the cart before and after ``say``, the reply, what failed."""

    case: Case
    verdict: str
    before: dict[str, int] = field(default_factory=dict)
    cart: dict[str, int] = field(default_factory=dict)
    intent: str = ""
    reply: str = ""
    asks: bool = False
    failures: list[str] = field(default_factory=list)
    error: str = ""

    def failure_lines(self) -> list[str]:
        return [f"{self.case.where}: {line}" for line in ([self.error] if self.error else []) + self.failures]

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.case.path), "case": self.case.number, "phenomenon": self.case.phenomenon,
                "given": list(self.case.given), "say": self.case.say, "verdict": self.verdict,
                "expected_cart": self.case.cart, "before": self.before, "cart": self.cart,
                "intent": self.intent, "reply": self.reply, "asks": self.asks,
                "failures": self.failures, "error": self.error}


@dataclass
class Tally:
    """Counts per class for a set of cases, with shares of all cases."""

    meant: int = 0
    asked: int = 0
    wrong: int = 0
    missed: int = 0
    errors: int = 0

    @property
    def cases(self) -> int:
        return self.meant + self.asked + self.wrong + self.missed

    def share(self, verdict: str) -> float:
        return getattr(self, verdict) / self.cases if self.cases else 0.0

    meant_share = property(lambda self: self.share(MEANT), doc="Share of cases meant.")
    asked_share = property(lambda self: self.share(ASKED), doc="Share of cases asked.")
    wrong_share = property(lambda self: self.share(WRONG), doc="Share of cases wrong.")

    def count(self, verdict: str, error: bool = False) -> None:
        """One more case of class ``verdict`` (``error``: it raised)."""
        setattr(self, verdict, getattr(self, verdict) + 1)
        self.errors += error

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, **{c: getattr(self, c) for c in CLASSES}, "errors": self.errors,
                **{f"{c}_share": round(self.share(c), 4) for c in CLASSES}}


@dataclass
class Summary:
    """All case results, tallied overall and per phenomenon (in first-seen order)."""

    results: list[CaseResult]
    overall: Tally
    phenomena: dict[str, Tally]

    def of(self, verdict: str) -> list[CaseResult]:
        return [r for r in self.results if r.verdict == verdict]

    def to_dict(self, cases: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"overall": self.overall.to_dict(),
                               "phenomena": {name: t.to_dict() for name, t in self.phenomena.items()}}
        if cases:
            out["cases"] = [r.to_dict() for r in self.results]
        return out


def classify(failures: list[str], before: dict[str, int], after: dict[str, int], asks: bool,
             expected_cart: dict[str, int] | None) -> str:
    """The class of one scored turn, as the corpus README defines it.

    ``expected_cart`` None means no cart was expected, so a changed cart is not counted wrong.
    """
    if not failures:
        return MEANT
    if after == before and asks:
        return ASKED
    if after != before and expected_cart is not None and after != expected_cart:
        return WRONG
    return MISSED


def summarize(results: Iterable[CaseResult]) -> Summary:
    """Tally results overall and per phenomenon."""
    listed = list(results)
    overall, phenomena = Tally(), {}
    for result in listed:
        overall.count(result.verdict, bool(result.error))
        phenomena.setdefault(result.case.phenomenon, Tally()).count(result.verdict, bool(result.error))
    return Summary(listed, overall, phenomena)


def _known(raw: dict[Any, Any], known: frozenset[str], where: str) -> None:
    unknown = set(raw) - known
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                          f"(known: {', '.join(sorted(known))})")


def _text(value: Any, what: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CorpusError(f"{where}: '{what}' must be text, got {value!r}")
    return str(value)


def _case(path: Path, number: int, raw: Any, phenomenon: str, catalog: Path | None) -> Case:
    where = f"{path}, case {number}"
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: a case is a mapping with 'say' and 'cart', got {raw!r}")
    _known(raw, CASE_KEYS, where)
    for key in ("say", "cart"):
        if key not in raw:
            raise CorpusError(f"{where}: '{key}' is required")
    say = _text(raw["say"], "say", where)
    where = f"{where} ({say!r})"
    given_raw = raw.get("given") or []
    given = tuple(_text(g, "given", where) for g in (given_raw if isinstance(given_raw, list) else [given_raw]))
    cart = raw["cart"] or {}
    if not isinstance(cart, dict) or not all(isinstance(q, int) and not isinstance(q, bool) and q > 0
                                             for q in cart.values()):
        raise CorpusError(f"{where}: 'cart' must map product ids to whole numbers above 0, got {cart!r}")
    expect: dict[str, Any] = {"cart": {str(k): q for k, q in cart.items()}}
    if "intent" in raw:
        expect["intent"] = _text(raw["intent"], "intent", where)
    if "asks" in raw:
        if not isinstance(raw["asks"], (bool, str)):
            raise CorpusError(f"{where}: 'asks' must be true or false, got {raw['asks']!r}")
        expect["asks"] = _truthy(raw["asks"])
    for key in ("reply_contains", "reply_excludes"):
        if key in raw:
            expect[key] = _as_list(raw[key])
    return Case(path, number, phenomenon, catalog, say, given, expect)


def load_corpus_file(path: str | Path) -> CorpusFile:
    """Parse and check one corpus file; CorpusError names the file and the case."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot read corpus file: {exc}") from None
    if not isinstance(raw, dict) or not raw.get("phenomenon") or not isinstance(raw.get("cases"), list):
        raise CorpusError(f"{path}: not a corpus file (needs 'phenomenon' and a list of 'cases')")
    _known(raw, FILE_KEYS, str(path))
    if not raw["cases"]:
        raise CorpusError(f"{path}: 'cases' is empty")
    catalog = path.parent / str(raw["catalog"]) if raw.get("catalog") else None
    if catalog is not None and not catalog.is_file():
        raise CorpusError(f"{path}: catalog {raw['catalog']} not found (looked for {catalog})")
    phenomenon = _text(raw["phenomenon"], "phenomenon", str(path))
    cases = tuple(_case(path, n, case, phenomenon, catalog) for n, case in enumerate(raw["cases"], 1))
    return CorpusFile(path, phenomenon, catalog, cases)


def load_corpus(paths: Iterable[str | Path]) -> list[CorpusFile]:
    """Every corpus file among ``paths`` (files as given, folders searched for *.yaml)."""
    try:
        found = find_scenarios(paths)
    except VoiceskillError as exc:
        raise CorpusError(str(exc)) from None
    return [load_corpus_file(path) for path in found]


class CorpusRunner:
    """Runs cases: one assistant per catalog (the scenario runner's cache, database ':memory:'),
    and a user of its own for every case so carts and dialogue state never mix."""

    def __init__(self, catalog: str | Path | None = None) -> None:
        self.runner = Runner(catalog)
        self._count = 0

    def check_file(self, corpus: CorpusFile) -> None:
        """Load the file's catalog and check that every expected product is in it."""
        try:
            products = self.runner.assistant(corpus.catalog).catalog
        except VoiceskillError as exc:
            raise CorpusError(f"{corpus.path}: catalog: {exc}") from None
        for case in corpus.cases:
            unknown = [product for product in case.cart if product not in products]
            if unknown:
                raise CorpusError(f"{case.where}: product id(s) {', '.join(unknown)} not in the catalog")

    def run_case(self, case: Case) -> CaseResult:
        """Say the given turns, then ``say``, to a fresh shopper, and classify the last turn."""
        assistant = self.runner.assistant(case.catalog)
        self._count += 1
        user = f"corpus-{self._count}"
        before: dict[str, int] = {}
        try:
            for text in case.given:
                before = assistant.turn(text, user=user).cart
            turn: TurnResult = assistant.turn(case.say, user=user)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding about this case, not the run
            return CaseResult(case, MISSED, before, assistant.cart(user), error=f"raised {exc!r}")
        failures = check(case.expect, turn, case.say)
        verdict = classify(failures, before, turn.cart, turn.asks, case.cart)
        return CaseResult(case, verdict, before, dict(turn.cart), turn.intent, turn.reply.text, turn.asks, failures)

    def run(self, files: Iterable[CorpusFile]) -> Summary:
        """Check and run every case of every file."""
        results: list[CaseResult] = []
        for corpus in files:
            self.check_file(corpus)
            results.extend(self.run_case(case) for case in corpus.cases)
        return summarize(results)


def run_corpus(paths: Iterable[str | Path], catalog: str | Path | None = None) -> Summary:
    """Load and run the corpus under ``paths``; ``catalog`` for files that name none."""
    return CorpusRunner(catalog).run(load_corpus(paths))


@dataclass
class Heard:
    """One recording heard after typed turns: the cart before it, what was heard, the answer."""

    path: Path
    said: str
    before: dict[str, int]
    transcript: str
    result: TurnResult

    @property
    def changed(self) -> bool:
        return self.result.cart != self.before


def read_transcripts(folder: str | Path) -> list[tuple[Path, str]]:
    """The (WAV path, text) pairs of a folder's transcripts.tsv (file<TAB>text, header optional)."""
    lines = (Path(folder) / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t", 1) for line in lines if "\t" in line]
    return [(Path(folder) / name, text.strip()) for name, text in pairs if name.endswith(".wav")]


def hear_after(assistant: Assistant, recognizer: Recognizer, path: Path, said: str, typed: Iterable[str],
               user: str) -> Heard:
    """A fresh shopper ``user`` types ``typed``, then says the recording at ``path``: recognised
    with the dialogue's context (Assistant.expected) and answered with Assistant.hear."""
    before: dict[str, int] = {}
    for text in typed:
        before = assistant.turn(text, user=user).cart
    context = assistant.expected(user)
    transcript = transcribe(recognizer, read_wav(path), context=context)
    return Heard(path, said, before, transcript.text, assistant.hear(transcript, user=user, context=context))
