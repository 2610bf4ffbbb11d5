"""End-to-end tests in headless Chromium against `calfeed serve` on loopback.

They need Debian's Chromium (`apt-get install chromium`) and Playwright (installed by `make test`);
without a browser they are skipped with a message saying what to install. Screenshots are kept
in test-artifacts/.
"""

import os
import re
import shutil
import signal
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


def serve(tmp_path_factory, known_address: bool):
    """`calfeed serve` on loopback, with the bundled data; its public address configured or not."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "data", folder / "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    assert 'base_url: ""' in text
    if known_address:
        text = text.replace('base_url: ""', f'base_url: "http://127.0.0.1:{port}"', 1)
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
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
        time.sleep(0.05)
    yield base
    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (SIGTERM waits for its workers)
    process.wait(10)
    log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # As in production, the service knows its public address (publish.base_url): pages carry absolute
    # subscribe links, without JavaScript too.
    yield from serve(tmp_path_factory, known_address=True)


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """The shipped configuration: publish.base_url empty, no proxy declared."""
    yield from serve(tmp_path_factory, known_address=False)


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
              "contact": "/feeds/contact.html", "donnees-personnelles": "/feeds/donnees-personnelles.html",
              "plan-du-site": "/feeds/plan-du-site.html", "aide": "/feeds/aide.html",
              "400": "/feeds/selection.ics?theme=inconnu",
              "404": "/feeds/inconnu.ics", "404-site": "/nulle-part"}


# The page types `make test` opens in each per-page test (those that run the most script and hold the most
# content); the other page types are marked slow and opened by `make test-complet`.
SMOKE_PAGES = ("accueil", "constructeur", "evenement", "programme-plein", "404")


def page_params(names) -> list:
    return [pytest.param(name, marks=() if name in SMOKE_PAGES else pytest.mark.slow) for name in names]


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


@pytest.mark.parametrize("javascript, width", [(True, 1280), (False, 375)], ids=["avec-js", "sans-js-375"])
@pytest.mark.parametrize("name", page_params(sorted(PAGE_TYPES)))
def test_no_accessibility_violation(server, browser, name, javascript, width):
    """axe-core with and without JavaScript, at each width; with JavaScript, at the other width too, and each
    page type's screenshots at both widths are kept in test-artifacts/."""
    context, page = open_page(browser, page_address(server, PAGE_TYPES[name]), javascript,
                              (width, 900 if width == 1280 else 740))
    found = violations(page)
    if javascript:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"page-{name}-bureau.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 740})
        found += violations(page)
        page.screenshot(path=str(ARTIFACTS / f"page-{name}-mobile.png"), full_page=True)
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
    name = "Laboratoires d'innovation territoriale — Mois de l'innovation publique"
    for client in ("Outlook (Microsoft 365, nouvel Outlook, Outlook sur le web)", "compte personnel Outlook.com",
                   "Outlook classique (Windows)", "Google Agenda", "Apple Calendrier (Mac, iPhone, iPad)",
                   "Thunderbird", "Autre agenda (Zimbra, BlueMind, webmail…)",
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
    page.wait_for_function("() => document.getElementById('compte').textContent.startsWith('3 événements correspondent')")
    assert outlook_name(page) == "Sélection : Laboratoires d'innovation territoriale — Mois de l'innovation publique"
    assert page.locator("#apercu li").count() == 3
    shown = outlook_name(page).replace(" :", "\u00a0:")  # Outlook gets the plain name, the page French spacing
    assert page.locator("#nom-agenda").text_content() == shown
    assert page.locator("#abonnement-selection summary").text_content() == f"S'abonner à l'agenda «\u00a0{shown}\u00a0»"
    page.get_by_label("Grand Est").check(force=True)
    page.wait_for_function("() => document.getElementById('compte').textContent.startsWith('1 événement correspond ')")
    assert outlook_name(page) == ("Sélection : Laboratoires d'innovation territoriale · Grand Est — Mois de "
                                  "l'innovation publique")
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
    page.wait_for_function("() => document.getElementById('compte').textContent.startsWith('Aucun événement ne correspond')")
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
        page.wait_for_function("() => document.getElementById('retirer-programme').hidden === false")
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
    outlook = page.get_by_role("link", name=re.compile(r"^Outlook \(Microsoft 365")).get_attribute("href")
    assert parse_qs(urlsplit(outlook).query)["subject"] == ["Anniversaire du Ti Lab"]
    with page.expect_download() as info:
        page.locator("#ajouter-agenda").click()
    assert info.value.suggested_filename == "anniversaire-du-ti-lab.ics"
    label = plain(page.locator("#ajouter-agenda").text_content())  # the button says what it gives, not a file name
    assert label == "Télécharger l'événement (fichier .ics) : Anniversaire du Ti Lab"
    for client in ("Outlook classique (Windows)", "Apple Calendrier (Mac, iPhone, iPad)", "Thunderbird",
                   "Autre agenda (Zimbra, BlueMind, webmail…)"):  # one choice per client, each its file
        link = page.get_by_role("link", name=re.compile("^" + re.escape(client)))
        assert link.get_attribute("href") == page.locator("#ajouter-agenda").get_attribute("href"), client
    data = Path(info.value.path()).read_bytes()
    assert [str(e["SUMMARY"]) for e in parse_feed(data).values()] == ["Anniversaire du Ti Lab"]
    assert b"X-WR-CALNAME" not in data  # imported into the agent's own calendar
    ics = requests.get(page.locator("#ajouter-agenda").evaluate("e => e.href"), timeout=10)
    assert 'filename="anniversaire-du-ti-lab.ics"' in ics.headers["Content-Disposition"]


def test_event_list_filters_in_place(server, page):
    page.goto(server + "/feeds/evenements.html")
    page.get_by_text("Filtrer par organisateur, thème, région, format").click()
    page.get_by_label("Associations").check(force=True)
    page.wait_for_function("() => document.getElementById('compte-evenements').textContent.startsWith('2 ')")
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
    assert link.is_visible() and "Tout le programme" in link.evaluate("e => e.textContent")
    field, panel = (row.locator(selector).bounding_box() for selector in ("input[data-lien=https]", ".abonner__choix"))
    assert field["x"] + field["width"] <= panel["x"] + panel["width"]  # the address stays inside its panel
    assert link.get_attribute("href") == "https://calendar.google.com/calendar/r/settings/addbyurl"
    url = row.get_by_role("link", name=re.compile("^Outlook classique")).get_attribute("href")
    assert url.startswith("webcal://")
    assert requests.get("http://" + url.removeprefix("webcal://"), timeout=10).status_code == 200
    assert page.get_by_role("link", name="Composer mon agenda").first.is_visible()  # the menu, without its script
    for panel in ("aide-abonner", "aide-integrer"):  # the help, unfolded: its buttons need the DSFR's script
        assert page.evaluate(f"document.getElementById('{panel}').offsetHeight") > 100, panel
    assert page.get_by_text("À partir de l'URL").first.is_visible()
    screenshot(page, "accueil-sans-js")
    context.close()


# The help and legal pages beyond « contact » share its template and resources: looped over once.
LOOPED_TYPES = {name: path for name, path in PAGE_TYPES.items() if name not in ("aide", "plan-du-site",
                                                                                 "donnees-personnelles")}


@pytest.mark.parametrize("name", page_params(LOOPED_TYPES))
def test_pages_load_nothing_from_elsewhere(server, browser, name):
    path = LOOPED_TYPES[name]
    context, page = open_page(browser, page_address(server, path))
    requested = []
    page.on("request", lambda request, seen=requested: seen.append(request.url))
    page.reload(wait_until="networkidle")
    assert requested and all(url.startswith(server + "/") for url in requested), (name, requested)
    sources = page.eval_on_selector_all("[src], link[href]", "els => els.map(e => e.src || e.href)")
    assert all(url.startswith(server + "/") for url in sources), (name, sources)
    context.close()


@pytest.mark.parametrize("name", page_params(LOOPED_TYPES))
def test_every_page_runs_its_scripts_and_the_design_system_works(server, browser, name):
    path = LOOPED_TYPES[name]
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error, seen=errors: seen.append(str(error)))
    page.goto(page_address(server, path), wait_until="networkidle")
    assert errors == [], (name, errors)
    if name == "accueil":  # the DSFR's own script opens its accordions and the mobile menu
        help_button = page.get_by_role("button", name="Comment s'abonner dans mon agenda ?")
        help_button.click()
        page.wait_for_function("() => document.getElementById('aide-abonner').offsetHeight > 0")
        assert help_button.get_attribute("aria-expanded") == "true"
        page.locator("button[data-fr-opened][aria-controls]").first.click()
        page.wait_for_function("() => document.querySelector('.fr-header__menu').classList.contains('fr-modal--opened')")
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
        elif kind == "google":
            assert link == "https://calendar.google.com/calendar/r/settings/addbyurl"  # the address is pasted
            continue
        elif kind in ("outlookclassique", "apple", "thunderbird"):
            assert link.startswith("webcal://"), (kind, link)
            url = "http://" + link.removeprefix("webcal://")
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


def static_site(tmp_path_factory, base_url: str = ""):
    """`calfeed build` served by a plain static web server; with `base_url`, the copy of a live service."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    folder = tmp_path_factory.mktemp("statique")
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    (folder / "sources.yaml").write_text(text.replace('base_url: ""', f'base_url: "{base_url}"', 1), encoding="utf-8")
    shutil.copytree(ROOT / "data", folder / "data")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    built = subprocess.run([sys.executable, "-m", "calfeed.cli", "build", "--no-fetch", "--config",
                            str(folder / "sources.yaml"), "--output", str(folder / "site")],
                           env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert ("publish.base_url est vide" in built.stderr) == (not base_url)

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


@pytest.fixture(scope="module")
def static_copy(tmp_path_factory):
    """`calfeed build` with the shipped empty base_url."""
    yield from static_site(tmp_path_factory)


@pytest.fixture(scope="module")
def static_linked(tmp_path_factory, server):
    """A static copy whose base_url is the live service: composed calendars and « Mon programme » come from it."""
    yield from static_site(tmp_path_factory, server)


def test_the_static_copy_keeps_its_promises_or_says_what_it_cannot_do(static_copy, page):
    base, folder = static_copy
    # Without its public address the copy says, where the links would be, what the team should set.
    assert "publish.base_url" in (folder / "index.html").read_text(encoding="utf-8")
    page.goto(base + "/index.html")
    row = page.locator("#agenda-tous-tous")
    row.locator("summary").click()
    assert not row.locator(".abonner__sans-adresse").is_visible()  # the script wrote the links: no notice
    classic = row.get_by_role("link", name=re.compile("^Outlook classique"))
    webcal = base.replace("http://", "webcal://") + "/tous.ics"
    assert classic.get_attribute("href") == webcal
    assert requests.get(base + "/tous.ics", timeout=10).status_code == 200
    snippet = page.locator("code[data-integrer]").text_content()
    assert f'src="{base}/integrer/tous.html"' in snippet  # an absolute address, usable on a lab's site
    # Filtering on a static host: the address is read by the page, not reset by the server.
    page.goto(base + "/evenements.html?categorie=associations")
    page.wait_for_function("() => document.getElementById('compte-evenements').textContent.startsWith('2 ')")
    assert page.locator("#categorie-associations").is_checked()
    boxes = page.locator("#choix li.evenement:visible input[name=e]")
    boxes.nth(0).check(force=True)
    boxes.nth(1).check(force=True)
    page.get_by_role("button", name="Voir mon programme avec les événements cochés").click()
    page.wait_for_url(re.compile(r"mon-programme\.html\?e="))
    page.wait_for_function("() => document.querySelectorAll('#programme-liste li').length === 2")
    assert plain(page.locator("#lien-programme").inner_text()) == "Mon programme (2)"
    written = page.locator("#programme-liste").text_content()  # the server's lines: French spacing too
    assert "\u00a0: " in written and not re.search(r"« | »| :", written)
    assert page.locator("#programme-liste a.retirer .fr-sr-only").count() == 2  # the title for screen readers only
    drop = page.locator("#programme-liste a.retirer").first
    assert drop.evaluate("b => b.firstChild.textContent") == "Retirer de mon programme"
    assert "ne peut pas servir d'agenda personnel" in page.locator("main").inner_text()
    page.goto(base + "/constructeur.html")
    assert "ne peut pas servir d'agenda composé" in page.locator("main").inner_text()


def test_the_script_fills_subscribe_links_as_the_server_does(static_copy, page):
    """The page script holds no client rule: it fills the server's templates (links.CLIENTS) and gets the
    links the server would write for the same address, the apostrophe of the name included (encoded by
    Python's quote, left as it is by encodeURIComponent)."""
    from urllib.parse import unquote
    from calfeed.links import CLIENTS, subscribe_links
    base, _ = static_copy
    page.goto(base + "/index.html")
    block = page.locator("#agenda-tous-tous details.abonner")
    name = unquote(block.get_attribute("data-nom"))  # the name as the feed names itself, unspaced
    assert "'" in name
    built = dict(block.locator("ul[data-a-construire] a[data-lien]").evaluate_all(
        "links => links.map(link => [link.dataset.lien, link.getAttribute('href')])"))
    expected = subscribe_links(base + "/tous.ics", name)
    assert built == {client.key: expected[client.key] for client in CLIENTS if client.template}
    assert block.locator("ul[data-a-construire] li:visible").count() == 0  # closed; every item shown once opened
    block.locator("summary").click()
    assert block.locator("ul[data-a-construire] > li:visible").count() == len([c for c in CLIENTS if not c.part_of])


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
            page.wait_for_function("() => document.querySelectorAll('#programme-liste li').length === 1")
        assert page.locator("#programme-vide").is_visible() == empty, address
        assert page.locator("#programme-plein").is_visible() == (not empty), address
        context.close()


def test_filtering_the_list_to_nothing_says_so_and_back(server, page):
    page.goto(server + "/feeds/evenements.html")
    empty = page.locator("#aucun-evenement")
    assert not empty.is_visible()
    page.fill("#q", "zzzzqq")
    page.wait_for_function("() => document.getElementById('compte-evenements').textContent.startsWith('0 ')")
    assert empty.is_visible() and page.locator("#choix li.evenement:visible").count() == 0
    page.fill("#q", "")
    page.wait_for_function("() => document.getElementById('compte-evenements').textContent.startsWith('19 ')")
    assert not empty.is_visible()


# ---- The tasks of issue 21, as a first-time agent does them: live and static, public address known or not,
# with and without JavaScript, on a phone and a desktop. Each case says which site it opens.

SITES = {"direct": ("server", "/", "/feeds/"), "direct-sans-adresse": ("bare_server", "/", "/feeds/"),
         "statique": ("static_copy", "/index.html", "/"), "statique-relie": ("static_linked", "/index.html", "/")}
WIDTHS = {375: {"width": 375, "height": 740}, 1280: {"width": 1280, "height": 900}}


def open_site(request, browser, site, javascript, width):
    fixture, home, feeds = SITES[site]
    value = request.getfixturevalue(fixture)
    base = value[0] if isinstance(value, tuple) else value
    context = browser.new_context(viewport=WIDTHS[width], locale="fr-FR",
                                  java_script_enabled=javascript)
    return context, context.new_page(), base, base + home, base + feeds.rstrip("/")


def feed_events(url):
    response = requests.get(url.replace("webcal://", "http://", 1), timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/calendar"), url
    return parse_feed(response.content)


@pytest.mark.parametrize("site, javascript, width", [
    ("direct", False, 1280), ("direct-sans-adresse", True, 1280), ("statique", True, 375), ("statique", False, 375)])
def test_subscribe_to_the_round_tables_in_each_client(request, browser, site, javascript, width):
    """Outlook classique, Outlook 365 and an unnamed webmail, from the home page's round tables."""
    context, page, _, home, feeds = open_site(request, browser, site, javascript, width)
    page.goto(home, wait_until="networkidle")
    row = page.locator("#agenda-selection-tables-rondes-ditp")
    summary = row.locator("summary")
    before = summary.bounding_box()
    summary.click()
    after = summary.bounding_box()
    assert abs(after["x"] + after["width"] - before["x"] - before["width"]) <= 1  # the button stays on the right
    address = feeds + "/tables-rondes-ditp.ics"
    if not javascript and "sans-adresse" in site or site == "statique" and not javascript:
        notice = row.locator(".abonner__sans-adresse")  # no address known: the page says so, and what to set
        assert notice.is_visible() and "publish.base_url" in notice.inner_text()
        assert not row.get_by_role("link", name=re.compile("^Outlook classique")).is_visible()
        assert row.get_by_role("link", name=re.compile("^Télécharger le fichier")).is_visible()
        context.close()
        return
    assert not row.locator(".abonner__sans-adresse").is_visible()
    classic = row.get_by_role("link", name=re.compile(r"^Outlook classique \(Windows\)"))
    assert classic.is_visible() and classic.get_attribute("href") == address.replace("http://", "webcal://", 1)
    events = feed_events(classic.get_attribute("href"))
    assert len(events) == 4
    office = row.get_by_role("link", name=re.compile(r"^Outlook \(Microsoft 365"))
    query = parse_qs(urlsplit(office.get_attribute("href")).query)
    assert office.get_attribute("href").startswith("https://outlook.office.com/calendar/0/addfromweb?")
    assert query["url"] == [address] and "tables rondes" in query["name"][0].lower()
    assert feed_events(query["url"][0]).keys() == events.keys()
    assert "3 heures" in office.locator("xpath=ancestor::li[1]").inner_text()  # how often Outlook reads it
    row.get_by_role("link", name=re.compile(r"^Autre agenda \(Zimbra, BlueMind, webmail")).click()
    field = row.locator("input[data-lien=https]")
    assert page.evaluate("location.hash") == "#" + field.get_attribute("id")
    assert field.is_visible() and field.input_value() == address
    assert feed_events(field.input_value()).keys() == events.keys()
    context.close()


@pytest.mark.parametrize("site, javascript, width", [
    ("direct", True, 375), ("direct", False, 1280), ("statique-relie", True, 1280)])
def test_build_ecology_occitanie_online_then_subscribe(request, browser, site, javascript, width):
    """Every region is offered with its count; a choice that gives nothing leads to the nearest one that
    gives something; live and static builders give the same feed."""
    context, page, _, _, feeds = open_site(request, browser, site, javascript, width)
    page.goto(feeds + "/constructeur.html", wait_until="networkidle")
    assert page.locator("fieldset#critere-region input").count() == 18
    assert plain(page.locator("label[for=region-occitanie]").inner_text()) == "Occitanie (0)"
    for label in ("region-occitanie", "theme-transition-ecologique", "format-en-ligne"):
        page.locator(f"label[for={label}]").click()
    if not javascript:
        page.get_by_role("button", name="Voir mon agenda").click()
    page.wait_for_function("() => document.getElementById('compte').textContent.startsWith('Aucun')")
    assert page.locator("#agenda-vide").is_visible() and not page.locator("#abonnement-selection").is_visible()
    wider = page.locator("#elargir a")
    assert wider.count() == 1 and plain(wider.inner_text()) == "Sans « Occitanie » : 1 événement"
    wider.click()
    page.wait_for_function("() => document.getElementById('compte').textContent.startsWith('1 événement')")
    block = page.locator("#abonnement-selection")
    assert block.is_visible()
    classic = block.get_by_role("link", name=re.compile(r"^Outlook classique")).get_attribute("href")
    served = request.getfixturevalue("server")
    assert classic == served.replace("http://", "webcal://") + \
        "/feeds/selection.ics?theme=transition-ecologique&format=en-ligne"  # the live builder's address too
    (event,) = feed_events(classic).values()
    assert "Transition écologique" in [str(c) for c in event["CATEGORIES"].cats]
    context.close()


def add_from_event_page(page, address, count):
    page.goto(address, wait_until="networkidle")
    page.get_by_role("link", name="Ajouter à mon programme").click()
    page.wait_for_function(f"() => document.getElementById('etat-programme').textContent.includes('({count} événement')")


@pytest.mark.parametrize("site, javascript, width", [
    ("direct", True, 375), ("direct", False, 1280), ("statique-relie", True, 375)])
def test_add_two_events_remove_one_reload_and_subscribe(request, browser, site, javascript, width):
    context, page, _, _, feeds = open_site(request, browser, site, javascript, width)
    listing = requests.get(feeds + "/evenements.html", timeout=10).text
    first, second = re.findall(r'href="evenements/([0-9a-f]{12})\.html"', listing)[:2]
    if javascript:
        add_from_event_page(page, f"{feeds}/evenements/{first}.html", 1)
        page.goto(f"{feeds}/evenements.html", wait_until="networkidle")  # the second from the list
        page.locator(f"#choix-{second}").check(force=True)
        page.wait_for_function("() => document.getElementById('annonce-programme').textContent.includes('Ajouté')")
        assert plain(page.locator("#annonce-programme").text_content()).endswith("2 événements choisis.")
        bar = page.locator("#barre-programme")  # in sight on a phone, where the menu is closed
        box = bar.bounding_box()
        assert bar.is_visible() and box["y"] + box["height"] <= WIDTHS[width]["height"] + 1
        assert plain(bar.inner_text()).startswith("Mon programme : 2 événements choisis.")
        bar.get_by_role("link", name="Voir mon programme").click()
    else:  # without the script: the links and the list's form carry the programme in the address
        page.goto(f"{feeds}/evenements/{first}.html")
        page.get_by_role("link", name="Ajouter à mon programme").click()
        page.get_by_role("link", name="Ajouter d'autres événements").click()
        page.locator(f"#choix-{second}").check(force=True)
        page.get_by_role("button", name="Voir mon programme avec les événements cochés").click()
    page.wait_for_function("() => document.querySelectorAll('#programme-liste li').length === 2")
    page.locator(f"#programme-liste .retirer[data-cle='{first}']").click()
    page.wait_for_function("() => document.querySelectorAll('#programme-liste li').length === 1")
    page.reload(wait_until="networkidle")
    page.wait_for_function("() => document.querySelectorAll('#programme-liste li').length === 1")
    assert page.locator(f"#programme-liste .retirer[data-cle='{second}']").count() == 1
    assert f"e={second}" in page.locator("#adresse-partage").input_value()
    block = page.locator("#abonnement-programme")
    block.locator("summary").click()
    classic = block.get_by_role("link", name=re.compile(r"^Outlook classique")).get_attribute("href")
    assert classic.endswith(f"/feeds/mon-programme.ics?e={second}")
    assert len(feed_events(classic)) == 1
    context.close()


def test_the_embedded_list_fits_on_another_origin(server, browser):
    """A lab pastes the help page's snippet on its own site: the frame takes the list's height, on a phone and
    on a desktop, and the list keeps a way to subscribe."""
    context = browser.new_context(viewport=WIDTHS[1280], locale="fr-FR")
    page = context.new_page()
    page.goto(server + "/feeds/aide.html")
    snippet = page.locator("code[data-integrer]").text_content()
    assert f'src="{server}/feeds/integrer/tous.html"' in snippet  # absolute: it works once pasted elsewhere
    host = lab_site("<!doctype html><html lang=fr><meta charset=utf-8><title>Labo</title><h1>Notre agenda</h1>"
                    + snippet)  # another origin: another port
    page.goto(next(host), wait_until="networkidle")
    frame = page.frame_locator("iframe[data-calfeed]")
    ARTIFACTS.mkdir(exist_ok=True)
    heights = {}
    for width in (1280, 375):
        page.set_viewport_size(WIDTHS[width])
        inner = frame.locator("body").evaluate("b => b.getBoundingClientRect().height")
        page.wait_for_function(f"() => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - {inner}) <= 2")
        heights[width] = inner
        page.screenshot(path=str(ARTIFACTS / f"integration-labo-{'mobile' if width == 375 else 'bureau'}.png"),
                        full_page=True)
    assert heights[375] > heights[1280] and heights[375] > 600  # a phone's list is longer than any fixed frame
    classic = frame.get_by_role("link", name="Outlook classique")
    assert classic.get_attribute("href") == server.replace("http://", "webcal://") + "/feeds/tous.ics"
    assert frame.get_by_role("link", name=re.compile("^Google Agenda, autres agendas")).count() == 1
    context.close()
    next(host, None)


def lab_site(html: str):
    """A lab's page on its own web server (a routed page cannot hold a frame from a real server)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    lab = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=lab.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{lab.server_address[1]}/agenda.html"
    finally:
        lab.shutdown()
        lab.server_close()


def test_the_first_subscribe_control_is_as_near_as_before(server, browser):
    """On a phone, the home reached its first subscribe control in 8 keyboard stops (issue 21): no more."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.goto(server + "/", wait_until="networkidle")
    stops = 0
    while stops < 30 and not page.evaluate("document.activeElement.matches('details.abonner > summary')"):
        page.keyboard.press("Tab")
        stops += 1
    assert stops <= 8
    context.close()


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


def test_the_policy_watch_reports_a_refused_script(server, browser):
    def inline_script(page):  # the watch itself works: a script the policy refuses is reported
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
                      " document.body.append(s); }")
    assert csp_violations(browser, server + "/", inline_script)[1] != []


@pytest.mark.parametrize("name", page_params(PAGE_TYPES))
def test_no_page_breaks_its_content_security_policy(server, browser, name):
    policy, found = csp_violations(browser, page_address(server, PAGE_TYPES[name]), open_menus)
    assert policy and "script-src 'self'" in policy, name
    assert found == [], (name, found)


STATIC_PAGES = {"accueil": "index.html", "constructeur": "constructeur.html", "liste": "evenements.html",
                "programme": "mon-programme.html", "evenement": "EVENT", "integrer": "integrer/categorie/labs.html",
                "accessibilite": "accessibilite.html"}


@pytest.mark.parametrize("name", page_params(STATIC_PAGES))
def test_no_static_page_breaks_its_content_security_policy(static_copy, browser, name):
    base, folder = static_copy
    path = STATIC_PAGES[name]
    if path == "EVENT":
        path = re.search(r'href="(evenements/[0-9a-f]{12}\.html)"',
                         (folder / "evenements.html").read_text(encoding="utf-8")).group(1)
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
