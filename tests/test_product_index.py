"""The product index: fuzzy candidates from letter trigrams, one matcher per catalog, a disk cache."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from voiceskill import Assistant, load_catalog
from voiceskill.catalog import Catalog
from voiceskill.nlu.matcher import FUZZY_CANDIDATES, ProductMatcher
from voiceskill.nlu.product_index import ProductIndex

BUILTIN = Path(__file__).resolve().parent.parent / "catalog" / "products.csv"
MISSPELT = ["kippefilet", "komkomer", "halvollemelk", "pindakas", "tomatenketsup", "hagelslaag", "yoghurd",
            "spagetti", "apelsap", "bloemkoll", "sinasappels", "toiletpapir", "afwasmidel", "karnenmelk"]


@pytest.fixture(scope="module")
def builtin() -> Catalog:
    return load_catalog(BUILTIN)


@pytest.mark.parametrize("said", MISSPELT)
def test_trigram_candidates_hold_the_best_fuzzy_name(builtin: Catalog, said: str) -> None:
    """The few hundred candidates hold what a comparison with every name would pick."""
    index = ProductMatcher.shared(builtin).index
    everywhere = process.extractOne(said, index.choices, scorer=fuzz.ratio)
    candidates = index.candidates(said, FUZZY_CANDIDATES)
    assert len(candidates) <= FUZZY_CANDIDATES
    among = process.extractOne(said, [index.choices[n] for n in candidates], scorer=fuzz.ratio)
    assert among is not None and among[1] == everywhere[1]


def test_one_matcher_serves_understanding_and_dialogue(builtin: Catalog, tmp_path: Path) -> None:
    bot = Assistant(builtin, tmp_path / "c.db")
    assert bot.understander.matcher is bot.dialogue.matcher is ProductMatcher.shared(builtin)


def _big_store(path: Path, rows: int, extra: str = "") -> Path:
    """The built-in catalog repeated under brand names, to pass the size from which caching starts."""
    base = list(csv.DictReader(BUILTIN.open(encoding="utf-8")))
    out = [dict(r) for r in base]
    brands = ["Campina", "Unox", "Hak", "Verkade", "Duyvis", "Calvé", "Zwanenberg", "Bolletje"]
    for brand in brands:
        for r in base:
            out.append({**r, "id": f"{brand.lower().replace('é', 'e')}-{r['id']}", "synonyms": "",
                        "name": f"{brand} {r['name'].lower()}{extra}"})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(base[0]))
        writer.writeheader()
        writer.writerows(out[:rows])
    return path


def test_a_warm_start_loads_catalog_and_index_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VOICESKILL_CACHE", str(tmp_path / "cache"))
    store = _big_store(tmp_path / "big.csv", 3000)
    first = ProductMatcher(load_catalog(store))
    files = sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.pickle"))
    assert files == ["catalog", "index"]

    def no_build(*args, **kwargs):
        raise AssertionError("built again although cached")

    monkeypatch.setattr(ProductIndex, "build", classmethod(no_build))
    again = ProductMatcher(load_catalog(store))
    assert again.index.choices == first.index.choices
    assert again.match(["campina", "halfvolle", "melk"]).product_ids == ("campina-halfvolle-melk",)
    assert load_catalog(store).source == str(store)

    changed = _big_store(tmp_path / "changed.csv", 3000, extra=" extra")
    with pytest.raises(AssertionError, match="built again"):
        ProductMatcher(load_catalog(changed))


def test_a_damaged_cache_is_rebuilt_and_an_unwritable_one_only_costs_time(tmp_path: Path, monkeypatch,
                                                                         caplog) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("VOICESKILL_CACHE", str(cache))
    store = _big_store(tmp_path / "big.csv", 2500)
    ProductMatcher(load_catalog(store))
    for pickled in cache.glob("*.pickle"):
        pickled.write_bytes(b"\x80\x05garbage")
    with caplog.at_level(logging.WARNING):
        matcher = ProductMatcher(load_catalog(store))
    assert matcher.match(["unox", "rookworst"]) and "unreadable cache" in caplog.text
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("VOICESKILL_CACHE", str(blocker / "cache"))
    with caplog.at_level(logging.WARNING):
        assert ProductMatcher(load_catalog(store)).match(["unox", "rookworst"])
    assert "cannot write the cache" in caplog.text
    monkeypatch.setenv("VOICESKILL_CACHE", "off")
    ProductMatcher(load_catalog(store))
    assert not (blocker / "cache").exists()
