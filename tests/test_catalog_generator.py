"""bench/catalogs.py: generated store catalogs are deterministic, prefix-stable, unique and loadable,
have a real store's large families, and the fixed utterances hold at every size."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from voiceskill import load_catalog

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "catalogs.py"


def _module():
    spec = importlib.util.spec_from_file_location("bench_catalogs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _module()


@pytest.fixture(scope="module")
def largest() -> list:
    return gen.generate(gen.MAX_SIZE)


def test_prefix_stable_and_deterministic(tmp_path: Path) -> None:
    small = gen.csv_text(gen._generate(580))
    larger = gen.csv_text(gen._generate(2000))
    assert larger.startswith(small)
    assert larger.splitlines()[:581] == small.splitlines()
    # Another process, another hash seed: byte-identical output.
    out = tmp_path / "580.csv"
    run = subprocess.run([sys.executable, str(SCRIPT), "580", str(out)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "wrote 580 products" in run.stdout and "largest families" in run.stdout
    assert out.read_text(encoding="utf-8") == small


def test_names_ids_and_synonyms_unique(largest) -> None:
    rows = largest[:10_000]
    assert len({r.id for r in rows}) == len(rows)
    assert all(gen.slug(r.id) == r.id for r in rows)
    names = Counter(gen.compact_key(r.name) for r in rows)
    assert names.most_common(1)[0][1] == 1
    assert len({gen.words_key(r.name) for r in rows}) == len(rows)
    owner: dict[str, str] = {}
    for row in rows:
        for phrase in (row.name, *row.synonyms):
            key = gen.compact_key(phrase)
            assert owner.setdefault(key, row.id) == row.id, f"{phrase!r} of {row.id} is also {owner[key]}'s"
    families = {gen.compact_key(f) for f in gen.family_sizes(rows)}
    assert not families & set(owner), "a family word is also a product's name or synonym"


@pytest.mark.parametrize("n", [580, 2000, 10_000])
def test_loads_with_the_real_loader(n: int, tmp_path: Path, largest) -> None:
    path = tmp_path / f"{n}.csv"
    path.write_text(gen.csv_text(largest[:n]), encoding="utf-8")
    catalog = load_catalog(path)
    assert len(catalog) == n
    assert list(catalog.products) == [r.id for r in largest[:n]]
    assert len({p.category for p in catalog}) == 22, "every department is there from the start"
    assert len(catalog.families) > 100
    assert all(p.price and 0.19 <= p.price < 100 for p in catalog)


def test_large_families_at_ten_thousand(largest) -> None:
    sizes = gen.family_sizes(largest[:10_000])
    big = [family for family, count in sizes.items() if count > 150]
    assert sizes.most_common(1)[0][1] > 400
    assert {"kaas", "koffie", "chips", "melk", "yoghurt"} <= set(big)
    assert len(big) >= 8


def test_utterances_hold_at_every_size(largest) -> None:
    items = gen.load_utterances()
    assert 100 <= len(items) <= 200
    kinds = Counter(item["kind"] for item in items)
    assert set(kinds) == set(gen.KINDS) and min(kinds.values()) >= 10
    base = {r.id for r in largest[:gen.BASE_SIZE]}
    for item in items:
        assert set(item.get("cart") or {}) <= base, item["text"]
        assert bool(item.get("asks")) != bool(item.get("cart")), item["text"]
    assert gen.check_utterances(items, largest[:gen.BASE_SIZE], largest) == []
    gen._checked.append(True)  # the CLI below need not check them again


def test_cli_writes_utterances(tmp_path: Path, capsys) -> None:
    out, said = tmp_path / "c.csv", tmp_path / "u.yaml"
    assert gen.main(["600", str(out), "--utterances", str(said)]) == 0
    assert "wrote 600 products" in capsys.readouterr().out
    written = yaml.safe_load(said.read_text(encoding="utf-8"))["utterances"]
    assert written == gen.load_utterances()
    assert gen.main(["0", str(tmp_path / "none.csv")]) == 2
    assert "at least one product" in capsys.readouterr().err
