"""Hostile content inside one source (issue 19): identity, local damage, truncation, encoding, bombs, privacy.

Each pair of tests/hostile/ of these classes is run through refresh and publication next to a witness
source; focused tests below check what the pairs cannot say (held versions, messages, withdrawals).
"""

import datetime as dt
import gzip
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from calfeed.publish import load_programme
from calfeed.refresh import refresh_sources
from helpers import open_project

HOSTILE = Path(__file__).parent / "hostile"
CLASSES = ("identity", "damage", "truncation", "encoding", "bombs", "privacy")
T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)
WITNESS = ("id;titre;date_debut;heure_debut;heure_fin;categorie\n"
           "temoin-1;Témoin un;18/11/2022;10:00;11:00;labs\n"
           "temoin-2;Témoin deux;19/11/2022;10:00;11:00;labs\n")
PAIRS = sorted(p for p in HOSTILE.glob("*.expect.json") if p.name.startswith(CLASSES))


def hostile_file(expect: Path) -> Path:
    stem = expect.name.removesuffix(".expect.json")
    (found,) = [p for p in HOSTILE.glob(stem + ".*") if not p.name.endswith(".expect.json")]
    return found


def run_pair(project, tmp_path, expect_path: Path):
    expected = json.loads(expect_path.read_text(encoding="utf-8"))
    data = hostile_file(expect_path)
    shutil.copy(data, tmp_path / data.name)
    (tmp_path / "temoin.csv").write_text(WITNESS, encoding="utf-8")
    source = {"id": "hostile", "type": expected["type"], "path": data.name, **expected.get("source", {})}
    config, store = open_project(project([source, {"id": "temoin", "type": "csv", "path": "temoin.csv"}]))
    reports = {r.source_id: r for r in refresh_sources(config, store, now=T0)}
    published = [i.event for i in load_programme(store).items if not i.publication.vanished]
    return expected, reports, published


@pytest.mark.parametrize("expect_path", PAIRS, ids=lambda p: p.name.removesuffix(".expect.json"))
def test_hostile_content_pair(project, tmp_path, expect_path):
    expected, reports, published = run_pair(project, tmp_path, expect_path)
    report = reports["hostile"]
    mine = [e for e in published if e.source == "hostile"]
    assert sorted(e.title for e in published if e.source == "temoin") == ["Témoin deux", "Témoin un"]
    assert len(mine) == expected["published"], (report.error, report.rejected, report.warnings)
    assert len(report.rejected) == expected.get("rejected", 0), report.rejected
    assert bool(report.error) == expected.get("failed", False), report.error
    said = "\n".join([report.error, *report.rejected, *report.warnings])
    for message in expected.get("messages", ()):
        assert message in said, said
    for event in mine:  # never a Python representation of a parsed value in place of the text
        assert not any("vText(" in text or "vBroken" in text for text in
                       (event.title, event.description, event.location.name, event.url, event.organiser))
    if "starts_utc" in expected:
        assert sorted(e.start_utc.strftime("%Y-%m-%dT%H:%M:%SZ") for e in mine) == sorted(expected["starts_utc"])


# -- identity ------------------------------------------------------------------

def test_an_id_that_becomes_duplicated_keeps_its_published_version(project, tmp_path):
    header = "id;titre;date_debut;heure_debut;heure_fin;categorie\n"
    (tmp_path / "a.csv").write_text(header + "x;Atelier X;15/11/2022;10:00;11:00;labs\n"
                                    "y;Atelier Y;16/11/2022;10:00;11:00;labs\n", encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)
    (tmp_path / "a.csv").write_text(header + "x;Atelier X;15/11/2022;10:00;11:00;labs\n"
                                    "y;Atelier Y;16/11/2022;10:00;11:00;labs\n"
                                    "y;Atelier Z;17/11/2022;10:00;11:00;labs\n", encoding="utf-8")
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert [r.split(" : ")[0] for r in report.rejected] == ["ligne 3", "ligne 4"]
    items = {i.event.title: i for i in load_programme(store).items}
    assert set(items) == {"Atelier X", "Atelier Y"} and not items["Atelier Y"].publication.vanished
    assert any("Atelier Y" in held for held in report.held)


def test_the_same_event_in_two_sources_is_still_published_once(project, tmp_path):
    row = "id;titre;date_debut;heure_debut;heure_fin;categorie\n{};Forum;15/11/2022;10:00;11:00;labs\n"
    (tmp_path / "a.csv").write_text(row.format("a"), encoding="utf-8")
    (tmp_path / "b.csv").write_text(row.format("b"), encoding="utf-8")
    config, store = open_project(project([{"id": "a", "type": "csv", "path": "a.csv"},
                                          {"id": "b", "type": "csv", "path": "b.csv"}]))
    refresh_sources(config, store, now=T0)
    assert [i.event.source for i in load_programme(store).items] == ["a"]


# -- privacy -------------------------------------------------------------------

PRIVATE_LATER = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n{calendar}"
                 "BEGIN:VEVENT\r\nUID:rdv@x\r\nDTSTAMP:20221101T090000Z\r\nDTSTART:20221115T100000Z\r\n"
                 "DTEND:20221115T110000Z\r\nSUMMARY:Rendez-vous\r\n{event}END:VEVENT\r\n"
                 "BEGIN:VEVENT\r\nUID:conf@x\r\nDTSTAMP:20221101T090000Z\r\nDTSTART:20221116T100000Z\r\n"
                 "DTEND:20221116T110000Z\r\nSUMMARY:Conférence\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("calendar, event", [("", "CLASS:PRIVATE\r\n"), ("", "X-CALENDARSERVER-ACCESS:PRIVATE\r\n"),
                                             ("X-CALENDARSERVER-ACCESS:CONFIDENTIAL\r\n", "")])
def test_an_event_that_becomes_private_is_withdrawn_at_once(project, tmp_path, calendar, event):
    path = tmp_path / "a.ics"
    path.write_text(PRIVATE_LATER.format(calendar="", event=""), encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "ics", "path": "a.ics", "category": "labs"}]))
    refresh_sources(config, store, now=T0)
    assert {i.event.title for i in load_programme(store).items} == {"Rendez-vous", "Conférence"}
    generation = store.generation()
    path.write_text(PRIVATE_LATER.format(calendar=calendar, event=event), encoding="utf-8")
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    titles = {i.event.title for i in load_programme(store).items}
    assert "Rendez-vous" not in titles  # not even as a cancelled copy
    assert not report.error and not report.rejected and any("privé" in w for w in report.warnings)
    assert store.generation() > generation
    if not calendar:
        assert titles == {"Conférence"}


# -- bombs ---------------------------------------------------------------------

def test_rows_past_the_bound_fail_the_source_and_keep_its_last_good_version(project, tmp_path, monkeypatch):
    header = "id;titre;date_debut;heure_debut;heure_fin;categorie\n"
    rows = "".join(f"e{n};Atelier {n};15/11/2022;10:00;11:00;labs\n" for n in range(30))
    (tmp_path / "a.csv").write_text(header + rows[:rows.index("e3;")], encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)
    monkeypatch.setattr("calfeed.adapters.records.MAX_ROWS", 20)
    (tmp_path / "a.csv").write_text(header + rows + "\n" * 500, encoding="utf-8")  # empty rows are not counted
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert "plus de 20 lignes" in report.error
    assert len(load_programme(store).items) == 3


def test_reading_is_bounded_by_the_source_timeout(project, tmp_path):
    header = "id;titre;date_debut;heure_debut;heure_fin;categorie\n"
    (tmp_path / "a.csv").write_text(header + "".join(f"e{n};Atelier {n};15/11/2022;10:00;11:00;labs\n"
                                                     for n in range(2000)), encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv", "timeout": 0.0001}]))
    (report,) = refresh_sources(config, store, now=T0)
    assert "lecture arrêtée après 0.0001 s" in report.error and "timeout" in report.error


def test_a_gzip_bomb_over_http_stops_at_max_bytes_after_decompression(project, tmp_path):
    body = gzip.compress(b"BEGIN:VCALENDAR\r\n" + b" " * (40 * 1024 * 1024), 9)
    with GzipServer(body) as server:
        config, store = open_project(project([{"id": "s", "type": "ics", "url": server.url + "/a.ics",
                                               "max_bytes": 1024 * 1024}]))
        (report,) = refresh_sources(config, store, now=T0)
    assert len(body) < 1024 * 1024 and "réponse trop grosse" in report.error


class GzipServer:
    """A loopback server answering every GET with `body`, sent gzip-encoded."""

    def __init__(self, body: bytes):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# -- truncation ----------------------------------------------------------------

CUT_HEADER = "id;titre;date_debut;heure_debut;heure_fin;categorie;description\r\n"
CUT_ROWS = ("a;Atelier A;15/11/2022;10:00;11:00;labs;Découvrir le design de services\r\n"
            "b;Atelier B;16/11/2022;10:00;11:00;labs;Les données ouvertes au quotidien\r\n")


@pytest.mark.parametrize("cut_at", ["ouvertes au quo", "labs;"])  # inside the last cell, or just before it
def test_a_last_row_cut_inside_an_unquoted_cell_is_held(project, tmp_path, cut_at):
    path = tmp_path / "a.csv"
    path.write_text(CUT_HEADER + CUT_ROWS, encoding="utf-8", newline="")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)
    text = CUT_HEADER + CUT_ROWS
    path.write_text(text[:text.rindex(cut_at) + len(cut_at)], encoding="utf-8", newline="")
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert "ligne (3)" in report.error and "semble coupé" in report.error
    events = {i.event.title: i.event for i in load_programme(store).items}
    assert events["Atelier B"].description == "Les données ouvertes au quotidien"


def test_a_file_without_final_line_end_whose_last_row_changed_otherwise_is_published(project, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text((CUT_HEADER + CUT_ROWS).removesuffix("\r\n"), encoding="utf-8", newline="")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)
    path.write_text((CUT_HEADER + CUT_ROWS.replace("au quotidien", "au quotidien, en pratique")
                     + "c;Atelier C;17/11/2022;10:00;11:00;labs;Nouvel atelier").removesuffix("\r\n"),
                    encoding="utf-8", newline="")
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert report.ok and not report.error and report.events == 3
    path.write_text((CUT_HEADER + CUT_ROWS.replace("au quotidien", "au jour le jour")).removesuffix("\r\n"),
                    encoding="utf-8", newline="")
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=2))
    assert report.ok, report.error


# -- encoding ------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("encoding-latin9-euro-only.csv", "Entrée 5 € pour tous, café offert"),
    ("encoding-latin9-euro-oe.csv", "Entrée 5 € pour les œuvres sociales"),
    ("encoding-cp1252-typographic.csv", "Entrée 5 €, 1½ heure"),
])
def test_western_encodings_are_proved_by_their_bytes(project, tmp_path, name, expected):
    expected_pair, reports, published = run_pair(project, tmp_path, HOSTILE / name.replace(".csv", ".expect.json"))
    assert expected in {e.description for e in published}


def test_an_ambiguous_byte_holds_a_source_already_published(project, tmp_path):
    header = "id;titre;date_debut;heure_debut;heure_fin;categorie;lieu\n"
    path = tmp_path / "a.csv"
    path.write_bytes((header + "a;Forum;15/11/2022;10:00;11:00;labs;Mairie de Créteil\n").encode("iso8859_15"))
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)
    path.write_bytes((header + "a;Forum;15/11/2022;10:00;11:00;labs;L'HAŸ-LES-ROSES\n").encode("iso8859_15"))
    (report,) = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert "encodage ambigu" in report.error and "« ¾ » ou « Ÿ »" in report.error
    assert [i.event.location.name for i in load_programme(store).items] == ["Mairie de Créteil"]


def test_rows_without_id_repeated_in_turns_are_each_their_own_event(project, tmp_path):
    """Without an id, the source states each row as an event: none is merged (see identity.py)."""
    header = "titre;date_debut;heure_debut;heure_fin;categorie;lieu\n"
    rows = ["Atelier;15/11/2022;10:00;11:00;labs;Salle A\n", "Atelier;15/11/2022;10:00;11:00;labs;Salle B\n"] * 3
    (tmp_path / "a.csv").write_text(header + "".join(rows), encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    (report,) = refresh_sources(config, store, now=T0)
    events = [i.event for i in load_programme(store).items]
    assert sorted(e.location.name for e in events) == ["Salle A"] * 3 + ["Salle B"] * 3
    assert len({e.uid for e in events}) == 6 and any("sans identifiant" in w for w in report.warnings)


def test_parallel_sessions_without_id_keep_their_uids_from_one_read_to_the_next(project, tmp_path):
    header = "titre;date_debut;heure_debut;heure_fin;categorie;lieu\n"
    rows = "Atelier;15/11/2022;10:00;11:00;labs;Salle A\nAtelier;15/11/2022;10:00;11:00;labs;Salle B\n"
    (tmp_path / "a.csv").write_text(header + rows, encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "a.csv"}]))
    refresh_sources(config, store, now=T0)

    def by_room():
        return {i.event.location.name: (i.event.uid, i.publication.sequence) for i in load_programme(store).items}
    before = by_room()
    for hours in (1, 2):  # each read is a new body: the sessions are read again, never swapped
        (tmp_path / "a.csv").write_text(header + rows + f"Conférence;16/11/2022;1{hours}:00;18:00;labs;Amphi\n",
                                        encoding="utf-8")
        refresh_sources(config, store, now=T0 + dt.timedelta(hours=hours))
        after = by_room()
        assert {room: after[room] for room in before} == before
