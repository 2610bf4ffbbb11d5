"""`type: google-sheets`: the address the team copies from the browser becomes the sheet's CSV export; Google's
redirect to its file servers is followed, a sheet not shared with everyone who has the link is said as such."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from werkzeug import Response

from calfeed.cli import cli
from calfeed.config import load_config
from calfeed.errors import ConfigError, SourceError
from calfeed.fetch import redirect_target
from calfeed.preview import preview_source, source_for_preview
from calfeed.publish import load_programme
from calfeed.refresh import refresh_sources
from calfeed.sources import SOURCE_TYPES, type_of_address
from calfeed.sources.google_sheets import export_address
from conftest import DATA
from helpers import open_project

NOW = dt.datetime(2022, 11, 1, 8, tzinfo=dt.UTC)
ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-xyz"
SHEET = f"https://docs.google.com/spreadsheets/d/{ID}"
PUBLISHED = "https://docs.google.com/spreadsheets/d/e/2PACX-1vQx7Kf9dLz0AbCdEf"


@pytest.mark.parametrize(("pasted", "read"), [
    (f"{SHEET}/edit#gid=1849302011", f"{SHEET}/export?format=csv&gid=1849302011"),
    (f"{SHEET}/edit?usp=sharing", f"{SHEET}/export?format=csv"),  # « Partager » > « Copier le lien »: first tab
    (f"{SHEET}/edit?usp=sharing#gid=0", f"{SHEET}/export?format=csv&gid=0"),
    (f"https://docs.google.com/spreadsheets/u/0/d/{ID}/edit?gid=7#gid=7", f"{SHEET}/export?format=csv&gid=7"),
    (f"{SHEET}", f"{SHEET}/export?format=csv"),
    (f"{SHEET}/export?format=csv&gid=9", f"{SHEET}/export?format=csv&gid=9"),
    (f"{PUBLISHED}/pubhtml", f"{PUBLISHED}/pub?output=csv"),
    (f"{PUBLISHED}/pubhtml?gid=5&single=true", f"{PUBLISHED}/pub?output=csv&gid=5&single=true"),
    (f"{PUBLISHED}/pub?output=csv", f"{PUBLISHED}/pub?output=csv"),
    (f"{PUBLISHED}/pub?gid=12&single=true&output=csv", f"{PUBLISHED}/pub?output=csv&gid=12&single=true"),
    # Not a Google sheet's address: read as it is (an export already, a local server in tests, a copy elsewhere).
    ("http://127.0.0.1:5000/spreadsheets/d/abcdefghijkl/edit#gid=3", "http://127.0.0.1:5000/spreadsheets/d/abcdefghijkl/edit#gid=3"),
    ("https://docs.google.com/document/d/1AbCdEfGhIjKl/edit", "https://docs.google.com/document/d/1AbCdEfGhIjKl/edit"),
])
def test_the_browser_address_becomes_the_csv_export(pasted, read):
    assert export_address(pasted) == read


def test_preview_knows_a_google_sheets_address_without_type(project):
    assert type_of_address(f"{SHEET}/edit#gid=0") == "google-sheets"
    assert type_of_address("https://docs.google.com/document/d/1AbCdEfGhIjKl/edit") == ""
    config = load_config(project([{"id": "x", "type": "ics", "url": "https://agenda.exemple.fr/a.ics"}]))
    source = source_for_preview(config, url=f"{SHEET}/edit#gid=0", category="collectivites")
    assert (source.type, source.url, source.category) == ("google-sheets", f"{SHEET}/edit#gid=0", "collectivites")


class Sheet:
    id = "programme"
    type = "google-sheets"


@pytest.mark.parametrize(("url", "location", "allowed"), [
    (f"{SHEET}/export?format=csv", "https://doc-0s-8c-sheets.googleusercontent.com/export/abc/def?format=csv", True),
    (f"{PUBLISHED}/pub?output=csv", "https://doc-10-2k-sheets.googleusercontent.com/pub/abc?output=csv", True),
    (f"{SHEET}/export?format=csv", "http://doc-0s-8c-sheets.googleusercontent.com/export/abc", False),  # never http
    (f"{SHEET}/export?format=csv", "https://googleusercontent.com.exemple.fr/export", False),
    ("https://tableur.exemple.fr/export.csv", "https://doc-0s-8c-sheets.googleusercontent.com/export/abc", False),
])
def test_google_file_servers_are_followed_from_google_only(url, location, allowed):
    if allowed:
        assert redirect_target(Sheet, url, location) == location
    else:
        with pytest.raises(SourceError, match="redirection"):
            redirect_target(Sheet, url, location)


def test_a_redirect_to_the_sign_in_page_says_the_sheet_is_not_shared():
    with pytest.raises(SourceError) as error:
        redirect_target(Sheet, f"{SHEET}/export?format=csv",
                        "https://accounts.google.com/ServiceLogin?service=wise&continue=https://docs.google.com/")
    assert "source « programme »" in str(error.value) and "n'est pas partagée publiquement" in str(error.value)
    assert "Tous les utilisateurs disposant du lien" in str(error.value)


def _export_server(httpserver, answer):
    """Google's two steps on a loopback server: the export address redirects (307) to where the file is served."""
    httpserver.expect_request(f"/spreadsheets/d/{ID}/export").respond_with_response(
        Response(status=307, headers={"Location": "/fichiers/export-programme.csv"}))
    httpserver.expect_request("/fichiers/export-programme.csv").respond_with_response(answer)
    return httpserver.url_for(f"/spreadsheets/d/{ID}/export") + "?format=csv&gid=0"


def test_a_shared_sheet_is_read_through_the_redirect_with_french_dates_and_numbers(project, httpserver):
    body = (DATA / "google_sheets_export.csv").read_bytes()
    url = _export_server(httpserver, Response(body, content_type="text/csv; charset=utf-8"))
    config, store = open_project(project([{"id": "programme-partage", "type": "google-sheets", "url": url}]))
    [report] = refresh_sources(config, store, now=NOW)
    assert report.ok and report.events == 3, report.error
    assert report.warnings == [] and report.rejected == []  # the empty trailing columns and rows say nothing
    events = {item.event.title: item.event for item in load_programme(store).items}
    atelier = events["Atelier « design des politiques publiques »"]
    paris = ZoneInfo("Europe/Paris")
    assert (atelier.start, atelier.end) == (dt.datetime(2022, 11, 18, 14, tzinfo=paris),
                                            dt.datetime(2022, 11, 18, 16, 30, tzinfo=paris))
    assert (atelier.location.latitude, atelier.location.longitude) == (48.1113, -1.68)
    assert atelier.category == "collectivites" and atelier.attendance == "presentiel"
    webinaire = events["Webinaire : les données au service des territoires"]
    assert webinaire.themes == ("donnees-numerique", "innovation-territoriale") and webinaire.attendance == "en-ligne"
    portes = events['Portes ouvertes du lab, "La Fabrique"']
    assert portes.all_day and portes.start == dt.date(2022, 11, 24) and portes.category == "labs"


def test_the_sign_in_page_answered_200_says_how_to_share(project, httpserver):
    page = (DATA / "google_sheets_sign_in.html").read_bytes()
    url = _export_server(httpserver, Response(page, content_type="text/html; charset=utf-8"))
    config, store = open_project(project([{"id": "programme-partage", "type": "google-sheets", "url": url}]))
    [report] = refresh_sources(config, store, now=NOW)
    assert not report.ok and "la feuille Google Sheets n'est pas partagée publiquement" in report.error
    assert "« Partager » > Accès général : « Tous les utilisateurs disposant du lien »" in report.error
    preview = preview_source(config, source_for_preview(config, "programme-partage"))
    assert "n'est pas partagée publiquement" in preview.error and not preview.rows


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusal_says_the_sheet_is_not_shared(project, httpserver, runner, status):
    url = _export_server(httpserver, Response("Forbidden", status=status, content_type="text/html"))
    path = project([{"id": "programme-partage", "type": "google-sheets", "url": url}], fetch={"retries": 0})
    config, store = open_project(path)
    [report] = refresh_sources(config, store, now=NOW)
    assert not report.ok and report.http_status == status
    assert f"localhost a répondu {status} : la feuille Google Sheets n'est pas partagée publiquement" in report.error
    assert "Tous les utilisateurs disposant du lien" in report.error
    result = runner.invoke(cli, ["fetch", "--config", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "programme-partage" in result.output and "n'est pas partagée publiquement" in result.output


def test_a_redirect_to_google_sign_in_is_never_followed(project, httpserver):
    url = _export_server(httpserver, Response(status=302, headers={
        "Location": "https://accounts.google.com/ServiceLogin?service=wise&passive=1209600"}))
    config, store = open_project(project([{"id": "programme-partage", "type": "google-sheets", "url": url}]))
    [report] = refresh_sources(config, store, now=NOW)  # the guard fails any request that leaves the machine
    assert not report.ok and "Google demande de se connecter" in report.error


def test_a_google_sheets_source_is_read_by_its_address_only(tmp_path, project):
    (tmp_path / "x.csv").write_text("titre,date_debut\nA,18/11/2022\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="le type google-sheets se lit par son adresse"):
        load_config(project([{"id": "x", "type": "google-sheets", "path": "x.csv"}]))
    assert SOURCE_TYPES["google-sheets"].read is not SOURCE_TYPES["csv"].read  # the CSV reader, behind the check


def test_a_refusal_of_an_address_that_is_not_a_sheets_gives_no_sharing_advice(project, httpserver):
    httpserver.expect_request("/interdit.csv").respond_with_response(Response("Forbidden", status=403))
    path = project([{"id": "copie", "type": "google-sheets", "url": httpserver.url_for("/interdit.csv")}],
                   fetch={"retries": 0})
    config, store = open_project(path)
    [report] = refresh_sources(config, store, now=NOW)
    assert not report.ok and report.http_status == 403
    assert "Google" not in report.error and "403" in report.error


@pytest.mark.parametrize("url", ["https://docs.google.com/document/d/1AbCdEfGhIjKlMnOp/edit",
                                 "https://docs.google.com/forms/d/e/1FAIpQLSfAbCdEf/viewform"])
def test_a_google_docs_address_that_is_not_a_sheet_is_a_configuration_mistake(project, url):
    with pytest.raises(ConfigError, match="n'est pas celle d'un tableau Google Sheets") as raised:
        load_config(project([{"id": "programme-partage", "type": "google-sheets", "url": url}]))
    assert "programme-partage" in str(raised.value) and "ligne" in str(raised.value)
