"""The Customer Effort Score question after a placed order (issue 12, item 2): optional per store,
asked once, a score of one to five stored; anything else, or silence, is not pushed twice.
The conversations themselves: tests/scenarios/store/ces_*.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceskill import Assistant
from voiceskill.assistant import ces_setting
from voiceskill.cart import CartStore
from voiceskill.cli import main
from voiceskill.dialogue.effort import ces_score
from voiceskill.errors import VoiceskillError

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
QUESTION = ("Hoeveel moeite kostte het om je boodschappen door te geven? Zeg een cijfer van één, heel weinig, "
            "tot vijf, heel veel.")


def order(bot: Assistant, user: str = "anna") -> str:
    bot.turn("twee bananen", user=user)
    bot.turn("afrekenen", user=user)
    return bot.turn("ja", user=user).reply.text


def test_score_is_stored_on_both_databases(any_db: str) -> None:
    bot = Assistant(CATALOG, CartStore(any_db), ces=True)
    assert order(bot).endswith(QUESTION)
    result = bot.turn("ik geef het een vier", user="anna")
    assert result.intent == "ces" and "dank je wel" in result.reply.text.lower()
    answers = bot.store.ces_answers("anna")
    assert [(a["score"], a["said"], a["session"]) for a in answers] == [(4, "ik geef het een vier", "anna")]
    with bot.store.transaction():
        bot.store.forget("anna")
    assert bot.store.ces_answers() == []


@pytest.mark.parametrize("said, score", [("een", 1), ("één", 1), ("twee", 2), ("een drie", 3), ("3", 3),
                                         ("vier denk ik", 4), ("vijf", 5), ("heel weinig", 1), ("heel veel", 5),
                                         ("zes", None), ("nul", None), ("drie of vier", None), ("geen idee", None),
                                         ("twee bananen", None), ("", None), ("anderhalf", None)])
def test_scores_read(said: str, score: int | None) -> None:
    bot = Assistant(CATALOG, ":memory:")
    assert ces_score(bot.understand(said)) == score


@pytest.mark.parametrize("said", ["", "nee", "geen idee", "zeven", "ja"])
def test_no_score_is_let_go_and_never_asked_again(said: str) -> None:
    bot = Assistant(CATALOG, ":memory:", ces=True)
    order(bot)
    result = bot.turn(said, user="anna")
    assert "moeite" not in result.reply.text and not result.asks
    assert bot.store.ces_answers() == []
    assert "moeite" not in bot.turn("drie", user="anna").reply.text          # the question is gone
    assert bot.store.ces_answers() == []
    assert "moeite" not in order(bot)                                       # and not asked again in this conversation


def test_a_new_command_is_carried_out() -> None:
    bot = Assistant(CATALOG, ":memory:", ces=True)
    order(bot)
    result = bot.turn("doe nog maar een komkommer", user="anna")
    assert result.cart == {"komkommer": 1} and "moeite" not in result.reply.text
    assert bot.store.ces_answers() == []


def test_next_conversation_asks_again() -> None:
    bot = Assistant(CATALOG, ":memory:", ces=True)
    order(bot)
    bot.turn("vijf", user="anna")
    bot.open(user="anna")
    assert order(bot).endswith(QUESTION)


def test_off_unless_the_store_turns_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICESKILL_CES", raising=False)
    assert "moeite" not in order(Assistant(CATALOG, ":memory:"))
    monkeypatch.setenv("VOICESKILL_CES", "on")
    assert order(Assistant(CATALOG, ":memory:")).endswith(QUESTION)
    assert "moeite" not in order(Assistant(CATALOG, ":memory:", ces=False))
    assert ces_setting("off") is False and ces_setting("ja") is True
    with pytest.raises(VoiceskillError):
        ces_setting("misschien")


def test_the_question_is_no_reprompt_on_alexa(tmp_path: Path) -> None:
    """Silence on a speaker must not hear the question a second time: Alexa's reprompt is the general one."""
    from test_webhook import SPEC, Platform, post

    from voiceskill.webhook import create_app

    if not SPEC.is_dir():
        pytest.skip("../shared/spec/webhooks is not beside this checkout")
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "w.db"), "secret_header": ("X-Voiceskill-Secret", "s3cret"),
                      "alexa_verify": False, "ces": True})
    client = app.test_client()
    alexa = Platform("/alexa", "alexa/request_intent_completed.json")
    for text in ("twee bananen", "afrekenen"):
        post(client, "/alexa", alexa.request(text))
    response = post(client, "/alexa", alexa.request("ja")).get_json()["response"]
    assert "moeite" in response["outputSpeech"]["ssml"] and "moeite" not in response["reprompt"]["outputSpeech"]["ssml"]


def test_chat_option(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    out = CliRunner().invoke(main, ["chat", "--catalog", CATALOG, "--db", db, "--ces", "on"],
                             input="twee bananen\nafrekenen\nja\ntwee\n")
    assert "Hoeveel moeite" in out.output and "Dank je wel" in out.output, out.output
    assert [a["score"] for a in CartStore(db).ces_answers()] == [2]
    out = CliRunner().invoke(main, ["chat", "--catalog", CATALOG, "--db", db, "--ces", "off", "--user", "b"],
                             input="twee bananen\nafrekenen\nja\n")
    assert "moeite" not in out.output
