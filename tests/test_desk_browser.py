"""The desk in a real headless Chromium against a real `voiceskill serve`: a handover over the
Dialogflow webhook makes a case; a colleague opens the desk, opens the case, adds a product, writes
a message and closes it; the shopper's next conversation starts with the message and the cart.
Then the teaching page: an utterance that fell back is taught with one click and is understood.
Screenshots: the test's tmp folder and $VOICESKILL_SCREENSHOTS (when set)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pg import free_port
from test_webhook import SPEC, example

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
SECRET = ("X-Voiceskill-Secret", "s3cret")
pytestmark = [pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromium-driver are not installed"),
              pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec/webhooks is not beside this checkout")]
VOICESKILL = str(Path(sys.executable).with_name("voiceskill"))


@pytest.fixture()
def server(tmp_path: Path):
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen([VOICESKILL, "serve", "--port", str(port), "--db", str(tmp_path / "carts.db"),
                                "--catalog", CATALOG, "--secret-header", "=".join(SECRET),
                                "--desk-auth", "anna:geheim"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail((tmp_path / "serve.log").read_text())
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture()
def browser(tmp_path: Path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def say(base: str, session: str, text: str, count: list[int]) -> str:
    """One Dialogflow ES turn; the reply text."""
    count[0] += 1
    body = example("dialogflow_es/request_add_item.json")
    body["session"] = f"projects/p/agent/sessions/{session}"
    body["queryResult"]["queryText"] = text
    body["responseId"] = f"{session}-{count[0]}"
    request = urllib.request.Request(f"{base}/dialogflow", json.dumps(body).encode(),
                                     {"Content-Type": "application/json", SECRET[0]: SECRET[1]})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["fulfillmentText"]


def click(driver, element) -> None:
    """Click a link or button and wait for the next page."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(page))


def shoot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / "screens" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(path))
    extra = os.environ.get("VOICESKILL_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def test_colleague_takes_over_in_a_browser(server: str, browser, tmp_path: Path) -> None:
    count = [0]
    # The Dialogflow ES cart is per session; the same session comes back as a new conversation after `tot ziens`.
    say(server, "shopper", "twee bananen", count)
    handover = say(server, "shopper", "ik wil een medewerker", count)
    assert "niemand aan de lijn" in handover
    say(server, "shopper", "tot ziens", count)

    desk = server.replace("http://", "http://anna:geheim@") + "/desk/"
    browser.get(desk)
    assert "Wachtende vragen" in browser.title
    assert "ik wil een medewerker" in browser.find_element(By.ID, "waiting").text
    shoot(browser, tmp_path, "1-queue")
    click(browser, browser.find_element(By.LINK_TEXT, "Open vraag 1"))
    assert "twee bananen" in browser.find_element(By.ID, "transcript").text
    assert "Bananen" in browser.find_element(By.ID, "cart").text
    shoot(browser, tmp_path, "2-case")

    browser.find_element(By.ID, "product").send_keys("Halfvolle melk")
    quantity = browser.find_element(By.ID, "quantity")
    quantity.clear()
    quantity.send_keys("2")
    click(browser, browser.find_element(By.ID, "add"))
    assert "Halfvolle melk: 2 erbij" in browser.find_element(By.CSS_SELECTOR, ".note").text
    assert "Halfvolle melk" in browser.find_element(By.ID, "cart").text
    browser.find_element(By.ID, "message").send_keys("De volle melk was op, ik heb halfvolle gedaan")
    shoot(browser, tmp_path, "3-case-changed")
    click(browser, browser.find_element(By.ID, "close"))
    assert "Vraag 1 gesloten" in browser.find_element(By.CSS_SELECTOR, ".note").text
    assert "Er wachten geen vragen" in browser.page_source
    shoot(browser, tmp_path, "4-closed")

    reply = say(server, "shopper", "wat zit er in mijn mandje", count)
    assert reply.startswith("Een collega heeft je mandje aangepast: twee pakken halfvolle melk erbij. "
                            "De collega zegt: De volle melk was op, ik heb halfvolle gedaan. "
                            "In je mandje: twee bananen en twee pakken halfvolle melk."), reply

    # teaching: `kadetjes` fell back; nothing in the catalog looks like it, so the colleague names the product
    assert "begreep ik niet" in say(server, "leerling", "kadetjes", count)
    browser.get(desk + "teach")
    row = browser.find_element(By.ID, "missed")
    assert "kadetjes" in row.text
    row.find_element(By.TAG_NAME, "summary").click()
    row.find_element(By.CSS_SELECTOR, ".teach-synonym input[name=target]").send_keys("Witbrood")
    shoot(browser, tmp_path, "5-teach")
    click(browser, row.find_element(By.CSS_SELECTOR, ".teach-synonym button"))
    assert "Geleerd" in browser.find_element(By.CSS_SELECTOR, ".note").text
    assert "anna" in browser.find_element(By.ID, "taught").text
    shoot(browser, tmp_path, "6-taught")
    assert "twee witbroden toegevoegd" in say(server, "leerling", "twee kadetjes", count)
