"""The scenario runner itself: loading, checking, reporting, the CLI contract."""

from pathlib import Path

from click.testing import CliRunner

from voiceskill.cli import main

CATALOG = Path(__file__).parent / "catalogs" / "spec.csv"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pass_fail_lines_and_exit_code(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", f"name: goed\ncatalog: {CATALOG}\nturns:\n"
          "  - say: twee bananen\n    expect: {cart: {bananen: 2}, intent: add_item, asks: false}\n")
    write(tmp_path, "bad.yaml", f"name: fout\ncatalog: {CATALOG}\nturns:\n"
          "  - say: twee bananen\n    expect: {cart: {bananen: 3}, reply_contains: [komkommer]}\n")
    result = CliRunner().invoke(main, ["scenarios", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert any("bad.yaml: turn 1" in line and "expected cart" in line for line in lines)
    assert any("expected reply to contain 'komkommer'" in line for line in lines)


def test_json_report_and_catalog_override(tmp_path: Path) -> None:
    import json

    write(tmp_path, "s.yaml", "name: s\nturns:\n  - say: wat zit er in mijn mandje\n"
          "    expect: {intent: read_cart, cart: {}}\n")
    result = CliRunner().invoke(main, ["scenarios", "--json", "--catalog", str(CATALOG), str(tmp_path)])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["passed"] == 1 and report["failed"] == 0
    assert report["scenarios"][0]["turns"][0]["intent"] == "read_cart"


def test_broken_scenarios_fail_cleanly(tmp_path: Path) -> None:
    write(tmp_path, "notyaml.yaml", "name: [unclosed\n")
    write(tmp_path, "typo.yaml", "name: t\nturns:\n  - say: ja\n    expect: {intnet: yes}\n")
    write(tmp_path, "audio.yaml", "name: a\nturns:\n  - audio: nope.wav\n")
    result = CliRunner().invoke(main, ["scenarios", "--catalog", str(CATALOG), str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == "0 passed, 3 failed"
    assert "unknown expect key(s) intnet" in result.output


def test_missing_path_is_a_clean_error() -> None:
    result = CliRunner().invoke(main, ["scenarios", "/no/such/dir"])
    assert result.exit_code == 2 and "no such file or folder" in result.output


def test_bad_catalog_is_a_clean_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", "id,name,unit\nmelk,Melk,liter\n")
    result = CliRunner().invoke(main, ["catalog", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output and "unknown unit" in result.output
