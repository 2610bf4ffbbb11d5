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

import json

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
    shutil.copytree(ROOT / "data", folder / "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # As in production, the service knows its public address (publish.base_url): pages carry absolute
    # subscribe links, without JavaScript too.
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    assert 'base_url: ""' in text
    (folder / "sources.yaml").write_text(text.replace('base_url: ""', f'base_url: "http://127.0.0.1:{port}"', 1),
                                         encoding="utf-8")
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
    for label, size in (("bureau", {"width": 1280, "height": 900}), ("mobile", {"width": 375, "height": 740})):
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


def plain(text: str) -> str:
    """Text as the feeds write it: the page's French no-break spaces read as spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def outlook_name(page, block="#abonnement-selection"):
    href = page.locator(f"{block} a[data-lien=outlook365]").get_attribute("href")
    return parse_qs(urlsplit(href).query)["name"][0]


def test_home_page_leads_with_the_main_task(server, page):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Ajoutez le programme à votre agenda"
    assert page.locator("summary.groupe__titre .groupe__nom").all_inner_texts() == [
        "Par organisateur", "Par thème", "Par région", "Par format"]
    labs = page.locator("#agenda-categorie-labs")
    assert labs.locator(".agenda__compte").text_content().startswith("3 événements")
    page.get_by_text("Par organisateur").click()
    labs.locator("summary").click()
    name = "Mois de l'innovation publique 2022 — Laboratoires d'innovation territoriale"
    for client in ("Nouvel Outlook, Outlook sur le web, Microsoft 365", "Outlook.com (compte personnel)",
                   "Google Agenda", "Apple Calendrier, Thunderbird, Outlook classique",
                   "Télécharger le fichier (.ics)", "Version à importer (sans abonnement)"):
        assert labs.get_by_role("link", name=client).count() == 1, client
        assert name in labs.get_by_role("link", name=client).evaluate("e => e.textContent"), client
    # On a phone, the whole programme, the round tables, organisers and themes are on the first screen.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(server + "/")
    for selector in ("#agenda-tous-tous summary", "#agenda-selection-tables-rondes-ditp summary",
                     "#categorie > summary", "#theme > summary"):
        box = page.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= 740, selector
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "accueil")


def test_builder_names_counts_and_previews_what_is_ticked(server, page):
    page.goto(server + "/feeds/constructeur.html")
    page.get_by_label("Laboratoires d'innovation territoriale").check(force=True)
    page.wait_for_function("document.getElementById('compte').textContent.startsWith('3 événements correspondent')")
    assert outlook_name(page).endswith("sélection : Laboratoires d'innovation territoriale")
    assert page.locator("#apercu li").count() == 3
    shown = outlook_name(page).replace(" :", "\u00a0:")  # Outlook gets the plain name, the page French spacing
    assert page.locator("#nom-agenda").text_content() == shown
    assert page.locator("#abonnement-selection summary").text_content() == f"S'abonner à l'agenda «\u00a0{shown}\u00a0»"
    page.get_by_label("Grand Est").check(force=True)
    page.wait_for_function("document.getElementById('compte').textContent.startsWith('1 événement correspond ')")
    assert outlook_name(page).endswith("sélection : Laboratoires d'innovation territoriale · Grand Est")
    assert page.locator("#apercu li").count() == 1
    address = page.locator("#abonnement-selection input[data-lien=https]").input_value()
    events = parse_feed(requests.get(address, timeout=10).content)
    assert len(events) == 1
    screenshot(page, "constructeur")
    named = outlook_name(page)
    page.get_by_role("button", name="Voir mon agenda").click()  # the same without JavaScript: the server answers
    page.wait_for_url(re.compile(r"constructeur\.html\?"))
    assert page.locator("#compte").inner_text().startswith("1 événement correspond ")
    assert outlook_name(page) == named
    assert page.locator("#abonnement-selection input[data-lien=https]").input_value() == address


def test_an_empty_selection_offers_no_subscription(server, page):
    page.goto(server + "/feeds/constructeur.html")
    page.get_by_label("Laboratoires d'innovation territoriale").check(force=True)
    page.get_by_label("En ligne").check(force=True)
    page.wait_for_function("document.getElementById('compte').textContent.startsWith('Aucun événement ne correspond')")
    assert not page.locator("#abonnement-selection").is_visible()
    assert page.locator("#agenda-vide").is_visible()
    assert page.locator("#apercu li").count() == 0
    html = requests.get(server + "/feeds/constructeur.html?categorie=labs&format=en-ligne", timeout=10).text
    assert "Aucun événement ne correspond encore" in html
    assert 'id="abonnement-selection" hidden' in html.replace("\n", " ")


def test_two_events_added_from_their_pages_make_a_programme_of_two(server, page):
    first = first_event_path(server)
    others = re.findall(r'href="(evenements/[0-9a-f]{12}\.html)"',
                        requests.get(server + "/feeds/evenements.html", timeout=10).text)
    second = "/feeds/" + next(path for path in others if "/feeds/" + path != first)
    titles = []
    for path in (first, second):
        page.goto(server + path)
        titles.append(plain(page.locator("h1").inner_text()))
        page.get_by_role("link", name="Ajouter à mon programme").click()
        page.wait_for_function("document.getElementById('retirer-programme').hidden === false")
    assert plain(page.locator("#lien-programme").inner_text()) == "Mon programme (2)"
    gap = page.evaluate("""() => {
        const link = document.getElementById('lien-programme'), count = document.getElementById('nombre-programme');
        const words = document.createRange(), number = document.createRange();
        words.selectNodeContents(link.firstChild);
        const at = count.firstChild.textContent.indexOf('(');
        number.setStart(count.firstChild, at); number.setEnd(count.firstChild, at + 1);
        return number.getBoundingClientRect().left - words.getBoundingClientRect().right; }""")
    assert gap > 2  # « Mon programme (2) », not « Mon programme(2) »
    page.locator("#lien-programme").click()
    page.wait_for_url(re.compile(r"mon-programme\.html\?e="))
    assert sorted(plain(t) for t in page.locator("#programme-liste h3").all_inner_texts()) == sorted(titles)
    address = page.locator("#abonnement-programme input[data-lien=https]").input_value()
    assert sorted(str(e["SUMMARY"]) for e in parse_feed(requests.get(address, timeout=10).content).values()) == \
        sorted(titles)
    screenshot(page, "programme")
    page.locator("#programme-liste a.retirer").first.click()  # removing removes
    page.wait_for_url(re.compile(r"mon-programme\.html"))
    assert page.locator("#programme-liste h3").count() == 1
    assert plain(page.locator("#lien-programme").inner_text()) == "Mon programme (1)"


def test_my_programme_from_ticked_events(server, page):
    page.goto(server + "/feeds/evenements.html")
    boxes = page.locator("#choix input[name=e]")
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(3).get_attribute("value")]
    titles = [plain(page.locator(f"#choix li:has(input[value='{key}']) h3").inner_text()) for key in chosen]
    boxes.nth(0).check(force=True)
    boxes.nth(3).check(force=True)
    page.get_by_role("button", name="Voir mon programme avec les événements cochés").click()
    page.wait_for_url(re.compile(r"mon-programme\.html\?"))
    address = page.locator("input[data-lien=https]").input_value()
    events = parse_feed(requests.get(address, timeout=10).content)
    assert sorted(str(e["SUMMARY"]) for e in events.values()) == sorted(titles)
    page.goto(server + "/feeds/evenements.html")  # the list keeps the ticks
    assert [page.locator(f"#choix-{key}").is_checked() for key in chosen] == [True, True]


def test_event_page_adds_to_calendars_and_describes_the_event(server, page):
    page.goto(server + "/feeds/evenements.html")
    page.get_by_role("link", name="Anniversaire du Ti Lab").click()
    assert page.locator("h1").inner_text() == "Anniversaire du Ti Lab"
    data = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Anniversaire du Ti Lab" and data["startDate"] == "2022-11-18"
    assert data["location"]["@type"] == "Place" and data["location"]["address"]["addressRegion"] == "Bretagne"
    google = page.get_by_role("link", name=re.compile("^Google Agenda")).get_attribute("href")
    assert parse_qs(urlsplit(google).query)["dates"] == ["20221118/20221119"]
    outlook = page.get_by_role("link", name=re.compile("^Outlook sur le web")).get_attribute("href")
    assert parse_qs(urlsplit(outlook).query)["subject"] == ["Anniversaire du Ti Lab"]
    with page.expect_download() as info:
        page.locator("#ajouter-agenda").click()
    assert info.value.suggested_filename == "anniversaire-du-ti-lab.ics"
    label = plain(page.locator("#ajouter-agenda").text_content())  # the button says what it gives, not a file name
    assert label == "Autres agendas (fichier .ics) : Anniversaire du Ti Lab"
    data = Path(info.value.path()).read_bytes()
    assert [str(e["SUMMARY"]) for e in parse_feed(data).values()] == ["Anniversaire du Ti Lab"]
    assert b"X-WR-CALNAME" not in data  # imported into the agent's own calendar
    ics = requests.get(page.locator("#ajouter-agenda").evaluate("e => e.href"), timeout=10)
    assert 'filename="anniversaire-du-ti-lab.ics"' in ics.headers["Content-Disposition"]


def test_event_list_filters_in_place(server, page):
    page.goto(server + "/feeds/evenements.html")
    page.get_by_text("Filtrer par organisateur, thème, région, format").click()
    page.get_by_label("Associations").check(force=True)
    page.wait_for_function("document.getElementById('compte-evenements').textContent.startsWith('2 ')")
    visible = page.locator("#choix li.evenement:visible h3").all_inner_texts()
    assert len(visible) == 2 and any("diversité" in title for title in visible)


@pytest.mark.parametrize("path, status", [("/feeds/selection.ics?theme=inconnu", 400), ("/feeds/inconnu.ics", 404),
                                          ("/feeds/evenements/000000000000.html", 404), ("/nulle-part", 404),
                                          ("/feeds/tous.ics?usage=autre", 400)])
def test_every_error_is_a_french_page_with_its_status(server, page, path, status):
    response = page.goto(server + path)
    assert response.status == status  # what a calendar client reads
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.title() and page.locator("h1").inner_text() == page.title().split(" — ")[0]
    assert page.locator("header[role=banner] .fr-logo").count() == 1
    assert page.get_by_role("link", name="Retour à la liste des agendas").count() == 1


def test_the_subscribe_control_works_without_javascript(server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    row = page.locator("#agenda-tous-tous")
    assert not row.get_by_role("link", name=re.compile("^Google Agenda")).is_visible()
    row.locator("summary").click()
    link = row.get_by_role("link", name=re.compile("^Google Agenda"))
    assert link.is_visible() and "tout le programme" in link.evaluate("e => e.textContent")
    field, panel = (row.locator(selector).bounding_box() for selector in ("input[data-lien=https]", ".abonner__choix"))
    assert field["x"] + field["width"] <= panel["x"] + panel["width"]  # the address stays inside its panel
    url = parse_qs(urlsplit(link.get_attribute("href")).query)["cid"][0]
    assert url.startswith("webcal://")  # Google Agenda refuses an https address in `cid`
    assert requests.get("http://" + url.removeprefix("webcal://"), timeout=10).status_code == 200
    assert page.get_by_role("link", name="Composer mon agenda").first.is_visible()  # the menu, without its script
    for panel in ("aide-abonner", "aide-integrer"):  # the help, unfolded: its buttons need the DSFR's script
        assert page.evaluate(f"document.getElementById('{panel}').offsetHeight") > 100, panel
    assert page.get_by_text("À partir de l'URL").first.is_visible()
    screenshot(page, "accueil-sans-js")
    context.close()


def test_pages_load_nothing_from_elsewhere(server, browser):
    for name, path in PAGE_TYPES.items():
        context, page = open_page(browser, page_address(server, path))
        requested = []
        page.on("request", lambda request, seen=requested: seen.append(request.url))
        page.reload(wait_until="networkidle")
        assert requested and all(url.startswith(server + "/") for url in requested), (name, requested)
        sources = page.eval_on_selector_all("[src], link[href]", "els => els.map(e => e.src || e.href)")
        assert all(url.startswith(server + "/") for url in sources), (name, sources)
        context.close()


def test_every_page_runs_its_scripts_and_the_design_system_works(server, browser):
    for name, path in PAGE_TYPES.items():
        context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error, seen=errors: seen.append(str(error)))
        page.goto(page_address(server, path), wait_until="networkidle")
        assert errors == [], (name, errors)
        if name == "accueil":  # the DSFR's own script opens its accordions and the mobile menu
            help_button = page.get_by_role("button", name="Comment s'abonner dans mon agenda ?")
            help_button.click()
            page.wait_for_function("document.getElementById('aide-abonner').offsetHeight > 0")
            assert help_button.get_attribute("aria-expanded") == "true"
            page.locator("button[data-fr-opened][aria-controls]").first.click()
            page.wait_for_function("document.querySelector('.fr-header__menu').classList.contains('fr-modal--opened')")
        context.close()


def test_keyboard_reaches_the_content_with_a_visible_focus(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_every_link_of_the_page_points_at_a_served_feed(server, page):
    page.goto(server + "/")
    links = page.eval_on_selector_all("[data-lien]", "els => els.map(e => [e.dataset.lien, e.href || e.value])")
    links += page.eval_on_selector_all(".integrations a", "els => els.map(e => [e.textContent, e.href])")
    checked = set()
    for kind, link in links:
        if kind in ("outlook365", "outlookcom"):
            url = parse_qs(urlsplit(link).query)["url"][0]
        elif kind in ("google", "webcal"):
            webcal = parse_qs(urlsplit(link).query)["cid"][0] if kind == "google" else link
            assert webcal.startswith("webcal://"), (kind, webcal)
            url = "http://" + webcal.removeprefix("webcal://")
        else:
            url = link
        if url in checked:
            continue
        checked.add(url)
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (kind, url)
        expected = {"JSON": "application/json", "liste à intégrer": "text/html"}.get(kind, "text/calendar")
        assert response.headers["Content-Type"].startswith(expected), (kind, url)
    assert len(checked) > 40


@pytest.fixture(scope="module")
def static_copy(tmp_path_factory):
    """`calfeed build` with the shipped empty base_url, served by a plain static web server."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    folder = tmp_path_factory.mktemp("statique")
    shutil.copy(ROOT / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(ROOT / "data", folder / "data")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    built = subprocess.run([sys.executable, "-m", "calfeed.cli", "build", "--config", str(folder / "sources.yaml"),
                            "--output", str(folder / "site")], env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert "publish.base_url est vide" in built.stderr

    from calfeed.security import security_headers

    class Quiet(SimpleHTTPRequestHandler):
        def end_headers(self):  # the headers README, « En production », asks of a static copy's server
            for name, value in security_headers("/" + self.path.lstrip("/")).items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder / "site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder / "site"
    server.shutdown()
    server.server_close()


def test_the_static_copy_keeps_its_promises_or_says_what_it_cannot_do(static_copy, page):
    base, folder = static_copy
    for path in folder.rglob("*.html"):
        assert "publish.base_url" not in path.read_text(encoding="utf-8"), path
    page.goto(base + "/index.html")
    row = page.locator("#agenda-tous-tous")
    row.locator("summary").click()
    google = row.get_by_role("link", name=re.compile("^Google Agenda"))
    webcal = base.replace("http://", "webcal://") + "/tous.ics"
    assert parse_qs(urlsplit(google.get_attribute("href")).query)["cid"] == [webcal]
    assert requests.get(base + "/tous.ics", timeout=10).status_code == 200
    snippet = page.locator("code[data-integrer]").text_content()
    assert f'src="{base}/integrer/tous.html"' in snippet  # an absolute address, usable on a lab's site
    # Filtering on a static host: the address is read by the page, not reset by the server.
    page.goto(base + "/evenements.html?categorie=associations")
    page.wait_for_function("document.getElementById('compte-evenements').textContent.startsWith('2 ')")
    assert page.locator("#categorie-associations").is_checked()
    boxes = page.locator("#choix li.evenement:visible input[name=e]")
    boxes.nth(0).check(force=True)
    boxes.nth(1).check(force=True)
    page.get_by_role("button", name="Voir mon programme avec les événements cochés").click()
    page.wait_for_url(re.compile(r"mon-programme\.html\?e="))
    page.wait_for_function("document.querySelectorAll('#programme-liste li').length === 2")
    assert plain(page.locator("#lien-programme").inner_text()) == "Mon programme (2)"
    written = page.locator("#programme-liste").text_content()  # written by the script: French spacing too
    assert "\u00a0: " in written and not re.search(r"« | »| :", written)
    assert page.locator("#programme-liste button .fr-sr-only").count() == 2  # the title for screen readers only
    drop = page.locator("#programme-liste button").first
    assert drop.evaluate("b => b.firstChild.textContent") == "Retirer de mon programme"
    assert "ne peut pas servir d'agenda personnel" in page.locator("main").inner_text()
    page.goto(base + "/constructeur.html")
    assert "ne peut pas servir d'agenda composé" in page.locator("main").inner_text()


def test_the_script_fills_subscribe_links_as_the_server_does(static_copy, page):
    """The page script holds no client rule: it fills the server's templates (links.CLIENTS) and gets the
    links the server would write for the same address, the apostrophe of the name included (encoded by
    Python's quote, left as it is by encodeURIComponent)."""
    from calfeed.links import CLIENTS, subscribe_links
    base, _ = static_copy
    page.goto(base + "/index.html")
    block = page.locator("#agenda-tous-tous details.abonner")
    name = block.get_attribute("data-name").replace("\u00a0", " ").replace("\u202f", " ")
    assert "'" in name
    built = dict(block.locator("ul[data-a-construire] a[data-lien]").evaluate_all(
        "links => links.map(link => [link.dataset.lien, link.getAttribute('href')])"))
    expected = subscribe_links(base + "/tous.ics", name)
    assert built == {client.key: expected[client.key] for client in CLIENTS}
    assert block.locator("ul[data-a-construire] li:visible").count() == 0  # closed; every item shown once opened
    block.locator("summary").click()
    assert block.locator("ul[data-a-construire] li:visible").count() == len(CLIENTS)


def test_the_static_programme_says_empty_only_when_it_is(static_copy, browser):
    """Without JavaScript the static copy cannot read the address: it says so, and never that a programme
    it was given is empty; with JavaScript, the empty line shows only for an empty programme."""
    base, folder = static_copy
    key = re.search(r'href="evenements/([0-9a-f]{12})\.html"', (folder / "evenements.html").read_text(encoding="utf-8"))
    chosen = f"{base}/mon-programme.html?e={key.group(1)}"
    context, page = open_page(browser, chosen, javascript=False)
    shown = plain(page.locator("main").inner_text())
    assert "Sans JavaScript, cette copie statique du site ne peut pas afficher" in shown
    assert "Votre programme est vide" not in shown
    context.close()
    for address, empty in ((f"{base}/mon-programme.html", True), (chosen, False)):
        context, page = open_page(browser, address)
        if not empty:
            page.wait_for_function("document.querySelectorAll('#programme-liste li').length === 1")
        assert page.locator("#programme-vide").is_visible() == empty, address
        assert page.locator("#programme-plein").is_visible() == (not empty), address
        context.close()


def test_filtering_the_list_to_nothing_says_so_and_back(server, page):
    page.goto(server + "/feeds/evenements.html")
    empty = page.locator("#aucun-evenement")
    assert not empty.is_visible()
    page.fill("#q", "zzzzqq")
    page.wait_for_function("document.getElementById('compte-evenements').textContent.startsWith('0 ')")
    assert empty.is_visible() and page.locator("#choix li.evenement:visible").count() == 0
    page.fill("#q", "")
    page.wait_for_function("document.getElementById('compte-evenements').textContent.startsWith('19 ')")
    assert not empty.is_visible()


# -- Content-Security-Policy: every page type satisfies it; only the embed pages may be framed -------------

CSP_WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));")


def csp_violations(browser, address, act=None):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.add_init_script(CSP_WATCH)
    reported = []
    page.on("console", lambda message: reported.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(address, wait_until="networkidle")
    if act:
        act(page)
    found = page.evaluate("window.__csp") + reported
    policy = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    context.close()
    return policy, found


def open_menus(page):
    """What runs the DSFR's scripts most: an accordion and the mobile menu, opened."""
    accordion = page.locator("button.fr-accordion__btn").first
    if accordion.count():
        accordion.click()
    menu = page.locator("button[data-fr-opened][aria-controls]").first
    if menu.count() and menu.is_visible():
        menu.click()
    page.wait_for_timeout(300)


def test_no_page_breaks_its_content_security_policy(server, static_copy, browser):
    def inline_script(page):  # the watch itself works: a script the policy refuses is reported
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
                      " document.body.append(s); }")
    assert csp_violations(browser, server + "/", inline_script)[1] != []
    for name, path in PAGE_TYPES.items():
        policy, found = csp_violations(browser, page_address(server, path), open_menus)
        assert policy and "script-src 'self'" in policy, name
        assert found == [], (name, found)
    base, folder = static_copy
    event = re.search(r'href="(evenements/[0-9a-f]{12}\.html)"', (folder / "evenements.html").read_text(encoding="utf-8"))
    for path in ("index.html", "constructeur.html", "evenements.html", "mon-programme.html", event.group(1),
                 "integrer/categorie/labs.html", "accessibilite.html"):
        policy, found = csp_violations(browser, f"{base}/{path}", open_menus)
        assert policy and "script-src 'self'" in policy, path
        assert found == [], ("copie statique", path, found)


def test_only_the_embed_pages_may_be_framed(server, page, tmp_path):
    """A lab's site (another origin: a server on another port) frames three pages of the service."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    (tmp_path / "labo.html").write_text(
        f'<!doctype html><title>Labo</title><iframe id="liste" src="{server}/feeds/integrer/categorie/labs.html">'
        f'</iframe><iframe id="accueil" src="{server}/"></iframe><iframe id="etat" src="{server}/etat"></iframe>',
        encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    lab = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=lab.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{lab.server_address[1]}/labo.html", wait_until="networkidle")
        shown = {}
        for name in ("liste", "accueil", "etat"):  # a refused frame shows the browser's error page
            shown[name] = page.frame_locator(f"#{name}").locator("main h1").count() > 0
    finally:
        lab.shutdown()
        lab.server_close()
    assert shown == {"liste": True, "accueil": False, "etat": False}, [(f.url, f.title()) for f in page.frames]
