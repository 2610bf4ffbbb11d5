"""The edges without side effects: building the app reads and starts nothing; one cache policy for every
answer (caching.py); the refresh's failures in the team's log."""

import datetime as dt
import logging
import sys
import threading

import pytest

from calfeed.caching import ASSET, FEED, PAGE, PRIVATE, live_cache_control, static_cache_control
from calfeed.web import create_app, start

_LISTENING: list[list[str]] = []  # the files opened while a test listens (audit hooks stay for the process)


def _record_opens(event: str, args: tuple) -> None:
    if _LISTENING and event == "open":
        _LISTENING[-1].append(str(args[0]))


sys.addaudithook(_record_opens)


def test_creating_the_app_reads_nothing_and_starts_nothing(project, tmp_path):
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"},
                    {"id": "web", "type": "ics", "url": "http://127.0.0.1:9/agenda.ics"}])
    unreadable = tmp_path / "absent" / "sources.yaml"  # loading it would fail at once
    before = set(threading.enumerate())
    opened: list[str] = []
    _LISTENING.append(opened)
    try:
        for config_path in (unreadable, path):
            app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config_path), "CALFEED_REFRESH": True})
    finally:
        _LISTENING.clear()
    assert not [name for name in opened if str(tmp_path) in name], opened  # no configuration, no data, no store
    assert not (tmp_path / "store").exists()
    assert not set(threading.enumerate()) - before  # neither the first read of web sources nor the refresher
    assert "calfeed" not in app.extensions
    # Asked, it reads its configuration, publishes the local source, reads the web one in the background
    # (without the refresher here: it would outlive the test).
    (tmp_path / "agenda.csv").write_text("titre;date_debut;categorie\nAtelier;15/11/2022;labs\n", encoding="utf-8")
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)})
    site = start(app)
    try:
        assert start(app) is site  # once
        assert (tmp_path / "store" / "calfeed.sqlite").exists()
        assert app.extensions["calfeed.first_read"].name == "calfeed-first-read"  # started (it may be done already)
        assert b"Atelier" in app.test_client().get("/feeds/tous.ics").data
    finally:
        app.extensions["calfeed.first_read"].join(10)
        site.store.close()


def test_an_app_nobody_started_starts_at_its_first_request(project, tmp_path):
    (tmp_path / "agenda.csv").write_text("titre;date_debut;categorie\nAtelier;15/11/2022;labs\n", encoding="utf-8")
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))})
    try:
        assert b"Atelier" in app.test_client().get("/feeds/tous.ics").data
    finally:
        app.extensions["calfeed"].store.close()


def test_every_live_answer_takes_its_cache_policy_from_caching(client, app):
    refresh = app.extensions["calfeed"].config.refresh
    assert client.get("/feeds/tous.ics").headers["Cache-Control"] == live_cache_control(FEED, refresh)
    assert client.get("/feeds/tous.json").headers["Cache-Control"] == live_cache_control(FEED, refresh)
    for page in ("/", "/feeds/constructeur.html", "/feeds/page-absente.html", "/feeds/absent.json", "/etat"):
        assert client.get(page).headers["Cache-Control"] == live_cache_control(PAGE), page
    with client.get("/feeds/static/calfeed.css") as asset:  # a file: closed once read
        assert asset.headers["Cache-Control"] == live_cache_control(ASSET)
    for private in ("/etat.json", "/etat/requetes.json", "/etat/requetes.csv"):
        assert client.get(private).headers["Cache-Control"] == live_cache_control(PRIVATE) == "no-store"


def test_the_static_tree_is_kept_longer_than_the_live_pages():
    hour = dt.timedelta(hours=1)
    assert static_cache_control(FEED, hour) == static_cache_control(PAGE, hour) == "public, max-age=3600"
    assert static_cache_control(ASSET, hour) == "public, max-age=86400"
    assert live_cache_control(PAGE) == "no-cache"
    with pytest.raises(ValueError):
        static_cache_control(PRIVATE, hour)  # nothing private is ever written in the static tree
    with pytest.raises(ValueError):
        live_cache_control(FEED)  # a feed's lifetime is the refresh interval: it must be given


def test_a_crashing_adapter_is_logged_with_its_traceback_and_its_source(project, tmp_path, monkeypatch, caplog):
    from calfeed import refresh
    from calfeed.config import load_config
    from calfeed.store.owner import open_store

    (tmp_path / "agenda.csv").write_text("titre;date_debut;categorie\nAtelier;15/11/2022;labs\n", encoding="utf-8")
    config = load_config(project([{"id": "atelier", "type": "csv", "path": "agenda.csv"}]))
    store = open_store(config.store_path, config.path, config.legacy_store_path)

    def crash(*_args, **_kwargs):
        raise ZeroDivisionError("le bug de l'adaptateur")

    monkeypatch.setattr(refresh, "parse_source", crash)
    try:
        with caplog.at_level(logging.ERROR, logger="calfeed"):
            reports = refresh.refresh_sources(config, store, now=dt.datetime(2022, 11, 1, tzinfo=dt.UTC))
    finally:
        store.close()
    assert not reports[0].ok and "ZeroDivisionError" in reports[0].error
    assert "le bug de l'adaptateur" not in reports[0].error  # the exception's text goes to the log only (/etat)
    records = [record for record in caplog.records if record.name.startswith("calfeed")]
    assert len(records) == 1 and "atelier" in records[0].getMessage()
    assert records[0].exc_info and records[0].exc_info[0] is ZeroDivisionError  # the traceback, for the team
    assert "le bug de l'adaptateur" in caplog.text and "Traceback" in caplog.text


def test_the_service_log_carries_calfeed_failures_in_french(capsys):
    """Under gunicorn (`calfeed serve`), the `calfeed` logger writes where gunicorn's log goes, in French."""
    from gunicorn.config import Config

    from calfeed.server import FrenchLogger
    team = logging.getLogger("calfeed")
    saved = (list(team.handlers), team.level, team.propagate)
    try:
        FrenchLogger(Config())
        try:
            raise ZeroDivisionError("le bug")
        except ZeroDivisionError:
            logging.getLogger("calfeed.refresh").exception("source « %s » : erreur inattendue", "atelier")
        written = capsys.readouterr().err
    finally:
        team.handlers[:], team.level, team.propagate = saved
    assert "[erreur] source « atelier » : erreur inattendue" in written
    assert "Traceback" in written and "ZeroDivisionError: le bug" in written


@pytest.mark.parametrize("command", [["fetch"], ["build", "--no-fetch"], ["serve"], ["check"], ["diff"], ["preview", "s"],
                                     ["backup", "copie.sqlite"], ["publish", "ailleurs"], ["accept", "s"],
                                     ["retire", "s"]])
def test_every_command_says_a_configuration_error_the_same_way(command, runner, tmp_path):
    """One path from an error to its message and exit code (cli.common.failure): 1, or 2 for `diff`."""
    from calfeed.cli import cli
    broken = tmp_path / "sources.yaml"
    broken.write_text("sources:\n  - id: s\n    type: rss\n", encoding="utf-8")
    result = runner.invoke(cli, [command[0], "--config", str(broken), *command[1:]])
    assert result.exit_code == (2 if command[0] == "diff" else 1), result.output
    assert "Erreur : " in result.output and "type inconnu « rss »" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
