"""Text decoded right or refused: charsets, BOMs, stray bytes, legacy encodings; never « num�ro » or « CafÃ© »."""

import datetime as dt

import pytest

from calfeed.adapters.decode import decode_text
from calfeed.cli import cli
from calfeed.errors import SourceError
from calfeed.refresh import refresh_sources
from calfeed.publish import load_programme
from helpers import open_project

T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)


class Source:
    id = "essai"


ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n"
       "BEGIN:VEVENT\r\nUID:ev-1@lab.example\r\nDTSTAMP:20221001T000000Z\r\n"
       "DTSTART;TZID=Europe/Paris:20221115T100000\r\nDTEND;TZID=Europe/Paris:20221115T120000\r\n"
       "SUMMARY:Atelier numéro 2 à Évry – l’été\r\nDESCRIPTION:Très belle œuvre à Genève\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:ev-2@lab.example\r\nDTSTAMP:20221001T000000Z\r\n"
       "DTSTART;TZID=Europe/Paris:20221116T100000\r\nDTEND;TZID=Europe/Paris:20221116T120000\r\n"
       "SUMMARY:Café des innovateurs\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
TITLES = ["Atelier numéro 2 à Évry – l’été", "Café des innovateurs"]
JSON = ('[{"id": "a", "titre": "Café de l’innovation", "debut": "2022-11-15T10:00", "description": "Réunion à Évry"},'
        ' {"id": "b", "titre": "Atelier œuvre", "debut": "2022-11-16", "description": "Très complet"}]')
CSV = ("titre;date_debut;description\r\n"
       "Café de l'innovation;15/11/2022;Réunion à Évry\r\n"
       "Atelier œuvre;16/11/2022;Très complet\r\n")


@pytest.mark.parametrize(("data", "charset"), [
    (ICS.encode("utf-8"), None),
    (ICS.encode("utf-8-sig"), None),
    (ICS.encode("utf-16"), None),  # with its BOM
    (ICS.encode("utf-16-le"), "utf-16le"),
    (ICS.encode("cp1252"), "windows-1252"),
    (ICS.encode("cp1252"), "ISO-8859-1"),  # the label servers send for Windows-1252 text
    (ICS.encode("utf-8"), "iso-8859-1"),  # a wrong label on valid UTF-8: the bytes win
])
def test_declared_and_marked_encodings_are_read_right(data, charset):
    text, _ = decode_text(data, charset, Source)
    assert text == ICS


def test_declared_utf16_is_read_even_when_plain_ascii():
    text, _ = decode_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".encode("utf-16-be"), "UTF-16BE", Source)
    assert text == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_a_label_that_contradicts_valid_utf8_is_reported():
    _, warnings = decode_text(ICS.encode("utf-8"), "iso-8859-1", Source)
    assert any("UTF-8 valide" in w for w in warnings)


def test_one_stray_windows_byte_in_utf8_keeps_every_accent():
    data = CSV.encode("utf-8").replace(b"l'innovation", b"l\x92innovation")
    text, warnings = decode_text(data, None, Source)
    assert text == CSV.replace("l'innovation", "l’innovation")
    assert len(warnings) == 1 and "ligne(s) 2" in warnings[0]


def test_a_windows_file_is_detected_and_reported():
    text, warnings = decode_text(ICS.encode("cp1252"), None, Source)
    assert text == ICS
    assert any("encodage deviné" in w and "cp1252" in w for w in warnings)


def test_bytes_no_encoding_explains_are_refused():
    with pytest.raises(SourceError, match="encodage du contenu non reconnu"):
        decode_text(bytes(range(128, 256)) * 4, None, Source)


def test_mojibake_at_the_origin_is_reported():
    _, warnings = decode_text("Caf\u00c3\u00a9 de l\u00e2\u20ac\u2122innovation".encode(), None, Source)
    assert any("mal encodé" in w for w in warnings)


def published(store):
    return {item.event.uid: item for item in load_programme(store).items}


def test_ics_served_in_latin1_is_published_right(project, httpserver):
    latin1 = ICS.replace(" – l’été", "").replace("Très belle œuvre", "Très belle exposition")
    httpserver.expect_request("/agenda.ics").respond_with_data(
        latin1.encode("latin-1"), content_type="text/calendar; charset=ISO-8859-1")
    config, store = open_project(project([{"id": "lab", "type": "ics", "url": httpserver.url_for("/agenda.ics"),
                                           "category": "labs"}]))
    [report] = refresh_sources(config, store, now=T0)
    assert report.ok and not report.warnings
    events = {item.event.title: item.event for item in published(store).values()}
    assert sorted(events) == ["Atelier numéro 2 à Évry", "Café des innovateurs"]
    assert events["Atelier numéro 2 à Évry"].description == "Très belle exposition à Genève"


@pytest.mark.parametrize(("source_type", "body", "name"), [
    ("ics", ICS, "agenda.ics"),
    ("csv", CSV, "agenda.csv"),
    ("json", JSON, "agenda.json"),
])
def test_an_encoding_change_alone_publishes_no_new_version(project, httpserver, source_type, body, name):
    """The same text in another encoding: decoded right, same events, no SEQUENCE bump."""
    httpserver.expect_request(f"/{name}").respond_with_data(body.encode("utf-8"), content_type="text/plain")
    config, store = open_project(project([{"id": "lab", "type": source_type, "url": httpserver.url_for(f"/{name}"),
                                           "category": "labs"}], fetch={"retries": 0}))
    refresh_sources(config, store, now=T0)
    before = {uid: (item.publication.sequence, item.event.title) for uid, item in published(store).items()}
    httpserver.clear()
    httpserver.expect_request(f"/{name}").respond_with_data(body.encode("cp1252"), content_type="text/plain")
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    after = {uid: (item.publication.sequence, item.event.title) for uid, item in published(store).items()}
    assert report.ok and report.changed  # the bytes did change and were read again
    assert any("encodage deviné" in w for w in report.warnings)
    assert after == before and len(after) == 2


def test_stray_byte_csv_keeps_titles_and_check_shows_the_warning(project, tmp_path, runner):
    (tmp_path / "agenda.csv").write_bytes(CSV.encode("utf-8").replace(b"l'innovation", b"l\x92innovation"))
    path = project([{"id": "lab", "type": "csv", "path": "agenda.csv", "category": "labs"}])
    result = runner.invoke(cli, ["check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "octet(s) hors UTF-8" in result.output and "ligne(s) 2" in result.output
    assert runner.invoke(cli, ["fetch", "--config", str(path)]).exit_code == 0  # check publishes nothing
    config, store = open_project(path)
    titles = sorted(item.event.title for item in published(store).values())
    assert titles == ["Atelier œuvre", "Café de l’innovation"]


def test_status_page_shows_a_guessed_encoding(project, tmp_path):
    from calfeed.web import create_app
    (tmp_path / "agenda.csv").write_bytes(CSV.encode("cp1252"))
    path = project([{"id": "lab", "type": "csv", "path": "agenda.csv", "category": "labs"}])
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)}).test_client()
    page = client.get("/etat").get_data(as_text=True).replace("\u00a0", " ")  # the page's French spacing
    assert "Avertissements" in page and "encodage deviné, cp1252)" in page
    assert any("encodage deviné" in w for w in client.get("/etat.json").get_json()["sources"][0]["warnings"])


def test_text_garbled_at_the_origin_is_never_published(project, httpserver):
    """A published event whose text comes back garbled keeps its last good version; a new one is not published."""
    good = "id;titre;date_debut\r\na;Café de l’innovation;15/11/2022\r\nb;Atelier;16/11/2022\r\n"
    httpserver.expect_request("/agenda.csv").respond_with_data(good.encode(), content_type="text/csv")
    config, store = open_project(project([{"id": "lab", "type": "csv", "url": httpserver.url_for("/agenda.csv"),
                                           "category": "labs"}], fetch={"retries": 0}))
    refresh_sources(config, store, now=T0)
    before = {uid: item.publication.sequence for uid, item in published(store).items()}
    garbled = good.replace("Café", "Caf\u00c3\u00a9") + "c;Atelier num\ufffdro 3;17/11/2022\r\n"
    httpserver.clear()
    httpserver.expect_request("/agenda.csv").respond_with_data(garbled.encode(), content_type="text/csv")
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    items = published(store)
    assert sorted(item.event.title for item in items.values()) == ["Atelier", "Café de l’innovation"]
    assert {uid: item.publication.sequence for uid, item in items.items()} == before
    assert not any(item.status == "annule" for item in items.values())
    assert sum("texte abîmé" in r for r in report.rejected) == 2
