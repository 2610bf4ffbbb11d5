"""OpenAgenda as a first-class source: the API page after page through its `after` cursor, with a key that
never leaves the environment; both export shapes; all-day timings."""

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from calfeed.sources import parse_source
from calfeed.errors import SourceError
from calfeed.refresh import refresh_sources
from calfeed.publish import load_programme
from calfeed.web import create_app
from helpers import open_project

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")
KEY = "cle-secrete-0f3a9c1d7e"
EVENTS = json.loads((DATA / "openagenda_api_events.json").read_text(encoding="utf-8"))["events"]


class FakeOpenAgenda:
    """A loopback OpenAgenda API: pages of `page_size` events chained by an `after` cursor; the key is required."""

    def __init__(self, events, page_size=3):
        self.events, self.page_size, self.fail_page, self.requests = events, page_size, None, []
        self.mangle = lambda document, page: document  # a misbehaving API rewrites its pages
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                owner.requests.append((url.path, query, self.headers.get("key")))
                if self.headers.get("key") != KEY:
                    return self.reply(403, {"error": "invalid key"})
                if url.path != "/v2/agendas/12345/events" or query.get("size") != ["300"]:
                    return self.reply(404, {"error": "not found"})
                start = int(query.get("after[]", ["0"])[0])
                page = start // owner.page_size + 1
                if page == owner.fail_page:
                    return self.reply(500, {"error": "boom"})
                batch = owner.events[start:start + owner.page_size]
                end = start + len(batch)
                self.reply(200, owner.mangle({"total": len(owner.events), "events": batch,
                                              "after": [str(end), "tri"] if end < len(owner.events) else None}, page))

            def reply(self, status, document):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = FakeOpenAgenda(EVENTS)
    yield server
    server.close()


@pytest.fixture
def agenda(project, api, monkeypatch):
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    path = project([{"id": "arles", "type": "openagenda", "agenda": "12345", "url": api.url,
                     "key_env": "OPENAGENDA_KEY", "category": "collectivites"}], fetch={"retries": 0})
    return open_project(path)


def test_every_page_is_read_through_the_after_cursor(agenda, api):
    config, store = agenda
    [report] = refresh_sources(config, store)
    assert report.ok, report.error
    assert len(api.requests) == 3  # 7 events, 3 a page
    assert [q.get("after[]") for _, q, _ in api.requests] == [None, ["3", "tri"], ["6", "tri"]]
    titles = {item.event.title for item in load_programme(store).items}
    assert titles == {e["title"]["fr"] for e in EVENTS}


def test_a_failing_middle_page_keeps_the_last_good_snapshot(agenda, api):
    config, store = agenda
    refresh_sources(config, store)
    before = sorted(item.event.uid for item in load_programme(store).items)
    api.fail_page = 2
    [report] = refresh_sources(config, store)
    assert not report.ok and "500" in report.error
    assert sorted(item.event.uid for item in load_programme(store).items) == before
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config.path), "CALFEED_CHECK_SECONDS": 0})
    try:
        status = app.test_client().get("/etat.json").get_json()
    finally:
        app.extensions["calfeed"].store.close()
    assert "arles" in json.dumps(status, ensure_ascii=False) and "500" in json.dumps(status)


def test_the_key_never_leaves_the_environment(agenda, api, caplog):
    config, store = agenda
    caplog.set_level(logging.DEBUG)
    refresh_sources(config, store)
    api.fail_page = 3
    refresh_sources(config, store)
    assert all(key == KEY for _, _, key in api.requests)  # sent in a header, not in the address
    assert all("key" not in query for _, query, _ in api.requests)
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config.path), "CALFEED_CHECK_SECONDS": 0})
    try:
        client = app.test_client()
        pages = client.get("/etat").get_data() + client.get("/etat.json").get_data()
    finally:
        app.extensions["calfeed"].store.close()
    store.close()
    assert KEY.encode() not in pages
    assert KEY not in caplog.text
    assert KEY not in config.path.read_text(encoding="utf-8")
    stored = b"".join(p.read_bytes() for p in config.store_path.parent.iterdir() if p.is_file())
    assert stored and KEY.encode() not in stored


def test_a_missing_key_variable_is_named_not_guessed(agenda, api, monkeypatch):
    config, store = agenda
    monkeypatch.delenv("OPENAGENDA_KEY")
    [report] = refresh_sources(config, store)
    assert not report.ok and "OPENAGENDA_KEY" in report.error
    assert api.requests == []


def test_a_key_written_in_place_of_its_variable_is_refused_without_being_shown(project, api, monkeypatch):
    path = project([{"id": "arles", "type": "openagenda", "agenda": "12345", "url": api.url, "key_env": KEY}],
                   fetch={"retries": 0})
    config, store = open_project(path)
    [report] = refresh_sources(config, store)
    assert not report.ok and "nom d'une variable d'environnement" in report.error and KEY not in report.error
    assert api.requests == []


def test_an_agenda_without_its_uid_says_which_key_is_missing(project, api):
    config, store = open_project(project([{"id": "arles", "type": "openagenda", "url": api.url}]))
    [report] = refresh_sources(config, store)
    assert not report.ok and "« agenda: »" in report.error


def test_all_day_timings_registration_and_html(read_agenda):
    events = {(e.title, e.start): e for e in read_agenda}
    open_day = next(e for (title, _), e in events.items() if title == "Journée portes ouvertes")
    assert (open_day.start, open_day.end) == (dt.date(2022, 11, 15), dt.date(2022, 11, 16))
    expo = next(e for (title, _), e in events.items() if title == "Exposition sur trois jours")
    assert (expo.start, expo.end) == (dt.date(2022, 11, 16), dt.date(2022, 11, 19))
    workshop = next(e for (title, _), e in events.items() if title == "Atelier numérique")
    assert workshop.registration_url == "https://agenda.example/inscription"  # the phone number is not a link
    assert workshop.description.endswith("Inscription par téléphone : +33 4 00 00 00 00")
    assert "Venez nombreux." in workshop.description and "le site (https://agenda.example/atelier)" in workshop.description
    talk = next(e for (title, _), e in events.items() if title == "Conférence en ligne")
    assert talk.status == "annule" and talk.attendance == "en-ligne"


@pytest.fixture
def read_agenda(project):
    path = project([{"id": "oa", "type": "openagenda", "agenda": "1", "path": "openagenda_api_events.json",
                     "category": "collectivites"}], files=["openagenda_api_events.json"])
    config, _ = open_project(path)
    source = config.sources[0]
    return parse_source(source.path.read_bytes(), source, config.taxonomy).events


@pytest.mark.parametrize("kind", [{"type": "openagenda", "agenda": "1"}, {"type": "json", "preset": "openagenda"}])
def test_export_with_start_end_in_utc_registration_url_and_top_level_location(project, kind):
    path = project([{"id": "arles", "path": "openagenda_export_arles_shape.json", **kind}],
                   files=["openagenda_export_arles_shape.json"])
    config, _ = open_project(path)
    source = config.sources[0]
    parsed = parse_source(source.path.read_bytes(), source, config.taxonomy)
    reading = next(e for e in parsed.events if e.title == "Lecture au jardin")
    assert reading.start == dt.datetime(2022, 9, 23, 10, tzinfo=PARIS)
    assert reading.registration_url == "https://billetterie.example/lecture"
    assert reading.location.address == "Boulevard des Lices, 13200 Arles" and reading.location.latitude == 43.6752
    museum = sorted((e for e in parsed.events if e.title == "Nuit des musées"), key=lambda e: e.start_utc)
    assert museum[0].start == dt.datetime(2022, 9, 24, 19, tzinfo=PARIS)
    assert (museum[1].start, museum[1].end) == (dt.date(2022, 9, 26), dt.date(2022, 9, 27))
    assert [r.reason for r in parsed.rejected] == ["aucun horaire (« timings » vide)"]
    assert parsed.rejected[0].where == "événement n° 3 (id 80013)"  # to find it in OpenAgenda


def test_an_export_whose_every_event_is_rejected_is_a_failing_source(project, tmp_path):
    (tmp_path / "vide.json").write_text(json.dumps([{"uid": 1, "title": "x", "timings": [{"start": ""}]}]))
    config, _ = open_project(project([{"id": "oa", "type": "openagenda", "agenda": "1", "path": "vide.json",
                                       "category": "collectivites"}]))
    with pytest.raises(SourceError, match="aucun événement lisible"):
        parse_source((tmp_path / "vide.json").read_bytes(), config.sources[0], config.taxonomy)


def test_a_refused_key_or_an_unknown_agenda_says_what_to_check(project, api, monkeypatch):
    monkeypatch.setenv("OPENAGENDA_KEY", "une-autre-cle")
    source = {"id": "arles", "type": "openagenda", "agenda": "12345", "url": api.url, "key_env": "OPENAGENDA_KEY",
              "category": "collectivites"}
    config, store = open_project(project([source], fetch={"retries": 0}))
    [report] = refresh_sources(config, store)
    assert not report.ok and "403" in report.error and "vérifiez la variable OPENAGENDA_KEY" in report.error
    assert "une-autre-cle" not in report.error
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    config, store = open_project(project([{**source, "agenda": "999"}], fetch={"retries": 0}))
    [report] = refresh_sources(config, store)
    assert not report.ok and "l'agenda « 999 » est introuvable : vérifiez « agenda: »" in report.error


@pytest.mark.parametrize("mangle, message", [
    # page 2 gives page 1's cursor again: page 3 would never come
    (lambda d, page: {**d, "after": ["3", "tri"]} if page == 2 else d, "curseur déjà vu"),
    # the last page is missing: the API stops early while announcing more events
    (lambda d, page: {**d, "after": None} if page == 2 else d, "6 événement(s) reçu(s) sur 7 annoncé(s)"),
    # a page comes back empty with a cursor
    (lambda d, page: {**d, "events": []} if page == 3 else d, "6 événement(s) reçu(s) sur 7 annoncé(s)"),
])
def test_paging_that_does_not_add_up_keeps_the_last_good_snapshot(agenda, api, mangle, message):
    """A repeated cursor or fewer events than the API's `total` used to cancel the events not received."""
    config, store = agenda
    refresh_sources(config, store)
    before = sorted(item.event.uid for item in load_programme(store).items)
    api.mangle = mangle
    [report] = refresh_sources(config, store)
    assert not report.ok and message in report.error and "pagination" in report.error
    items = load_programme(store).items
    assert sorted(item.event.uid for item in items) == before
    assert not any(item.publication.vanished for item in items)


def test_an_event_seen_on_two_pages_is_read_once(agenda, api):
    """The agenda moved while it was read: the event at a page's edge comes twice, and is one event."""
    config, store = agenda
    [plain] = refresh_sources(config, store)
    api.mangle = lambda d, page: {**d, "events": [EVENTS[2], *d["events"]]} if page == 2 else d
    [report] = refresh_sources(config, store)
    assert report.ok and not report.changed and report.events == plain.events  # the very same body
