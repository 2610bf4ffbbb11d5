"""Each source type on real sample files, awkward cases included."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calfeed.sources import parse_source
from calfeed.errors import SourceError
from helpers import open_project

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def read(project):
    """Parse one file of tests/data as a source of the given type and options."""
    def read(name, kind, **options):
        path = project([{"id": "essai", "type": kind, "path": name, **options}], files=[name])
        config, _ = open_project(path)
        source = config.sources[0]
        return parse_source(source.path.read_bytes(), source, config.taxonomy)
    return read


def by_uid(parsed):
    return {event.uid: event for event in parsed.events}


# -- ICS -----------------------------------------------------------------------

def test_ics_overseas_timezones_keep_their_zone_and_instant(read):
    events = by_uid(read("overseas_timezones.ics", "ics"))
    reunion = events["reunion-atelier@lab.re"]
    assert reunion.timezone == "Indian/Reunion"
    assert reunion.start_utc == dt.datetime(2022, 11, 15, 5, 0, tzinfo=dt.UTC)
    assert reunion.category == "labs" and reunion.location.region == "la-reunion"
    assert reunion.attendance == "presentiel" and reunion.event_type == "atelier"
    guadeloupe = events["guadeloupe-webinaire@region.gp"]
    assert guadeloupe.timezone == "America/Guadeloupe"
    assert guadeloupe.end.astimezone(dt.UTC) == dt.datetime(2022, 11, 22, 23, 30, tzinfo=dt.UTC)
    assert guadeloupe.themes == ("participation-citoyenne",)
    noumea = events["noumea-visio@gouv.nc"]
    # A UTC time is published in the source's zone, same instant.
    assert noumea.timezone == "Europe/Paris"
    assert noumea.start_utc == dt.datetime(2022, 11, 23, 22, 0, tzinfo=dt.UTC)


def test_ics_floating_times_use_x_wr_timezone(read):
    event = read("floating_wr_timezone.ics", "ics", category="collectivites").events[0]
    assert event.timezone == "America/Martinique"
    assert event.start_utc == dt.datetime(2022, 11, 17, 13, 0, tzinfo=dt.UTC)


def test_ics_floating_times_without_x_wr_timezone_use_the_source_zone(project, tmp_path):
    data = (DATA / "floating_wr_timezone.ics").read_bytes().replace(b"X-WR-TIMEZONE:America/Martinique\r\n", b"")
    (tmp_path / "flottant.ics").write_bytes(data)
    config, _ = open_project(project([{"id": "f", "type": "ics", "path": "flottant.ics",
                                       "timezone": "Indian/Reunion"}]))
    source = config.sources[0]
    event = parse_source(source.path.read_bytes(), source, config.taxonomy).events[0]
    assert event.start_utc == dt.datetime(2022, 11, 17, 5, 0, tzinfo=dt.UTC)


def test_ics_recurring_series_is_expanded_with_exdate_and_override(read):
    parsed = read("recurring_weekly.ics", "ics")
    series = sorted((e for e in parsed.events if e.uid.startswith("atelier-hebdo")), key=lambda e: e.start)
    assert [e.start for e in series] == [
        dt.datetime(2022, 11, 3, 14, tzinfo=PARIS),
        dt.datetime(2022, 11, 17, 15, tzinfo=PARIS),  # the override moved this one by an hour
        dt.datetime(2022, 11, 24, 14, tzinfo=PARIS),
    ]
    assert "décalé" in series[1].title
    assert all(e.themes == ("experience-usagers",) for e in series)  # the override inherits the labels
    assert len({e.uid for e in series}) == 3


def test_ics_recurrence_keeps_wall_clock_across_dst(read):
    parsed = read("recurring_weekly.ics", "ics")
    permanence = sorted((e for e in parsed.events if e.uid.startswith("permanence")), key=lambda e: e.start)
    assert [e.start_utc.hour for e in permanence] == [8, 8, 9]  # 10:00 Paris before and after 30 October
    assert all(e.end - e.start == dt.timedelta(hours=1) for e in permanence)


def test_ics_misc_cases(read):
    events = by_uid(read("misc_cases.ics", "ics"))
    outlook = events["outlook-reunion@ministere.gouv.fr"]
    assert outlook.timezone == "Europe/Paris"  # the Windows zone name is mapped to its IANA zone
    assert outlook.start_utc == dt.datetime(2022, 6, 14, 12, 0, tzinfo=dt.UTC)
    timed = events["utc-duree@operateur.fr"]
    assert timed.end - timed.start == dt.timedelta(hours=2, minutes=30)
    assert timed.modified == dt.datetime(2022, 10, 5, 10, 15, tzinfo=dt.UTC)
    assert (timed.location.latitude, timed.location.longitude) == (48.8414, 2.2987)
    assert timed.location.name == "Auditorium, 10 rue de l'Exemple, Paris"
    assert timed.url == "https://operateur.example/conference"
    salon = events["salon-plusieurs-jours@asso.fr"]
    assert (salon.start, salon.end) == (dt.date(2022, 11, 24), dt.date(2022, 11, 26))
    day = events["journee-sans-fin@asso.fr"]
    assert day.end == dt.date(2022, 11, 29)
    assert events["annule@asso.fr"].status == "annule"


def test_ics_broken_events_are_rejected_and_the_rest_kept(read):
    parsed = read("broken_events.ics", "ics")
    assert [e.uid for e in parsed.events] == ["bon@lab.example"]
    reasons = {r.where: r.reason for r in parsed.rejected}
    assert "précède" in reasons["VEVENT UID fin-avant-debut@lab.example"]
    assert "titre" in reasons["VEVENT UID sans-titre@lab.example"]
    assert "VEVENT UID date-illisible@lab.example" in reasons


def test_ics_time_or_period_values_reject_their_event_alone(read):
    """A DTSTART, DTEND or RECURRENCE-ID written as a time without date or as a period (VALUE=TIME, VALUE=PERIOD)
    is neither a day nor an instant: its event is rejected, saying so; the rest of the source is read (the whole
    source used to fail on a TypeError). An Outlook all-day series whose override names its day as a date is
    read as days."""
    parsed = read("time_and_period_values.ics", "ics")
    reasons = {r.where.removeprefix("VEVENT UID "): r.reason for r in parsed.rejected}
    assert reasons == {
        "debut-heure@lab.example": "DTSTART illisible « 100000 » : écrivez une date (AAAAMMJJ) ou une date et heure",
        "debut-periode@lab.example": "DTSTART illisible « 20221115T100000Z/20221115T120000Z » : écrivez une date "
                                     "(AAAAMMJJ) ou une date et heure",
        "fin-heure@lab.example": "DTEND illisible « 120000 » : écrivez une date (AAAAMMJJ) ou une date et heure",
    }
    events = sorted(parsed.events, key=lambda event: event.start_utc)
    assert events[0].uid == "bon@lab.example"
    days = [(event.start, event.end, event.title) for event in events[1:]]
    assert days == [(dt.date(2022, 11, 17), dt.date(2022, 11, 18), "Journée Outlook répétée"),
                    (dt.date(2022, 11, 18), dt.date(2022, 11, 19), "Journée Outlook déplacée"),
                    (dt.date(2022, 11, 19), dt.date(2022, 11, 20), "Journée Outlook répétée")]


def test_ics_bysetpos_zero_publishes_the_first_date_saying_why_in_french(read):
    """BYSETPOS=0 is no position (RFC 5545); dateutil refuses it with an unrelated English message."""
    parsed = read("recurrence_bysetpos_zero.ics", "ics")
    assert [event.start for event in parsed.events] == [dt.datetime(2022, 11, 14, 10, tzinfo=PARIS)]
    [warning] = parsed.warnings
    assert "BYSETPOS=0 invalide" in warning.reason and "UNTIL" not in warning.reason


# -- CSV -----------------------------------------------------------------------

def test_csv_semicolons_bom_french_headers_and_dates(read):
    events = by_uid(read("collectivites_semicolons.csv", "csv"))
    budget = events["budget-participatif"]
    assert budget.start == dt.datetime(2022, 11, 15, 14, 30, tzinfo=PARIS)
    assert budget.end == dt.datetime(2022, 11, 15, 17, 0, tzinfo=PARIS)
    assert budget.location.city == "Lyon" and budget.location.postal_code == "69001"
    assert budget.location.latitude == pytest.approx(45.7676)  # French decimal comma
    assert budget.themes == ("participation-citoyenne",)  # two labels, one theme
    assert budget.category == "collectivites" and budget.attendance == "presentiel"
    assert budget.registration_url == "https://lyon.example/inscription"
    falc = sorted((e for e in events.values() if e.uid.startswith("falc-bis")), key=lambda e: e.start)
    assert [e.start.date() for e in falc] == [dt.date(2022, 11, 16), dt.date(2022, 11, 21)]
    assert falc[0].online_url == "https://visio.example/falc" and falc[0].attendance == "en-ligne"
    forum = events["forum-annule"]
    assert forum.status == "annule" and forum.all_day and forum.themes == ("transition-ecologique",)
    reunion = events["journees-reunion"]
    assert reunion.timezone == "Indian/Reunion"
    assert reunion.start_utc == dt.datetime(2022, 11, 24, 5, 0, tzinfo=dt.UTC)
    assert reunion.end.astimezone(dt.UTC) == dt.datetime(2022, 11, 25, 13, 0, tzinfo=dt.UTC)


def test_csv_commas_iso_dates_and_rejected_rows(read):
    parsed = read("associations_commas.csv", "csv")
    events = by_uid(parsed)
    salon = events["salon-ess"]
    assert salon.title == "Salon de l'ESS, 2e édition"
    assert (salon.start, salon.end) == (dt.date(2022, 11, 24), dt.date(2022, 11, 27))
    assert salon.themes == ("transition-ecologique", "innovation-manageriale")
    trap = events["lien-piege"]
    assert trap.url == "" and trap.status == "complet"  # a javascript: link is never kept
    reasons = {r.where: r.reason for r in parsed.rejected}
    assert set(reasons) == {"ligne 3", "ligne 4", "ligne 5"}
    assert "date impossible" in reasons["ligne 3"]
    assert "titre" in reasons["ligne 4"]
    assert "fondations" in reasons["ligne 5"] and "labs" in reasons["ligne 5"]


def test_csv_long_french_text_survives(read):
    event = read("long_french_text.csv", "csv").events[0]
    assert event.title.startswith("« Innover ensemble »") and "🎉" in event.title
    assert "END:VEVENT\nBEGIN:VEVENT" in event.description
    assert "\\ et \\\\ doublées" in event.description
    assert event.start == dt.datetime(2022, 11, 18, 9, 0, tzinfo=PARIS)


# -- JSON ----------------------------------------------------------------------

def test_json_generic_schema(read):
    parsed = read("generic_events.json", "json")
    events = by_uid(parsed)
    conference = events["dgafp-conference"]
    assert conference.start == dt.datetime(2022, 11, 22, 14, tzinfo=PARIS)
    assert conference.themes == ("transition-ecologique", "innovation-manageriale")
    assert conference.attendance == "hybride" and conference.location.region == "ile-de-france"
    assert conference.modified == dt.datetime(2022, 11, 2, 9, tzinfo=dt.UTC)
    guyane = events["guyane-journee"]
    assert (guyane.start, guyane.end) == (dt.date(2022, 11, 25), dt.date(2022, 11, 26))
    assert guyane.timezone == "America/Cayenne" and guyane.location.name == "Cayenne"
    series = [e for e in parsed.events if e.uid.startswith("series")]
    assert len(series) == 3 and all(e.status == "reporte" for e in series)
    assert len(parsed.rejected) == 2
    assert any("debut" in r.reason for r in parsed.rejected)


def test_json_occurrences_of_another_type_reject_their_event_alone_in_french(read):
    parsed = read("occurrences_not_a_list.json", "json")
    assert [event.title for event in parsed.events] == ["Atelier"]
    [rejected] = parsed.rejected
    assert "« occurrences » doit être une liste d'objets" in rejected.reason and "Error" not in rejected.reason


def test_json_openagenda_preset(read):
    parsed = read("openagenda_export.json", "json", preset="openagenda", category="collectivites")
    events = sorted(parsed.events, key=lambda e: e.start_utc)
    assert len(events) == 4 and not parsed.rejected
    hackathon = events[:2]
    assert [e.start.hour for e in hackathon] == [18, 18]
    assert all(e.category == "labs" and e.themes == ("donnees-numerique",) for e in hackathon)
    assert hackathon[0].registration_url == "mailto:contact@fabrique.example"
    assert "Inscription obligatoire" in hackathon[0].description
    assert hackathon[0].location.postal_code == "59000" and hackathon[0].location.region == "hauts-de-france"
    online = events[2]
    assert online.attendance == "en-ligne" and online.status == "en-ligne"
    assert online.timezone == "Indian/Reunion" and online.start_utc.hour == 8
    assert online.category == "collectivites" and online.event_type == "webinaire"
    cancelled = events[3]
    assert cancelled.status == "annule" and cancelled.event_type == "visite"


@pytest.mark.parametrize("kind, name, body, message", [
    ("ics", "page.ics", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "n'est pas un calendrier iCalendar"),
    ("csv", "page.csv", "<!DOCTYPE html><html><body>Erreur</body></html>", "n'est pas un fichier CSV"),
    ("csv", "mauvais.csv", "nom;jour\nA;1\n", "date_debut"),
    ("json", "page.json", "<html>Erreur</html>", "JSON valide"),
    ("json", "objet.json", '{"total": 3}', "liste d'événements"),
])
def test_a_body_that_is_not_the_source_format_is_refused(project, tmp_path, kind, name, body, message):
    (tmp_path / name).write_text(body)
    config, _ = open_project(project([{"id": "s", "type": kind, "path": name, "category": "labs"}]))
    source = config.sources[0]
    with pytest.raises(SourceError, match=message):
        parse_source(source.path.read_bytes(), source, config.taxonomy)


def test_unknown_values_are_named_in_their_own_gender(read):
    """French agrees the adjective with the vocabulary's noun: « catégorie inconnue », « thème inconnu »."""
    parsed = read("csv_unknown_vocabulary.csv", "csv")
    said = {r.where: r.reason for r in [*parsed.rejected, *parsed.warnings]}
    assert said["ligne 2"].startswith("catégorie inconnue « Fondations »")
    assert said["ligne 3"].startswith("thème inconnu « Jardinage »")
    assert said["ligne 4"].startswith("région inconnue « Atlantide »")
    assert said["ligne 5"].startswith("format inconnu « Télépathie »")
    assert said["ligne 6"].startswith("type inconnu « Banquet »")
    assert said["ligne 7"].startswith("statut inconnu « Perdu »")
    assert not any("(e)" in reason for reason in said.values())
