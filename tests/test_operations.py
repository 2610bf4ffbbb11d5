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
