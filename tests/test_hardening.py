"""The smaller ways calfeed could mislead or break (issue 10, point 10): bad reminder values, a stale
Last-Modified, links that follow the Host header, a damaged store, a killed build's leftovers."""

import sqlite3
import time

import pytest

from calfeed.build import MARKER, _lock_folder
from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.web import create_app


def make_app(config_path, **settings):
    return create_app({"TESTING": True, "CALFEED_CONFIG": str(config_path), "CALFEED_CHECK_SECONDS": 0, **settings})


@pytest.mark.parametrize("value", ["²", "١٠", "1e3", "-5", " 5", "99999999"])
def test_reminder_that_is_not_plain_digits_is_a_400(client, value):
    response = client.get("/feeds/tous.ics", query_string={"rappel": value})
    assert response.status_code == 400
    assert "« rappel » est un nombre de minutes" in response.data.decode().replace("\u00a0", " ")  # page typography


def test_reminder_in_plain_digits_is_served(client):
    response = client.get("/feeds/tous.ics?rappel=30")
    # The bundled events last all day: their reminder rings at 9 h the day before, not at 23:30 (render.py).
    assert response.status_code == 200 and b"TRIGGER:-PT15H" in response.data and b"-PT30M" not in response.data


def test_last_modified_moves_when_a_new_configuration_changes_the_bytes(bundled):
    first = make_app(bundled).test_client().get("/feeds/tous.ics")
    text = bundled.read_text(encoding="utf-8")
    bundled.write_text(text.replace("name: Mois de l'innovation publique 2022",
                                    "name: Mois de l'innovation publique 2022 (rectifié)"), encoding="utf-8")
    client = make_app(bundled).test_client()
    second = client.get("/feeds/tous.ics")
    assert second.data != first.data and second.headers["ETag"] != first.headers["ETag"]
    assert second.last_modified > first.last_modified
    # A client holding the old copy asks by date: it must get the new bytes, not a 304.
    again = client.get("/feeds/tous.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200 and again.data == second.data


def test_same_configuration_keeps_last_modified(bundled):
    first = make_app(bundled).test_client().get("/feeds/tous.ics")
    time.sleep(1.1)
    second = make_app(bundled).test_client().get("/feeds/tous.ics")
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"] and second.data == first.data


PAGES = ["/", "/feeds/constructeur.html", "/feeds/evenements.html", "/feeds/mon-programme.html", "/etat",
         "/etat.json", "/feeds/categorie/labs.json", "/feeds/constructeur.html?categorie=labs",
         "/feeds/selection.json?categorie=labs", "/feeds/integrer/categorie/labs.html"]


def test_pages_never_link_to_the_host_header_without_base_url(client):
    event_page = next(line for line in client.get("/feeds/evenements.html").data.decode().split('"')
                      if line.startswith("evenements/") and line.endswith(".html"))
    for path in [*PAGES, "/feeds/" + event_page]:
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 200, path
        assert b"evil.example" not in response.data, path


def test_pages_link_to_the_configured_address(bundled):
    text = bundled.read_text(encoding="utf-8").replace('base_url: ""', "base_url: https://agenda.example")
    bundled.write_text(text, encoding="utf-8")
    client = make_app(bundled).test_client()
    page = client.get("/", headers={"Host": "evil.example"}).data.decode()
    assert "webcal://agenda.example/feeds/tous.ics" in page and "evil.example" not in page


def damage(store_path):
    """Overwrite every page after the schema and the small tables (the published events and snapshots)."""
    db = sqlite3.connect(store_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    first = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'published'").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with open(store_path, "r+b") as stream:
        stream.seek((first - 1) * size)
        length = len(stream.read())
        stream.seek((first - 1) * size)
        stream.write(b"\xa5" * length)


def test_a_damaged_store_is_a_french_message_in_the_cli(runner, bundled):
    assert runner.invoke(cli, ["fetch", "--config", str(bundled)]).exit_code == 0
    damage(load_config(bundled).store_path)
    result = runner.invoke(cli, ["check", "--no-fetch", "--config", str(bundled)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"la base {load_config(bundled).store_path} est endommagée" in result.output
    assert "restaurez une sauvegarde" in result.output


def test_feeds_in_memory_are_still_served_when_the_store_breaks(bundled, monkeypatch, caplog):
    app = make_app(bundled)
    client = app.test_client()
    before = client.get("/feeds/tous.ics")
    labs = client.get("/feeds/categorie/labs.ics")
    assert before.status_code == 200 and labs.status_code == 200
    store = app.extensions["calfeed"].store

    def broken(*args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    for name in ("generation", "source_state", "published", "get_meta"):
        monkeypatch.setattr(store, name, broken)
    for path, expected in (("/feeds/tous.ics", before), ("/feeds/categorie/labs.ics", labs)):
        response = client.get(path)
        assert response.status_code == 200 and response.data == expected.data
    status = client.get("/etat")
    assert status.status_code == 503 and "endommagée" in status.data.decode()
    assert sum("base endommagée" in record.message for record in caplog.records) == 1  # logged once


def test_a_killed_build_leaves_no_temporary_file_behind(runner, bundled, tmp_path):
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "-o", str(output)]).exit_code == 0
    leftovers = [output / ".tous.ics.k3j_9xq2.tmp", output / "categorie" / ".labs.ics.a1B2c3D4.tmp"]
    for path in leftovers:
        path.write_bytes(b"BEGIN:VCALENDAR\r\n")  # what a build killed mid-write leaves
    kept = output / "notes.tmp"
    kept.write_text("pas à calfeed")
    result = runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert not any(path.exists() for path in leftovers)
    assert kept.exists()
    assert not [p for p in output.rglob("*.tmp") if p != kept]


def test_two_builds_never_write_one_folder_at_once(runner, bundled, tmp_path):
    output = tmp_path / "site"
    assert runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "-o", str(output)]).exit_code == 0
    assert (output / MARKER).exists()
    held = _lock_folder(output)
    try:
        result = runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "-o", str(output)])
        assert result.exit_code == 1 and "un autre « calfeed build » écrit déjà" in result.output
    finally:
        held.close()
    assert runner.invoke(cli, ["build", "--no-fetch", "--config", str(bundled), "-o", str(output)]).exit_code == 0


def test_the_public_status_page_shows_nothing_a_source_wrote(runner, project, tmp_path):
    """A cell's value quoted in a rejection or a warning stays in the operator's terminal; /etat and
    /etat.json say why without repeating what the source wrote (it may hold anything)."""
    (tmp_path / "agenda.csv").write_text(
        "titre;date_debut;categorie;db_password\n"
        "Atelier;18/11/2022;labs;hunter2\n"
        "Réunion;31/02/2022-db_password=hunter2;labs;x\n", encoding="utf-8")
    config_path = project([{"id": "agenda", "type": "csv", "path": "agenda.csv"}])
    check = runner.invoke(cli, ["check", "--config", str(config_path)])
    assert "hunter2" in check.output  # the operator sees the cell that was refused
    client = make_app(config_path).test_client()
    for address in ("/etat", "/etat.json"):
        body = client.get(address).data.decode()
        assert "hunter2" not in body, address
        assert "ligne 3" in body and "db_password" in body, address  # still says where: a line, a column
