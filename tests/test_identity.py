"""Identity kept by the store, and what only an organiser may do: cancel (issue 18)."""

import dataclasses
import datetime as dt

from calfeed.sources import parse_source
from calfeed.cli import cli
from calfeed.model import legacy_uid
from calfeed.publish import load_programme, publish_events
from calfeed.refresh import refresh_sources
from helpers import open_project, parse_feed

T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)
HEADER = "id;titre;date_debut;heure_debut;heure_fin;lieu;categorie\n"


def write_csv(folder, rows, name="agenda.csv"):
    (folder / name).write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")


def programme(store):
    return {item.event.uid: item for item in load_programme(store).items}


def by_title(store):
    found = {}
    for item in load_programme(store).items:
        found.setdefault(item.event.title, []).append(item)
    return found


def test_keys_are_exact_and_coexisting_events_are_never_merged(project, tmp_path):
    write_csv(tmp_path, ["A1;Atelier majuscule;15/11/2022;10:00;12:00;Salle 1;labs",
                         "a1;Atelier minuscule;15/11/2022;10:00;12:00;Salle 1;labs",
                         "s1;Session parallèle;16/11/2022;10:00;12:00;Salle 1;labs",
                         "s2;Session parallèle;16/11/2022;10:00;12:00;Salle 2;labs",
                         ";Sans identifiant;17/11/2022;10:00;12:00;Salle 1;labs",
                         ";Sans identifiant;17/11/2022;10:00;12:00;Salle 1;labs"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    titles = by_title(store)
    assert len(titles["Atelier majuscule"]) == len(titles["Atelier minuscule"]) == 1
    assert len(titles["Session parallèle"]) == 2 and len(titles["Sans identifiant"]) == 2
    assert len(programme(store)) == 6  # six UIDs for six events


def test_new_uids_depend_on_nothing_in_sources_yaml_and_never_collide(project, tmp_path):
    """Two spreadsheets both number their rows from 1: two events, two UIDs, the same on any install."""
    write_csv(tmp_path, ["1;Atelier A;15/11/2022;10:00;12:00;Lyon;labs"], name="un.csv")
    write_csv(tmp_path, ["1;Atelier B;15/11/2022;10:00;12:00;Brest;labs"], name="deux.csv")
    uids = []
    for names in (("un", "deux"), ("premier", "second")):  # a fresh install, its sources named otherwise
        config, store = open_project(project([{"id": names[0], "type": "csv", "path": "un.csv"},
                                              {"id": names[1], "type": "csv", "path": "deux.csv"}]))
        refresh_sources(config, store, now=T0)
        uids.append(sorted(programme(store)))
        store.close()
        for extra in ("", "-wal", "-shm"):
            (tmp_path / "store" / f"calfeed.sqlite{extra}").unlink(missing_ok=True)
    assert len(uids[0]) == 2 and uids[0] == uids[1]
    assert all(uid.endswith("@calfeed") for uid in uids[0])


def test_a_store_in_service_keeps_every_uid_it_published(project, tmp_path):
    """Before identities were kept, a UID was `<slug>@<source>.calfeed`: the upgraded store keeps them."""
    write_csv(tmp_path, ["Atelier-1;Atelier A;15/11/2022;10:00;12:00;Lyon;labs",
                         "ATELIER-1;Atelier A bis;15/11/2022;14:00;16:00;Lyon;labs",
                         ";Sans identifiant;16/11/2022;10:00;12:00;Lyon;labs"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    [source] = config.sources
    parsed = parse_source((tmp_path / "agenda.csv").read_bytes(), source, config.taxonomy)
    # What an older calfeed stored: events under its UIDs, one of the two ids differing by case merged.
    old = [dataclasses.replace(e, uid=legacy_uid(e.uid, "s", e)) for e in parsed.events if e.title != "Atelier A bis"]
    assert {e.uid for e in old} == {"atelier-1@s.calfeed", legacy_uid(parsed.events[2].uid, "s", parsed.events[2])}
    with store.transaction() as db:
        store.record_fetch(db, "s", T0, 1)
        store.save_snapshot(db, "s", T0, [e.to_json() for e in old], [], [])
    publish_events(config, store, now=T0)
    with store.transaction() as db:
        db.execute("DELETE FROM identities")  # an older store had none
    before = {uid: (item.publication.sequence, item.vevent) for uid, item in programme(store).items()}

    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))  # read again, with natural keys
    after = programme(store)
    assert {uid: (item.publication.sequence, item.vevent) for uid, item in after.items() if uid in before} == before
    assert len(after) == 3  # the event the old slug merged is published on its own now


def test_a_changed_event_says_when_and_what_changed(project, tmp_path):
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;Salle 1;labs", "b;Atelier B;16/11/2022;10:00;12:00;Salle 1;labs"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    assert "Mis à jour" not in str(parse_feed(b"BEGIN:VCALENDAR\r\n" + b"".join(
        i.vevent for i in programme(store).values()) + b"END:VCALENDAR\r\n"))
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;14:00;16:00;Salle 1;labs", "b;Atelier B;16/11/2022;10:00;12:00;Salle 2;labs"])
    refresh_sources(config, store, now=dt.datetime(2022, 11, 11, 23, 30, tzinfo=dt.UTC))  # the 12th in Paris
    events = {item.event.title: item for item in programme(store).values()}
    feed = parse_feed(b"BEGIN:VCALENDAR\r\n" + b"".join(i.vevent for i in events.values()) + b"END:VCALENDAR\r\n")
    descriptions = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in feed.values()}
    assert descriptions["Atelier A"].endswith("Mis à jour le 12 novembre 2022 : nouvel horaire")
    assert descriptions["Atelier B"].endswith("Mis à jour le 12 novembre 2022 : nouveau lieu")
    assert events["Atelier A"].publication.change == (dt.date(2022, 11, 12), ("horaire",))
    from calfeed.selection import event_key
    from calfeed.web import create_app
    client = create_app({"TESTING": True, "CALFEED_CONFIG": str(config.path), "CALFEED_CHECK_SECONDS": 0}).test_client()
    exported = {e["titre"]: e["mise_a_jour"] for e in client.get("/feeds/tous.json").get_json()["evenements"]}
    assert exported == {"Atelier A": "Mis à jour le 12 novembre 2022 : nouvel horaire",
                        "Atelier B": "Mis à jour le 12 novembre 2022 : nouveau lieu"}
    response = client.get(f"/feeds/evenements/{event_key(events['Atelier A'].event.uid)}.html")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:3000]
    # (pages put a no-break space before « : », as French typography wants)
    assert "Mis à jour le 12 novembre 2022 : nouvel horaire" in page.replace("\u00a0", " ").replace("\u202f", " ")


def test_past_events_are_never_cancelled_and_keep_past_days_prunes_them(project, tmp_path):
    write_csv(tmp_path, ["old;Atelier ancien;01/09/2022;10:00;12:00;Lyon;labs",
                         "past;Atelier passé;05/11/2022;10:00;12:00;Lyon;labs",
                         "next;Atelier à venir;15/11/2022;10:00;12:00;Lyon;labs"])
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}])
    config, store = open_project(path)
    refresh_sources(config, store, now=T0)
    write_csv(tmp_path, ["next;Atelier à venir;15/11/2022;10:00;12:00;Lyon;labs"])  # OpenAgenda lists only what is to come
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    titles = {item.event.title: item.publication.vanished for item in load_programme(store).items}
    assert titles == {"Atelier ancien": False, "Atelier passé": False, "Atelier à venir": False}

    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}],
                                         publish={"keep_past_days": 30}))
    report = publish_events(config, store, now=T0 + dt.timedelta(hours=2))
    assert report.pruned == 1 and report.vanished == 0
    assert {item.event.title for item in load_programme(store).items} == {"Atelier passé", "Atelier à venir"}


def test_an_event_another_source_carries_is_not_cancelled(project, tmp_path):
    write_csv(tmp_path, ["a;Forum;15/11/2022;10:00;12:00;Lyon;labs"], name="un.csv")
    write_csv(tmp_path, ["x-99;Forum;15/11/2022;10:00;12:00;Lyon;labs"], name="deux.csv")
    config, store = open_project(project([{"id": "un", "type": "csv", "path": "un.csv"},
                                          {"id": "deux", "type": "csv", "path": "deux.csv"}]))
    reports = refresh_sources(config, store, now=T0)
    assert len(programme(store)) == 1
    assert any("même événement que dans la source « un »" in note for r in reports for note in r.notes)
    [uid] = programme(store)
    write_csv(tmp_path, [], name="un.csv")
    (tmp_path / "un.csv").write_text(HEADER, encoding="utf-8")
    config, store = open_project(project([{"id": "un", "type": "csv", "path": "un.csv", "allow_empty": True},
                                          {"id": "deux", "type": "csv", "path": "deux.csv"}]))
    refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
    item = programme(store)[uid]
    assert not item.publication.vanished and item.publication.sequence == 0 and item.event.source == "deux"


def test_retire_refuses_a_configured_or_unknown_source(project, tmp_path, runner):
    write_csv(tmp_path, ["a;Forum;15/11/2022;10:00;12:00;Lyon;labs"])
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}])
    result = runner.invoke(cli, ["retire", "s", "--config", str(path)])
    assert result.exit_code == 1 and "encore dans sources.yaml" in result.output
    result = runner.invoke(cli, ["retire", "inconnue", "--config", str(path)])
    assert result.exit_code == 1 and "aucun événement publié de la source « inconnue »" in result.output


def test_check_warns_when_a_feed_nears_what_google_reads(project, tmp_path, runner):
    rows = [f"{n};Atelier {n};{1 + n % 28:02d}/12/2030;10:00;12:00;Lyon;labs" for n in range(900)]
    text = HEADER.replace("categorie", "categorie;description") + "".join(
        f"{row};{'Une description longue. ' * 40}\n" for row in rows)
    (tmp_path / "agenda.csv").write_text(text, encoding="utf-8")
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}])
    result = runner.invoke(cli, ["check", "--config", str(path)])
    assert "l'agenda tous.ics pèse" in result.output and "keep_past_days" in result.output, result.output[-2000:]


def test_a_source_emptied_once_its_events_are_past_is_believed(project, tmp_path):
    """OpenAgenda lists only events to come: after the edition its answer is empty, and nothing is lost."""
    write_csv(tmp_path, ["a;Atelier A;15/11/2022;10:00;12:00;Lyon;labs", "b;Atelier B;16/11/2022;10:00;12:00;Lyon;labs"])
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    refresh_sources(config, store, now=T0)
    before = {uid: item.vevent for uid, item in programme(store).items()}
    (tmp_path / "agenda.csv").write_text(HEADER, encoding="utf-8")
    [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))  # events still to come: held
    assert not report.ok and "ne renvoie plus aucun événement" in report.error
    [report] = refresh_sources(config, store, now=dt.datetime(2022, 12, 1, tzinfo=dt.UTC))  # the edition is over
    assert report.ok and {uid: item.vevent for uid, item in programme(store).items()} == before
