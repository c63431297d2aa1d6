"""The smart-speaker webhooks through Flask's test client, against the platform examples."""

from __future__ import annotations

import base64
import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from voiceskill.webhook import create_app

SPEC = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "webhooks"
CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
SECRET = ("X-Voiceskill-Secret", "s3cret")
pytestmark = pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec/webhooks is not beside this checkout")


def example(name: str) -> dict[str, Any]:
    return json.loads((SPEC / name).read_text())


@pytest.fixture()
def app(tmp_path: Path):
    return create_app({"catalog": CATALOG, "db": str(tmp_path / "w.db"), "secret_header": SECRET,
                       "alexa_verify": False})


@pytest.fixture()
def client(app):
    return app.test_client()


class Platform:
    """Builds a platform's request for some words, from its example request."""

    def __init__(self, url: str, template: str, session: str = "s1") -> None:
        self.url = url
        self.body = example(template)
        self.session = session
        self.count = 0

    def request(self, text: str) -> dict[str, Any]:
        self.count += 1
        body = copy.deepcopy(self.body)
        if self.url == "/dialogflow":
            body["session"] = f"projects/p/agent/sessions/{self.session}"
            body["queryResult"]["queryText"] = text
            body["responseId"] = f"{self.session}-{self.count}"
        elif self.url == "/dialogflow-cx":
            body["sessionInfo"]["session"] = f"projects/p/locations/l/agents/a/sessions/{self.session}"
            body["text"] = text
            body["detectIntentResponseId"] = f"{self.session}-{self.count}"
        elif self.url == "/actions":
            body["session"]["id"] = self.session
            body["intent"]["query"] = text
            body["session"]["params"]["voiceskill_turn"] = self.count
        else:
            body["session"]["sessionId"] = self.session
            body["session"]["user"]["userId"] = f"user-{self.session}"
            body["request"]["requestId"] = f"{self.session}-{self.count}"
            body["request"]["intent"] = {"name": "BoodschapIntent", "slots": {"tekst": {"name": "tekst", "value": text}}}
        return body


PLATFORMS = {
    "/dialogflow": "dialogflow_es/request_add_item.json",
    "/dialogflow-cx": "dialogflow_cx/request_add_item.json",
    "/actions": "actions_builder/request_add_item.json",
    "/alexa": "alexa/request_intent_completed.json",
}


def post(client, url: str, body: Any, headers: dict[str, str] | None = None):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       headers={SECRET[0]: SECRET[1], **(headers or {})})


def speech_and_end(url: str, data: dict[str, Any]) -> tuple[str, str, bool]:
    """(display text, SSML, conversation over) in each platform's own format."""
    if url == "/dialogflow":
        simple = data["payload"]["google"]["richResponse"]["items"][0]["simpleResponse"]
        assert data["fulfillmentMessages"][0]["text"]["text"][0] == data["fulfillmentText"]
        return data["fulfillmentText"], simple["ssml"], not data["payload"]["google"]["expectUserResponse"]
    if url == "/dialogflow-cx":
        messages = data["fulfillmentResponse"]["messages"]
        ended = data["sessionInfo"]["parameters"]["voiceskill_ended"]
        return messages[0]["text"]["text"][0], messages[1]["outputAudioText"]["ssml"], ended
    if url == "/actions":
        simple = data["prompt"]["firstSimple"]
        return simple["text"], simple["speech"], data["scene"]["next"]["name"] == "actions.scene.END_CONVERSATION"
    speech = data["response"]["outputSpeech"]
    assert speech["type"] == "SSML"
    return "", speech["ssml"], data["response"]["shouldEndSession"]


@pytest.mark.parametrize("url", PLATFORMS)
def test_example_request_adds_to_the_cart(client, app, url: str) -> None:
    response = post(client, url, example(PLATFORMS[url]))
    assert response.status_code == 200
    text, ssml, ended = speech_and_end(url, response.get_json())
    assert ssml.startswith("<speak>") and ssml.endswith("</speak>") and "halfvolle melk" in ssml
    assert not ended
    carts = app.extensions["voiceskill"].store.db.execute("SELECT product_id, quantity FROM cart_items").fetchall()
    assert carts == [("halfvolle-melk", 2)]


@pytest.mark.parametrize("url", PLATFORMS)
def test_a_whole_conversation(client, app, url: str) -> None:
    platform = Platform(url, PLATFORMS[url], session=f"conv{url.strip('/')}")
    steps = [("twee bananen en een komkommer", False), ("melk", False), ("de tweede", False),
             ("wat zit er in mijn mandje", False), ("dat was het", True)]
    for text, should_end in steps:
        response = post(client, url, platform.request(text))
        assert response.status_code == 200, response.get_json()
        shown, ssml, ended = speech_and_end(url, response.get_json())
        assert ended is should_end, (text, ssml)
    assert "volle melk" in ssml or "Tot ziens" in ssml
    rows = app.extensions["voiceskill"].store.db.execute(
        "SELECT product_id, quantity FROM cart_items ORDER BY product_id").fetchall()
    assert rows == [("bananen", 2), ("komkommer", 1), ("volle-melk", 1)]


def test_alexa_reprompts_and_keeps_attributes(client) -> None:
    data = post(client, "/alexa", example(PLATFORMS["/alexa"])).get_json()
    assert data["version"] == "1.0"
    assert data["sessionAttributes"] == {"cart_id": "c-42", "cart_count": 2}
    assert data["response"]["reprompt"]["outputSpeech"]["ssml"].startswith("<speak>")


def test_alexa_launch_and_session_end(client) -> None:
    launch = example(PLATFORMS["/alexa"])
    launch["request"] = {"type": "LaunchRequest", "requestId": "launch-1", "timestamp": "2025-01-15T10:00:00Z"}
    data = post(client, "/alexa", launch).get_json()
    assert "computer" in data["response"]["outputSpeech"]["ssml"] and data["response"]["shouldEndSession"] is False
    ended = copy.deepcopy(launch)
    ended["request"] = {"type": "SessionEndedRequest", "requestId": "end-1", "reason": "USER_INITIATED"}
    assert post(client, "/alexa", ended).get_json() == {"version": "1.0", "response": {}}


def test_alexa_builtin_and_mapped_intents(client) -> None:
    body = example(PLATFORMS["/alexa"])
    body["request"]["requestId"] = "mapped-1"
    body["request"]["intent"]["slots"]["quantity"]["value"] = "3"
    body["request"]["intent"]["slots"]["unit"]["value"] = "pakken"
    text = post(client, "/alexa", body).get_json()["response"]["outputSpeech"]["ssml"]
    assert "drie pakken halfvolle melk" in text
    stop = example(PLATFORMS["/alexa"])
    stop["request"].update(requestId="stop-1", intent={"name": "AMAZON.StopIntent", "slots": {}})
    assert post(client, "/alexa", stop).get_json()["response"]["shouldEndSession"] is True


def test_dialogflow_mapped_intent_without_raw_text(client, app) -> None:
    body = example(PLATFORMS["/dialogflow"])
    body["queryResult"]["queryText"] = ""
    body["queryResult"]["parameters"] = {"product": "komkommer", "quantity": 3, "unit": ""}
    assert post(client, "/dialogflow", body).status_code == 200
    assert app.extensions["voiceskill"].cart("dialogflow:user:ABwppHE-example") == {"komkommer": 3}


def test_dialogflow_welcome_greets(client) -> None:
    body = example(PLATFORMS["/dialogflow"])
    body["queryResult"].update(queryText="", intent={"displayName": "Default Welcome Intent"})
    data = post(client, "/dialogflow", body).get_json()
    assert "computer" in data["fulfillmentText"]


@pytest.mark.parametrize("url", PLATFORMS)
def test_retries_are_idempotent(client, app, url: str) -> None:
    body = Platform(url, PLATFORMS[url], session="retry").request("twee bananen")
    first = post(client, url, body).get_json()
    second = post(client, url, body).get_json()
    assert first == second
    rows = app.extensions["voiceskill"].store.db.execute("SELECT quantity FROM cart_items").fetchall()
    assert rows == [(2,)]


def test_carts_per_session_when_configured(tmp_path: Path) -> None:
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "s.db"), "cart_per": "session",
                      "alexa_verify": False})
    client = app.test_client()
    for session in ("a", "b"):
        post(client, "/alexa", Platform("/alexa", PLATFORMS["/alexa"], session=session).request("een komkommer"))
    users = app.extensions["voiceskill"].store.db.execute("SELECT DISTINCT user FROM cart_items").fetchall()
    assert sorted(users) == [("alexa:session:a",), ("alexa:session:b",)]


@pytest.mark.parametrize("url", ["/dialogflow", "/dialogflow-cx", "/actions"])
def test_secret_header_is_required(client, url: str) -> None:
    response = client.post(url, json=example(PLATFORMS[url]))
    assert response.status_code == 401 and "X-Voiceskill-Secret" in response.get_json()["error"]
    wrong = client.post(url, json=example(PLATFORMS[url]), headers={SECRET[0]: "nope"})
    assert wrong.status_code == 401


def test_basic_auth(tmp_path: Path) -> None:
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "b.db"), "basic_auth": ("df", "pw")})
    client = app.test_client()
    good = base64.b64encode(b"df:pw").decode()
    bad = base64.b64encode(b"df:nope").decode()
    body = example(PLATFORMS["/dialogflow"])
    assert client.post("/dialogflow", json=body, headers={"Authorization": f"Basic {good}"}).status_code == 200
    assert client.post("/dialogflow", json=body, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert client.post("/dialogflow", json=body).status_code == 401


@pytest.mark.parametrize("url, body, status, message", [
    ("/dialogflow", b"{not json", 400, "not valid JSON"),
    ("/dialogflow", b"[1, 2]", 400, "JSON object"),
    ("/dialogflow", b'{"queryResult": {"queryText": "ja"}}', 400, "missing field session"),
    ("/dialogflow", b'{"session": "s", "queryResult": "ja"}', 400, "queryResult has the wrong type"),
    ("/dialogflow-cx", b'{"text": "ja"}', 400, "missing field sessionInfo.session"),
    ("/actions", b'{"session": {"id": "x"}}', 400, "intent.query"),
    ("/alexa", b'{"request": {"type": "Mystery", "requestId": "r"}}', 400, "unsupported request type"),
    ("/alexa", b'{"session": {"sessionId": "s"}}', 400, "missing field request.type"),
    ("/dialogflow", b"\xff\xfe", 400, "not valid JSON"),
])
def test_bad_input_gets_a_json_error(client, url: str, body: bytes, status: int, message: str) -> None:
    response = client.post(url, data=body, content_type="application/json", headers={SECRET[0]: SECRET[1]})
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_large_bodies_and_wrong_methods(client) -> None:
    big = b'{"x": "' + b"a" * (64 * 1024) + b'"}'
    response = client.post("/dialogflow", data=big, content_type="application/json", headers={SECRET[0]: SECRET[1]})
    assert response.status_code == 413 and "64 KiB" in response.get_json()["error"]
    assert client.get("/dialogflow").status_code == 405
    assert client.get("/nope").get_json()["error"]
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ssml_is_escaped_and_limits_hold(tmp_path: Path) -> None:
    catalog = tmp_path / "c.csv"
    rows = "\n".join(f"p{i},Koekjes & co soort {i},,,,pak,,1.00" for i in range(400))
    catalog.write_text("id,name,synonyms,family,category,unit,size,price\n" + rows + "\n")
    app = create_app({"catalog": str(catalog), "db": str(tmp_path / "l.db"), "alexa_verify": False})
    client = app.test_client()
    store = app.extensions["voiceskill"].store
    with store.transaction():
        store.apply("alexa:user:user-big", [__import__("voiceskill").dialogue.CartOp("set", f"p{i}", 7)
                                            for i in range(400)])
    platform = Platform("/alexa", PLATFORMS["/alexa"], session="big")
    response = client.post("/alexa", json=platform.request("wat zit er in mijn mandje"))
    ssml = response.get_json()["response"]["outputSpeech"]["ssml"]
    assert "&amp;" in ssml and "& " not in ssml and len(ssml) <= 8000
    assert len(response.data) <= 24 * 1024


def test_concurrent_turns_lose_nothing(any_db: str) -> None:
    """16 threads, 4 users, 15 turns each, every third one retried: on SQLite and on PostgreSQL."""
    app = create_app({"catalog": CATALOG, "db": any_db, "secret_header": SECRET, "alexa_verify": False})
    errors: list[str] = []

    def shopper(n: int) -> None:
        client = app.test_client()
        platform = Platform("/dialogflow", PLATFORMS["/dialogflow"], session=f"c{n}")
        for _ in range(15):
            body = platform.request("een komkommer")
            body["originalDetectIntentRequest"]["payload"]["user"]["userId"] = f"u{n % 4}"
            response = post(client, "/dialogflow", body)
            if response.status_code != 200:
                errors.append(response.get_data(as_text=True))
            if n % 3 == 0:   # a platform's retry of the same request: changes nothing
                assert post(client, "/dialogflow", body).status_code == 200

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assistant = app.extensions["voiceskill"]
    assert [assistant.cart(f"dialogflow:user:u{k}") for k in range(4)] == [{"komkommer": 60}] * 4
    assistant.store.close()


def test_an_internal_failure_is_json_without_traceback(app, client, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.extensions["voiceskill"], "turn", broken)
    response = post(client, "/dialogflow", example(PLATFORMS["/dialogflow"]))
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error; the request was not applied"}
    assert b"Traceback" not in response.data and b"on fire" not in response.data


def last_log(app) -> tuple[str, str]:
    """(text, intent) of the newest conversation log line: the words that reached understanding."""
    return app.extensions["voiceskill"].store.db.execute(
        "SELECT text, intent FROM conversation_log ORDER BY id DESC LIMIT 1").fetchone()


def welcome(url: str, case: str) -> dict[str, Any]:
    """A platform's welcome request that carries text, from its example request."""
    body = example(PLATFORMS[url])
    if url == "/dialogflow" and case == "event":
        body["queryResult"].update(queryText="GOOGLE_ASSISTANT_WELCOME", action="input.welcome", parameters={},
                                   intent={"displayName": "Default Welcome Intent"})
        body["originalDetectIntentRequest"]["payload"]["inputs"] = [
            {"intent": "actions.intent.MAIN", "rawInputs": [{"query": "praat met de boodschappenhulp"}]}]
    elif url == "/dialogflow":
        body["queryResult"].update(queryText="hallo", intent={"displayName": "Default Welcome Intent"})
    elif url == "/dialogflow-cx" and case == "event":
        body.update(triggerEvent="WELCOME", text="hoi")
        body["intentInfo"]["displayName"] = "Default Welcome Intent"
    elif url == "/dialogflow-cx":
        body["text"] = "Open boodschappenhulp."
    elif url == "/actions":
        body["handler"]["name"] = "main" if case == "event" else "cart_add"
        body["intent"].update(name="actions.intent.MAIN", params={}, query="praat met de boodschappenhulp")
        body["scene"] = {"name": "actions.scene.START_CONVERSATION", "slots": {}}
    else:
        slots = {"tekst": {"name": "tekst", "value": "open boodschappenhulp" if case == "phrase" else "hallo"}}
        body["request"]["intent"] = {"name": "BoodschapIntent" if case == "phrase" else "Welkom", "slots": slots}
    return body


@pytest.mark.parametrize("case", ["event", "phrase"])
@pytest.mark.parametrize("url", PLATFORMS)
def test_a_welcome_with_text_greets_and_orders_nothing(client, app, url: str, case: str) -> None:
    response = post(client, url, welcome(url, case))
    assert response.status_code == 200, response.get_json()
    shown, ssml, ended = speech_and_end(url, response.get_json())
    assert "computer" in ssml and "boodschappenhulp" in ssml and not ended
    assert last_log(app) == ("", "greet")
    assert app.extensions["voiceskill"].store.db.execute("SELECT count(*) FROM cart_items").fetchone() == (0,)


def test_only_the_bare_invocation_phrase_greets(client, app) -> None:
    body = example(PLATFORMS["/dialogflow"])
    body["queryResult"]["queryText"] = "vraag de boodschappenhulp om twee komkommers"
    post(client, "/dialogflow", body)
    assert last_log(app)[0] == "vraag de boodschappenhulp om twee komkommers"


def mapped(url: str, intent: str, params: dict[str, Any]) -> dict[str, Any]:
    """A platform request naming ``intent`` with ``params`` and no raw text."""
    body = example(PLATFORMS[url])
    if url == "/dialogflow":
        body["queryResult"].update(queryText="", intent={"displayName": intent}, parameters=params)
    elif url == "/dialogflow-cx":
        del body["text"]
        body["intentInfo"].update(displayName=intent, parameters={
            k: {"originalValue": v, "resolvedValue": v} for k, v in params.items()})
    elif url == "/actions":
        del body["intent"]["query"]
        body["intent"].update(name=intent, params={k: {"original": v, "resolved": v} for k, v in params.items()})
    else:
        body["request"]["intent"] = {"name": intent, "slots": {k: {"name": k, "value": v} for k, v in params.items()}}
    return body


@pytest.mark.parametrize("url, intent, params, sentence", [
    ("/dialogflow", "ProductVervangen", {"product": "halfvolle melk", "new_product": "volle melk", "unit": ""},
     "vervang halfvolle melk door volle melk"),
    ("/dialogflow-cx", "PrijsVragen", {"product": "komkommer"}, "wat kost komkommer"),
    ("/dialogflow-cx", "product.beschikbaar", {"product": "witbrood"}, "hebben jullie witbrood"),
    ("/actions", "Nabestellen", {}, "hetzelfde als vorige keer"),
    ("/actions", "ProductVervangen", {"product": "jonge kaas", "quantity": 2, "new_product": "oude kaas"},
     "vervang jonge kaas door 2 oude kaas"),
    ("/alexa", "GegevensWissenIntent", {}, "wis mijn gegevens"),
    ("/alexa", "ProductBeschikbaarIntent", {"product": "cola"}, "hebben jullie cola"),
])
def test_new_mapped_intents_reach_understanding_as_sentences(client, app, url: str, intent: str,
                                                             params: dict[str, Any], sentence: str) -> None:
    response = post(client, url, mapped(url, intent, params))
    assert response.status_code == 200, response.get_json()
    assert last_log(app)[0] == sentence


@pytest.mark.parametrize("url", ["/dialogflow", "/dialogflow-cx", "/actions"])
def test_a_non_ascii_secret_is_refused_not_a_crash(client, url: str) -> None:
    response = client.post(url, json=example(PLATFORMS[url]), headers={SECRET[0]: "\xc3\xa9"})
    assert response.status_code == 401


def test_a_non_ascii_basic_auth_password_is_refused(tmp_path: Path) -> None:
    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "b.db"), "basic_auth": ("df", "pw")})
    token = base64.b64encode("df:é".encode()).decode()
    response = app.test_client().post("/dialogflow", json=example(PLATFORMS["/dialogflow"]),
                                      headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("raw, problem", [
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'{"queryResult": {"queryText": "twee bananen \\ud800"}}', "no valid Unicode"),
])
def test_deep_nesting_and_lone_surrogates_are_a_400(client, raw: bytes, problem: str) -> None:
    response = client.post("/dialogflow", data=raw, content_type="application/json",
                           headers={SECRET[0]: SECRET[1]})
    assert response.status_code == 400 and problem in response.get_json()["error"]


def test_a_request_id_of_another_shopper_does_not_return_their_reply(client, app) -> None:
    anna, bob = Platform("/dialogflow", PLATFORMS["/dialogflow"], "anna"), \
        Platform("/dialogflow", PLATFORMS["/dialogflow"], "bob")
    first = post(client, "/dialogflow", anna.request("twee bananen")).get_json()
    replayed = bob.request("wat zit er in mijn mandje")
    replayed["responseId"] = "anna-1"
    second = post(client, "/dialogflow", replayed).get_json()
    assert "toegevoegd" in first["fulfillmentText"] and "toegevoegd" not in second["fulfillmentText"]


@pytest.mark.parametrize("url, spoil", [
    ("/actions", lambda b: b["session"].update(params={"voiceskill_turn": "x"})),
    ("/actions", lambda b: b["session"].update(params=["not", "an", "object"])),
    ("/actions", lambda b: b.update(scene={"name": 42})),
    ("/dialogflow-cx", lambda b: b.update(pageInfo={"currentPage": 42})),
])
def test_a_request_answered_with_an_error_changes_no_cart(client, app, url: str, spoil) -> None:
    body = Platform(url, PLATFORMS[url], session="spoilt").request("twee bananen")
    spoil(body)
    response = post(client, url, body)
    assert response.status_code == 400
    carts = app.extensions["voiceskill"].store.db.execute("SELECT count(*) FROM cart_items").fetchone()[0]
    assert carts == 0


def test_a_session_named_like_a_user_cannot_reach_that_users_cart(client, app) -> None:
    """ES `session: user:anna` without a userId once read anna's cart (the keys shared a namespace)."""
    assistant = app.extensions["voiceskill"]
    with assistant.store.transaction() as store:
        store.apply("dialogflow:user:anna", [__import__("voiceskill").dialogue.CartOp("set", "komkommer", 3)])
    body = {"session": "user:anna", "responseId": "x1", "queryResult": {"queryText": "wat zit er in mijn mandje"}}
    reply = post(client, "/dialogflow", body).get_json()["fulfillmentText"]
    assert "komkommer" not in reply
    post(client, "/dialogflow", {"session": "user:anna", "responseId": "x2",
                                 "queryResult": {"queryText": "maak mijn mandje leeg"}})
    post(client, "/dialogflow", {"session": "user:anna", "responseId": "x3", "queryResult": {"queryText": "ja"}})
    assert assistant.cart("dialogflow:user:anna") == {"komkommer": 3}


def test_healthz_says_unhealthy_when_the_database_takes_no_writes(client, app) -> None:
    store = app.extensions["voiceskill"].store
    assert client.get("/healthz").status_code == 200
    store.db.execute("PRAGMA query_only = ON")   # SQLite itself refusing every write, as a full or read-only disk would
    try:
        response = client.get("/healthz")
        assert response.status_code == 503 and response.get_json()["status"] == "unhealthy"
        assert "takes no writes" in response.get_json()["error"]
    finally:
        store.db.execute("PRAGMA query_only = OFF")
    assert client.get("/healthz").status_code == 200


def _ids_of(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """Where each platform carries the session and the request id."""
    if url == "/dialogflow":
        return {"session": ("session",), "request": ("responseId",)}
    if url == "/dialogflow-cx":
        return {"session": ("sessionInfo", "session"), "request": ("detectIntentResponseId",)}
    if url == "/actions":
        return {"session": ("session", "id"), "request": None}
    return {"session": ("session", "sessionId"), "request": ("request", "requestId")}


def _put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value


@pytest.mark.parametrize("url", list(PLATFORMS))
def test_crafted_ids_cannot_reach_another_shoppers_cart_or_reply(client, app, url: str) -> None:
    """Per platform: a session id spelled like a user key, and a request id of another shopper."""
    from voiceskill.cart import storage_key
    from voiceskill.dialogue import CartOp

    platform = url.strip("/")
    victim = storage_key(platform, "user", "anna")
    assistant = app.extensions["voiceskill"]
    with assistant.store.transaction() as store:
        store.apply(victim, [CartOp("set", "komkommer", 3)])
    crafted = Platform(url, PLATFORMS[url], session="user:anna")
    ids = _ids_of(url, crafted.body)
    for words in ("wat zit er in mijn mandje", "maak mijn mandje leeg", "ja"):
        body = crafted.request(words)
        if url == "/alexa":
            body["session"]["user"]["userId"] = "mallory"
        answer = post(client, url, body)
        assert answer.status_code == 200 and "komkommer" not in _said(url, answer.get_json())
    assert assistant.cart(victim) == {"komkommer": 3}

    anna, bob = Platform(url, PLATFORMS[url], "anna-s"), Platform(url, PLATFORMS[url], "bob-s")
    first = post(client, url, anna.request("twee bananen")).get_json()
    replayed = bob.request("wat zit er in mijn mandje")
    if ids["request"]:
        _put(replayed, ids["request"], "anna-s-1")
    second = _said(url, post(client, url, replayed).get_json())
    assert "toegevoegd" in _said(url, first) and "toegevoegd" not in second


def _said(url: str, data: dict[str, Any]) -> str:
    shown, ssml, _ended = speech_and_end(url, data)
    return f"{shown} {ssml}"
