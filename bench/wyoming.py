"""Wyoming round trips on loopback, made the way Home Assistant makes them (one connection per request).

    python bench/wyoming.py [--text-turns 200] [--spoken 20] [--clients 20] [--client-turns 10]

- text turn: connect, `transcript` with a conversation id, `handled`; p50/p99.
- spoken turn: an espeak-made fixture streamed as `audio-chunk`s (as fast as the socket takes
  them), then `audio-stop`; from that moment to the `transcript`, and to the `handled` of the
  text turn that follows with those words (what Home Assistant does next).
- concurrency: ``--clients`` clients at once, each its own conversation, each ``--client-turns``
  text turns (`een komkommer`, on a listener of its own) and one spoken turn; turns sent, answered,
  lost (no answer or an error) and komkommers lost from that cart (each answered text turn adds one).
  The 1-minute load average before and after is recorded: other work on the machine shows there.

Starts `voiceskill wyoming` (Whisper) on 127.0.0.1 with a temporary database, stops it, prints a
table and writes JSON (default bench/results/wyoming.json). Only loopback is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the library: without its own folder on the path, `import wyoming` is the library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from wyoming.asr import Transcribe, Transcript  # noqa: E402
from wyoming.audio import AudioChunk, AudioStart, AudioStop  # noqa: E402
from wyoming.client import AsyncTcpClient  # noqa: E402

from voiceskill.audio import read_wav  # noqa: E402

FIXTURES = ["add_twee_pakken_halfvolle_melk", "add_vier_bananen", "read_wat_zit_er_in_mijn_mandje",
            "add_een_komkommer", "amb_melk", "total_hoeveel_kost_het", "add_vijf_flessen_cola",
            "remove_haal_de_bananen_weg", "add_een_doos_eieren", "checkout_afrekenen"]
CHUNK_BYTES = 2048
"""What Home Assistant sends per chunk: 1024 samples of 16 kHz 16-bit mono (64 ms)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1)}


async def text_turn(port: int, text: str, conversation: str) -> tuple[float, str]:
    """(seconds from connect to answer, the answer's type or `lost`)."""
    began = time.perf_counter()
    try:
        async with AsyncTcpClient("127.0.0.1", port, connect_timeout=30, read_timeout=300) as client:
            await client.write_event(Transcript(text, context={"conversation_id": conversation}).event())
            event = await client.read_event()
    except (OSError, asyncio.TimeoutError):
        event = None
    return time.perf_counter() - began, event.type if event else "lost"


async def spoken_turn(port: int, audio: bytes, conversation: str) -> tuple[float, float, str]:
    """(audio-stop to transcript, audio-stop to handled, the handle answer's type or `lost`)."""
    context = {"conversation_id": conversation}
    try:
        async with AsyncTcpClient("127.0.0.1", port, connect_timeout=30, read_timeout=600) as client:
            await client.write_event(Transcribe(language="nl", context=context).event())
            await client.write_event(AudioStart(rate=16_000, width=2, channels=1).event())
            for start in range(0, len(audio), CHUNK_BYTES):
                await client.write_event(AudioChunk(rate=16_000, width=2, channels=1,
                                                    audio=audio[start:start + CHUNK_BYTES]).event())
            await client.write_event(AudioStop().event())
            stopped = time.perf_counter()
            event = await client.read_event()
            heard = time.perf_counter() - stopped
        if event is None or event.type != "transcript":
            return heard, float("nan"), "lost"
        _, answer = await text_turn(port, event.data["text"], conversation)
        return heard, time.perf_counter() - stopped, answer
    except (OSError, asyncio.TimeoutError):
        return float("nan"), float("nan"), "lost"


async def sequential_text(port: int, turns: int) -> tuple[list[float], int]:
    times, lost = [], 0
    for n in range(turns):
        seconds, answer = await text_turn(port, "twee bananen" if n % 2 else "wat zit er in mijn mandje", f"seq-{n // 10}")
        times.append(seconds)
        lost += answer not in ("handled", "not-handled")
    return times, lost


async def sequential_spoken(port: int, audio: list[bytes], turns: int) -> tuple[list[float], list[float], int]:
    heard, handled, lost = [], [], 0
    for n in range(turns):
        to_transcript, to_handled, answer = await spoken_turn(port, audio[n % len(audio)], f"spoken-{n}")
        heard.append(to_transcript)
        handled.append(to_handled)
        lost += answer not in ("handled", "not-handled")
    return heard, handled, lost


async def crowd(port: int, spoken_port: int, clients: int, turns: int, audio: list[bytes]) -> dict:
    """Text turns on ``port`` (whose cart counts them), spoken turns on ``spoken_port``, all at once."""
    async def one(n: int) -> tuple[list[float], list[str], tuple[float, float, str]]:
        times, answers = [], []
        spoken = (float("nan"), float("nan"), "lost")
        for turn in range(turns):
            seconds, answer = await text_turn(port, "een komkommer", f"crowd-{n}")
            times.append(seconds)
            answers.append(answer)
            if turn == turns // 2:
                spoken = await spoken_turn(spoken_port, audio[n % len(audio)], f"crowd-{n}-spoken")
        return times, answers, spoken

    began = time.perf_counter()
    results = await asyncio.gather(*(one(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    text_times = [t for times, _, _ in results for t in times]
    answers = [a for _, answered, _ in results for a in answered]
    spoken = [s for _, _, s in results]
    return {"clients": clients, "seconds": round(elapsed, 2),
            "text_sent": len(answers), "text_answered": sum(a == "handled" for a in answers),
            "spoken_sent": len(spoken), "spoken_answered": sum(s[2] in ("handled", "not-handled") for s in spoken),
            "text": summary(text_times),
            "spoken_to_transcript": summary([s[0] for s in spoken if s[0] == s[0]]),
            "spoken_to_handled": summary([s[1] for s in spoken if s[1] == s[1]])}


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 300) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if server.poll() is not None:
            raise SystemExit("the server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text-turns", type=int, default=200, help="sequential text turns")
    parser.add_argument("--spoken", type=int, default=20, help="sequential spoken turns")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--client-turns", type=int, default=10, help="text turns per concurrent client")
    parser.add_argument("--engine", default="whisper")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "wyoming.json"))
    args = parser.parse_args()

    audio = [read_wav(ROOT / "audio_fixtures" / f"{name}.wav").tobytes() for name in FIXTURES]
    port, crowd_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        server = subprocess.Popen(
            [sys.executable, "-m", "voiceskill.cli", "wyoming", "--uri", f"tcp://127.0.0.1:{port}",
             "--satellite", f"crowd=tcp://127.0.0.1:{crowd_port}", "--engine", args.engine, "--db", str(db),
             "--max-connections", str(max(64, 4 * args.clients))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        try:
            wait_ready(port, server)
            wait_ready(crowd_port, server)
            load_before = os.getloadavg()
            asyncio.run(spoken_turn(port, audio[0], "warm-up"))  # Whisper's first decode is slower
            text, text_lost = asyncio.run(sequential_text(port, args.text_turns))
            heard, handled, spoken_lost = asyncio.run(sequential_spoken(port, audio, args.spoken))
            concurrent = asyncio.run(crowd(crowd_port, port, args.clients, args.client_turns, audio))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        from voiceskill.cart import CartStore

        komkommer = CartStore(db).cart("wyoming:user:crowd").get("komkommer", 0)
    concurrent["items_lost"] = concurrent["text_answered"] - komkommer
    concurrent["lost"] = (concurrent["text_sent"] - concurrent["text_answered"]
                          + concurrent["spoken_sent"] - concurrent["spoken_answered"])
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "engine": args.engine,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]},
        "text_turn": {**summary(text), "lost": text_lost},
        "spoken_to_transcript": {**summary(heard), "lost": spoken_lost},
        "spoken_to_handled": summary(handled),
        "concurrent": concurrent,
    }
    print_table(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")
    return 0 if concurrent["lost"] == 0 and concurrent["items_lost"] == 0 and not text_lost and not spoken_lost else 1


def print_table(report: dict) -> None:
    c = report["concurrent"]
    rows = [
        ("text turn (connect -> handled)", report["text_turn"]),
        ("spoken: audio-stop -> transcript", report["spoken_to_transcript"]),
        ("spoken: audio-stop -> handled", report["spoken_to_handled"]),
        (f"{c['clients']} clients: text turn", c["text"]),
        (f"{c['clients']} clients: audio-stop -> transcript", c["spoken_to_transcript"]),
        (f"{c['clients']} clients: audio-stop -> handled", c["spoken_to_handled"]),
    ]
    print(f"{'':44}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in rows:
        print(f"{name:44}{row['n']:>6}{row['p50_ms']:>10}{row['p99_ms']:>10}")
    print(f"{c['clients']} concurrent clients: text turns sent {c['text_sent']}, answered {c['text_answered']}; "
          f"spoken turns sent {c['spoken_sent']}, answered {c['spoken_answered']}; lost {c['lost']}; "
          f"cart items lost {c['items_lost']}")


if __name__ == "__main__":
    sys.exit(main())
