"""The handover desk (issue 12, item 3): a handover makes a case with the transcript, the cart and the
reason; colleagues see waiting cases oldest first, change the cart against the catalog, leave a message
and close the case; the shopper hears it at the start of the next conversation, on any channel, once.
Storage on SQLite and PostgreSQL; the pages through Flask's test client (the real browser:
test_desk_browser.py)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from test_webhook import SPEC, Platform, post

from voiceskill import Assistant
from voiceskill.cart import CartStore
from voiceskill.desk import CSRF_COOKIE
from voiceskill.desk.message import shopper_message
from voiceskill.webhook import create_app

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
LOGINS = (("anna", "geheim"), ("piet", "ookgeheim"))
SECRET = ("X-Voiceskill-Secret", "s3cret")


def auth(user: str = "anna", password: str = "geheim") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# -- storage, on both databases ------------------------------------------------------------------


def test_cases_messages_and_forget(any_db: str) -> None:
    store = CartStore(any_db)
    bot = Assistant(CATALOG, store)
    bot.turn("twee bananen", user="anna")
    bot.turn("ik wil een medewerker", user="anna")
    bot.turn("een komkommer", user="bert")
    bot.turn("mag ik een mens spreken", user="bert")
    with store.transaction():
        waiting = store.cases()
    assert [c["user"] for c in waiting] == ["anna", "bert"]            # oldest first
    first = waiting[0]
    assert first["reason"] == "asked" and first["cart"] == {"bananen": 2} and first["status"] == "waiting"
    assert [line["text"] for line in first["transcript"]] == ["twee bananen", "ik wil een medewerker"]
    assert "medewerker" in first["transcript"][-1]["reply"]
    bot.turn("nog een medewerker graag, ik wil een medewerker", user="anna")
    with store.transaction():
        assert len(store.cases()) == 2                                  # the waiting case, brought up to date
        store.case_change(first["id"], "anna", "komkommer", 3, "piet")
        store.case_change(first["id"], "anna", "bananen", 0, "piet")
        store.case_change(first["id"], "anna", "komkommer", 2, "piet")
        case = store.case(first["id"])
        assert case["changes"] == {"komkommer": [0, 2], "bananen": [2, 0]} and case["colleague"] == "piet"
        assert store.cart("anna") == {"komkommer": 2}
        store.close_case(first["id"], "piet", "de bananen waren op", "Bericht.")
        assert [c["user"] for c in store.cases()] == ["bert"]
        assert store.recent_closed()[0]["message"] == "de bananen waren op"
    with store.transaction():
        assert store.take_messages("anna") == ["Bericht."]
    with store.transaction():
        assert store.take_messages("anna") == []                        # once
        assert store.messages("anna")[0]["delivered"]
        store.forget("anna")
        assert store.messages("anna") == [] and [c["user"] for c in store.cases("closed")] == []


def test_handover_reasons(tmp_path: Path) -> None:
    bot = Assistant(CATALOG, tmp_path / "c.db")
    for text in ("blub blub", "flap flop", "zwiep zwaap", "ja"):
        bot.turn(text, user="miss")
    for text in ("een pak melk", "blub", "flap", "zwiep", "ja"):
        bot.turn(text, user="unsure")
    for text in ("hoe laat gaan jullie dicht?", "ja"):
        bot.turn(text, user="off")
    with bot.store.transaction():
        reasons = {c["user"]: c["reason"] for c in bot.store.cases()}
    assert reasons == {"miss": "not_understood", "unsure": "unsure", "off": "off_topic"}


def test_declined_offer_makes_no_case(tmp_path: Path) -> None:
    bot = Assistant(CATALOG, tmp_path / "c.db")
    for text in ("blub blub", "flap flop", "zwiep zwaap", "nee"):
        result = bot.turn(text, user="anna")
    assert result.outcome != "handover"
    with bot.store.transaction():
        assert bot.store.cases() == []


def test_message_wording() -> None:
    from voiceskill.catalog import load_catalog

    catalog = load_catalog(CATALOG)
    text = shopper_message(catalog, {"halfvolle-melk": [0, 2], "bananen": [3, 0], "appels": [4, 1],
                                     "komkommer": [1, 1]}, "  de volle melk was op ")
    assert text == ("Een collega heeft je mandje aangepast: twee pakken halfvolle melk erbij, bananen eruit "
                    "en nu een zak appels. De collega zegt: de volle melk was op.")
    assert shopper_message(catalog, {}, "") == "Een collega heeft naar je vraag gekeken."


# -- the pages ----------------------------------------------------------------------------------


@pytest.fixture()
def app(tmp_path: Path):
    return create_app({"catalog": CATALOG, "db": str(tmp_path / "w.db"), "secret_header": SECRET,
                       "alexa_verify": False, "desk_auth": LOGINS})


class Desk:
    """A colleague's browser: basic auth, the cookie and the form token."""

    def __init__(self, client, user: str = "anna", password: str = "geheim") -> None:
        self.client = client
        self.headers = auth(user, password)
        self.token = ""

    def get(self, path: str):
        response = self.client.get(path, headers=self.headers)
        found = re.search(r'name="csrf" value="([^"]+)"', response.get_data(as_text=True))
        self.token = found.group(1) if found else self.token
        return response

    def post(self, path: str, follow: bool = True, **form: str):
        return self.client.post(path, data={"csrf": self.token, **form}, headers=self.headers,
                                follow_redirects=follow)


def _waiting_case(app) -> int:
    store = app.extensions["voiceskill"].store
    with store.transaction():
        return store.cases()[0]["id"]


def test_no_desk_without_logins(tmp_path: Path) -> None:
    plain = create_app({"catalog": CATALOG, "db": str(tmp_path / "p.db"), "alexa_verify": False})
    assert plain.test_client().get("/desk/", headers=auth()).status_code == 404


def test_pages_need_a_colleagues_login(app) -> None:
    client = app.test_client()
    assert client.get("/desk/").status_code == 401
    assert "Basic" in client.get("/desk/").headers["WWW-Authenticate"]
    assert client.get("/desk/", headers=auth("anna", "fout")).status_code == 401
    assert client.get("/desk/", headers=auth("mallory", "geheim")).status_code == 401
    assert client.get("/desk/", headers=auth("piet", "ookgeheim")).status_code == 200


@pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec/webhooks is not beside this checkout")
def test_case_from_alexa_to_desk_and_back(app) -> None:
    client = app.test_client()
    alexa = Platform("/alexa", "alexa/request_intent_completed.json", session="s1")
    post(client, "/alexa", alexa.request("twee bananen"))
    reply = post(client, "/alexa", alexa.request("ik wil een medewerker")).get_json()
    assert "niemand aan de lijn" in reply["response"]["outputSpeech"]["ssml"]
    desk = Desk(client)
    queue = desk.get("/desk/").get_data(as_text=True)
    case_id = _waiting_case(app)
    assert f"Open vraag {case_id}" in queue and "vroeg om een medewerker" in queue and "ik wil een medewerker" in queue
    page = desk.get(f"/desk/case/{case_id}").get_data(as_text=True)
    assert "twee bananen" in page and "Bananen" in page and "alexa:user:user-s1" in page
    assert desk.client.get_cookie(CSRF_COOKIE, path="/desk") is not None

    # the cart against the catalog: by name, by id, ambiguous, unknown; set a quantity; remove
    assert "Halfvolle melk: 2 erbij" in desk.post(f"/desk/case/{case_id}/add", product="halfvolle melk",
                                                    quantity="2").get_data(as_text=True)
    assert "Welke bedoel je?" in desk.post(f"/desk/case/{case_id}/add", product="kaas").get_data(as_text=True)
    assert "staat niet in de catalogus" in desk.post(f"/desk/case/{case_id}/add", product="fiets").get_data(as_text=True)
    desk.post(f"/desk/case/{case_id}/add", product="komkommer", quantity="1")
    desk.post(f"/desk/case/{case_id}/set", product_id="komkommer", quantity="3")
    desk.post(f"/desk/case/{case_id}/set", product_id="bananen", remove="1")
    assert "Aantal" in desk.post(f"/desk/case/{case_id}/set", product_id="komkommer", quantity="-4").get_data(as_text=True)
    store = app.extensions["voiceskill"].store
    assert store.cart("alexa:user:user-s1") == {"halfvolle-melk": 2, "komkommer": 3}

    closed = desk.post(f"/desk/case/{case_id}/close", message="De bananen zijn op").get_data(as_text=True)
    assert f"Vraag {case_id} gesloten" in closed
    assert desk.post(f"/desk/case/{case_id}/add", product="cola").status_code == 409
    with store.transaction():
        assert store.case(case_id)["colleague"] == "anna" and store.cases() == []

    # the next conversation of this shopper, a new session: the message first, with the cart; once
    alexa2 = Platform("/alexa", "alexa/request_intent_completed.json", session="s2")
    alexa2.body["session"]["user"]["userId"] = "user-s1"
    body = alexa2.request("wat kost het")
    body["session"]["user"]["userId"] = "user-s1"
    speech = post(client, "/alexa", body).get_json()["response"]["outputSpeech"]["ssml"]
    assert speech.startswith("<speak>Een collega heeft je mandje aangepast: twee pakken halfvolle melk erbij, "
                             "drie komkommers erbij en bananen eruit. De collega zegt: De bananen zijn op. "
                             "In je mandje: twee pakken halfvolle melk en drie komkommers."), speech
    body = alexa2.request("wat zit er in mijn mandje")
    body["session"]["user"]["userId"] = "user-s1"
    again = post(client, "/alexa", body).get_json()["response"]["outputSpeech"]["ssml"]
    assert "collega" not in again


def test_forms_need_the_token(app) -> None:
    client = app.test_client()
    Assistant_ = app.extensions["voiceskill"]
    Assistant_.turn("ik wil een medewerker", user="anna")
    case_id = _waiting_case(app)
    desk = Desk(client)
    desk.get(f"/desk/case/{case_id}")
    assert desk.token
    other = client.post(f"/desk/case/{case_id}/add", data={"product": "cola", "csrf": "guessed"}, headers=auth())
    assert other.status_code == 403
    none = client.post(f"/desk/case/{case_id}/add", data={"product": "cola"}, headers=auth())
    assert none.status_code == 403
    fresh = app.test_client()                                  # the right token, but no cookie: another site
    assert fresh.post(f"/desk/case/{case_id}/add", data={"product": "cola", "csrf": desk.token},
                      headers=auth()).status_code == 403
    assert Assistant_.cart("anna") == {}
    assert desk.post(f"/desk/case/{case_id}/add", product="cola").status_code == 200
    assert Assistant_.cart("anna") == {"cola": 1}
    cookie = client.get_cookie(CSRF_COOKIE, path="/desk")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_message_on_any_channel_at_the_start_only(app) -> None:
    bot = app.extensions["voiceskill"]
    bot.turn("twee bananen", user="anna")
    bot.turn("ik wil een medewerker", user="anna")
    desk = Desk(app.test_client(), "piet", "ookgeheim")
    case_id = _waiting_case(app)
    desk.get(f"/desk/case/{case_id}")
    desk.post(f"/desk/case/{case_id}/close", message="")
    middle = bot.turn("wat zit er in mijn mandje", user="anna")        # the same conversation: not yet
    assert "collega" not in middle.reply.text
    opened = bot.open(user="anna")                                      # the next conversation (a chat, a speaker)
    assert opened.reply.text.startswith("Een collega heeft naar je vraag gekeken. In je mandje: twee bananen. Hoi")
    assert "collega" not in bot.open(user="anna").reply.text
    with bot.store.transaction():
        assert bot.store.case(case_id)["colleague"] == "piet"


def test_queue_oldest_first_and_closed_list(app) -> None:
    bot = app.extensions["voiceskill"]
    for user in ("eerste", "tweede", "derde"):
        bot.turn("ik wil een medewerker", user=user)
    desk = Desk(app.test_client())
    page = desk.get("/desk/").get_data(as_text=True)
    positions = [page.index(user) for user in ("eerste", "tweede", "derde")]
    assert positions == sorted(positions)
    case_id = _waiting_case(app)
    desk.get(f"/desk/case/{case_id}")
    desk.post(f"/desk/case/{case_id}/close", message="Gebeld")
    page = desk.get("/desk/").get_data(as_text=True)
    assert "Laatst gesloten" in page and "Gebeld" in page
    assert desk.get("/desk/case/999").status_code == 404
