"""Replaying written conversations (spec/scenarios.md) and checking every expectation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re

import yaml

from .asr.base import Recognizer, transcribe
from .asr.engines import open_recognizer
from .assistant import Assistant, TurnResult
from .audio import read_wav
from .cart import CartStore
from .catalog import load_catalog
from .errors import ScenarioError, VoiceskillError

EXPECT_KEYS = frozenset({"cart", "intent", "asks", "reply_contains", "reply_excludes",
                         "transcript_contains", "ended"})

TRUE_WORDS = frozenset({"true", "yes", "on", "ja"})
SETTINGS = frozenset({"ces"})
"""Optional top-level `settings:` of a scenario (an addition to spec/scenarios.md): `ces: true` runs it
with the effort question after an order on (default off, as in a store that did not choose it)."""


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so `intent: yes` and `say: no` stay words."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
yaml.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                           list("tTfF"), Loader=_Loader)


def _truthy(value: Any) -> bool:
    return value.strip().lower() in TRUE_WORDS if isinstance(value, str) else bool(value)




@dataclass(frozen=True)
class TurnSpec:
    """One turn of a scenario: typed text or a WAV file, and what must hold after it."""

    say: str | None
    audio: Path | None
    expect: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    catalog: Path | None
    turns: tuple[TurnSpec, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    """The store's choices the conversation runs under (`ces: true`); see SETTINGS."""


@dataclass
class TurnOutcome:
    number: int
    said: str
    transcript: str
    result: TurnResult | None
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.number, "input": self.said, "transcript": self.transcript,
                               "failures": self.failures}
        if self.result:
            out.update(intent=self.result.intent, reply=self.result.reply.text, asks=self.result.asks,
                       ended=self.result.ended, cart=self.result.cart)
        return out


@dataclass
class ScenarioResult:
    path: Path
    name: str
    turns: list[TurnOutcome] = field(default_factory=list)
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(not t.failures for t in self.turns)

    def failure_lines(self) -> list[str]:
        if self.error:
            return [f"{self.path}: {self.error}"]
        return [f"{self.path}: turn {t.number} ({t.said!r}): {f}" for t in self.turns for f in t.failures]

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "name": self.name, "passed": self.passed, "error": self.error,
                "turns": [t.to_dict() for t in self.turns]}


def find_scenarios(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files among ``paths``: files as given, folders searched for *.yaml."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_scenario(path: Path) -> Scenario:
    """Parse and check one scenario file; ScenarioError names what is wrong."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read scenario: {exc}") from None
    if not isinstance(raw, dict) or not raw.get("name") or not isinstance(raw.get("turns"), list):
        raise ScenarioError("not a scenario (needs 'name' and a list of 'turns')")
    turns = []
    for number, turn in enumerate(raw["turns"], 1):
        if not isinstance(turn, dict) or ("say" in turn) == ("audio" in turn):
            raise ScenarioError(f"turn {number} needs exactly one of 'say' or 'audio'")
        expect = turn.get("expect") or {}
        unknown = set(expect) - EXPECT_KEYS
        if unknown:
            raise ScenarioError(f"turn {number}: unknown expect key(s) {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(sorted(EXPECT_KEYS))})")
        audio = path.parent / str(turn["audio"]) if "audio" in turn else None
        say = None if turn.get("say") is None and audio else str(turn.get("say") or "")
        turns.append(TurnSpec(say, audio, expect))
    catalog = path.parent / str(raw["catalog"]) if raw.get("catalog") else None
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict) or set(settings) - SETTINGS:
        raise ScenarioError(f"'settings' is a mapping of {', '.join(sorted(SETTINGS))}")
    return Scenario(path, str(raw["name"]), catalog, tuple(turns), {k: _truthy(v) for k, v in settings.items()})


def check(expect: dict[str, Any], result: TurnResult, transcript: str) -> list[str]:
    """What of ``expect`` does not hold for this turn, one line each."""
    failures: list[str] = []
    reply = result.reply.text.lower()

    def fail(key: str, wanted: Any, got: Any) -> None:
        failures.append(f"expected {key} {wanted!r}, got {got!r}")

    if "cart" in expect and {k: int(v) for k, v in (expect["cart"] or {}).items()} != result.cart:
        fail("cart", expect["cart"] or {}, result.cart)
    if "intent" in expect and str(expect["intent"]) != result.intent:
        fail("intent", expect["intent"], result.intent)
    for key, actual in (("asks", result.asks), ("ended", result.ended)):
        if key in expect and _truthy(expect[key]) != actual:
            fail(key, _truthy(expect[key]), actual)
    for wanted in _as_list(expect["reply_contains"]) if "reply_contains" in expect else []:
        if wanted.lower() not in reply:
            fail("reply to contain", wanted, result.reply.text)
    for unwanted in _as_list(expect["reply_excludes"]) if "reply_excludes" in expect else []:
        if unwanted.lower() in reply:
            fail("reply without", unwanted, result.reply.text)
    if "transcript_contains" in expect and str(expect["transcript_contains"]).lower() not in transcript.lower():
        fail("transcript to contain", expect["transcript_contains"], transcript)
    return failures


class Runner:
    """Runs scenarios; one assistant per catalog, a fresh empty cart per scenario.

    Audio turns load the speech engine on first use (one per catalog: the grammar
    and the prompt are built from it).
    """

    def __init__(self, catalog: str | Path | None = None, engine: str = "auto",
                 model: str | Path | None = None) -> None:
        self.default_catalog = catalog
        self.engine = engine
        self.model = model
        self.store = CartStore(":memory:")
        self._assistants: dict[str, Assistant] = {}
        self._recognizers: dict[int, Recognizer] = {}
        self._count = 0

    def recognizer(self, assistant: Assistant) -> Recognizer:
        key = id(assistant)
        if key not in self._recognizers:
            self._recognizers[key] = open_recognizer(assistant.catalog, self.engine, self.model)
        return self._recognizers[key]

    def assistant(self, catalog: Path | None, settings: dict[str, Any] | None = None) -> Assistant:
        chosen = catalog or self.default_catalog
        ces = bool((settings or {}).get("ces"))
        key = (str(Path(chosen).resolve()) if chosen else "") + (" ces" if ces else "")
        if key not in self._assistants:
            same = next((a for k, a in self._assistants.items() if k.removesuffix(" ces") == key.removesuffix(" ces")),
                        None)
            self._assistants[key] = Assistant(same.catalog if same else load_catalog(chosen), self.store, ces=ces)
        return self._assistants[key]

    def run_file(self, path: Path) -> ScenarioResult:
        try:
            scenario = load_scenario(path)
            assistant = self.assistant(scenario.catalog, scenario.settings)
        except VoiceskillError as exc:
            return ScenarioResult(path, path.stem, error=str(exc))
        self._count += 1
        user = f"scenario-{self._count}"
        result = ScenarioResult(path, scenario.name)
        for number, spec in enumerate(scenario.turns, 1):
            result.turns.append(self.run_turn(assistant, user, number, spec))
        return result

    def run_turn(self, assistant: Assistant, user: str, number: int, spec: TurnSpec) -> TurnOutcome:
        if spec.audio is None:
            said = spec.say or ""
            turn = assistant.turn(said, user=user)
            return TurnOutcome(number, said, said, turn, check(spec.expect, turn, said))
        said = str(spec.audio)
        try:
            samples = read_wav(spec.audio)
            context = assistant.expected(user)
            transcript = transcribe(self.recognizer(assistant), samples, context=context)
        except VoiceskillError as exc:
            return TurnOutcome(number, said, "", None, [str(exc)])
        turn = assistant.hear(transcript, user=user, context=context)
        return TurnOutcome(number, said, transcript.text, turn, check(spec.expect, turn, transcript.text))

    def run(self, paths: Iterable[str | Path],
            progress: Callable[[int, int, ScenarioResult], None] | None = None) -> list[ScenarioResult]:
        """Every scenario file under ``paths``; ``progress(done, total, result)`` after each one."""
        files = find_scenarios(paths)
        results: list[ScenarioResult] = []
        for path in files:
            results.append(self.run_file(path))
            if progress:
                progress(len(results), len(files), results[-1])
        return results
