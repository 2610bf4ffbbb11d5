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


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The command line's clock, during the programme (its events are still to come)."""
    monkeypatch.setenv("CALFEED_NOW", T2.isoformat())


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
    [row] = [line for line in result.output.splitlines() if line.startswith("essai ")]
    assert row.split()[1:3] == ["À", "VOIR"]  # as `calfeed fetch` says it, never « OK »

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
    from calfeed.web import create_app, start
    config_path, data = make_source(project, tmp_path, "csv")
    _, _, good, bad, title = UNREADABLE["csv"]
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(config_path), "CALFEED_CHECK_SECONDS": 0})
    start(app)  # publishes the good version, as a server does before its first request
    data.write_text(data.read_text(encoding="utf-8").replace(good, bad), encoding="utf-8")
    config, store = open_project(config_path)
    refresh_sources(config, store, now=T1)
    client = app.test_client()
    assert client.get("/etat.json").get_json()["held"] == ["essai"]
    page = client.get("/etat").data.decode()
    assert "Événements devenus illisibles" in page and title in page
    shutil.rmtree(tmp_path / "store", ignore_errors=True)


# -- a shrinking or cut-short source is held, not believed ------------------------------------------

CSV = (DATA / "trust_programme.csv").read_bytes()


@pytest.fixture
def served_csv(project, httpserver):
    """A CSV source on a loopback server; `serve(body)` changes what it answers (Content-Length matches)."""
    def serve(body: bytes):
        httpserver.clear()
        httpserver.expect_request("/programme.csv").respond_with_data(body, content_type="text/csv; charset=utf-8")

    def make(**settings):
        serve(CSV)
        path = project([{"id": "essai", "type": "csv", "url": httpserver.url_for("/programme.csv"), **settings}])
        return (path, *open_project(path))
    return make, serve


def cut(body: bytes, needle: bytes) -> bytes:
    """The body cut in the middle of the row that holds `needle`, as a half-written export is."""
    return body[:body.index(needle) + len(needle) // 2]


@pytest.mark.parametrize("needle", [b"Journ\xc3\xa9e de la transition", b"23/11/2022;09:00"])
def test_a_csv_cut_short_is_held_not_believed(served_csv, runner, needle):
    make, serve = served_csv
    config_path, config, store = make()
    refresh_sources(config, store, now=T0)
    before = versions(store)
    assert len(before) == 6

    serve(cut(CSV, needle))
    [report] = refresh_sources(config, store, now=T1)
    assert not report.ok and "il semble coupé" in report.error and "calfeed accept essai" in report.error
    assert versions(store) == before  # the three rows after the cut are not cancelled
    result = runner.invoke(cli, ["check", "--no-fetch", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 1 and "il semble coupé" in result.output
    assert status_context(config, store, load_programme(store))["failing"] == ["essai"]


def test_an_unterminated_quote_at_the_end_is_a_cut(served_csv):
    make, serve = served_csv
    _, config, store = make()
    refresh_sources(config, store, now=T0)
    before = versions(store)
    serve(CSV.rstrip(b"\n") + b'\nnouveau;"Atelier coup\xc3\xa9 en plein milieu;26/11/2022')
    [report] = refresh_sources(config, store, now=T1)
    assert not report.ok and "il semble coupé" in report.error
    assert versions(store) == before


QUOTED_LAST = ("id;titre;date_debut;categorie;description\n"
               "r1;Atelier un;15/11/2022;collectivites;Premier atelier\n"
               "r2;Atelier deux;16/11/2022;collectivites;Deuxième atelier\n"
               "r3;Atelier trois;17/11/2022;collectivites;\"Troisième atelier, en deux parties\"\n").encode()


def test_a_cut_inside_the_quoted_last_cell_is_a_cut(served_csv):
    # The last row keeps all its cells when the cut falls inside a quoted last cell: only the unclosed
    # quote tells that the text of that cell (here a description) is not whole.
    make, serve = served_csv
    serve(QUOTED_LAST)
    _, config, store = make()
    serve(QUOTED_LAST)
    [report] = refresh_sources(config, store, now=T0)
    assert report.ok and report.events == 3
    before = versions(store)
    serve(QUOTED_LAST[:QUOTED_LAST.index(b"en deux")])
    [report] = refresh_sources(config, store, now=T1)
    assert not report.ok and "guillemet" in report.error and "il semble coupé" in report.error
    assert versions(store) == before  # the description is not replaced by its first half


def test_a_source_losing_most_of_its_events_is_held_until_accepted(served_csv, runner):
    make, serve = served_csv
    config_path, config, store = make()
    refresh_sources(config, store, now=T0)
    before = versions(store)
    half = b"".join(CSV.splitlines(keepends=True)[:4])  # header and 3 rows: whole rows, nothing looks cut
    serve(half)
    [report] = refresh_sources(config, store, now=T1)
    assert not report.ok and "3 des 6 événement(s) à venir de la source (50 %) disparaîtraient" in report.error
    assert "max_drop" in report.error
    assert versions(store) == before

    result = runner.invoke(cli, ["accept", "essai", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = versions(store)
    assert sum(1 for _, vanished in after.values() if vanished) == 3  # now cancelled, on the operator's word
    assert runner.invoke(cli, ["check", "--config", str(config_path)]).exit_code == 0  # and it stays accepted


@pytest.mark.parametrize("settings, kept_rows, believed", [
    ({}, 5, True),                   # one event fewer: an ordinary change
    ({}, 4, True),                   # two fewer (a third): not more than 2 events, believed
    ({"max_drop": 0.6}, 3, True),    # half of them, within the source's own threshold
    ({"max_drop": 0.1}, 3, False),
])
def test_the_drop_threshold(served_csv, settings, kept_rows, believed):
    make, serve = served_csv
    _, config, store = make(**settings)
    refresh_sources(config, store, now=T0)
    serve(b"".join(CSV.splitlines(keepends=True)[:kept_rows + 1]))
    [report] = refresh_sources(config, store, now=T1)
    assert report.ok is believed
    cancelled = sum(1 for _, vanished in versions(store).values() if vanished)
    assert cancelled == (6 - kept_rows if believed else 0)


def test_the_drop_is_told_as_a_rounded_share_and_the_fetch_line_says_once_what_stays(served_csv, runner):
    make, serve = served_csv
    config_path, config, store = make()
    refresh_sources(config, store, now=T0)
    serve(b"".join(CSV.splitlines(keepends=True)[:3]))  # 2 of 6 events left: 4 fewer, two thirds
    result = runner.invoke(cli, ["fetch", "--config", str(config_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "4 des 6 événement(s) à venir de la source (67 %)" in result.output
    assert result.output.count("reste") == 1, result.output  # « l'instantané précédent reste publié », once
