"""Turns per second and per-turn latency: voiceskill's understanding and full turn,
side by side with Home Assistant's hassil on the same Dutch shopping-list sentences.

    python bench/turns.py [--rounds 5] [--catalog CSV] [--json bench/results/turns.json]

Prints a table and writes JSON. Times on a shared 2-core machine are noisy:
read the medians and the ratio, not single runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PEER_TESTS = ROOT.parent / "shared" / "peers" / "ha-intents-nl" / "tests" / "nl"
HA_TO_OURS = {"HassShoppingListAddItem": "add_item", "HassShoppingListCompleteItem": "remove_item"}
OWN_SENTENCES = [
    "doe maar twee pakken halfvolle melk", "ik wil graag drie bananen", "twee bananen en een komkommer",
    "haal de bananen weg", "wat zit er in mijn mandje", "hoeveel kost het", "maak er vier van",
    "twee liter volle melk", "een kilo gehakt", "ongedaan maken",
]


def peer_sentences(products: list[str]) -> list[tuple[str, str]]:
    """HA's own Dutch shopping-list test sentences, with `appels` replaced by catalog products."""
    pairs: list[tuple[str, str]] = []
    for name, intent in (("shopping_list_HassShoppingListAddItem.yaml", "HassShoppingListAddItem"),
                         ("shopping_list_HassShoppingListCompleteItem.yaml", "HassShoppingListCompleteItem")):
        tests = yaml.safe_load((PEER_TESTS / name).read_text())["tests"]
        for block in tests:
            for sentence in block["sentences"]:
                pairs.extend((sentence.replace("appels", product), intent) for product in products)
    return pairs


def hassil_recognizer() -> Callable[[str], str | None]:
    from hassil import Intents, WildcardSlotList, recognize
    from home_assistant_intents import get_intents

    data = get_intents("nl")
    data["intents"] = {k: v for k, v in data["intents"].items() if k in HA_TO_OURS}
    intents = Intents.from_dict(data)
    slot_lists = {"shopping_list_item": WildcardSlotList("shopping_list_item")}

    def run(text: str) -> str | None:
        result = recognize(text, intents, slot_lists=slot_lists)
        return result.intent.name if result else None

    return run


def measure(fn: Callable[[str], object], sentences: list[str], rounds: int) -> tuple[list[float], list[object]]:
    """Per-call latencies in ms over ``rounds`` passes (after one warm-up pass), and the last outputs."""
    outputs = [fn(s) for s in sentences]
    times: list[float] = []
    for _ in range(rounds):
        for sentence in sentences:
            start = time.perf_counter_ns()
            fn(sentence)
            times.append((time.perf_counter_ns() - start) / 1e6)
    return times, outputs


def summary(name: str, times: list[float]) -> dict[str, float | str | int]:
    ordered = sorted(times)
    return {"name": name, "calls": len(times), "turns_per_s": round(1000 / statistics.mean(times), 1),
            "p50_ms": round(ordered[len(ordered) // 2], 4),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--catalog", default=None)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "turns.json"))
    args = parser.parse_args()

    from voiceskill import Assistant, load_catalog
    from voiceskill.nlu import Understander

    catalog = load_catalog(args.catalog)
    products = [p.name.lower() for p in list(catalog)[:: max(1, len(catalog) // 25)]][:25]
    pairs = peer_sentences(products)
    sentences = [s for s, _ in pairs]
    understander = Understander(catalog)
    hassil = hassil_recognizer()

    rows = []
    t_ours, ours = measure(lambda s: understander.understand(s).intent, sentences, args.rounds)
    rows.append(summary("voiceskill understanding (HA sentences)", t_ours))
    t_ha, theirs = measure(hassil, sentences, args.rounds)
    rows.append(summary("hassil recognize (HA sentences)", t_ha))
    t_own, _ = measure(lambda s: understander.understand(s).intent, OWN_SENTENCES, args.rounds * 20)
    rows.append(summary("voiceskill understanding (own sentences)", t_own))
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(catalog, Path(tmp) / "bench.db")
        t_turn, _ = measure(lambda s: bot.turn(s, user="bench"), sentences, args.rounds)
    rows.append(summary("voiceskill full turn + SQLite commit", t_turn))

    agree_ours = sum(HA_TO_OURS[want] == got for (_, want), got in zip(pairs, ours)) / len(pairs)
    agree_ha = sum(want == got for (_, want), got in zip(pairs, theirs)) / len(pairs)
    ratio = rows[1]["p50_ms"] / rows[0]["p50_ms"]
    print(f"{'benchmark':<44}{'calls':>7}{'turns/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for row in rows:
        print(f"{row['name']:<44}{row['calls']:>7}{row['turns_per_s']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}")
    print(f"understanding speed, hassil p50 / voiceskill p50: {ratio:.2f}x")
    print(f"right intent on HA sentences: voiceskill {agree_ours:.1%}, hassil {agree_ha:.1%} ({len(pairs)} sentences)")

    result = {"rows": rows, "ratio_hassil_over_voiceskill_p50": round(ratio, 3),
              "intent_accuracy": {"voiceskill": agree_ours, "hassil": agree_ha}, "sentences": len(pairs),
              "catalog_products": len(catalog), "python": sys.version.split()[0], "machine": platform.machine(),
              "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
