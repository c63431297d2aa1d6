"""Understanding measured three ways: the text corpus (tests/corpus) per phenomenon, the audio
scenarios turn by turn through Whisper, and real off-topic Dutch speech after an order.

    python bench/understanding.py [--text-only] [--json bench/results/understanding.json]
    python bench/understanding.py --blind tests/corpus/blind/batch4   # run a new blind batch once, record it

A blind batch (tests/corpus/blind/BATCH) is written by someone who never saw our code, data or corpus.
Its first run is kept in bench/results/blind/BATCH.json for good (`first_run`); later runs only update
`latest`. Every run prints the table of all batches: the first run of the last batch is the figure
that counts.

Corpus cases are meant, asked, wrong or missed (tests/corpus/README.md). An audio turn is
right when the cart after it is the scripted one, asked when the cart did not change and the
reply asks, wrong when the cart changed to something else. Each off-topic sentence
(../shared/realspeech/nathalie) is heard by a fresh shopper right after the typed order
`twee pakken halfvolle melk en een komkommer`; none of them should change the cart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceskill.corpus import (  # noqa: E402
    CLASSES, MEANT, WRONG, CorpusError, CorpusRunner, Tally, hear_after, load_corpus_file, summarize,
    read_transcripts,
)
from voiceskill.scenarios import Runner, find_scenarios  # noqa: E402

from meta import run_info, write_result  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
FRESH = CORPUS / "fresh"
BLIND = CORPUS / "blind"
BLIND_RESULTS = ROOT / "bench" / "results" / "blind"
SCENARIOS = ROOT / "tests" / "scenarios" / "audio"
NATHALIE = ROOT.parent / "shared" / "realspeech" / "nathalie"
OFFTOPIC_CATALOG = None
"""The built-in catalog (580 products): the store shoppers get, and the most words to mistake speech for."""
OPENING = "twee pakken halfvolle melk en een komkommer"


def pct(share: float) -> str:
    return f"{share:.1%}"


def table(rows: list[tuple[str, Tally]], first: str = "phenomenon") -> None:
    """Cases and the share of each class, one row each; `overall` under a rule."""
    print(f"{first:<28}{'cases':>7}{'meant':>9}{'asked':>9}{'wrong':>9}{'missed':>9}")
    for name, tally in rows:
        if name == "overall":
            print("-" * 71)
        print(f"{name:<28}{tally.cases:>7}" + "".join(f"{pct(tally.share(c)):>9}" for c in CLASSES))


def load_folder(folder: Path) -> tuple[CorpusRunner, list[Any], list[str]]:
    """A runner, every valid corpus file under ``folder``, and the invalid ones left out (their errors)."""
    runner, files, invalid = CorpusRunner(), [], []
    for path in find_scenarios([folder]):
        try:
            loaded = load_corpus_file(path)
            runner.check_file(loaded)
            files.append(loaded)
        except CorpusError as exc:
            invalid.append(str(exc))
    return runner, files, invalid


def run_folder(folder: Path) -> tuple[Any, list[str]]:
    """Every valid corpus file under ``folder`` run: the summary and the invalid files left out."""
    runner, files, invalid = load_folder(folder)
    return runner.run(files), invalid


def blind_batch(folder: Path, arguments: Any) -> dict[str, Any]:
    """Run one blind batch; its first run is recorded once and never overwritten."""
    summary, invalid = run_folder(folder)
    out = BLIND_RESULTS / f"{folder.name}.json"
    run = {**summary.to_dict(cases=True), "invalid": invalid, "run": run_info(arguments)}
    record = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {"batch": folder.name, "first_run": run}
    record["latest"] = run
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"blind batch {folder.name}: {summary.overall.cases} cases ({'first run' if record['first_run'] is run else 'a later run'})")
    table([*summary.phenomena.items(), ("overall", summary.overall)])
    for line in invalid:
        print(f"  left out (invalid): {line}")
    print(f"wrote {out}")
    return record


def tally_of(raw: dict[str, Any]) -> Tally:
    return Tally(**{c: int(raw.get(c, 0)) for c in (*CLASSES, "errors")})


def blind_table() -> None:
    """Every recorded blind batch: its first run, then its latest run."""
    records = sorted(BLIND_RESULTS.glob("*.json"))
    if not records:
        return
    print("\nblind batches (written by people who never saw our code or corpus)")
    rows = []
    for path in records:
        record = json.loads(path.read_text(encoding="utf-8"))
        first, latest = record["first_run"], record.get("latest", record["first_run"])
        rows.append((f"{record['batch']} first run", tally_of(first["overall"])))
        rows.append((f"{record['batch']} now", tally_of(latest["overall"])))
    table(rows, "batch")


def text_corpus(folder: Path = CORPUS) -> dict[str, Any]:
    """Every valid corpus file run; invalid files are listed and left out."""
    runner, files, invalid = load_folder(folder)
    started = time.perf_counter()
    summary = runner.run(files)
    seconds = time.perf_counter() - started
    print(f"text corpus: {len(files)} files, {summary.overall.cases} cases, {seconds:.1f} s")
    for line in invalid:
        print(f"  left out (invalid): {line}")
    crashed = [line for r in summary.results if r.error for line in r.failure_lines()[:1]]
    for line in crashed[:5]:
        print(f"  crashed: {line}")
    table([*summary.phenomena.items(), ("overall", summary.overall)])
    held_out = summarize(r for r in summary.results if FRESH in r.case.path.parents)
    print(f"{'of which fresh/ (held out)':<28}{held_out.overall.cases:>7}"
          + "".join(f"{pct(held_out.overall.share(c)):>9}" for c in CLASSES))
    catalogs = sorted({os.path.relpath(f.catalog.resolve(), ROOT) if f.catalog else "built-in" for f in files})
    return {**summary.to_dict(), "files": len(files), "catalogs": catalogs, "invalid": invalid,
            "crashed": crashed, "seconds": round(seconds, 2), "fresh": held_out.overall.to_dict(),
            "wrong_cases": [r.to_dict() for r in summary.of(WRONG)]}


class CountingRunner(Runner):
    """The scenario runner, remembering the cart before every audio turn."""

    def __init__(self) -> None:
        super().__init__(engine="whisper")
        self.spoken: list[tuple[dict[str, int], dict[str, int], Any, Any]] = []
        self.scripted: dict[str, dict[str, int]] = {}

    def run_turn(self, assistant, user, number, spec):  # type: ignore[no-untyped-def]
        before = assistant.cart(user)
        scripted_before = self.scripted.get(user, {}) if number > 1 else {}
        outcome = super().run_turn(assistant, user, number, spec)
        if "cart" in spec.expect:
            self.scripted[user] = {k: int(v) for k, v in (spec.expect["cart"] or {}).items()}
        if spec.audio is not None:
            self.spoken.append((before, scripted_before, spec, outcome))
        return outcome


def _change(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {p: after.get(p, 0) - before.get(p, 0) for p in set(before) | set(after)
            if after.get(p, 0) != before.get(p, 0)}


def turn_verdict(before: dict[str, int], after: dict[str, int], scripted_before: dict[str, int],
                 scripted_after: dict[str, int] | None, asks: bool) -> str:
    """A spoken turn judged by the change it made, so one wrong turn does not make every later one wrong:
    the scripted change made (meant), none made while asking (asked), another change made (wrong)."""
    if scripted_after is None:
        return MEANT if not _change(before, after) or not asks else "asked"
    made, meant = _change(before, after), _change(scripted_before, scripted_after)
    if made == meant:
        return MEANT
    if not made:
        return "asked" if asks else "missed"
    return WRONG


def audio_scenarios() -> dict[str, Any]:
    """Audio scenarios through Whisper: per spoken turn right / asked / wrong cart, scenarios passed."""
    runner = CountingRunner()
    started = time.perf_counter()
    results = runner.run(find_scenarios([SCENARIOS]))
    seconds = time.perf_counter() - started
    tally, wrong = Tally(), []
    for before, scripted_before, spec, outcome in runner.spoken:
        turn = outcome.result
        expected = {k: int(v) for k, v in (spec.expect.get("cart") or {}).items()} if "cart" in spec.expect else None
        if turn is None:
            verdict = "missed"
        else:
            verdict = turn_verdict(before, turn.cart, scripted_before, expected, turn.asks)
        tally.count(verdict)
        if verdict == WRONG:
            wrong.append({"audio": spec.audio.name, "heard": outcome.transcript,
                          "before": before, "cart": turn.cart, "expected": expected})
    passed = sum(r.passed for r in results)
    print(f"\naudio scenarios (Whisper): {len(runner.spoken)} spoken turns in {len(results)} scenarios, "
          f"{seconds:.1f} s")
    print(f"  cart as scripted {pct(tally.share(MEANT))}, asked {pct(tally.share('asked'))}, "
          f"wrong {pct(tally.share(WRONG))}, missed {pct(tally.share('missed'))}")
    print(f"  scenarios passed {passed} of {len(results)} ({pct(passed / max(1, len(results)))})")
    return {"turns": tally.cases, "right": tally.meant, "asked": tally.asked, "wrong": tally.wrong,
            "missed": tally.missed, "right_share": round(tally.share(MEANT), 4),
            "asked_share": round(tally.share("asked"), 4), "wrong_share": round(tally.share(WRONG), 4),
            "missed_share": round(tally.share("missed"), 4), "scenarios": len(results),
            "scenarios_passed": passed, "seconds": round(seconds, 2), "wrong_turns": wrong}


def offtopic_speech() -> dict[str, Any]:
    """Real off-topic sentences after the opening order: how many changed the cart."""
    if not (NATHALIE / "transcripts.tsv").is_file():
        print(f"\noff-topic speech: {NATHALIE} is not here, skipped")
        return {"skipped": f"{NATHALIE} is not here"}
    runner = Runner(OFFTOPIC_CATALOG, engine="whisper")
    assistant = runner.assistant(None)
    recognizer = runner.recognizer(assistant)
    started = time.perf_counter()
    heard = [hear_after(assistant, recognizer, path, said, [OPENING], f"offtopic-{n}")
             for n, (path, said) in enumerate(read_transcripts(NATHALIE))]
    seconds = time.perf_counter() - started
    changed = [h for h in heard if h.changed]
    print(f"\noff-topic speech (nathalie, after {OPENING!r}): {len(changed)} of {len(heard)} changed the cart, "
          f"{seconds:.1f} s")
    for h in changed[:10]:
        print(f"  {h.path.name}: said {h.said!r}, heard {h.transcript!r} -> {h.result.intent}, {h.result.cart}")
    return {"sentences": len(heard), "changed_cart": len(changed),
            "changed_share": round(len(changed) / max(1, len(heard)), 4), "seconds": round(seconds, 2),
            "catalog": "built-in" if OFFTOPIC_CATALOG is None else str(OFFTOPIC_CATALOG),
            "offenders": [{"file": h.path.name, "said": h.said, "heard": h.transcript, "intent": h.result.intent,
                           "before": h.before, "cart": h.result.cart} for h in changed]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text-only", action="store_true", help="skip the audio scenarios and the real speech")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=argparse.SUPPRESS)
    parser.add_argument("--blind", type=Path, metavar="FOLDER",
                        help="run one blind batch (tests/corpus/blind/BATCH), record its first run, print all batches")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "understanding.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.blind:
        blind_batch(args.blind.resolve(), args)
        blind_table()
        return 0
    result: dict[str, Any] = {"text": text_corpus(args.corpus)}
    if not args.text_only:
        result["audio"] = audio_scenarios()
        result["offtopic"] = offtopic_speech()
    blind_table()
    write_result(args.json, result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
