#!/usr/bin/env python3
"""Generate the synthetic Dutch speech fixtures used by tests/scenarios/audio/.

Every entry of ``fixtures.yaml`` becomes ``<id>.wav`` next to this script:
espeak-ng speaks the text, then sox converts it to 16 kHz mono 16-bit PCM and
applies the listed effects (``noise``, ``echo``, ``telephone``).  sox runs in
repeatable mode (``-R``: fixed random seeds) without dither (``-D``), so the
same tool versions give byte-identical files on every run.  ``manifest.json``
records id, text, duration and sha256 of every file; ``--check`` verifies the
WAVs against it without needing espeak-ng or sox.

Usage:
    python audio_fixtures/make_fixtures.py               # all fixtures
    python audio_fixtures/make_fixtures.py --only ID...  # some of them
    python audio_fixtures/make_fixtures.py --check       # verify hashes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
FIXTURES_YAML = HERE / "fixtures.yaml"
MANIFEST = HERE / "manifest.json"

SAMPLE_RATE = 16_000
SNR_DB = 25.0
"""Speech-to-noise ratio of the ``noise`` effect, on the voiced part (audible, yet mild
enough that Whisper base still follows espeak-ng's synthetic Dutch)."""
PAD_S = 0.5
"""Silence before and after the speech (0.5 s gave Whisper base fewer word errors than 0.25 s)."""
MIN_S, MAX_S = 1.0, 4.0
"""Allowed duration of a finished fixture."""
EFFECTS = ("noise", "echo", "telephone")
TOOLS = ("espeak-ng", "sox")
INSTALL_HINT = "apt-get install espeak-ng sox"

SOX = ("sox", "-R", "-D", "-V1")
"""Repeatable mode (fixed seeds), no dither, only errors on stderr."""
OUT_FORMAT = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer")
REVERB = ("reverb", "50", "50", "70")
TELEPHONE = ("sinc", "300-3400")
PEAK = ("gain", "-n", "-3")
"""Normalise every stage to a -3 dBFS peak."""


class FixtureError(Exception):
    """A fixture that cannot be made or checked; the message says what to do."""


@dataclass(frozen=True)
class Fixture:
    """One utterance to synthesise, as listed in fixtures.yaml."""

    id: str
    text: str
    voice: str
    speed: int
    pitch: int
    effects: tuple[str, ...]

    @property
    def wav(self) -> Path:
        """Where the finished WAV file goes."""
        return HERE / f"{self.id}.wav"


def _parse_entry(raw: Any, number: int) -> Fixture:
    """One fixtures.yaml entry as a Fixture, or FixtureError naming the problem."""
    where = f"{FIXTURES_YAML.name} entry {number}"
    if not isinstance(raw, dict):
        raise FixtureError(f"{where}: expected a mapping, got {raw!r}")
    missing = {"id", "text", "voice", "speed", "pitch", "effects"} - set(raw)
    if missing:
        raise FixtureError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    fid = str(raw["id"])
    if not re.fullmatch(r"[a-z0-9_]+", fid):
        raise FixtureError(f"{where}: id {fid!r} must be lowercase letters, digits and _")
    effects = tuple(raw["effects"] or ())
    unknown = [e for e in effects if e not in EFFECTS]
    if unknown:
        raise FixtureError(f"{where} ({fid}): unknown effect(s) {unknown}; known: {', '.join(EFFECTS)}")
    speed, pitch = int(raw["speed"]), int(raw["pitch"])
    if not 80 <= speed <= 450 or not 0 <= pitch <= 99:
        raise FixtureError(f"{where} ({fid}): speed must be 80-450 wpm and pitch 0-99")
    return Fixture(fid, str(raw["text"]), str(raw["voice"]), speed, pitch, effects)


def load_fixtures(path: Path = FIXTURES_YAML) -> list[Fixture]:
    """All fixtures of ``path`` in file order; ids must be unique."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FixtureError(f"cannot read {path}: {exc}") from None
    entries = raw.get("fixtures") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise FixtureError(f"{path}: expected a top-level 'fixtures:' list")
    fixtures = [_parse_entry(entry, n) for n, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for fx in fixtures:
        if fx.id in seen:
            raise FixtureError(f"{path}: id {fx.id!r} is listed twice")
        seen.add(fx.id)
    return fixtures


def require_tools() -> None:
    """FixtureError unless espeak-ng and sox are on PATH."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise FixtureError(f"{' and '.join(missing)} not found on PATH; "
                           f"install with: {INSTALL_HINT}")


def run(cmd: list[str]) -> str:
    """Run ``cmd`` and return its stderr (sox prints stats there); FixtureError on failure."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise FixtureError(f"{cmd[0]} not found; install with: {INSTALL_HINT}") from None
    if done.returncode != 0:
        raise FixtureError(f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.strip()}")
    return done.stderr


def duration_s(wav: Path) -> float:
    """Length of a PCM WAV file in seconds."""
    with wave.open(str(wav), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


def voiced_rms_db(wav: Path) -> float:
    """RMS level (dBFS) of ``wav`` with leading and trailing silence cut off."""
    trim = ["silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse"]
    report = run([*SOX, str(wav), "-n", *trim, "stats"])
    match = re.search(r"^RMS lev dB\s+(-?[\d.]+|-inf)", report, re.MULTILINE)
    if not match or match.group(1) == "-inf":
        raise FixtureError(f"{wav.name}: no audible signal (sox stats: {report.strip()[:200]})")
    return float(match.group(1))


def synthesize(fx: Fixture, raw_wav: Path) -> None:
    """espeak-ng speaks ``fx.text`` into ``raw_wav``."""
    run(["espeak-ng", "-v", fx.voice, "-s", str(fx.speed), "-p", str(fx.pitch),
         "-w", str(raw_wav), fx.text])
    if not raw_wav.exists() or raw_wav.stat().st_size <= 44:
        raise FixtureError(f"{fx.id}: espeak-ng produced no audio (voice {fx.voice!r})")


def clean_track(fx: Fixture, raw_wav: Path, out: Path) -> None:
    """16 kHz mono speech with silence around it, plus room reverb for ``echo``."""
    effects = ["pad", str(PAD_S), str(PAD_S)]
    if "echo" in fx.effects:
        effects += REVERB
    run([*SOX, str(raw_wav), *OUT_FORMAT, str(out), *effects, *PEAK])


def noise_colour(fx: Fixture) -> tuple[str, float]:
    """Noise type and start offset, derived from the id so every file differs but stays fixed."""
    checksum = zlib.crc32(fx.id.encode("utf-8"))
    colour = "whitenoise" if checksum % 4 == 0 else "pinknoise"
    return colour, (checksum % 300) / 100


def add_noise(fx: Fixture, speech: Path, out: Path, tmp: Path) -> None:
    """Mix seeded noise into ``speech`` at SNR_DB below its voiced level."""
    colour, offset = noise_colour(fx)
    length = duration_s(speech)
    noise = tmp / "noise.wav"
    run([*SOX, "-n", *OUT_FORMAT, str(noise), "synth", f"{offset + length:.4f}", colour,
         "trim", f"{offset:.4f}", f"{length:.4f}"])
    gain_db = voiced_rms_db(speech) - SNR_DB - voiced_rms_db(noise)
    factor = f"{10 ** (gain_db / 20):.6f}"
    run([*SOX, "-m", "-v", "1", str(speech), "-v", factor, str(noise), *OUT_FORMAT, str(out)])


def finish(fx: Fixture, track: Path, out: Path) -> None:
    """Telephone band limit if asked, peak normalisation, padding up to MIN_S."""
    effects = list(TELEPHONE) if "telephone" in fx.effects else []
    short = MIN_S - duration_s(track)
    if short > 0:
        effects += ["pad", "0", f"{short + 0.01:.4f}"]
    run([*SOX, str(track), *OUT_FORMAT, str(out), *effects, *PEAK])
    seconds = duration_s(out)
    if not MIN_S <= seconds <= MAX_S:
        raise FixtureError(f"{fx.id}: {seconds:.2f} s is outside {MIN_S}-{MAX_S} s; "
                           f"shorten the text or raise the speed")


def make_fixture(fx: Fixture) -> dict[str, Any]:
    """Build ``fx.wav`` from scratch and return its manifest entry."""
    with tempfile.TemporaryDirectory(prefix="fixture-") as name:
        tmp = Path(name)
        synthesize(fx, tmp / "raw.wav")
        clean_track(fx, tmp / "raw.wav", tmp / "speech.wav")
        track = tmp / "speech.wav"
        if "noise" in fx.effects:
            add_noise(fx, track, tmp / "noisy.wav", tmp)
            track = tmp / "noisy.wav"
        finish(fx, track, tmp / "final.wav")
        shutil.copyfile(tmp / "final.wav", fx.wav)
    return manifest_entry(fx)


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_entry(fx: Fixture) -> dict[str, Any]:
    """What manifest.json records about one finished fixture."""
    return {"id": fx.id, "file": fx.wav.name, "text": fx.text, "voice": fx.voice,
            "speed": fx.speed, "pitch": fx.pitch, "effects": list(fx.effects),
            "duration_s": round(duration_s(fx.wav), 3), "bytes": fx.wav.stat().st_size,
            "sha256": sha256(fx.wav)}


def tool_versions() -> dict[str, str]:
    """First line of ``--version`` of each tool: outputs are identical only for the same versions."""
    versions = {}
    for tool in TOOLS:
        done = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
        first = ((done.stdout or done.stderr).strip().splitlines() or ["unknown"])[0]
        versions[tool] = first.split("Data at:")[0].strip()
    return versions


def read_manifest() -> dict[str, Any]:
    """manifest.json as a dict (empty skeleton when it does not exist yet)."""
    if not MANIFEST.exists():
        return {"fixtures": []}
    try:
        return json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FixtureError(f"cannot read {MANIFEST}: {exc}") from None


def write_manifest(fixtures: list[Fixture], fresh: dict[str, dict[str, Any]]) -> None:
    """Write manifest.json in fixtures.yaml order, keeping old entries not regenerated now."""
    old = {e["id"]: e for e in read_manifest().get("fixtures", [])}
    entries = [fresh.get(fx.id) or old.get(fx.id) for fx in fixtures]
    manifest = {"generator": "audio_fixtures/make_fixtures.py", "sample_rate": SAMPLE_RATE,
                "channels": 1, "sample_width_bits": 16, "tools": tool_versions(),
                "fixtures": [e for e in entries if e]}
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def select(fixtures: list[Fixture], only: list[str] | None) -> list[Fixture]:
    """The fixtures named by ``--only`` (all when None); FixtureError for unknown ids."""
    if not only:
        return fixtures
    known = {fx.id: fx for fx in fixtures}
    unknown = [fid for fid in only if fid not in known]
    if unknown:
        raise FixtureError(f"unknown fixture id(s): {', '.join(unknown)}")
    return [known[fid] for fid in dict.fromkeys(only)]


def generate(fixtures: list[Fixture], chosen: list[Fixture]) -> None:
    """Make every chosen fixture, printing one progress line each, then update the manifest."""
    require_tools()
    fresh: dict[str, dict[str, Any]] = {}
    for number, fx in enumerate(chosen, 1):
        entry = make_fixture(fx)
        fresh[fx.id] = entry
        effects = ",".join(fx.effects) or "clean"
        print(f"[{number:>3}/{len(chosen)}] {fx.id:<42} {entry['duration_s']:5.2f} s  "
              f"{fx.voice:<6} {effects:<16} {entry['sha256'][:12]}", flush=True)
    write_manifest(fixtures, fresh)
    total = sum(fx.wav.stat().st_size for fx in fixtures if fx.wav.exists())
    print(f"wrote {len(chosen)} file(s) and {MANIFEST.name}; "
          f"all fixtures together: {total / 1e6:.2f} MB")


def check_one(fx: Fixture, entry: dict[str, Any] | None) -> str:
    """Empty when ``fx.wav`` matches its manifest entry, else what is wrong."""
    if entry is None:
        return "not in manifest.json (run make_fixtures.py)"
    if entry.get("text") != fx.text:
        return f"text changed: manifest has {entry.get('text')!r}"
    if not fx.wav.exists():
        return f"{fx.wav.name} is missing"
    if sha256(fx.wav) != entry.get("sha256"):
        return "sha256 differs from manifest.json"
    return ""


def check(fixtures: list[Fixture], chosen: list[Fixture]) -> int:
    """Verify the chosen WAVs against manifest.json; print one line per file, return the exit code."""
    manifest = read_manifest()
    entries = {e["id"]: e for e in manifest.get("fixtures", [])}
    failures = 0
    for fx in chosen:
        problem = check_one(fx, entries.get(fx.id))
        failures += bool(problem)
        print(f"{'FAIL' if problem else 'ok  '} {fx.id}{': ' + problem if problem else ''}")
    stray = sorted(set(entries) - {fx.id for fx in fixtures})
    for fid in stray:
        print(f"FAIL {fid}: in manifest.json but not in {FIXTURES_YAML.name}")
    failures += len(stray)
    print(f"{len(chosen) - failures + len(stray)} ok, {failures} failed")
    if failures and manifest.get("tools"):
        print(f"(manifest made with {manifest['tools']}; other tool versions give other bytes)")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these fixture ids")
    parser.add_argument("--check", action="store_true",
                        help="verify the WAV files against manifest.json instead of generating")
    args = parser.parse_args(argv)
    try:
        fixtures = load_fixtures()
        chosen = select(fixtures, args.only)
        if args.check:
            return check(fixtures, chosen)
        generate(fixtures, chosen)
    except FixtureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
