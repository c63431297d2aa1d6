"""The CLI is a thin layer: chat, demo, cart show/clear, catalog check."""

from pathlib import Path

from click.testing import CliRunner

from voiceskill.cli import main

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")


def test_chat_then_cart_show_and_clear(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    chat = runner.invoke(main, ["chat", "--user", "anna", "--catalog", CATALOG, "--db", db, "--show-cart"],
                         input="twee bananen\n/mandje\nhaal een banaan weg\n/stop\n")
    assert chat.exit_code == 0
    assert chat.output.count("computer") == 1, "the assistant introduces itself once"
    assert "sam> Ik heb twee bananen toegevoegd." in chat.output
    assert "mandje: twee bananen" in chat.output and "Ik heb een banaan weggehaald." in chat.output
    shown = runner.invoke(main, ["cart", "show", "--user", "anna", "--catalog", CATALOG, "--db", db, "--json"])
    assert shown.output.strip() == '{"bananen": 1}'
    cleared = runner.invoke(main, ["cart", "clear", "--user", "anna", "--db", db])
    assert "Removed 1 product(s)" in cleared.output
    empty = runner.invoke(main, ["cart", "show", "--user", "anna", "--catalog", CATALOG, "--db", db])
    assert "empty" in empty.output


def test_chat_ends_on_goodbye_and_on_eof(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["chat", "--catalog", CATALOG, "--db", str(tmp_path / "d.db")]
    bye = runner.invoke(main, args, input="dat was het\nnooit gelezen\n")
    assert bye.exit_code == 0 and "Tot ziens" in bye.output and "nooit" not in bye.output
    assert runner.invoke(main, args, input="").exit_code == 0


def test_demo_replays_and_checks_itself() -> None:
    result = CliRunner().invoke(main, ["demo", "--text"])
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"
    assert result.output.count("computer") == 1, "the assistant introduces itself once"
    assert "twee pakken halfvolle melk" in result.output


def test_catalog_summary() -> None:
    result = CliRunner().invoke(main, ["catalog", CATALOG])
    assert result.exit_code == 0 and "products" in result.output


def test_env_var_picks_the_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VOICESKILL_DB", str(tmp_path / "env.db"))
    CliRunner().invoke(main, ["chat", "--catalog", CATALOG], input="een komkommer\n")
    assert (tmp_path / "env.db").exists()


def test_spoken_demo_end_to_end(tmp_path: Path, monkeypatch) -> None:
    """Recorded audio -> Whisper -> dialogue -> cart -> reply -> spoken WAV, for every turn."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(main, ["demo", "--engine", "whisper", "--tts", f"wav:{tmp_path}"])
    assert result.exit_code == 0, result.output
    assert "(audio: add_twee_pakken_halfvolle_melk.wav)" in result.output
    assert "spoken turns went as scripted" in result.output
    assert result.output.count("computer") == 1, "the assistant introduces itself once"
    replies = sorted(tmp_path.glob("*.wav"))
    assert len(replies) == 10 and all(p.stat().st_size > 10_000 for p in replies)


def test_each_demo_run_speaks_into_a_folder_of_its_own(tmp_path: Path, monkeypatch) -> None:
    from voiceskill.cli import demo_folder

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    first, second = demo_folder(), demo_folder()
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == second.parent and tmp_path in first.parents
