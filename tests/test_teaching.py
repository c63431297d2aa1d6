"""Learning from real conversations (issue 12, item 4): an utterance that fell back is taught in the
desk (a synonym for a product, or an example sentence for an intent), stored as an overlay (never an
edit of the CSV), takes effect without a restart on every channel, shows who taught what when, and
can be undone."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from test_webhook import SPEC, Platform, post

from voiceskill import Assistant
from voiceskill.cart import CartStore
from voiceskill.nlu.teaching import example_table, overlay_catalog
from voiceskill.webhook import create_app

CATALOG = Path(__file__).parent / "catalogs" / "spec.csv"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"anna:geheim").decode()}
SECRET = ("X-Voiceskill-Secret", "s3cret")


def test_overlay_is_a_copy() -> None:
    from voiceskill.catalog import load_catalog

    catalog = load_catalog(str(CATALOG))
    taught = overlay_catalog(catalog, {"witbrood": ["Kadetjes"], "nope": ["x"]})
    assert taught["witbrood"].synonyms[-1] == "kadetjes" and "kadetjes" not in catalog["witbrood"].synonyms
    assert overlay_catalog(catalog, {}) is catalog
    assert example_table([("checkout", "Mag ik de rekening?"), ("add_item", "iets")]) == \
        {"mag ik de rekening": "checkout"}


def test_teachings_are_stored_on_both_databases(any_db: str) -> None:
    store = CartStore(any_db)
    with store.transaction():
        first = store.teach("synonym", "witbrood", "kadetjes", "anna", "kadetjes")
        store.teach("example", "checkout", "mag ik de rekening", "piet")
        assert store.teachings_mark() == (first + 1, 0)
        assert store.undo_teaching(first, "piet") and not store.undo_teaching(first, "piet")
        assert store.teachings_mark() == (first + 1, 1)
    rows = store.teachings()
    assert [(r["kind"], r["colleague"], bool(r["undone"])) for r in rows] == [("example", "piet", False),
                                                                              ("synonym", "anna", True)]
    assert rows[1]["undone_by"] == "piet" and rows[1]["at"]
    assert [r["kind"] for r in store.teachings(active=True)] == ["example"]


def test_another_process_takes_it_up_without_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    serving = Assistant(CATALOG, db)
    assert serving.turn("kadetjes", user="a").intent == "fallback"
    desk = CartStore(db)                                   # e.g. `voiceskill desk`, another process
    with desk.transaction():
        taught = desk.teach("synonym", "witbrood", "kadetjes", "anna")
    serving._checked = 0.0                                  # as a second later
    assert serving.turn("twee kadetjes", user="a").cart == {"witbrood": 2}
    with desk.transaction():
        desk.undo_teaching(taught, "anna")
    serving._checked = 0.0
    assert serving.turn("kadetjes", user="b").intent == "fallback"


class Colleague:
    def __init__(self, client) -> None:
        self.client = client
        page = client.get("/desk/teach", headers=AUTH).get_data(as_text=True)
        self.token = re.search(r'name="csrf" value="([^"]+)"', page).group(1) if 'name="csrf"' in page else ""
        if not self.token:
            client.get("/desk/", headers=AUTH)
            self.token = client.get_cookie("voiceskill_desk_csrf", path="/desk").value

    def teach(self, **form: str):
        return self.client.post("/desk/teach", data={"csrf": self.token, **form}, headers=AUTH, follow_redirects=True)


@pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec/webhooks is not beside this checkout")
def test_fell_back_then_works_on_every_channel(tmp_path: Path) -> None:
    app = create_app({"catalog": str(CATALOG), "db": str(tmp_path / "w.db"), "secret_header": SECRET,
                      "alexa_verify": False, "desk_auth": (("anna", "geheim"),)})
    client = app.test_client()
    bot = app.extensions["voiceskill"]
    channels = {url: Platform(url, template, session=url.strip("/")) for url, template in {
        "/dialogflow": "dialogflow_es/request_add_item.json", "/dialogflow-cx": "dialogflow_cx/request_add_item.json",
        "/actions": "actions_builder/request_add_item.json", "/alexa": "alexa/request_intent_completed.json"}.items()}

    def replies(text: str) -> dict[str, str]:
        said = {url: str(post(client, url, platform.request(text)).get_json()) for url, platform in channels.items()}
        said["chat"] = bot.turn(text, user="chat").reply.text
        return said

    for reply in replies("kadetjes").values():
        assert "begreep ik niet" in reply
    for reply in replies("mag ik de rekening").values():
        assert "bestelling plaatsen" not in reply

    colleague = Colleague(client)
    page = client.get("/desk/teach", headers=AUTH).get_data(as_text=True)
    assert "kadetjes" in page and "mag ik de rekening" in page
    done = colleague.teach(kind="synonym", phrase="kadetjes", target="Witbrood", source="kadetjes")
    assert "Geleerd" in done.get_data(as_text=True)
    colleague.teach(kind="example", phrase="mag ik de rekening", target="checkout", source="mag ik de rekening")
    for channel, reply in replies("kadetjes").items():
        assert "witbrood" in reply.lower(), (channel, reply)
    for channel, reply in replies("mag ik de rekening").items():
        assert "bestelling plaatsen" in reply, (channel, reply)
    taught = client.get("/desk/teach", headers=AUTH).get_data(as_text=True)
    assert "anna" in taught and "wordt nu begrepen" in taught
    assert "Witbrood" in taught and "afrekenen" in taught

    rows = bot.store.teachings()
    for row in rows:
        client.post(f"/desk/teach/{row['id']}/undo", data={"csrf": colleague.token}, headers=AUTH)
    assert bot.turn("kadetjes", user="later").intent == "fallback"
    assert "teruggedraaid door anna" in client.get("/desk/teach", headers=AUTH).get_data(as_text=True)
    assert (CATALOG.read_text().count("kadetjes")) == 0                      # the CSV is untouched


def test_one_click_suggestions(tmp_path: Path) -> None:
    app = create_app({"catalog": str(CATALOG), "db": str(tmp_path / "w.db"), "alexa_verify": False,
                      "desk_auth": (("anna", "geheim"),)})
    bot = app.extensions["voiceskill"]
    from voiceskill.desk.teach import suggestions

    with app.test_request_context():
        products, intents = suggestions("wat zit er allemaal in m'n karretje")
        assert "read_cart" in intents
        products, _ = suggestions("hagelslak")
        assert products[:1] == ["hagelslag"]
    assert bot.turn("hagelslak", user="x").intent in ("fallback", "add_item")


def test_bad_teachings_are_refused(tmp_path: Path) -> None:
    app = create_app({"catalog": str(CATALOG), "db": str(tmp_path / "w.db"), "alexa_verify": False,
                      "desk_auth": (("anna", "geheim"),)})
    colleague = Colleague(app.test_client())
    assert "Kies één product" in colleague.teach(kind="synonym", phrase="x", target="fiets").get_data(as_text=True)
    assert "Kies één product" in colleague.teach(kind="synonym", phrase="x", target="kaas").get_data(as_text=True)
    assert colleague.teach(kind="example", phrase="x", target="add_item").status_code == 400
    assert "Vul in" in colleague.teach(kind="example", phrase=" ", target="checkout").get_data(as_text=True)
    assert app.extensions["voiceskill"].store.teachings() == []
