"""End-to-end tests in headless Chromium against `calfeed serve` on loopback.

They need Debian's Chromium (`apt-get install chromium`) and Playwright (installed by `make test`);
without a browser they are skipped with a message saying what to install. Screenshots are kept
in test-artifacts/.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from helpers import parse_feed

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CALFEED_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(ROOT / "data", folder / "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen([sys.executable, "-m", "calfeed.cli", "serve", "--config", str(folder / "sources.yaml"),
                                "--port", str(port), "--workers", "1", "--no-refresh", "--quiet"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(base + "/", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            log.close()
            pytest.fail("calfeed serve n'a pas démarré :\n" + (folder / "serve.log").read_text(errors="replace"))
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium absent : installez-le (apt-get install chromium) pour les tests de navigateur.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright absent : lancez « make test » (pip install -e '.[test]').")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    for label, size in (("bureau", {"width": 1280, "height": 900}), ("mobile", {"width": 390, "height": 844})):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_home_page(server, page):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Mois de l'innovation publique 2022"
    labs = page.locator("#agenda-categorie-labs")
    assert labs.locator(".compte").inner_text() == "3 événements"
    assert "Anniversaire du Ti Lab" in labs.locator(".prochains").inner_text()
    for name in ("Outlook (web / 365)", "Outlook.com", "Google Agenda", "Apple, Thunderbird, Outlook classique",
                 "Télécharger (.ics)"):
        assert labs.get_by_role("link", name=name).count() == 1
    screenshot(page, "accueil")


def test_feed_builder_gives_an_address_with_exactly_the_matching_events(server, page):
    page.goto(server + "/feeds/constructeur.html")
    page.get_by_label("Laboratoires d'innovation territoriale").check()
    page.get_by_label("Collectivités territoriales").check()
    page.get_by_label("Données et numérique").check()
    page.wait_for_function("document.getElementById('nombre').textContent === '2'")
    address = page.locator("#abonnement-selection input[data-lien=https]").input_value()
    assert address.startswith(server + "/feeds/selection.ics?")
    events = parse_feed(requests.get(address, timeout=10).content)
    assert len(events) == 2
    for event in events.values():
        labels = [str(c) for c in event["CATEGORIES"].cats]
        assert "Données et numérique" in labels
        assert labels[0] in ("Laboratoires d'innovation territoriale", "Collectivités territoriales")
    screenshot(page, "constructeur")
    page.get_by_role("button", name="Voir mon agenda").click()  # the same without JavaScript: the server answers
    page.wait_for_url(re.compile(r"constructeur\.html\?"))
    assert page.locator("#nombre").inner_text() == "2"
    assert page.locator("#abonnement-selection input[data-lien=https]").input_value() == address


def test_my_programme_with_two_ticked_events(server, page):
    page.goto(server + "/feeds/evenements.html")
    boxes = page.locator("#choix input[name=e]")
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(3).get_attribute("value")]
    titles = [page.locator(f"#choix article:has(input[value='{key}']) h3").inner_text() for key in chosen]
    boxes.nth(0).check()
    boxes.nth(3).check()
    page.get_by_role("button", name="Créer mon programme avec les événements cochés").click()
    page.wait_for_url(re.compile(r"mon-programme\.html\?"))
    address = page.locator("input[data-lien=https]").input_value()
    events = parse_feed(requests.get(address, timeout=10).content)
    assert sorted(str(e["SUMMARY"]) for e in events.values()) == sorted(titles)
    assert "mon programme" in requests.get(address, timeout=10).text


def test_event_page_and_its_single_event_file(server, page):
    page.goto(server + "/feeds/evenements.html")
    page.get_by_role("link", name="Anniversaire du Ti Lab").click()
    assert page.locator("h1").inner_text() == "Anniversaire du Ti Lab"
    with page.expect_download() as info:
        page.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
    data = Path(info.value.path()).read_bytes()
    events = parse_feed(data)
    assert [str(e["SUMMARY"]) for e in events.values()] == ["Anniversaire du Ti Lab"]
    assert b"X-WR-CALNAME" not in data  # imported into the agent's own calendar


def test_event_list_filters_in_place(server, page):
    page.goto(server + "/feeds/evenements.html")
    page.get_by_text("Filtrer par organisateur, thème, région, format").click()
    page.get_by_label("Associations").check()
    page.wait_for_function("document.getElementById('compte-evenements').textContent.startsWith('2 ')")
    visible = page.locator("#choix article:visible h3").all_inner_texts()
    assert len(visible) == 2 and any("diversité" in title for title in visible)


@pytest.mark.parametrize("path", ["/", "/feeds/constructeur.html?categorie=labs", "/feeds/evenements.html",
                                  "/feeds/mon-programme.html", "FIRST_EVENT"])
def test_no_serious_accessibility_violation(server, page, path):
    if path == "FIRST_EVENT":
        page.goto(server + "/feeds/evenements.html")
        path = page.locator("#choix article h3 a").first.get_attribute("href")
        path = "/feeds/" + path
    page.goto(server + path)
    assert serious_violations(page) == []


def test_keyboard_reaches_the_content_with_a_visible_focus(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Aller au contenu"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_every_link_of_the_page_points_at_a_served_feed(server, page):
    page.goto(server + "/")
    links = page.eval_on_selector_all("[data-lien]", "els => els.map(e => [e.dataset.lien, e.href || e.value])")
    links += page.eval_on_selector_all("details.integrer a", "els => els.map(e => ['json', e.href])")
    checked = set()
    for kind, link in links:
        if kind in ("outlook365", "outlookcom"):
            url = parse_qs(urlsplit(link).query)["url"][0]
        elif kind == "google":
            url = parse_qs(urlsplit(link).query)["cid"][0]
        elif kind == "webcal":
            url = "http://" + link.removeprefix("webcal://")
        else:
            url = link
        if url in checked:
            continue
        checked.add(url)
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (kind, url)
        expected = "application/json" if kind == "json" else "text/calendar"
        assert response.headers["Content-Type"].startswith(expected), (kind, url)
    assert len(checked) > 40
    embeds = re.findall(r'src="([^"]+integrer[^"]+)"', page.content().replace("&lt;", "<").replace("&gt;", ">")
                        .replace("&#34;", '"').replace("&quot;", '"'))
    assert embeds
    for embed in set(embeds):
        assert requests.get(urljoin(page.url, embed), timeout=10).status_code == 200
