"""Insights from the conversation log: real conversations on a real SQLite store, every figure checked;
the CLI (`voiceskill insights`) and the API (`GET /api/insights`) give the same JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import jsonify, request

from voiceskill import Assistant
from voiceskill.cart import CartStore, LogEntry
from voiceskill.catalog import Catalog
from voiceskill.cli import main
from voiceskill.insights import LoggedTurn, Period, PeriodError, compute, conversations, parse_period, rules
from voiceskill.insights.read import insights
from voiceskill.insights.table import table
from voiceskill.webhook import create_app
from voiceskill.webhook.insights_api import colleague_login, insights_blueprint

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
API_FIELDS = ("conversations", "turns", "containment_rate", "handover_rate", "fallback_rate", "completion_rate",
              "ces_mean", "ces_responses", "top_not_understood", "top_unknown_products", "by_channel", "by_day")


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _around_today() -> Period:
    """Yesterday and today: the turns just run are in it even when the test runs at midnight."""
    return Period(_today() - timedelta(days=1), _today())


def _shop(bot: Assistant) -> list:
    """Six conversations on four channels; the results, for the intents they had."""
    said = []

    def turn(text: str, user: str, session: str | None = None, confidence: float = 1.0) -> None:
        said.append(bot.turn(text, user=user, session=session, confidence=confidence))

    bot.open(user="anna")
    for text in ("twee bananen", "doe ook kaviaar erbij", "heb je truffels?", "afrekenen", "ja", "dat was het"):
        turn(text, "anna")
    for text in ("blabla", "uh, blabla 3", "qwerty", "ja"):
        turn(text, "dialogflow:user:bob", "dialogflow:session:b1")
    bot.open(user="alexa:user:cees", session="alexa:session:c1")
    turn("ik wil een medewerker", "alexa:user:cees", "alexa:session:c1")
    for text in ("wat vind je van voetbal", "ja"):
        turn(text, "actions:session:d1")
    for text in ("doe maar twee pakken melk", "de eerste", "hebben jullie truffels"):
        turn(text, "eva")
    turn("drie komkommers", "eva", confidence=0.3)
    turn("blabla, zeven", "fien")
    return said


@pytest.fixture()
def shopped(catalog: Catalog, tmp_path: Path) -> tuple[Assistant, list]:
    bot = Assistant(catalog, tmp_path / "shop.db")
    return bot, _shop(bot)


def test_real_conversations_give_every_figure(shopped: tuple[Assistant, list]) -> None:
    bot, said = shopped
    assert [r.outcome for r in said if r.user == "dialogflow:user:bob"][-1] == "handover"
    assert said[-2].reply.text.startswith("Zei je drie komkommers?"), "the unsure turn is confirmed"
    found = insights(bot.store, _around_today())
    total = found.total
    assert total.conversations == 6
    assert total.turns == 18 == len(said), "the launches' greetings are no turns"
    assert total.turns_per_conversation == 3.0
    assert (total.handovers, total.containment_rate, total.handover_rate) == (3, 0.5, 0.5)
    assert total.handover_causes == {"asked": 1, "off_topic": 1, "three_misses": 1}
    assert total.fallback_rate == round(5 / 18, 4)
    assert total.confirmation_rate == round(1 / 18, 4)
    assert total.completion_rate == round(1 / 6, 4) and total.orders == 1
    assert (total.items_per_order, total.euros_per_order, total.euros) == (2.0, 0.5, 0.5)
    assert total.carts_abandoned == 1, "eva changed her cart and left without ordering"
    assert total.minutes_to_order_median is not None and 0 <= total.minutes_to_order_median < 1
    assert (total.ces_mean, total.ces_responses) == (None, 0)
    assert total.intents == dict(sorted(Counter(r.intent for r in said).items(), key=lambda kv: (-kv[1], kv[0])))
    assert found.top_not_understood == [
        {"utterance": "blabla #", "count": 2, "example": "uh, blabla 3"},
        {"utterance": "blabla", "count": 1, "example": "blabla"},
        {"utterance": "qwerty", "count": 1, "example": "qwerty"},
        {"utterance": "wat vind je van voetbal", "count": 1, "example": "wat vind je van voetbal"}]
    assert found.top_unknown_products == [
        {"product": "truffels", "count": 2, "example": "heb je truffels?"},
        {"product": "kaviaar", "count": 1, "example": "doe ook kaviaar erbij"}]
    channels = found.by_channel
    assert list(channels) == ["text", "dialogflow", "actions", "alexa"]
    assert {c: f.conversations for c, f in channels.items()} == {"text": 3, "dialogflow": 1, "actions": 1, "alexa": 1}
    assert channels["text"].completion_rate == round(1 / 3, 4) and channels["text"].containment_rate == 1.0
    assert channels["dialogflow"].handover_causes == {"three_misses": 1} and channels["dialogflow"].fallback_rate == 0.75
    assert channels["alexa"].handover_causes == {"asked": 1} and channels["alexa"].turns == 1
    assert channels["actions"].handover_causes == {"off_topic": 1}
    assert list(found.by_day) == [d.isoformat() for d in _around_today().days]
    assert sum(f.conversations for f in found.by_day.values()) == 6
    assert sum(f.turns for f in found.by_day.values()) == 18


def _log(store: CartStore, at: str, user: str, text: str, intent: str, outcome: str, reply: str = "",
         confidence: float = 1.0, session: str | None = None) -> None:
    store.log(LogEntry(user, session or user, text, intent, confidence, reply, outcome, at=at))


def _order(store: CartStore, user: str, at: str, total: float, items: int) -> None:
    store.db.insert_id('INSERT INTO orders ("user", at, total, items) VALUES (?, ?, ?, ?)', [user, at, total, items])


def test_logged_times_cut_conversations_and_days(any_db: str) -> None:
    """On SQLite and PostgreSQL alike: the same SELECTs, the same figures."""
    store = CartStore(any_db)
    day2, day3 = "2026-11-02T", "2026-11-03T"
    _log(store, day2 + "09:00:00.000+00:00", "gert", "", "greet", "answered")
    _log(store, day2 + "09:01:00.000+00:00", "gert", "twee bananen", "add_item", "changed")
    _log(store, day2 + "09:04:00.000+00:00", "gert", "afrekenen", "checkout", "asked")
    _log(store, day2 + "09:05:00.000+00:00", "gert", "ja", "yes", "order")
    _order(store, "gert", day2 + "09:05:00.020+00:00", 0.5, 2)
    _log(store, day2 + "09:50:00.000+00:00", "gert", "drie appels", "add_item", "changed")  # 45 minutes later
    _log(store, day3 + "10:00:00.000+00:00", "gert", "hallo", "greet", "answered")
    _log(store, day3 + "10:02:00.000+00:00", "gert", "twee bananen", "add_item", "changed")
    _log(store, day3 + "10:10:00.000+00:00", "gert", "afrekenen", "checkout", "asked")
    _log(store, day3 + "10:12:00.000+00:00", "gert", "ja", "yes", "order")
    _order(store, "gert", day3 + "10:12:00.020+00:00", 1.5, 5)
    _log(store, day3 + "10:13:00.000+00:00", "gert", "een komkommer", "add_item", "changed")
    _log(store, day3 + "10:14:00.000+00:00", "gert", "hallo", "greet", "answered")
    _log(store, day3 + "10:15:00.000+00:00", "gert", "blabla", "fallback", "asked", confidence=0.2)
    _log(store, day3 + "10:16:00.000+00:00", "gert", "ja", "yes", "handover")
    _log(store, day3 + "11:00:00.000+00:00", "hans", "twee bananen", "add_item", "changed", session="speaker:hans")
    _log(store, "2026-11-04T08:00:00.000+00:00", "wyoming:user:x", "wat kost melk", "ask_product", "answered",
         session="wyoming:session:y")
    _log(store, "2026-11-05T08:00:00.000+00:00", "gert", "twee bananen", "add_item", "changed")  # after the period
    period = parse_period("2026-11-01", "2026-11-04", _today())
    found = insights(store, period)
    total = found.total
    assert total.conversations == 6 and total.turns == 14
    assert total.orders == 2 and total.completion_rate == round(2 / 6, 4)
    assert (total.items_per_order, total.euros_per_order, total.euros) == (3.5, 1.0, 2.0)
    assert total.minutes_to_order_median == 8.5, "5 and 12 minutes from the first turn to the order"
    assert total.carts_abandoned == 3, "09:50 without an order, a komkommer after the order, hans"
    assert total.handover_causes == {"low_confidence": 1}
    assert {d: f.conversations for d, f in found.by_day.items()} == \
        {"2026-11-01": 0, "2026-11-02": 2, "2026-11-03": 3, "2026-11-04": 1}
    assert found.by_day["2026-11-01"].completion_rate is None
    assert {c: f.conversations for c, f in found.by_channel.items()} == {"text": 4, "speaker": 1, "homeassistant": 1}

    # The desk's case says why it was handed over: that reason wins over the derived one.
    store.db.execute('CREATE TABLE IF NOT EXISTS handover_cases ("user" TEXT, session TEXT, reason TEXT, opened TEXT)')
    store.db.execute('INSERT INTO handover_cases ("user", session, reason, opened) VALUES (?, ?, ?, ?)',
                     ["gert", "gert", "asked", day3 + "10:16:00.010+00:00"])
    assert insights(store, period).total.handover_causes == {"asked": 1}

    # Effort scores of the period, per channel and day.
    store.db.execute('CREATE TABLE IF NOT EXISTS ces_answers ("user" TEXT, session TEXT, score INTEGER, at TEXT)')
    for user, session, score, at in (("gert", "gert", 2, day2 + "09:06:00+00:00"),
                                     ("hans", "speaker:hans", 5, day3 + "11:01:00+00:00"),
                                     ("gert", "gert", 4, "2026-10-31T12:00:00+00:00")):
        store.db.execute('INSERT INTO ces_answers ("user", session, score, at) VALUES (?, ?, ?, ?)',
                         [user, session, score, at])
    found = insights(store, period)
    assert (found.total.ces_mean, found.total.ces_responses) == (3.5, 2)
    assert found.by_channel["speaker"].ces_mean == 5.0 and found.by_day["2026-11-02"].ces_responses == 1


def _turn(n: int, minute: int, text: str, intent: str, outcome: str = "answered", session: str = "s") -> LoggedTurn:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=minute)
    return LoggedTurn(n, at, "u", session, text, intent, 1.0, "", outcome)


def test_conversations_start_with_a_greeting_a_silence_an_end_or_another_session() -> None:
    rows = [_turn(1, 0, "", "greet"), _turn(2, 1, "hallo", "greet"), _turn(3, 2, "twee bananen", "add_item"),
            _turn(4, 3, "dag", "goodbye", "ended"), _turn(5, 4, "drie appels", "add_item"),
            _turn(6, 40, "een komkommer", "add_item"), _turn(7, 41, "hoi", "greet"),
            _turn(8, 41, "melk", "add_item", session="t")]
    cut = conversations(reversed(rows))
    assert [[t.id for t in c.turns] for c in cut] == [[1, 2, 3, 4], [5], [6], [7], [8]]
    assert [len(c.said) for c in cut] == [3, 1, 1, 1, 1]
    assert compute([]).to_dict()["conversations"] == 0 and compute([]).total.containment_rate is None


def test_handover_causes_are_derived_from_the_turns_without_a_desk_case() -> None:
    from voiceskill.reply import render

    def handed(session: str, before: LoggedTurn) -> list[LoggedTurn]:
        return [replace(before, session=session), _turn(before.id + 1, 2, "ja", "yes", "handover", session)]

    offered = _turn(1, 1, "qwerty", "fallback", "asked")
    rows = [*handed("a", replace(offered, reply=render("handover_offer").text)),
            *handed("b", replace(offered, id=3, reply=render("off_topic").text)),
            *handed("c", replace(offered, id=5, reply=render("off_topic").text, confidence=0.1)),
            *handed("d", replace(offered, id=7, reply="Iets anders.")),
            _turn(9, 0, "ik wil een medewerker", "handover", "handover", "e")]
    assert compute(rows).total.handover_causes == \
        {"asked": 1, "low_confidence": 1, "off_topic": 1, "other": 1, "three_misses": 1}


def test_utterances_group_without_numbers_and_fillers() -> None:
    found = rules()
    assert found.utterance_key("Uhm, doe er 12 flurps bij!") == found.utterance_key("doe er twee flurps bij") \
        == "doe er # flurps bij"
    assert found.utterance_key("eh... anderhalve kilo flurp") == "# kilo flurp"
    assert found.product_key("kaviaar erbij") == "kaviaar" and found.product_key("twee pakken") == "pakken"
    assert found.unknown_products("Hoi. Nee, sushi hebben we niet. Wel komkommer. Sorry, tofu hebben we niet in "
                                  "ons assortiment.") == ["sushi", "tofu"]
    assert [found.channel(k) for k in ("alexa:session:1", "dialogflow-cx:session:2", "wyoming:user:3",
                                       "speaker:pi", "anna", "onbekend:x")] == \
        ["alexa", "dialogflow", "homeassistant", "speaker", "text", "text"]


def test_periods_default_to_the_last_week_and_refuse_bad_dates() -> None:
    today = date(2026, 11, 30)
    assert parse_period(None, None, today) == Period(date(2026, 11, 24), today)
    assert parse_period("2026-11-01", None, today) == Period(date(2026, 11, 1), today)
    for start, end, param in (("2026-13-01", None, "from"), ("gisteren", None, "from"), (None, "20261130", "to"),
                              ("2026-11-30", "2026-11-01", "from"), ("2024-01-01", "2026-11-30", "to")):
        with pytest.raises(PeriodError) as refused:
            parse_period(start, end, today)
        assert refused.value.param == param


def test_cli_prints_the_table_or_the_json(shopped: tuple[Assistant, list]) -> None:
    bot, _ = shopped
    db = str(bot.store.path)
    runner = CliRunner()
    start, end = (d.isoformat() for d in (_around_today().start, _around_today().end))
    printed = runner.invoke(main, ["insights", "--from", start, "--to", end, "--db", db])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert lines[0] == f"Inzichten {start} t/m {end} (UTC)"
    assert lines[2].split() == ["totaal", "tekst", "Dialogflow", "Actions", "Alexa"]
    assert "Gesprekken 6 3 1 1 1" in [" ".join(line.split()) for line in lines]
    assert any(line.split()[:3] == ["Zelf", "afgehandeld", "50,0%"] for line in lines)
    assert "  2×  truffels  (bijv. \"heb je truffels?\")" in lines
    assert "  drie keer niet begrepen: 1" in lines
    as_json = runner.invoke(main, ["insights", "--from", start, "--to", end, "--db", db, "--json"])
    assert json.loads(as_json.output) == insights(bot.store, _around_today()).to_dict()
    week = json.loads(runner.invoke(main, ["insights", "--db", db, "--json"]).output)
    assert week["to"] == _today().isoformat() and len(week["by_day"]) == 7 and week["conversations"] == 6
    for args, hint in ((["--from", "2026-13-01"], "--from: '2026-13-01' is not a date"),
                       (["--to", "morgen"], "--to: 'morgen' is not a date"),
                       (["--from", "2026-11-30", "--to", "2026-11-01"], "--from: 2026-11-30 is after the last day")):
        bad = runner.invoke(main, ["insights", "--db", db, *args])
        assert bad.exit_code == 2 and hint in bad.output and "Traceback" not in bad.output


def test_table_of_an_empty_log(tmp_path: Path) -> None:
    text = table(insights(CartStore(tmp_path / "empty.db"), Period(date(2026, 11, 1), date(2026, 11, 2))))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Gesprekken 0" in lines and "Zelf afgehandeld –" in lines and "geen" in lines
    assert lines[-2:] == ["2026-11-01 0 0 – – – 0 € 0,00", "2026-11-02 0 0 – – – 0 € 0,00"]


def test_api_returns_the_same_json_and_refuses_bad_dates(tmp_path: Path) -> None:
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "api.db")})
    app.register_blueprint(insights_blueprint())
    bot = app.extensions["voiceskill"]
    _shop(bot)
    client = app.test_client()
    start, end = (d.isoformat() for d in (_around_today().start, _around_today().end))
    answer = client.get(f"/api/insights?from={start}&to={end}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert all(name in body for name in API_FIELDS)
    assert body == json.loads(json.dumps(insights(bot.store, _around_today()).to_dict()))
    assert body["conversations"] == 6 and body["by_channel"]["alexa"]["handover_rate"] == 1.0
    assert client.get("/api/insights").get_json()["to"] == _today().isoformat()
    for query in ("from=2026-02-30", "to=volgende-week", f"from={end}&to=2020-01-01"):
        refused = client.get(f"/api/insights?{query}")
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(refused.get_json()["param"])


def test_api_auth_guards_the_endpoint(tmp_path: Path) -> None:
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "auth.db")})

    def colleague_only():  # type: ignore[no-untyped-def]
        if request.headers.get("X-Colleague") != "ja":
            return jsonify(error="log in at the desk first"), 401
        return None

    app.register_blueprint(insights_blueprint(auth=colleague_only))
    client = app.test_client()
    assert client.get("/api/insights").status_code == 401
    allowed = client.get("/api/insights", headers={"X-Colleague": "ja"})
    assert allowed.status_code == 200 and allowed.get_json()["conversations"] == 0


def test_api_with_the_desk_logins(tmp_path: Path) -> None:
    import base64

    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "desk.db")})
    app.register_blueprint(insights_blueprint(auth=colleague_login((("anna", "pw1"), ("piet", "pw2")))))
    client = app.test_client()

    def get(login: str) -> int:
        headers = {"Authorization": "Basic " + base64.b64encode(login.encode()).decode()} if login else {}
        return client.get("/api/insights", headers=headers).status_code

    assert [get(""), get("anna:pw2"), get("bob:pw1"), get("piet:pw2"), get("anna:pw1")] == [401, 401, 401, 200, 200]
    assert client.get("/api/insights").headers["WWW-Authenticate"].startswith("Basic")
    with pytest.raises(ValueError):
        colleague_login(())
