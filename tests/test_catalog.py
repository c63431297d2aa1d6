"""Catalog loading: any store's CSV, clear line-numbered errors, all or nothing."""

from pathlib import Path

import pytest

from voiceskill.catalog import DEFAULT_CATALOG, load_catalog, parse_catalog, parse_size
from voiceskill.errors import CatalogError

HEADER = "id,name,synonyms,family,category,unit,size,price\n"


def test_spec_catalog(catalog) -> None:
    milk = catalog["halfvolle-melk"]
    assert milk.name == "Halfvolle melk" and milk.unit == "pak" and milk.price == 1.19
    assert milk.synonyms == ("halfvol", "melk halfvol") and milk.family == "melk"
    assert milk.size and milk.size.base == 1000 and milk.size.dimension == "volume"
    assert catalog.families["melk"] == ("halfvolle-melk", "volle-melk", "magere-melk")


@pytest.mark.parametrize("body, line, problem", [
    ("melk,Melk,,,,pak,,1.19\nmelk,Melk,,,,pak,,1.19\n", 3, "duplicate id"),
    ("melk,Melk,,,,liter,,1.19\n", 2, "unknown unit"),
    ("melk,Melk,,,,pak,,1,19\n", 2, "more fields"),
    ("melk,Melk,,,,pak,,gratis\n", 2, "bad price"),
    ("melk,Melk,,,,pak,1 emmer,1.19\n", 2, "bad size"),
    ("Melk!,Melk,,,,pak,,1.19\n", 2, "bad id"),
    ("melk,,,,,pak,,1.19\n", 2, "empty required column 'name'"),
    ("ok,Ok,,,,pak,,1.00\nmelk,Melk,,,,,,1.19\n", 3, "empty required column 'unit'"),
])
def test_errors_name_file_line_and_problem(body: str, line: int, problem: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(HEADER + body, "store.csv")
    assert caught.value.line == line
    assert problem in str(caught.value) and f"store.csv, line {line}" in str(caught.value)


def test_missing_column() -> None:
    with pytest.raises(CatalogError, match="missing column unit"):
        parse_catalog("id,name,price\nmelk,Melk,1.19\n", "x.csv")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER)
    with pytest.raises(CatalogError, match="no products"):
        load_catalog(empty)
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CatalogError, match="not UTF-8"):
        load_catalog(binary)


def test_columns_in_any_order_and_bom() -> None:
    catalog = parse_catalog("\ufeffunit,name,id\npak,Melk,melk\n")
    assert catalog["melk"].name == "Melk"


@pytest.mark.parametrize("text, base", [("1 l", 1000), ("500 g", 500), ("6 stuks", 6), ("1.5 l", 1500),
                                        ("1,5 kg", 1500), ("330 ml", 330)])
def test_sizes(text: str, base: float) -> None:
    assert parse_size(text).base == base


def test_builtin_catalog_is_large_and_covers_departments() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    assert len(catalog) >= 400
    departments = {p.category for p in catalog}
    for needed in ("zuivel", "kaas", "brood", "groente", "fruit", "vlees", "vis", "vega", "ontbijt",
                   "koffie en thee", "pasta en rijst", "conserven", "sauzen", "snacks", "snoep", "dranken",
                   "bier en wijn", "diepvries", "huishouden", "drogisterij", "baby", "dier"):
        assert needed in departments
    assert all(len(members) >= 2 for members in catalog.families.values())


@pytest.mark.parametrize("body, problem", [
    ("a,A,stuk," + "9" * 400, "absurd price"),
    ("a,A,stuk,20000", "absurd price"),
    ("a,A\x00b,stuk,1", "control character"),
    ("a,A\x1b[31m,stuk,1", "control character"),
    ("a," + "x" * 1_001 + ",stuk,1", "characters long"),
    ("a," + "x" * 140_000 + ",stuk,1", "unreadable row"),
])
def test_absurd_prices_control_characters_and_huge_fields_are_line_numbered_errors(body: str, problem: str) -> None:
    with pytest.raises(CatalogError, match=rf"t\.csv, line 2: .*{problem}"):
        parse_catalog("id,name,unit,price\n" + body + "\n", "t.csv")


def test_a_repeated_column_is_an_error() -> None:
    with pytest.raises(CatalogError, match=r"line 1: repeated column id"):
        parse_catalog("id,name,unit,id\na,A,stuk,b\n", "t.csv")
