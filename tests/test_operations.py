"""Operations (issue 19): the public status page keeps secrets, every answer carries its security
headers, a read-only or full disk is said plainly, and a new calfeed version re-reads every source once."""

import socket

from helpers import open_project

from calfeed.cli import cli


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SECRET_PATH = "/remote.php/dav/calendars/alice/perso-cle-7f3a9c2e1b/"


def test_the_public_status_page_shows_a_source_by_its_host_alone(project, runner):
    port = _closed_port()
    address = f"http://alice:motdepasse@127.0.0.1:{port}{SECRET_PATH}?export&jeton=abc123"
    path = project([{"id": "nextcloud", "type": "ics", "url": address, "category": "labs"}], fetch={"retries": 0})
    fetched = runner.invoke(cli, ["fetch", "--config", str(path)])
    assert fetched.exit_code == 1 and "connexion impossible" in fetched.output
    checked = runner.invoke(cli, ["check", "--no-fetch", "--config", str(path)])
    assert SECRET_PATH in checked.output  # the operator's terminal names the whole address (no credentials)
    assert "motdepasse" not in checked.output and "abc123" not in checked.output

    from calfeed.web import create_app
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    data = client.get("/etat.json").get_json()
    [source] = data["sources"]
    assert source["location"] == f"127.0.0.1:{port}"
    assert source["last_error"] == f"connexion impossible à 127.0.0.1:{port}"
    for text in (client.get("/etat").get_data(as_text=True), client.get("/etat.json").get_data(as_text=True)):
        assert "connexion impossible" in text and f"127.0.0.1:{port}" in text
        for secret in ("perso-cle-7f3a9c2e1b", "remote.php", "alice", "motdepasse", "jeton", "abc123", "export"):
            assert secret not in text, secret


def test_the_public_status_page_names_a_local_file_as_sources_yaml_does(project, tmp_path):
    path = project([{"id": "tableur", "type": "csv", "path": "data/absent.csv", "category": "labs"}])
    from calfeed.pages import status_context
    from calfeed.publish import load_programme
    from calfeed.refresh import refresh_sources
    config, store = open_project(path)
    refresh_sources(config, store)
    public = status_context(config, store, load_programme(store), public=True)["sources"][0]
    private = status_context(config, store, load_programme(store))["sources"][0]
    assert str(tmp_path) in private["last_error"]  # the terminal says where on the server
    assert str(tmp_path) not in str(public) and "fichier introuvable : data/absent.csv" in public["last_error"]
    store.close()


# -- a new calfeed version re-reads every source once ---------------------------------------------------

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//essai//FR\r\nBEGIN:VEVENT\r\nUID:atelier@essai\r\n"
       "DTSTAMP:20221101T000000Z\r\nDTSTART:20221114T090000Z\r\nDTEND:20221114T100000Z\r\nSUMMARY:Atelier\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_new_reader_reads_every_source_again_once_without_a_new_sequence(project, tmp_path, httpserver,
                                                                            monkeypatch):
    from werkzeug import Response

    from calfeed import refresh
    from calfeed.refresh import refresh_sources
    asked = []

    def answer(request):
        asked.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(ICS, content_type="text/calendar", headers={"ETag": '"v1"'})

    httpserver.expect_request("/agenda.ics").respond_with_handler(answer)
    (tmp_path / "local.ics").write_text(ICS.replace("atelier@essai", "visite@essai"), encoding="utf-8")
    config, store = open_project(project([
        {"id": "web", "type": "ics", "url": httpserver.url_for("/agenda.ics"), "category": "labs"},
        {"id": "local", "type": "ics", "path": "local.ics", "category": "labs"}], fetch={"retries": 0}))

    def refreshed():
        reports = {r.source_id: r.changed for r in refresh_sources(config, store)}
        return reports, {row.uid: row.sequence for row in store.published()}, store.generation()

    first, sequences, generation = refreshed()
    assert first == {"web": True, "local": True} and set(sequences.values()) == {0}
    assert refreshed() == ({"web": False, "local": False}, sequences, generation)  # nothing new: nothing read
    assert asked == [None, '"v1"']
    monkeypatch.setattr(refresh, "reader_version", lambda: "calfeed suivant")  # an upgrade of calfeed
    assert refreshed() == ({"web": True, "local": True}, sequences, generation)  # read again, same events
    assert asked[-1] is None  # no validator: a 304 would have kept the old reader's snapshot
    assert refreshed() == ({"web": False, "local": False}, sequences, generation)  # once
    assert asked[-1] == '"v1"'
    store.close()


def test_the_reader_version_changes_with_calfeed_version(monkeypatch):
    from calfeed import refresh
    today = refresh.reader_version()
    assert refresh.reader_version() == today  # the same code reads the same way: nothing is read again
    monkeypatch.setattr(refresh, "__version__", "99.0")
    refresh.reader_version.cache_clear()
    try:
        assert refresh.reader_version() != today
    finally:
        monkeypatch.undo()
        refresh.reader_version.cache_clear()
    assert refresh.reader_version() == today
