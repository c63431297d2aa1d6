"""The CLI is a thin layer: chat, demo, cart show/clear, catalog check."""

from pathlib import Path

import pytest
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
    assert "Het mandje van anna is leeggemaakt: 1 product eruit gehaald" in cleared.output
    empty = runner.invoke(main, ["cart", "show", "--user", "anna", "--catalog", CATALOG, "--db", db])
    assert empty.output.strip() == "Het mandje van anna is leeg."


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


@pytest.mark.speech
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


def test_cart_show_in_dutch_with_the_total_and_by_platform_id(tmp_path: Path) -> None:
    """A smart speaker's shopper is found by platform and user id, as the webhook files the cart."""
    from voiceskill import Assistant

    db = str(tmp_path / "p.db")
    Assistant(CATALOG, db).turn("twee bananen en een komkommer", user="alexa:user:amzn1.ask.account.X")
    runner = CliRunner()
    shown = runner.invoke(main, ["cart", "show", "--platform", "alexa", "--user", "amzn1.ask.account.X",
                                 "--catalog", CATALOG, "--db", db])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.strip().splitlines()
    assert lines[0].split()[:3] == ["2", "×", "Bananen"] and lines[-1].startswith("Totaal: € ")
    assert lines[-1].endswith("voor 3 artikelen.")
    same = runner.invoke(main, ["cart", "show", "--user", "alexa:user:amzn1.ask.account.X", "--catalog", CATALOG,
                                "--db", db])
    assert same.output == shown.output
    other = runner.invoke(main, ["cart", "show", "--platform", "dialogflow", "--user", "amzn1.ask.account.X",
                                 "--catalog", CATALOG, "--db", db])
    assert "is leeg" in other.output


def test_the_example_store_catalog_works_as_the_readme_says(tmp_path: Path) -> None:
    from voiceskill import Assistant

    example = Path(__file__).resolve().parent.parent / "catalog" / "examples" / "my-store.csv"
    result = CliRunner().invoke(main, ["catalog", str(example)])
    assert result.exit_code == 0 and "40 products" in result.output
    bot = Assistant(catalog=str(example), db=str(tmp_path / "carts.db"))
    assert bot.turn("twee bananen en een komkommer", user="anna").cart == {"buurt-bananen": 2, "buurt-komkommer": 1}


def test_catalog_command_names_its_own_usage() -> None:
    result = CliRunner().invoke(main, ["catalog", "no-such-store.csv"])
    assert result.exit_code == 2 and "Usage: voiceskill catalog PATH.csv" in result.output
    assert "--catalog" not in result.output.split("Error:")[1]


def test_every_help_example_names_files_that_exist() -> None:
    """`voiceskill X --help` examples are copied by newcomers: the files they name must be there."""
    root = Path(__file__).resolve().parent.parent
    commands = [[name] for name in main.commands] + [[group, sub] for group in ("cart", "grammar", "model")
                                                     for sub in main.commands[group].commands]
    named = 0
    for command in commands:
        text = CliRunner().invoke(main, [*command, "--help"]).output
        example = text.split("Example:")[1].split("\n")[0] if "Example:" in text else ""
        for word in example.split():
            if word.endswith((".wav", ".csv", ".yaml")) or "/" in word and not word.startswith("../") \
                    and "://" not in word:
                named += 1
                assert (root / word).exists(), f"{' '.join(command)} --help names {word}"
    assert named >= 4


def test_scenarios_show_progress_on_request(tmp_path: Path) -> None:
    first, second = sorted((Path(__file__).parent / "scenarios" / "dialogue").glob("*.yaml"))[:2]
    result = CliRunner().invoke(main, ["scenarios", "--progress", str(first), str(second)])
    lines = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert [line.split()[0] for line in lines] == ["[1/2]", "[2/2]"], result.stderr
    quiet = CliRunner().invoke(main, ["scenarios", str(first)])
    assert "[1/1]" not in quiet.output
