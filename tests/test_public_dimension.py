"""« Public visé » (`public`), a dimension added to the vocabulary table as one row: read from a spreadsheet
column, a JSON field, ICS CATEGORIES and a source's default; checked in sources.yaml; selected, shown and
exported like the others; events without it published exactly as before."""

import json
import re
from pathlib import Path

import pytest
import yaml

from calfeed.sources import parse_source
from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.errors import ConfigError
from calfeed.model import event_digest, event_from_dict, event_to_dict
from calfeed.selection import criteria_data, event_key
from helpers import parse_feed

FILES = ("publics_column.csv", "publics_field.json", "publics_categories.ics")
SOURCES = [
    {"id": "tableur", "type": "csv", "path": "publics_column.csv"},
    {"id": "export", "type": "json", "path": "publics_field.json"},
    {"id": "ditp", "type": "ics", "path": "publics_categories.ics", "category": "etat", "public": ["agents-publics"]},
]
FOR_ELECTED = {"pour-les-elus": {"name": "Pour les élus", "filter": {"public": ["elus"]}}}


@pytest.fixture
def publics(project):
    return project(SOURCES, files=FILES, selections=FOR_ELECTED)


def _plain(error) -> str:
    """A message with its French narrow and non-breaking spaces as plain ones."""
    return str(error).replace("\u202f", " ").replace("\xa0", " ")


def _read(config, source_id):
    source = next(s for s in config.sources if s.id == source_id)
    return parse_source(source.path.read_bytes(), source, config.taxonomy)


def test_each_kind_of_source_gives_its_events_their_public(publics):
    config = load_config(publics)
    table = _read(config, "tableur")
    found = {event.uid: event.facet("public") for event in table.events}
    assert found == {"budget-elus": ("elus", "usagers"), "rh-durable": ("rh", "encadrants"),
                     "diversite": ("agents-publics",), "ti-lab": (), "martiens": ("elus",)}
    # The header « Public visé » is read as the column `public`; an unknown value is dropped, not the event.
    assert not any("Public" in str(w) for w in table.warnings if "non lue" in str(w))
    assert [str(w) for w in table.warnings if "Martiens" in str(w)] == [
        "ligne 6 : public inconnu « Martiens » (valeurs possibles : agents-publics, encadrants, rh, elus, usagers, "
        "societe-civile, etudiants) : valeur ignorée"]
    export = {event.uid: event.facet("public") for event in _read(config, "export").events}
    assert export == {"coaching": ("encadrants", "etudiants"), "barometre": ("agents-publics",), "sans-public": ()}
    # ICS: a CATEGORIES label names it, and the source's default (sources.yaml) adds to it.
    ics = {event.uid: event.facet("public") for event in _read(config, "ditp").events}
    assert ics == {"territoires@ditp.example": ("elus", "agents-publics"),
                   "usagers@ditp.example": ("agents-publics",)}


def test_an_event_without_it_keeps_its_stored_form_and_digest(publics):
    events = {event.uid: event for event in _read(load_config(publics), "tableur").events}
    plain = event_to_dict(events["ti-lab"])
    assert "facets" not in plain  # what the store kept before the dimension existed, byte for byte
    assert event_from_dict(plain) == events["ti-lab"]
    stored = event_to_dict(events["budget-elus"])
    assert stored["facets"] == {"public": ["elus", "usagers"]}
    assert event_from_dict(json.loads(json.dumps(stored))) == events["budget-elus"]
    assert event_digest(stored) != event_digest({k: v for k, v in stored.items() if k != "facets"})


def test_sources_yaml_checks_its_values_and_may_replace_its_terms(project):
    with pytest.raises(ConfigError) as error:
        load_config(project([{**SOURCES[2], "public": ["elu"]}], files=FILES))
    assert "source « ditp » : public inconnu « elu » ; vouliez-vous dire « elus » ? Publics possibles : " \
           "agents-publics, encadrants" in _plain(error.value)
    with pytest.raises(ConfigError) as error:
        load_config(project(SOURCES, files=FILES, selections={"x": {"filter": {"public": ["martiens"]}}}))
    assert "sélection « x » : valeur inconnue « martiens » pour « public »" in _plain(error.value)
    own = load_config(project(SOURCES[:1], files=FILES, publics={"elus": {"name": "Élus", "aliases": ["élus locaux"]},
                                                                 "agents": "Agents"}))
    assert own.taxonomy.vocabulary("public").slugs == ["elus", "agents"]
    assert {e.uid: e.facet("public") for e in _read(own, "tableur").events}["budget-elus"] == ("elus",)


def _titles(data: bytes) -> dict:
    """Title → VEVENT of a rendered feed (published UIDs are the store's)."""
    return {str(event["SUMMARY"]): event for event in parse_feed(data).values()}


BUDGET, RH, TI_LAB = "Le budget participatif vu par les élus", "Rendre la fonction RH durable et responsable", \
    "Anniversaire du Ti Lab"


def test_selections_pages_and_json_carry_it(runner, publics, tmp_path):
    from calfeed.web import create_app
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--config", str(publics), "--output", str(output)]).exit_code == 0
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(publics), "CALFEED_CHECK_SECONDS": 0})
    client = app.test_client()
    try:
        elected = _titles(client.get("/feeds/selection.ics?public=%C3%89lus").data)  # a name works as a slug
        assert set(elected) == {BUDGET, "Un public que le vocabulaire ne connaît pas",
                                "L’innovation au service des territoires"}
        assert set(_titles(client.get("/feeds/selection.ics?public=elus&categorie=collectivites").data)) == {BUDGET}
        assert len(parse_feed(client.get("/feeds/selection.ics?public=elus&public=rh").data)) == 4
        wrong = client.get("/feeds/selection.ics?public=martiens")
        assert wrong.status_code == 400 and "agents-publics, encadrants" in wrong.get_data(as_text=True)
        named = _titles((output / "pour-les-elus.ics").read_bytes())  # the named selection of sources.yaml
        assert set(named) == set(elected)
        assert [str(c) for c in named[BUDGET]["CATEGORIES"].cats] == [
            "Collectivités territoriales", "Participation citoyenne", "Élus", "Usagers et grand public",
            "Mois de l'innovation publique 2022"]
        assert "Public visé : Élus, Usagers et grand public" in str(named[BUDGET]["DESCRIPTION"]).split("\n")
        exported = {e["titre"]: e for e in client.get("/feeds/tous.json").get_json()["evenements"]}
        assert exported[RH]["public"] == ["rh", "encadrants"]
        assert "public" not in exported[TI_LAB]  # an event without it: its JSON as before
        key = event_key(exported[BUDGET]["uid"])
        page = client.get(f"/feeds/evenements/{key}.html").get_data(as_text=True)
        assert re.search(r"<dt>Public visé</dt><dd>.*Élus.*Usagers et grand public.*</dd>", page)
        assert "<dt>Public visé</dt>" in (output / "evenements" / f"{key}.html").read_text(encoding="utf-8")
        builder = client.get("/feeds/constructeur.html").get_data(as_text=True)
        assert 'id="critere-public"' in builder and 'value="rh"' in builder
        data = json.loads(re.search(r'id="calfeed-data">(.*?)</script>', builder, re.S).group(1))
        assert data["criteres"][-1] == criteria_data(app.extensions["calfeed"].config.taxonomy, ["public"])[0]
        listing = client.get("/feeds/evenements.html?public=encadrants").get_data(as_text=True)
        assert listing.count('<li class="evenement') == 2
        script_events = {e["titre"]: e["valeurs"] for e in client.get("/feeds/evenements.json").get_json()["evenements"]}
        assert script_events[RH]["public"] == ["rh", "encadrants"]  # what the page script filters by
        # No event here has a region, a format or a type: the list offers what its events fill.
        assert "Filtrer par organisateur, thème ou public visé<" in listing and "critere-region" not in listing
    finally:
        app.extensions["calfeed"].store.close()


def test_a_programme_that_never_says_it_is_not_offered_it(client, bundled, tmp_path, runner):
    builder = client.get("/feeds/constructeur.html").get_data(as_text=True)
    assert 'id="critere-type"' in builder and "critere-public" not in builder
    data = json.loads(re.search(r'id="calfeed-data">(.*?)</script>', builder, re.S).group(1))
    assert "public" not in [criterion["key"] for criterion in data["criteres"]]
    assert "Filtrer par organisateur, thème, région, format ou type<" in client.get("/feeds/evenements.html").text
    assert client.get("/feeds/selection.ics?public=elus").status_code == 200  # the address still answers


def test_a_source_filling_it_later_changes_only_its_events(runner, publics, tmp_path):
    document = yaml.safe_load(publics.read_text(encoding="utf-8"))
    document["sources"] = SOURCES[:2]
    publics.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--config", str(publics), "--output", str(output)]).exit_code == 0
    before = _titles((output / "tous.ics").read_bytes())
    table = tmp_path / "publics_column.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("Anniversaire du Ti Lab;18/11/2022;"
                                                              "Laboratoires d'innovation territoriale;Innovation "
                                                              "territoriale;", "Anniversaire du Ti Lab;18/11/2022;"
                                                              "Laboratoires d'innovation territoriale;Innovation "
                                                              "territoriale;usagers"), encoding="utf-8")
    said = runner.invoke(cli, ["diff", "--config", str(publics)]).output
    assert "« Anniversaire du Ti Lab » (vendredi 18 novembre 2022) — public visé" in said
    assert runner.invoke(cli, ["build", "--config", str(publics), "--output", str(output)]).exit_code == 0
    after = _titles((output / "tous.ics").read_bytes())
    changed = {title for title in after if after[title].to_ical() != before[title].to_ical()}
    assert changed == {TI_LAB} and after[TI_LAB]["SEQUENCE"] == before[TI_LAB]["SEQUENCE"] + 1


@pytest.mark.browser
def test_the_static_pages_script_selects_by_it_from_the_table(runner, publics, tmp_path):
    """The page's script has no rule of its own for the new dimension: it reads the table the page carries."""
    import functools
    import shutil
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium absent : installez-le (apt-get install chromium) pour les tests de navigateur.")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--config", str(publics), "--output", str(output)]).exit_code == 0

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(locale="fr-FR")
            page.goto(base + "/constructeur.html")
            page.get_by_label("Élus").check(force=True)
            page.wait_for_function("() => document.getElementById('compte').textContent"
                                   ".startsWith('3 événements correspondent')")
            assert page.locator("#nom-agenda").text_content().startswith("Sélection\u00a0: Élus —")
            page.get_by_label("Collectivités territoriales").check(force=True)
            page.wait_for_function("() => document.getElementById('compte').textContent"
                                   ".startsWith('1 événement correspond ')")
            page.goto(base + "/evenements.html")
            page.get_by_text("Filtrer par organisateur, thème ou public visé").click()
            page.get_by_label("Encadrants et managers").check(force=True)
            page.wait_for_function("() => document.getElementById('compte-evenements').textContent.startsWith('2 ')")
            assert sorted(page.locator("li.evenement:visible h3").all_inner_texts()) == [
                "Plateforme de coaching en ligne", RH]
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def test_an_events_further_dimensions_are_held_in_one_canonical_form():
    import datetime as dt

    from calfeed.errors import EventError
    from calfeed.model import Event
    base = {"uid": "e", "title": "Atelier", "start": dt.date(2022, 11, 21), "end": dt.date(2022, 11, 22), "source": "s"}
    event = Event(**base, facets=(("public", ("elus", "elus", "rh")), ("zeta", ()), ("audience", ("x",))))
    assert event.facets == (("audience", ("x",)), ("public", ("elus", "rh")))  # by key, none empty, each value once
    assert event == Event(**base, facets=(("public", ("elus", "rh")), ("audience", ("x",))))
    with pytest.raises(EventError, match="donné deux fois"):
        Event(**base, facets=(("public", ("elus",)), ("public", ("rh",))))
    with pytest.raises(EventError, match="mal formé"):
        Event(**base, facets=(("public", "elus"),))


def test_preview_shows_it_as_a_column_only_for_a_source_that_fills_it(publics, runner):
    shown = runner.invoke(cli, ["preview", "tableur", "--config", str(publics)]).output
    heading = next(line for line in shown.splitlines() if line.startswith("Date"))
    assert heading.split()[-3:] == ["Public", "visé", "Statut"]
    assert "Élus, Usagers et grand public" in shown
    plain = runner.invoke(cli, ["preview", str(Path(__file__).parent / "data" / "collectivites_semicolons.csv"),
                                "--config", str(publics)]).output
    assert "Date " in plain and "Public visé" not in plain
