"""A year in the life of a programme, as a team lives it (issue 18): the files, the steps, the figures.

Used by tests/test_year_in_life.py, and runnable alone to measure any calfeed (this tree or another on
PYTHONPATH): `python tests/season.py DOSSIER` plays every step in DOSSIER and prints, per step, what a
subscriber's calendar saw change. Every step goes through the command line (click's runner) on real
files; the clock is CALFEED_NOW.
"""

import datetime as dt
import json
import os
import sys
from collections import Counter
from pathlib import Path

import yaml
from click.testing import CliRunner
from icalendar import Calendar

ROOT = Path(__file__).resolve().parent.parent
NOW0 = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)  # during the 2026 edition
NOW1 = dt.datetime(2026, 12, 15, 9, 0, tzinfo=dt.UTC)  # the edition is over; next year's is being prepared

CSV_HEADER = "id;titre;date_debut;heure_debut;heure_fin;lieu;ville;categorie\n"
ATELIERS_2026 = [  # the labs' workshops of the 2026 edition: over by NOW1
    ("1", "Atelier design de services", "05/11/2026", "10:00", "12:00", "Salle A", "Lyon"),
    ("2", "Atelier données ouvertes", "06/11/2026", "14:00", "16:00", "Salle B", "Lyon"),
    ("3", "Atelier facile à lire", "24/11/2026", "10:00", "12:00", "Salle A", "Lyon"),
    ("4", "Atelier sobriété numérique", "26/11/2026", "09:30", "12:30", "Salle C", "Lyon"),
]
ATELIERS_2027 = [  # next year's file: new rows, the same ids (a spreadsheet's row numbers)
    ("1", "Atelier design de services", "04/11/2027", "10:00", "12:00", "Salle A", "Lyon"),
    ("2", "Atelier intelligence artificielle", "05/11/2027", "14:00", "16:00", "Salle B", "Lyon"),
    ("3", "Atelier accessibilité", "09/11/2027", "10:00", "12:00", "Salle A", "Lyon"),
]
PARTENAIRE = [  # another CSV, also numbered from 1: removed, then retired
    ("1", "Visite du fablab", "10/11/2026", "14:00", "16:00", "Fablab", "Brest"),
    ("2", "Rencontre élus et agents", "27/11/2026", "18:00", "20:00", "Mairie", "Brest"),
    ("3", "Forum des agents", "28/11/2026", "09:00", "17:00", "Parc des expositions", "Brest"),
]
CONFERENCES = [  # an Exchange export: UIDs without « @ »
    ("040000008200E00074C5B7101A82E0080000000010A1", "Conférence d'ouverture", "20261103T090000", "20261103T110000",
     "Amphithéâtre"),
    ("040000008200E00074C5B7101A82E0080000000020B2", "Table ronde IA", "20261112T140000", "20261112T160000",
     "Amphithéâtre"),
    ("040000008200E00074C5B7101A82E0080000000030C3", "Conférence RH", "20270112T090000", "20270112T110000", "Salle 1"),
    ("040000008200E00074C5B7101A82E0080000000040D4", "Conférence achats", "20270119T090000", "20270119T110000",
     "Salle 1"),
    ("040000008200E00074C5B7101A82E0080000000050E5", "Conférence de clôture", "20270126T170000", "20270126T190000",
     "Amphithéâtre"),
]
RESEAU = [  # a network's webinars, exported by a tool whose UIDs have « @ »
    (f"webinaire-{n}@outil-a.example", title, day, "Visio")
    for n, (title, day) in enumerate([
        ("Webinaire marchés publics", "20270105T100000"), ("Webinaire télétravail", "20270112T100000"),
        ("Webinaire cybersécurité", "20270119T100000"), ("Webinaire open data", "20270126T100000"),
        ("Webinaire budget vert", "20270202T100000"), ("Webinaire égalité", "20270209T100000")], start=1)
]


def csv_text(rows, category="labs") -> str:
    return CSV_HEADER + "".join(";".join((*row, category)) + "\n" for row in rows)


def ics_text(events, category="Événement") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Organisateur//Export//FR"]
    for uid, title, start, end, place in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title}", f"DTSTART;TZID=Europe/Paris:{start}",
                  f"DTEND;TZID=Europe/Paris:{end}", f"LOCATION:{place}",
                  "DTSTAMP:20261001T000000Z", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def reseau_ics(rows) -> str:
    return ics_text([(uid, title, start, start[:9] + "113000", place) for uid, title, start, place in rows])


def source(source_id, kind, path, **extra):
    return {"id": source_id, "type": kind, "path": path, **extra}


class Season:
    """One programme folder, its sources.yaml, its store and output: each step edits files and runs calfeed."""

    def __init__(self, folder: Path, env: dict | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.runner = CliRunner()
        self.env = dict(env or {})
        self.document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
        self.document["store"] = {"path": "store/calfeed.sqlite"}
        self.document["publish"] = {**(self.document.get("publish") or {}), "base_url": "https://agendas.example"}
        self.document.pop("selections", None)
        self.now = NOW0
        self.feeds: dict[str, bytes] = {}  # the last build's subscribed feeds, by path

    @property
    def config(self) -> Path:
        return self.folder / "sources.yaml"

    def write(self, name: str, text: str):
        (self.folder / name).write_text(text, encoding="utf-8")

    def set_sources(self, sources):
        self.document["sources"] = sources
        self.config.write_text(yaml.safe_dump(self.document, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def run(self, *args):
        """One calfeed command at the scenario's clock: (exit code, all it printed)."""
        from calfeed.cli import cli
        env = {**self.env, "CALFEED_NOW": self.now.isoformat()}
        result = self.runner.invoke(cli, [*args, "--config", str(self.config)], env=env, catch_exceptions=False)
        return result.exit_code, result.output

    def build(self):
        code, output = self.run("build", "--output", str(self.folder / "feeds"), "--no-event-pages")
        out = self.folder / "feeds"
        self.feeds = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.ics"))
                      if not p.relative_to(out).as_posix().startswith(("import/", "evenements/"))}
        return code, output

    def tous(self) -> bytes:
        return self.feeds["tous.ics"]


def events_of(feed: bytes) -> dict[str, dict]:
    """A subscriber's view of a feed: UID → what a client keeps of the event."""
    found = {}
    for component in Calendar.from_ical(feed).walk("VEVENT"):
        found[str(component["UID"])] = {
            "title": str(component["SUMMARY"]), "start": component.decoded("DTSTART"),
            "location": str(component.get("LOCATION", "")), "sequence": int(component.get("SEQUENCE", 0)),
            "status": str(component.get("STATUS", "")), "description": str(component.get("DESCRIPTION", "")),
            "bytes": component.to_ical(),
        }
    return found


def figures(before: bytes, after: bytes) -> dict:
    """What a subscriber's calendar sees between two versions of a feed."""
    old, new = events_of(before), events_of(after)
    # A duplicate is what a subscriber sees twice, « ANNULÉ – » or not: one event under two UIDs.
    groups = Counter((e["title"].removeprefix("ANNULÉ – "), e["start"], e["location"]) for e in new.values())
    return {
        "added": sorted(new[u]["title"] for u in set(new) - set(old)),
        "removed": sorted(old[u]["title"] for u in set(old) - set(new)),
        "changed": sorted(new[u]["title"] for u in set(old) & set(new)
                          if new[u]["sequence"] > old[u]["sequence"] and new[u]["status"] != "CANCELLED"),
        "cancelled": sorted(new[u]["title"] for u in new
                            if new[u]["status"] == "CANCELLED" and old.get(u, {}).get("status") != "CANCELLED"),
        "duplicated": sum(count - 1 for count in groups.values() if count > 1),
    }


def summary(step: dict) -> str:
    return (f"modifiés {len(step['changed'])}, annulés {len(step['cancelled'])}, doublons {step['duplicated']}, "
            f"ajoutés {len(step['added'])}, disparus {len(step['removed'])}")


def play(folder: Path, checkpoint=None) -> list[tuple[str, dict, str]]:
    """Play the whole year; after each step call `checkpoint(name, season, output)` (the test's assertions).
    Returns (step, figures against the previous step, what calfeed printed) for each step."""
    s = Season(folder)
    results = []

    def step(name, output):
        previous = s.previous
        results.append((name, figures(previous, s.tous()), output))
        steps = s.folder / "etapes"
        steps.mkdir(exist_ok=True)
        (steps / f"{name.split()[0]}.ics").write_bytes(s.tous())
        if checkpoint:
            checkpoint(name, s, output)
        s.previous = s.tous()

    # 0. The 2026 edition as first built: the subscriber's snapshot.
    s.write("ateliers.csv", csv_text(ATELIERS_2026))
    s.write("partenaire.csv", csv_text(PARTENAIRE))
    s.write("conferences.ics", ics_text(CONFERENCES))
    s.write("reseau.ics", reseau_ics(RESEAU))
    base = [source("ateliers", "csv", "ateliers.csv"), source("conferences", "ics", "conferences.ics", category="etat"),
            source("reseau", "ics", "reseau.ics", category="etat"), source("partenaire", "csv", "partenaire.csv")]
    s.set_sources(base)
    code, output = s.build()
    s.previous = s.snapshot = s.tous()
    step("0 premier build", output)

    # 1. The team renames a CSV and an ICS source.
    s.now += dt.timedelta(hours=1)
    renamed = [source("ateliers-labs", "csv", "ateliers.csv"),
               source("conf-etat", "ics", "conferences.ics", category="etat"), *base[2:]]
    s.set_sources(renamed)
    step("1 renommage d'une source CSV et d'une source ICS", s.build()[1])

    # 2. The team removes a source from sources.yaml.
    s.now += dt.timedelta(hours=1)
    s.set_sources(renamed[:3])
    step("2 source retirée de sources.yaml", s.build()[1])

    # 3. … and ends it deliberately.
    s.now += dt.timedelta(hours=1)
    code, output = s.run("retire", "partenaire")
    step("3 calfeed retire partenaire", output + s.build()[1])

    # 4. The edition is over: next year's file replaces this year's.
    s.now = NOW1
    s.names = feed_names(s.feeds)
    s.write("ateliers.csv", csv_text(ATELIERS_2027))
    step("4 le fichier de l'an prochain remplace celui de cette année", s.build()[1])

    # 5. The network re-exports from a new tool: new UIDs, and one new event.
    s.now += dt.timedelta(hours=1)
    reexport = [(uid.replace("webinaire-", "evt-").replace("outil-a", "outil-b"), title, day, place)
                for uid, title, day, place in RESEAU]
    reexport.append(("evt-7@outil-b.example", "Webinaire sobriété", "20270216T100000", "Visio"))
    s.write("reseau.ics", reseau_ics(reexport))
    step("5 réexport avec de nouveaux UID et un nouvel événement", s.build()[1])

    # 6. Another source carries one of the conferences under its own UID; then each source drops it in turn.
    s.now += dt.timedelta(hours=1)
    relais = [("relais-conf-rh", "Conférence RH", "20270112T090000", "20270112T110000", "Salle 1")]
    s.write("relais.ics", ics_text(relais))
    with_relais = [*renamed[:3], source("relais", "ics", "relais.ics", category="etat")]
    s.set_sources(with_relais)
    step("6a le même événement dans deux sources sous deux UID", s.build()[1])
    s.now += dt.timedelta(hours=1)
    s.write("conferences.ics", ics_text([c for c in CONFERENCES if c[1] != "Conférence RH"]))
    step("6b la première source ne le publie plus", s.build()[1])
    s.now += dt.timedelta(hours=1)
    s.write("conferences.ics", ics_text(CONFERENCES))
    s.write("relais.ics", ics_text([]))
    s.set_sources([*renamed[:3], source("relais", "ics", "relais.ics", category="etat", allow_empty=True)])
    step("6c la seconde source ne le publie plus", s.build()[1])

    # 7. Every id changed and most rows gone: held until the team accepts it.
    s.now += dt.timedelta(hours=1)
    s.write("reseau.ics", reseau_ics([("nouvel-outil-1@outil-c.example", "Webinaire marchés publics", "20270105T100000",
                                       "Visio"),
                                      ("nouvel-outil-2@outil-c.example", "Webinaire inédit", "20270302T100000",
                                       "Visio")]))
    code, output = s.run("fetch")
    s.fetch_code = code
    step("7a changement massif : tous les identifiants changent, la plupart des lignes disparaissent",
         output + s.build()[1])
    s.now += dt.timedelta(hours=1)
    code, output = s.run("accept", "reseau")
    step("7b calfeed accept reseau", output + s.build()[1])
    return results


def feed_names(feeds: dict[str, bytes]) -> dict[str, str]:
    return {path: str(Calendar.from_ical(data).get("X-WR-CALNAME", "")) for path, data in feeds.items()}


def main(folder: str):
    results = play(Path(folder))
    for name, found, _ in results:
        print(f"{name} : {summary(found)}")
        for key in ("changed", "cancelled", "added", "removed"):
            if found[key]:
                print(f"    {key}: {', '.join(found[key])}")
    (Path(folder) / "figures.json").write_text(json.dumps(
        [{"step": name, **{k: v for k, v in found.items()}} for name, found, _ in results], ensure_ascii=False,
        indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("CALFEED_CONFIG", "")
    main(sys.argv[1])
