"""Never tell a subscriber something false: an event that becomes unreadable keeps its last good
version (never a cancellation), and a source that shrinks or comes cut short is held, not believed,
until the operator accepts its new state."""

import datetime as dt
import shutil

import pytest

from calfeed.cli import cli
from calfeed.pages import status_context
from calfeed.publish import load_programme
from calfeed.refresh import refresh_sources
from conftest import DATA
from helpers import open_project

T0 = dt.datetime(2022, 11, 1, 8, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=1)
T2 = T0 + dt.timedelta(hours=2)

# (source type and preset, fixture, the text that breaks one event, what replaces it, that event's title)
UNREADABLE = {
    "ics": ({"type": "ics", "category": "etat"}, "trust_programme.ics",
            "DTSTART;TZID=Europe/Paris:20221117T100000", "DTSTART;TZID=Europe/Paris:2022-11-17 10h",
            "Table ronde sur l'IA dans les services publics"),
    "csv": ({"type": "csv"}, "trust_programme.csv", "webinaire-falc;Webinaire FALC;16/11/2022",
            "webinaire-falc;Webinaire FALC;31/11/2022", "Webinaire FALC"),
    "openagenda": ({"type": "json", "preset": "openagenda", "category": "labs"}, "trust_openagenda.json",
                   '"begin": "2022-11-18T10:00:00+01:00"', '"begin": "le 18 au matin"',
                   "Atelier sur la participation citoyenne"),
}


def make_source(project, tmp_path, kind):
    settings, name, *_ = UNREADABLE[kind]
    config_path = project([{"id": "essai", "path": name, **settings}], files=[name])
    return config_path, tmp_path / name


def versions(store):
    return {uid: (row.sequence, row.vanished_at) for uid, row in store.published_versions().items()}


def titles(store):
    return {item.event.title: item for item in load_programme(store).items}


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreadable_event_keeps_its_last_good_version(project, tmp_path, kind, runner):
    config_path, data = make_source(project, tmp_path, kind)
    _, _, good, bad, title = UNREADABLE[kind]
    config, store = open_project(config_path)
    refresh_sources(config, store, now=T0)
    before = versions(store)
    published = titles(store)[title]
    assert len(before) >= 3

    data.write_text(data.read_text(encoding="utf-8").replace(good, bad), encoding="utf-8")
    [report] = refresh_sources(config, store, now=T1)
    assert report.ok and len(report.rejected) == 1
    assert versions(store) == before  # nothing cancelled, no SEQUENCE bumped
    kept = titles(store)[title]
    assert kept.status != "annule" and kept.vevent == published.vevent
    assert len(report.held) == 1 and title in report.held[0] and "dernière version valide conservée" in report.held[0]

    status = status_context(config, store, load_programme(store))
    assert status["held"] == ["essai"] and title in status["sources"][0]["held"][0]
    result = runner.invoke(cli, ["check", "--no-fetch", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 1 and "retenu" in result.output and title in result.output

    data.write_text(data.read_text(encoding="utf-8").replace(bad, good), encoding="utf-8")  # fixed at the source
    [report] = refresh_sources(config, store, now=T2)
    assert report.ok and not report.held and versions(store) == before


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_event_really_gone_from_a_source_read_correctly_is_cancelled(project, tmp_path, kind):
    config_path, data = make_source(project, tmp_path, kind)
    _, _, _, _, title = UNREADABLE[kind]
    config, store = open_project(config_path)
    refresh_sources(config, store, now=T0)
    uid = titles(store)[title].event.uid
    sequence = versions(store)[uid][0]
    text = data.read_text(encoding="utf-8")
    if kind == "csv":
        text = "".join(line for line in text.splitlines(keepends=True) if "webinaire-falc" not in line)
    elif kind == "ics":
        start = text.index("BEGIN:VEVENT\nUID:table-ronde-ia")
        text = text[:start] + text[text.index("END:VEVENT\n", start) + len("END:VEVENT\n"):]
    else:
        start = text.index('    {\n      "uid": 51000002')
        text = text[:start] + text[text.index('    {\n      "uid": 51000003'):]
    data.write_text(text, encoding="utf-8")
    [report] = refresh_sources(config, store, now=T1)
    assert report.ok and not report.rejected and not report.held
    assert versions(store)[uid] == (sequence + 1, T1.isoformat())  # cancelled, for the grace period
    assert titles(store)[title].status == "annule"


def test_a_rejected_row_without_identifier_holds_the_missing_events_of_its_source(project, tmp_path, runner):
    """A CSV without an id column: an unreadable row cannot be told from a removed one, so no event of
    that source is cancelled until the source is fixed or the operator accepts."""
    (tmp_path / "sans-id.csv").write_text(
        "".join(line.split(";", 1)[1] for line in (DATA / "trust_programme.csv").read_text().splitlines(True)),
        encoding="utf-8")
    config_path = project([{"id": "essai", "type": "csv", "path": "sans-id.csv"}])
    config, store = open_project(config_path)
    refresh_sources(config, store, now=T0)
    before = versions(store)
    data = tmp_path / "sans-id.csv"
    lines = data.read_text(encoding="utf-8").splitlines(True)
    lines[2] = lines[2].replace("16/11/2022", "16/13/2022")  # Webinaire FALC: impossible date
    del lines[3]  # Forum des agents de Rennes: really removed
    data.write_text("".join(lines), encoding="utf-8")
    [report] = refresh_sources(config, store, now=T1)
    assert versions(store) == before
    assert len(report.held) == 2 and all("sans identifiant" in line for line in report.held)

    result = runner.invoke(cli, ["accept", "essai", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = versions(store)
    cancelled = {uid for uid, (_, vanished) in after.items() if vanished}
    assert len(cancelled) == 2 and all(after[uid][0] == before[uid][0] + 1 for uid in cancelled)
    assert {titles(store)[t].status for t in ("Webinaire FALC", "Forum des agents de Rennes")} == {"annule"}


def test_accept_cancels_an_unreadable_event_on_the_operators_word(project, tmp_path, runner):
    config_path, data = make_source(project, tmp_path, "ics")
    _, _, good, bad, title = UNREADABLE["ics"]
    config, store = open_project(config_path)
    refresh_sources(config, store, now=T0)
    data.write_text(data.read_text(encoding="utf-8").replace(good, bad), encoding="utf-8")
    result = runner.invoke(cli, ["fetch", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 1 and "À VOIR" in result.output and "retenu" in result.output
    assert titles(store)[title].status != "annule"
    result = runner.invoke(cli, ["accept", "essai", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 0 and "État accepté" in result.output
    assert titles(store)[title].status == "annule"
    assert runner.invoke(cli, ["check", "--no-fetch", "--config", str(config_path)]).exit_code == 0


def test_the_status_page_flags_held_events(project, tmp_path):
    from calfeed.web import create_app
    config_path, data = make_source(project, tmp_path, "csv")
    _, _, good, bad, title = UNREADABLE["csv"]
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config_path), "CALFEED_CHECK_SECONDS": 0})
    data.write_text(data.read_text(encoding="utf-8").replace(good, bad), encoding="utf-8")
    config, store = open_project(config_path)
    refresh_sources(config, store)
    client = app.test_client()
    assert client.get("/etat.json").get_json()["held"] == ["essai"]
    page = client.get("/etat").data.decode()
    assert "Événements devenus illisibles" in page and title in page
    shutil.rmtree(tmp_path / "store", ignore_errors=True)
