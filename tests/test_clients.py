"""Every published feed, both variants, read by three independent parsers besides icalendar:
the strict `ical` library, vobject, and ical.js (Thunderbird's parser, on the machine's Node.js).
Each must read it without error, with the same events at the same instants as calfeed's model.
"""

import dataclasses
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vobject
from click.testing import CliRunner
from ical.calendar_stream import IcsCalendarStream

from calfeed.cli import cli
from calfeed.publish import load_programme
from calfeed.addresses import feed_catalogue
from helpers import open_project

JS = Path(__file__).parent / "js"
SAMPLES = [
    {"id": "outre-mer", "type": "ics", "path": "overseas_timezones.ics", "category": "etat"},
    {"id": "flottant", "type": "ics", "path": "floating_wr_timezone.ics", "category": "collectivites"},
    {"id": "recurrence", "type": "ics", "path": "recurring_weekly.ics", "category": "labs"},
    {"id": "divers", "type": "ics", "path": "misc_cases.ics", "category": "etat"},
    {"id": "collectivites", "type": "csv", "path": "collectivites_semicolons.csv"},
    {"id": "associations", "type": "csv", "path": "associations_commas.csv"},
    {"id": "texte-long", "type": "csv", "path": "long_french_text.csv"},
    {"id": "generique", "type": "json", "path": "generic_events.json", "category": "labs"},
    {"id": "openagenda", "type": "json", "path": "openagenda_export.json", "preset": "openagenda",
     "category": "collectivites"},
    {"id": "producteurs", "type": "ics", "path": "producer_quirks.ics", "category": "labs"},
    {"id": "google", "type": "ics", "path": "google_calendar_html.ics", "category": "labs"},
    {"id": "outlook", "type": "ics", "path": "outlook_exchange.ics", "category": "etat"},
    {"id": "tableur", "type": "csv", "path": "tableur_intitule_horaires.csv"},
    {"id": "tableur-colonnes", "type": "csv", "path": "tableur_colonnes_libres.csv", "category": "labs",
     "columns": {"titre": "Nom de l'atelier", "date_debut": "Quand", "horaires": "Créneau horaire"}},
    {"id": "excel", "type": "xlsx", "path": "tableur_excel.xlsx"},
    {"id": "openagenda-api", "type": "openagenda", "agenda": "1", "path": "openagenda_api_events.json",
     "category": "collectivites"},
    {"id": "openagenda-arles", "type": "openagenda", "agenda": "1", "path": "openagenda_export_arles_shape.json",
     "category": "collectivites"},
]


def expected_instant(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def model_instants(config, store, feed):
    items = load_programme(store).select(feed.filters)
    return sorted((i.event.uid, expected_instant(i.event.start), expected_instant(i.event.end)) for i in items)


def icaljs(paths):
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js n'est pas installé : lancez « make test » (il exécute npm ci dans tests/js).")
    result = subprocess.run([node, str(JS / "parse_icaljs.mjs"), *map(str, paths)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def vobject_end(event):
    """An event's end as RFC 5545 reads it: DTEND, or DTSTART for a timed event without one."""
    return event.dtend.value if hasattr(event, "dtend") else event.dtstart.value


def js_instant(value):
    if "date" in value:
        return value["date"]
    return value["utc"]


def check_folder(config_path, folder):
    config, store = open_project(config_path)
    files = []
    for feed in feed_catalogue(config, load_programme(store)):
        for prefix in ("", "import/"):
            files.append((feed, folder / prefix / feed.path))
    js = icaljs([path for _, path in files])
    checked = 0
    for feed, path in files:
        expected = model_instants(config, store, feed)
        text = path.read_text(encoding="utf-8")
        strict = IcsCalendarStream.calendar_from_ics(text)
        got = sorted((e.uid, expected_instant(e.dtstart), expected_instant(e.end)) for e in strict.events)
        assert got == expected, f"ical: {path}"
        if expected:
            parsed = vobject.readOne(text)
            got = sorted((str(e.uid.value), expected_instant(e.dtstart.value), expected_instant(vobject_end(e)))
                         for e in parsed.vevent_list)
            assert got == expected, f"vobject: {path}"
        got = sorted((e["uid"], js_instant(e["start"]), js_instant(e["end"])) for e in js[str(path)]["events"])
        assert got == expected, f"ical.js: {path}"
        checked += len(expected)
    return checked


def test_bundled_feeds_read_alike_in_every_parser(bundled, tmp_path):
    output = tmp_path / "site"
    assert CliRunner().invoke(cli, ["build", "--config", str(bundled), "--output", str(output)]).exit_code == 0
    assert check_folder(bundled, output) > 19


def test_sample_feeds_read_alike_in_every_parser(project, tmp_path):
    path = project(SAMPLES, files=[s["path"] for s in SAMPLES])
    output = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--config", str(path), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert check_folder(path, output) > 30


def test_indexed_selection_equals_the_reference_filter(project):
    """Programme.select (an index) keeps exactly the events selection.matches keeps, for every combination."""
    import itertools

    from calfeed.refresh import refresh_sources
    from calfeed.selection import matches
    path = project(SAMPLES, files=[s["path"] for s in SAMPLES])
    config, store = open_project(path)
    refresh_sources(config, store)
    programme = load_programme(store)
    criteria = [("categorie", ("labs",)), ("categorie", ("etat", "collectivites")), ("theme", ("donnees-numerique",)),
                ("format", ("en-ligne",)), ("format", ("presentiel",)), ("region", ("la-reunion", "bretagne")),
                ("type", ("atelier",)), ("organisateur", ("DGAFP",)), ("source", ("openagenda",))]
    tried = 0
    for size in (1, 2, 3):
        for combination in itertools.combinations(criteria, size):
            names = [name for name, _ in combination]
            if len(set(names)) < len(names):
                continue
            filters = dict(combination)
            assert list(programme.select(filters)) == [i for i in programme.items if matches(i.event, filters)], filters
            tried += 1
    assert tried > 50


def test_dynamic_feeds_read_alike_in_every_parser(project, tmp_path):
    """Ad-hoc selections, personal programmes, reminders and single events, served live."""
    import re

    from calfeed.web import create_app
    path = project(SAMPLES, files=[s["path"] for s in SAMPLES])
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    keys = re.findall(r'name="e" value="([0-9a-f]{12})"', client.get("/feeds/evenements.html").data.decode())
    addresses = ["/feeds/selection.ics?categorie=labs&categorie=collectivites&format=en-ligne",
                 "/feeds/selection.ics?region=la-reunion&usage=import", "/feeds/tous.ics?rappel=30",
                 "/feeds/mon-programme.ics?e=" + ",".join(keys[:6]), f"/feeds/evenements/{keys[0]}.ics",
                 "/feeds/selection.ics?region=corse"]
    files = []
    for number, address in enumerate(addresses):
        response = client.get(address)
        assert response.status_code == 200, address
        files.append(tmp_path / f"dynamique-{number}.ics")
        files[-1].write_bytes(response.data)
    js = icaljs(files)
    counts = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        strict = sorted((e.uid, expected_instant(e.dtstart)) for e in IcsCalendarStream.calendar_from_ics(text).events)
        got_js = sorted((e["uid"], js_instant(e["start"])) for e in js[str(file)]["events"])
        assert got_js == strict, file
        if strict:
            got_vobject = sorted((str(e.uid.value), expected_instant(e.dtstart.value))
                                 for e in vobject.readOne(text).vevent_list)
            assert got_vobject == strict, file
        counts.append(len(strict))
    assert counts[3] == 6 and counts[4] == 1 and counts[5] == 0 and min(counts[:3]) > 0


def test_two_zones_and_literal_backslashes_read_alike_in_every_parser(project, tmp_path):
    """A Paris → New York trip lasts 9 hours, and `C:\\New folder` stays as written, in every parser."""
    path = project([{"id": "voyages", "type": "ics", "path": "two_zones_and_backslashes.ics", "category": "etat"}],
                   files=["two_zones_and_backslashes.ics"])
    output = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--config", str(path), "--output", str(output)])
    assert result.exit_code == 0, result.output
    feed = output / "tous.ics"
    text = feed.read_bytes().decode("utf-8")
    trip, folder = "voyage-paris-new-york@delegation.gouv.fr", "dossier-partage@ministere.gouv.fr"
    assert "DTSTART;TZID=Europe/Paris:20221115T100000\r\n" in text
    assert "DTEND;TZID=America/New_York:20221115T130000\r\n" in text
    expected = {trip: ("2022-11-15T09:00:00Z", "2022-11-15T18:00:00Z"),
                folder: ("2022-11-16T13:00:00Z", "2022-11-16T14:00:00Z")}
    title = "Ranger C:\\New folder"
    # The source's text, then the edition the event belongs to (calendar names carry no year).
    description = "Le partage C:\\New folder, et \\\\N tel quel.\nDeuxième ligne.\n\nMois de l'innovation publique 2022"

    events = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(text).events}
    assert {uid: (expected_instant(e.dtstart), expected_instant(e.dtend)) for uid, e in events.items()} == expected
    assert events[folder].summary == title and events[folder].description == description

    events = {str(e.uid.value): e for e in vobject.readOne(text).vevent_list}
    assert {uid: (expected_instant(e.dtstart.value), expected_instant(e.dtend.value))
            for uid, e in events.items()} == expected
    assert events[folder].summary.value == title
    assert events[folder].description.value == description

    events = {e["uid"]: e for e in icaljs([feed])[str(feed)]["events"]}
    assert {uid: (js_instant(e["start"]), js_instant(e["end"])) for uid, e in events.items()} == expected
    assert events[folder]["summary"] == title and events[folder]["description"] == description


def test_an_empty_calendar_and_a_notice_read_cleanly_in_every_parser(bundled, tmp_path):
    """A feed with no event yet is a VCALENDAR with only its zone: the parsers Thunderbird (ical.js), Home
    Assistant (ical) and Evolution-like tools (vobject) read it, name included, without error; so is a
    retired feed's notice (clientcheck, with real Thunderbird, finds the same: see README)."""
    from calfeed.addresses import FeedRequest, Notice
    from calfeed.feeds import feed_bytes
    config, store = open_project(bundled)
    programme = load_programme(store)
    corse = next(feed for feed in feed_catalogue(config) if feed.path == "region/corse.ics")
    notice = Notice("avis-essai@calfeed", "Cet agenda n'est plus mis à jour", "Abonnez-vous ailleurs.",
                    dt.date(2023, 1, 9))
    empty, noticed = tmp_path / "vide.ics", tmp_path / "avis.ics"
    empty.write_bytes(feed_bytes(config, programme, FeedRequest(corse)))
    noticed.write_bytes(feed_bytes(config, programme, FeedRequest(dataclasses.replace(corse, notice=notice))))
    assert b"BEGIN:VEVENT" not in empty.read_bytes()
    for path, count in ((empty, 0), (noticed, 1)):
        text = path.read_text(encoding="utf-8")
        assert len(IcsCalendarStream.calendar_from_ics(text).events) == count
        calendar = vobject.readOne(text)
        assert calendar.x_wr_calname.value == "Corse — Mois de l'innovation publique"
        assert len(getattr(calendar, "vevent_list", [])) == count
    parsed = icaljs([empty, noticed])
    assert parsed[str(empty)] == {"events": [], "errors": []}
    assert [e["start"] for e in parsed[str(noticed)]["events"]] == [{"date": "2023-01-09"}]
    assert [e["end"] for e in parsed[str(noticed)]["events"]] == [{"date": "2023-01-16"}]
