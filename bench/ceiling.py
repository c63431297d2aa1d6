"""How far choosing among Whisper's own scores can go on the audio fixtures.

The Whisper engine scores a shortlist of grammar sentences against the audio and takes
the best. For each fixture this also scores the sentence really said, and counts:

    chosen     the engine's reading means what was said (intent, products, quantities);
    reachable  a shortlisted grammar sentence meaning what was said outscores every one
               meaning something else: the most any rule choosing within the shortlist gets;
    ceiling    the same with the sentence said put on the shortlist (perfect recall).

A better shortlist can lift `reachable` up to `ceiling`; only better acoustics (a
larger model, a Dutch vosk model, more natural voices) can lift the ceiling. An audio
scenario that says a fixture beyond the ceiling cannot end as scripted: their count
bounds the share of audio scenarios any rescoring can get right.

    python bench/ceiling.py [--json bench/results/ceiling.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from asr import CATALOG, ROOT, SCENARIOS, fixture_texts, meaning

from voiceskill import load_catalog
from voiceskill.asr.whisper_engine import WhisperRecognizer
from voiceskill.audio import read_wav
from voiceskill.nlu import Understander
from voiceskill.scenarios import find_scenarios, load_scenario


class ScoreRecorder(WhisperRecognizer):
    """The Whisper engine, keeping the scores of one utterance's readings and of ``said``."""

    said = ""

    def _rescore(self, encoded: Any, frames: int, heard: list[str],
                 grammar: list[str]) -> tuple[list[tuple[str, float]], tuple[tuple[str, float], ...]]:
        self.scores: dict[str, float] = {}
        readings, margins = super()._rescore(encoded, frames, heard, grammar)
        self.free = set(heard) - set(grammar)
        self.said_score = super().score(encoded, frames, [self.said])[0]
        return readings, margins

    def score(self, encoded: Any, frames: int, texts: list[str]) -> list[float]:
        out = super().score(encoded, frames, texts)
        self.scores.update(zip(texts, out))
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "ceiling.json"))
    args = parser.parse_args()
    catalog = load_catalog(CATALOG)
    understander = Understander(catalog)
    recognizer = ScoreRecorder(catalog)
    counts = {"chosen": 0, "reachable": 0, "ceiling": 0}
    lost: list[dict[str, Any]] = []
    fixtures = fixture_texts()
    for n, (path, said) in enumerate(fixtures, 1):
        recognizer.said, recognizer.scores = said, {}
        text = recognizer.decode(read_wav(path)).text
        wanted = meaning(understander, said)
        right = [s for t, s in recognizer.scores.items() if t not in recognizer.free and meaning(understander, t) == wanted]
        wrong = [s for t, s in recognizer.scores.items() if t not in recognizer.free and meaning(understander, t) != wanted]
        best_wrong = max(wrong, default=float("-inf"))
        counts["chosen"] += meaning(understander, text) == wanted
        counts["reachable"] += bool(right) and max(right) >= best_wrong
        heard_any = bool(recognizer.scores)
        beats = heard_any and max([*right, recognizer.said_score]) >= best_wrong
        counts["ceiling"] += beats
        if not beats:
            lost.append({"file": path.name, "said": said, "heard": text, "said_score": round(recognizer.said_score, 1) if heard_any else None,
                         "best_wrong": round(best_wrong, 1) if wrong else None})
        print(f"\r{n}/{len(fixtures)} fixtures", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)
    print(f"{'fixtures':>10}{'chosen':>10}{'reachable':>11}{'ceiling':>10}")
    print(f"{len(fixtures):>10}" + "".join(f"{counts[k]:>{w}}" for k, w in (("chosen", 10), ("reachable", 11),
                                                                          ("ceiling", 10))))
    print("said, but a sentence meaning something else fits the audio better:")
    for row in lost:
        print(f"  {row['said']!r:40} heard {row['heard']!r:32} said {row['said_score']}  other {row['best_wrong']}")
    scenarios = [load_scenario(p) for p in find_scenarios([SCENARIOS])]
    lost_files = {row["file"] for row in lost}
    doomed = [s.path.name for s in scenarios if any(t.audio and t.audio.name in lost_files for t in s.turns)]
    print(f"{len(doomed)} of {len(scenarios)} audio scenarios say one of these, so at most "
          f"{len(scenarios) - len(doomed)} ({1 - len(doomed) / max(1, len(scenarios)):.0%}) can end as scripted")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"fixtures": len(fixtures), **counts, "lost": lost,
                                           "scenarios": len(scenarios), "scenarios_out_of_reach": doomed,
                                           "at": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
