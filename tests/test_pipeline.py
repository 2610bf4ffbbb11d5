"""The store and the publishing rules: versions, vanished events, safety of snapshots."""

import datetime as dt
from pathlib import Path

from calfeed.identity import orphan_sources
from calfeed.publish import load_programme, publish_events
from calfeed.refresh import refresh_sources
from helpers import open_project

DATA = Path(__file__).parent / "data"
T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)

CSV_HEADER = "id;titre;date_debut;heure_debut;heure_fin;categorie;statut\n"


def write_csv(folder, rows, name="agenda.csv"):
    (folder / name).write_text(CSV_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")


def items_by_uid(store):
    """The published events by « source:natural key » of the record they come from (their UID is the store's)."""
    keys = {(source, uid): key for (source, key), uid in store.identities().items()}
    return {f"{item.event.source}:{keys[item.event.source, item.event.uid]}": item
            for item in load_programme(store).items}


def test_first_publication_uses_the_reference_time_and_sequence_zero(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    item = items_by_uid(store)["s:a"]
    assert item.publication.sequence == 0
    assert item.publication.modified == config.reference_time.astimezone(dt.UTC)


def test_moved_event_keeps_its_uid_and_gets_a_higher_sequence(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    before = items_by_uid(store)["s:a"]
    write_csv(tmp_path, ["a;Atelier A (nouvelle date);17/11/2022;14:00;16:00;labs;"])
    later = T0 + dt.timedelta(hours=1)
    refresh_sources(config, store, now=later)
    after = items_by_uid(store)["s:a"]
    assert after.publication.sequence == before.publication.sequence + 1
    assert after.publication.modified == later
    assert after.event.start.day == 17
    assert b"SEQUENCE:1\r\n" in after.vevent and b"DTSTAMP:20221110T090000Z\r\n" in after.vevent
    refresh_sources(config, store, now=later + dt.timedelta(hours=1))  # nothing changed since
    assert items_by_uid(store)["s:a"].vevent == after.vevent


def test_cancelled_at_the_source_stays_with_status_and_prefix(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;annulé"])
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    item = items_by_uid(store)["s:a"]
    assert item.publication.sequence == 1
    assert b"STATUS:CANCELLED" in item.vevent and "ANNULÉ – Atelier A".encode() in item.vevent


def test_vanished_event_is_kept_cancelled_for_the_grace_period(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;", "b;Atelier B;16/11/2022;10:00;12:00;labs;"])
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}], publish={"grace_days": 7})
    config, store = open_project(path)
    refresh_sources(config, store, now=T0)
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    refresh_sources(config, store, now=T0 + dt.timedelta(days=1))
    vanished = items_by_uid(store)["s:b"]
    assert vanished.publication.vanished and vanished.publication.sequence == 1
    assert b"STATUS:CANCELLED" in vanished.vevent and "ANNULÉ – ".encode() in vanished.vevent
    refresh_sources(config, store, now=T0 + dt.timedelta(days=6))
    assert "s:b" in items_by_uid(store)
    refresh_sources(config, store, now=T0 + dt.timedelta(days=9))
    assert set(items_by_uid(store)) == {"s:a"}


def test_vanished_event_that_comes_back_is_published_again(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}, ]))
    refresh_sources(config, store, now=T0)
    write_csv(tmp_path, ["z;Autre;15/11/2022;10:00;12:00;labs;"])
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;", "z;Autre;15/11/2022;10:00;12:00;labs;"])
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=2))
    item = items_by_uid(store)["s:a"]
    assert not item.publication.vanished and item.publication.sequence == 2
    assert b"STATUS:CONFIRMED" in item.vevent


def test_an_empty_answer_never_replaces_a_full_snapshot_unless_allowed(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    write_csv(tmp_path, [])
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    assert not report.ok and "ne renvoie plus aucun événement" in report.error
    assert set(items_by_uid(store)) == {"s:a"}
    assert not items_by_uid(store)["s:a"].publication.vanished
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv", "allow_empty": True}]))
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=2))
    assert report.ok and items_by_uid(store)["s:a"].publication.vanished


def test_a_broken_source_keeps_its_last_good_snapshot(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    write_csv(tmp_path, ["b;Atelier B;16/11/2022;10:00;12:00;labs;"], name="autre.csv")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"},
                                          {"id": "t", "type": "csv", "path": "autre.csv"}]))
    refresh_sources(config, store, now=T0)
    (tmp_path / "agenda.csv").write_text("<html>erreur</html>")
    (tmp_path / "autre.csv").unlink()
    reports = {r.source_id: r for r in refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))}
    assert "n'est pas un fichier CSV" in reports["s"].error
    assert "introuvable" in reports["t"].error
    items = items_by_uid(store)
    assert set(items) == {"s:a", "t:b"} and not any(i.publication.vanished for i in items.values())
    assert store.source_state("s").failures == 1
    assert store.fetch_history("t")[0]["error"].startswith("fichier introuvable")


def test_the_same_event_from_two_sources_is_published_once(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier commun;15/11/2022;10:00;12:00;labs;"])
    write_csv(tmp_path, ["x;ATELIER  commun;15/11/2022;10:00;12:00;labs;", "y;Autre;15/11/2022;10:00;12:00;labs;"],
              name="copie.csv")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"},
                                          {"id": "t", "type": "csv", "path": "copie.csv"}]))
    refresh_sources(config, store, now=T0)
    assert set(items_by_uid(store)) == {"s:a", "t:y"}


def test_a_source_removed_from_config_cancels_nothing_until_retired(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    write_csv(tmp_path, ["b;Atelier B;16/11/2022;10:00;12:00;labs;", "p;Atelier passé;09/11/2022;10:00;12:00;labs;"],
              name="autre.csv")
    sources = [{"id": "s", "type": "csv", "path": "agenda.csv"}, {"id": "t", "type": "csv", "path": "autre.csv"}]
    config, store = open_project(project(sources))
    refresh_sources(config, store, now=T0)
    before = items_by_uid(store)
    config, store = open_project(project(sources[:1]))
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    after = items_by_uid(store)
    assert after["t:b"].vevent == before["t:b"].vevent and after["t:p"].vevent == before["t:p"].vevent
    assert orphan_sources(config, store) == {"t": 2}
    report = publish_events(config, store, now=T0 + dt.timedelta(hours=2), retire=["t"])
    assert report.cancelled == [("t", "« Atelier B » (16/11/2022 10:00)")]
    retired = items_by_uid(store)
    assert retired["t:b"].publication.vanished and retired["t:p"].vevent == before["t:p"].vevent
    assert orphan_sources(config, store) == {}


def test_taxonomy_change_rerenders_without_a_new_sequence(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    generation = store.generation()
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}],
                   categories={"labs": {"name": "Labos d'innovation"}})
    config, store = open_project(path)
    publish_events(config, store, now=T0 + dt.timedelta(hours=1))
    item = items_by_uid(store)["s:a"]
    assert "Labos d'innovation".encode() in item.vevent and item.publication.sequence == 0
    assert store.generation() == generation + 1


def test_store_schema_is_versioned_and_migrated(tmp_path):
    """A version-1 database (snapshots as one JSON list per source) is upgraded in place."""
    import json
    import sqlite3

    from calfeed.store import MIGRATIONS, Store
    path = tmp_path / "ancienne.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO sources (id, events_json, event_count) VALUES ('s', ?, 2)",
               (json.dumps([{"uid": "a"}, {"uid": "b"}]),))
    db.commit()
    db.close()
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS) == 6
    assert [json.loads(text)["uid"] for text in store.snapshot("s")] == ["a", "b"]
    store.close()
    assert Store(path).schema_version == len(MIGRATIONS)  # reopening migrates nothing twice


def test_a_new_way_of_hashing_does_not_bump_every_event(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;labs;"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    with store.transaction() as db:  # as left by a calfeed that digested events differently
        db.execute("UPDATE published SET content_hash = 'ancienne-empreinte'")
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    item = items_by_uid(store)["s:a"]
    assert item.publication.sequence == 0 and item.publication.modified == config.reference_time
    assert store.published_versions()[item.event.uid].content_hash != "ancienne-empreinte"
