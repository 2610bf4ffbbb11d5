"""Sources that fail, served by real HTTP servers on loopback: the last good snapshot stays published."""

import datetime as dt
import socket
import threading
import time

import pytest
from werkzeug import Response

from calfeed.publish import load_programme
from calfeed.refresh import refresh_sources
from helpers import SlowServer, open_project


T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)


def ics(*titles, broken=False):
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:ev-{n}@lab.example\r\nDTSTAMP:20221001T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:202211{15 + n:02d}T100000\r\nDTEND;TZID=Europe/Paris:202211{15 + n:02d}T120000\r\n"
        f"SUMMARY:{title}\r\nEND:VEVENT\r\n" for n, title in enumerate(titles))
    if broken:
        events += ("BEGIN:VEVENT\r\nUID:casse@lab.example\r\nDTSTAMP:20221001T000000Z\r\n"
                   "DTSTART;TZID=Europe/Paris:20221120T100000\r\nDTEND;TZID=Europe/Paris:20221120T090000\r\n"
                   "SUMMARY:Fin avant début\r\nEND:VEVENT\r\n")
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n{events}END:VCALENDAR\r\n"


GOOD = ics("Atelier A", "Atelier B")


@pytest.fixture
def remote(project, httpserver):
    """A project with one HTTP source, first refreshed while the server answers GOOD."""
    def make(**source_options):
        httpserver.expect_request("/agenda.ics").respond_with_data(GOOD, content_type="text/calendar")
        source = {"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"), "category": "labs",
                  "timeout": 1, **source_options}
        config, store = open_project(project([source], fetch={"retries": 0}))
        [report] = refresh_sources(config, store, now=T0)
        assert report.ok and report.events == 2
        httpserver.clear()
        return config, store
    return make


def titles(store):
    return sorted(item.event.title for item in load_programme(store).items if not item.publication.vanished)


def refresh_again(config, store):
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    return report


def assert_kept(config, store, report, message):
    assert not report.ok and message in report.error
    assert titles(store) == ["Atelier A", "Atelier B"]
    assert message in store.source_state("lab").last_error
    assert message in store.fetch_history("lab")[0]["error"]


def test_server_error_keeps_the_snapshot(remote, httpserver):
    config, store = remote()
    httpserver.expect_request("/agenda.ics").respond_with_data("oups", status=500)
    report = refresh_again(config, store)
    assert_kept(config, store, report, "500")
    assert store.fetch_history("lab")[0]["http_status"] == 500


def test_not_found_keeps_the_snapshot(remote, httpserver):
    config, store = remote()
    httpserver.expect_request("/agenda.ics").respond_with_data("absent", status=404)
    assert_kept(config, store, refresh_again(config, store), "404")


def test_html_instead_of_ics_keeps_the_snapshot(remote, httpserver):
    config, store = remote()
    httpserver.expect_request("/agenda.ics").respond_with_data(
        "<!DOCTYPE html><html><body>Maintenance</body></html>", content_type="text/html")
    assert_kept(config, store, refresh_again(config, store), "n'est pas un calendrier iCalendar")


def test_timeout_keeps_the_snapshot(remote, httpserver):
    config, store = remote()

    release = threading.Event()

    def slow(request):
        release.wait(5)
        return Response(GOOD, content_type="text/calendar")

    httpserver.expect_request("/agenda.ics").respond_with_handler(slow)
    started = time.monotonic()
    try:
        report = refresh_again(config, store)
    finally:
        release.set()  # free the (single-threaded) test server for the next test
    assert time.monotonic() - started < 4
    assert_kept(config, store, report, "délai dépassé")


def test_connection_refused_keeps_the_snapshot(project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    config, store = open_project(project([{"id": "lab", "type": "ics", "url": f"http://127.0.0.1:{port}/a.ics",
                                           "category": "labs"}], fetch={"retries": 0}))
    [report] = refresh_sources(config, store, now=T0)
    assert not report.ok and "connexion impossible" in report.error
    assert titles(store) == []


def test_oversized_body_keeps_the_snapshot(remote, httpserver):
    config, store = remote(max_bytes=len(GOOD) + 10)
    httpserver.expect_request("/agenda.ics").respond_with_data(ics(*["Atelier"] * 40), content_type="text/calendar")
    assert_kept(config, store, refresh_again(config, store), "trop grosse")


def test_sudden_empty_calendar_keeps_the_snapshot(remote, httpserver):
    config, store = remote()
    httpserver.expect_request("/agenda.ics").respond_with_data(ics(), content_type="text/calendar")
    assert_kept(config, store, refresh_again(config, store), "ne renvoie plus aucun événement")


def test_one_broken_event_among_good_ones(remote, httpserver):
    config, store = remote()
    httpserver.expect_request("/agenda.ics").respond_with_data(ics("Atelier A", "Atelier B", "Atelier C", broken=True),
                                                               content_type="text/calendar")
    report = refresh_again(config, store)
    assert report.ok and report.events == 3
    assert titles(store) == ["Atelier A", "Atelier B", "Atelier C"]
    assert report.rejected == ["VEVENT UID casse@lab.example : la fin (20/11/2022 09:00) précède le début "
                               "(20/11/2022 10:00)"]
    assert store.fetch_history("lab")[0]["events_rejected"] == 1


def test_not_modified_keeps_the_snapshot_and_sends_validators(project, httpserver):
    seen = []

    def conditional(request):
        seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(GOOD, content_type="text/calendar", headers={"ETag": '"v1"'})

    httpserver.expect_request("/agenda.ics").respond_with_handler(conditional)
    config, store = open_project(project([{"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"),
                                           "category": "labs"}]))
    refresh_sources(config, store, now=T0)
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert seen == [None, '"v1"']
    assert report.ok and report.http_status == 304 and not report.changed
    assert titles(store) == ["Atelier A", "Atelier B"]
    assert store.fetch_history("lab")[0]["http_status"] == 304


def test_transient_error_is_retried(project, httpserver):
    answers = iter([Response("occupé", status=503), Response(GOOD, content_type="text/calendar")])
    httpserver.expect_request("/agenda.ics").respond_with_handler(lambda request: next(answers))
    config, store = open_project(project([{"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"),
                                           "category": "labs"}], fetch={"retries": 1}))
    [report] = refresh_sources(config, store, now=T0)
    assert report.ok and titles(store) == ["Atelier A", "Atelier B"]


class TruncatingServer:
    """Announces a Content-Length, sends half of it, then closes: a body cut in transit."""

    def __init__(self, body: bytes):
        self.body = body
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/agenda.ics"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {len(self.body)}\r\n"
                        "Connection: close\r\n\r\n").encode()
                connection.sendall(head + self.body[: len(self.body) // 2])

    def close(self):
        self.sock.close()


def test_truncated_body_keeps_the_snapshot(project, tmp_path):
    good = (tmp_path / "agenda.ics")
    good.write_text(GOOD)
    config, store = open_project(project([{"id": "lab", "type": "ics", "path": "agenda.ics", "category": "labs"}]))
    refresh_sources(config, store, now=T0)
    server = TruncatingServer(ics("Atelier A", "Atelier B", "Atelier C").encode())
    try:
        config, store = open_project(project([{"id": "lab", "type": "ics", "url": server.url, "category": "labs"}],
                                             fetch={"retries": 0}))
        report = refresh_again(config, store)
    finally:
        server.close()
    assert_kept(config, store, report, "tronquée")


def test_failing_source_does_not_touch_the_others(project, httpserver, tmp_path):
    (tmp_path / "local.ics").write_text(ics("Local"))
    httpserver.expect_request("/agenda.ics").respond_with_data("panne", status=502)
    config, store = open_project(project([
        {"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"), "category": "labs"},
        {"id": "local", "type": "ics", "path": "local.ics", "category": "labs"}], fetch={"retries": 0}))
    reports = {r.source_id: r for r in refresh_sources(config, store, now=T0)}
    assert not reports["lab"].ok and reports["local"].ok
    assert titles(store) == ["Local"]


def test_sources_are_fetched_concurrently(project):
    with SlowServer(0.3, ics("Atelier lent").encode()) as server:
        sources = [{"id": f"s{n}", "type": "ics", "url": f"{server.url}/agenda-{n}.ics", "category": "labs"}
                   for n in range(6)]
        config, store = open_project(project(sources, fetch={"concurrency": 6}))
        started = time.monotonic()
        reports = refresh_sources(config, store, now=T0)
        elapsed = time.monotonic() - started
    assert all(r.ok for r in reports) and len(server.requests) == 6
    assert elapsed < 6 * 0.3  # one after the other would take 1.8 s


def test_status_page_shows_the_failing_source(project, httpserver):
    httpserver.expect_request("/agenda.ics").respond_with_data("panne", status=500)
    path = project([{"id": "lab", "type": "ics", "url": "http://jeton:secret@" + httpserver.url_for("/agenda.ics")
                     .split("://")[1] + "?cle=secret", "category": "labs"}], fetch={"retries": 0})
    from calfeed.web import create_app, start
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)})
    start(app)
    app.extensions["calfeed.first_read"].join(10)  # web sources are first read in the background
    client = app.test_client()
    data = client.get("/etat.json").get_json()
    assert data["failing"] == ["lab"] and "500" in data["sources"][0]["last_error"]
    page = client.get("/etat").data.decode()
    assert "EN ÉCHEC" in page and "500" in page
    assert "secret" not in page and "secret" not in client.get("/etat.json").data.decode()


def test_redirects_are_followed_within_limits(project, httpserver):
    httpserver.expect_request("/ancien.ics").respond_with_data("", status=301,
                                                               headers={"Location": httpserver.url_for("/agenda.ics")})
    httpserver.expect_request("/agenda.ics").respond_with_data(GOOD, content_type="text/calendar")
    httpserver.expect_request("/boucle.ics").respond_with_data("", status=302,
                                                               headers={"Location": httpserver.url_for("/boucle.ics")})
    config, store = open_project(project([
        {"id": "deplace", "type": "ics", "url": httpserver.url_for("/ancien.ics"), "category": "labs"},
        {"id": "boucle", "type": "ics", "url": httpserver.url_for("/boucle.ics"), "category": "labs"}],
        fetch={"retries": 0}))
    reports = {r.source_id: r for r in refresh_sources(config, store, now=T0)}
    assert reports["deplace"].ok and reports["deplace"].events == 2
    assert not reports["boucle"].ok and "trop de redirections" in reports["boucle"].error


def test_background_refresh_runs_once_per_interval_across_processes(project, tmp_path):
    from calfeed.schedule import refresh_if_due
    (tmp_path / "local.ics").write_text(ics("Local"))
    config, store = open_project(project([{"id": "local", "type": "ics", "path": "local.ics", "category": "labs"}],
                                         fetch={"interval_minutes": 10}))
    assert refresh_if_due(config, store, "worker-1", now=T0)
    assert not refresh_if_due(config, store, "worker-2", now=T0 + dt.timedelta(minutes=5))  # done recently
    assert store.acquire_lease("worker-1", T0 + dt.timedelta(minutes=11), 600)  # worker 1 is refreshing now
    assert not refresh_if_due(config, store, "worker-2", now=T0 + dt.timedelta(minutes=11))
    store.release_lease("worker-1")
    assert refresh_if_due(config, store, "worker-2", now=T0 + dt.timedelta(minutes=11))


def test_trickling_source_is_cut_at_its_deadline(project):
    """10 bytes every half second trips no per-read timeout: the wall clock cuts it, retries included."""
    from faultlab import Answer, FaultServer
    server = FaultServer()
    server.answer = Answer(GOOD.encode() * 20, content_type="text/calendar", mode="trickle")
    try:
        config, store = open_project(project([{"id": "lab", "type": "ics", "url": f"{server.url}/agenda.ics",
                                               "category": "labs", "timeout": 2}], fetch={"retries": 1}))
        started = time.monotonic()
        [report] = refresh_sources(config, store, now=T0)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert not report.ok and "délai dépassé" in report.error
    assert 2 <= elapsed < 4.5  # two attempts of 2 s at most, pause included


def test_redirect_to_another_host_is_refused_and_named(project):
    from faultlab import Answer, FaultServer
    first, second = FaultServer(), FaultServer()
    first.answer = Answer(status="301 Moved Permanently", headers=(f"Location: {second.url}/interne",))
    second.answer = Answer(f"db_password=secret {GOOD}".encode(), content_type="text/calendar")
    try:
        config, store = open_project(project([{"id": "lab", "type": "ics", "url": f"{first.url}/agenda.ics",
                                               "category": "labs"}], fetch={"retries": 0}))
        [report] = refresh_sources(config, store, now=T0)
    finally:
        first.close()
        second.close()
    assert not report.ok and f"autre hôte (127.0.0.1:{second.port})" in report.error
    assert titles(store) == []


def test_status_page_shows_nothing_the_source_sent(project, httpserver, runner):
    from calfeed.cli import cli
    from calfeed.web import create_app
    header = "colonne;" * 200 + "db_password=hunter2"
    httpserver.expect_request("/agenda.csv").respond_with_data(f"{header}\r\nx;y\r\n", content_type="text/csv")
    httpserver.expect_request("/agenda.ics").respond_with_data(
        "<!DOCTYPE html><html><body>db_password=hunter2</body></html>", content_type="text/html")
    path = project([{"id": "tableur", "type": "csv", "url": httpserver.url_for("/agenda.csv"), "category": "labs"},
                    {"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"), "category": "labs"}],
                   fetch={"retries": 0})
    result = runner.invoke(cli, ["fetch", "--config", str(path)])
    assert result.exit_code == 1
    assert "hunter2" in result.output  # the operator sees what came back, in the terminal only
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    data = client.get("/etat.json").get_json()
    assert sorted(data["failing"]) == ["lab", "tableur"]
    assert "colonnes obligatoires absentes" in str(data) and "n'est pas un calendrier" in str(data)
    for page in (client.get("/etat").get_data(as_text=True), client.get("/etat.json").get_data(as_text=True)):
        assert "hunter2" not in page and "colonne;colonne" not in page and "DOCTYPE" not in page


@pytest.mark.parametrize(("url", "location", "allowed"), [
    ("http://agenda.example/a.ics", "/b.ics", True),
    ("http://agenda.example/a.ics", "https://agenda.example/b.ics", True),
    ("http://agenda.example:8080/a.ics", "http://agenda.example:8080/b.ics", True),
    ("https://agenda.example/a.ics", "http://agenda.example/b.ics", False),  # never down to http
    ("http://agenda.example/a.ics", "http://agenda.example:8080/b.ics", False),
    ("http://agenda.example/a.ics", "http://interne.example/b.ics", False),
    ("http://agenda.example/a.ics", "http://127.0.0.1/b.ics", False),
    ("http://agenda.example/a.ics", "file:///etc/passwd", False),
])
def test_redirect_rules(url, location, allowed):
    from calfeed.errors import SourceError
    from calfeed.fetch import redirect_target

    class Source:
        id = "lab"

    if allowed:
        assert redirect_target(Source, url, location).endswith("/b.ics")
    else:
        with pytest.raises(SourceError, match="redirection"):
            redirect_target(Source, url, location)
