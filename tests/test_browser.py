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
from urllib.parse import parse_qs, urlsplit

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


def violations(page, levels=("critical", "serious", "moderate")):
    """axe-core's findings; evaluated by Playwright, so it runs even when the page's scripts are off."""
    source = AXE.read_text(encoding="utf-8")
    result = page.evaluate("async () => {\n" + source + "\nreturn await axe.run(document, {resultTypes: ['violations']}); }")
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in levels]


def first_event_path(server):
    page = requests.get(server + "/feeds/evenements.html", timeout=10).text
    return "/feeds/" + re.search(r'href="(evenements/[0-9a-f]{12}\.html)"', page).group(1)


PAGE_TYPES = {"accueil": "/", "constructeur": "/feeds/constructeur.html?categorie=labs", "liste": "/feeds/evenements.html",
              "evenement": "EVENT", "programme": "/feeds/mon-programme.html", "programme-plein": "PROGRAMME",
              "etat": "/etat", "integrer": "/feeds/integrer/categorie/labs.html",
              "accessibilite": "/feeds/accessibilite.html", "mentions-legales": "/feeds/mentions-legales.html",
              "contact": "/feeds/contact.html", "400": "/feeds/selection.ics?theme=inconnu",
              "404": "/feeds/inconnu.ics", "404-site": "/nulle-part"}


def page_address(server, path):
    if path == "EVENT":
        return server + first_event_path(server)
    if path == "PROGRAMME":
        return server + "/feeds/mon-programme.html?e=" + first_event_path(server).split("/")[-1].removesuffix(".html")
    return server + path


def without_javascript(html: str) -> str:
    """The page as a browser without JavaScript reads it: <noscript> content applies, no script runs.
    (axe-core itself needs JavaScript, so the page is served to it in that state.)"""
    html = re.sub(r"<script(?![^>]*application/(?:ld\+)?json)[^>]*>.*?</script>", "", html, flags=re.S)
    return re.sub(r"</?noscript>", "", html)


def open_page(browser, address, javascript=True, size=(1280, 900)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="fr-FR")
    page = context.new_page()
    if not javascript:
        def serve(route):
            response = route.fetch()
            route.fulfill(response=response, body=without_javascript(response.text()))
        page.route(address, serve)
    page.goto(address, wait_until="networkidle")
    return context, page


@pytest.mark.parametrize("javascript", [True, False], ids=["avec-js", "sans-js"])
@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_no_accessibility_violation(server, browser, name, javascript):
    context, page = open_page(browser, page_address(server, PAGE_TYPES[name]), javascript)
    found = violations(page)
    context.close()
    assert found == []
