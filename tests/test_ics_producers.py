"""ICS as real producers write it: quirks read leniently, recurrences within calfeed's bounds,
private appointments kept private, rich text made readable. Nothing dropped without a reason."""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from calfeed.sources import parse_source
from calfeed.adapters import recurrence
from calfeed.adapters.html import html_to_text
from calfeed.errors import SourceError
from helpers import open_project

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def read(project, tmp_path):
    """Parse a tests/data file, or ICS text written for the test, as an ICS source."""
    def read(name=None, text=None, **options):
        if text is not None:
            name = "ecrit.ics"
            (tmp_path / name).write_text(text, encoding="utf-8")
        path = project([{"id": "essai", "type": "ics", "path": name, "category": "labs", **options}],
                       files=[] if text is not None else [name])
        config, _ = open_project(path)
        source = config.sources[0]
        return parse_source(source.path.read_bytes(), source, config.taxonomy)
    return read


def series(parsed, prefix):
    return sorted((e for e in parsed.events if e.uid.startswith(prefix)), key=lambda e: e.start_utc)


def warned(parsed, uid):
    return " ".join(w.reason for w in parsed.warnings if uid in w.where)


def test_empty_rrule_and_date_end_equal_to_start_give_a_one_day_event(read):
    holiday = series(read("producer_quirks.ics"), "ferie-armistice")
    assert [(e.start, e.end) for e in holiday] == [(dt.date(2022, 11, 11), dt.date(2022, 11, 12))]
    assert holiday[0].uid == "ferie-armistice@jours-feries.example"  # a single event keeps its own UID


def test_broken_exdate_drops_that_exclusion_with_a_warning_not_the_event(read):
    parsed = read("producer_quirks.ics")
    daily = series(parsed, "exdate-cassee")
    assert [e.start.day for e in daily] == [14, 15, 16]
    assert "EXDATE illisible" in warned(parsed, "exdate-cassee")


def test_rdate_periods_make_occurrences_with_their_own_length(read):
    spans = [(e.start_utc, e.end - e.start) for e in series(read("producer_quirks.ics"), "rdate-periodes")]
    assert spans == [
        (dt.datetime(2022, 11, 7, 13, tzinfo=dt.UTC), dt.timedelta(hours=1)),
        (dt.datetime(2022, 11, 9, 9, tzinfo=dt.UTC), dt.timedelta(hours=3)),
        (dt.datetime(2022, 11, 16, 13, tzinfo=dt.UTC), dt.timedelta(hours=2)),
    ]


def test_negative_count_beside_until_follows_until_with_a_warning(read):
    parsed = read("producer_quirks.ics")
    assert [e.start.day for e in series(parsed, "count-negatif")] == [21, 22, 23]
    assert "COUNT=-1" in warned(parsed, "count-negatif")


def test_duplicate_uids_keep_the_highest_sequence(read):
    club = series(read("producer_quirks.ics"), "doublon-sequence")
    assert [e.start.day for e in club] == [1, 8, 22]  # the edit's EXDATE removed the 15th
    assert {e.title for e in club} == {"Club lecture"}


def test_this_and_future_override_moves_the_following_occurrences(read):
    workshop = series(read("producer_quirks.ics"), "desormais")
    assert [(e.start.day, e.start.hour) for e in workshop] == [(2, 10), (9, 10), (16, 14), (23, 14)]
    assert len({e.uid for e in workshop}) == 4


def test_daily_rule_anchored_in_utc_keeps_its_instant_across_dst(read):
    daily = series(read("producer_quirks.ics"), "quotidien-utc")
    assert [e.start_utc.hour for e in daily] == [8, 8, 8, 8]
    assert [e.start.hour for e in daily] == [10, 10, 9, 9]  # shown in Paris: the wall clock moves, not the instant


def test_google_export_html_description_becomes_text_with_links(read):
    parsed = read("google_calendar_html.ics")
    workshop = next(e for e in parsed.events if e.title == "Atelier de prototypage rapide")
    assert "<" not in workshop.description
    assert "le site du lab (https://lab.example/inscription)" in workshop.description
    assert "- Atelier & restitution" in workshop.description
    assert workshop.start_utc == dt.datetime(2022, 11, 15, 13, tzinfo=dt.UTC)


def test_private_appointments_are_never_published_nor_named(read):
    for name, count in (("google_calendar_html.ics", 1), ("outlook_exchange.ics", 2)):
        parsed = read(name)
        titles = " ".join(e.title for e in parsed.events)
        assert "Camille" not in titles and "Dominique" not in titles and "Comité restreint" not in titles
        notes = " ".join(str(w) for w in [*parsed.warnings, *parsed.rejected])
        assert f"{count} événement(s) privé(s)" in notes
        assert "Camille" not in notes and "Dominique" not in notes and "Comité" not in notes


def test_outlook_export_windows_zone_alt_description_and_all_day_marker(read):
    events = {e.title: e for e in read("outlook_exchange.ics").events}
    seminar = events["Séminaire innovation de la direction"]
    assert seminar.timezone == "Europe/Paris"
    assert seminar.start_utc == dt.datetime(2022, 11, 18, 8, 30, tzinfo=dt.UTC)
    assert "voir le lien (https://intranet.example/odj)" in seminar.description
    assert "margin" not in seminar.description  # the style sheet is not text
    day = events["Journée de l'innovation publique"]
    assert (day.start, day.end) == (dt.date(2022, 11, 23), dt.date(2022, 11, 24))


def test_html_to_text_keeps_plain_text_and_reads_real_html():
    assert html_to_text("Ateliers <3 et 2 < 5 & co") == "Ateliers <3 et 2 < 5 & co"
    assert html_to_text("Lien : <a href='mailto:lab@example.fr'>écrire</a>") == "Lien : écrire (lab@example.fr)"
    assert html_to_text("<p>Un</p><p>Deux<br>Trois</p><script>alert(1)</script>") == "Un\n\nDeux\nTrois"
    assert html_to_text('<a href="javascript:alert(1)">clic</a>') == "clic"


# -- Bounds (issue 10, point 5) ------------------------------------------------

def calendar(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//Bornes//FR\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, rule: str, start="20221115T100000") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20221001T000000Z\r\nDTSTART;TZID=Europe/Paris:{start}\r\n"
            f"DURATION:PT30M\r\nRRULE:{rule}\r\nSUMMARY:Réunion {uid}\r\nCATEGORIES:Labs\r\nEND:VEVENT\r\n")


def test_minutely_rules_are_refused_with_a_warning(read):
    text = calendar(*(vevent(f"minute-{n}", "FREQ=MINUTELY") for n in range(30)))
    assert len(text.encode()) < 8000
    started = time.monotonic()
    parsed = read(text=text)
    assert time.monotonic() - started < 3
    assert len(parsed.events) == 30  # each event once, at its DTSTART, not 1,000 times
    assert all("FREQ=MINUTELY" in warned(parsed, f"minute-{n}") for n in range(30))


def test_rules_that_never_match_cost_no_time_and_say_so(read):
    text = calendar(*(vevent(f"jamais-{n}", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30") for n in range(5)))
    started = time.process_time()
    parsed = read(text=text)
    assert time.process_time() - started < 2
    for n in range(5):
        assert "ne tombe sur aucun jour" in warned(parsed, f"jamais-{n}")
    assert len(parsed.events) == 5  # the first date (DTSTART) is published, as RFC 5545 says


def test_hourly_rules_are_cut_at_the_caps_with_a_warning(read, monkeypatch):
    monkeypatch.setattr(recurrence, "MAX_OCCURRENCES", 50)
    monkeypatch.setattr(recurrence, "MAX_SOURCE_OCCURRENCES", 120)
    parsed = read(text=calendar(*(vevent(f"heure-{n}", "FREQ=HOURLY") for n in range(4))))
    counts = [len(series(parsed, f"heure-{n}")) for n in range(4)]
    assert counts == [50, 50, 20, 0]
    assert "coupée après 50" in warned(parsed, "heure-0") and "coupée après 20" in warned(parsed, "heure-2")
    assert any("heure-3" in r.where and "120 occurrences" in r.reason for r in parsed.rejected)


def test_time_budget_stops_expansion_with_reasons(read, monkeypatch):
    monkeypatch.setattr(recurrence, "TIME_BUDGET", -1.0)  # already spent: nothing may be expanded
    with pytest.raises(SourceError) as error:
        read(text=calendar(vevent("a", "FREQ=DAILY;COUNT=3"), vevent("b", "FREQ=DAILY;COUNT=3")))
    assert "VEVENT UID a : non lu : le calcul des répétitions de la source dépasse" in str(error.value)
    assert "VEVENT UID b : non lu" in str(error.value)


def test_a_source_whose_every_event_is_rejected_fails(read):
    text = calendar("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20221115T100000Z\r\nEND:VEVENT\r\n",
                    "BEGIN:VEVENT\r\nUID:y\r\nDTSTART:20221116T100000Z\r\nDTEND:20221115T100000Z\r\n"
                    "SUMMARY:À l'envers\r\nEND:VEVENT\r\n")
    with pytest.raises(SourceError) as error:
        read(text=text)
    assert "aucun événement lisible" in str(error.value) and "titre manquant" in str(error.value)
    assert "source « essai »" in str(error.value)


def test_start_and_end_keep_their_own_zones(read):
    flight = ("BEGIN:VEVENT\r\nUID:vol\r\nSUMMARY:Retour de mission\r\nDTSTART;TZID=America/New_York:20221115T180000"
              "\r\nDTEND;TZID=Europe/Paris:20221116T080000\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n")
    events = read(text=calendar(flight)).events
    assert [str(e.start.tzinfo) for e in events] == ["America/New_York"] * 2
    assert [str(e.end.tzinfo) for e in events] == ["Europe/Paris"] * 2
    assert [e.end - e.start for e in events] == [dt.timedelta(hours=8)] * 2


def test_a_series_whose_every_date_is_excluded_is_listed(read):
    text = calendar("BEGIN:VEVENT\r\nUID:exclu\r\nSUMMARY:Tout exclu\r\nDTSTART:20221115T100000Z\r\n"
                    "RRULE:FREQ=DAILY;COUNT=1\r\nEXDATE:20221115T100000Z\r\nEND:VEVENT\r\n",
                    vevent("garde", "FREQ=DAILY;COUNT=1"))
    parsed = read(text=text)
    assert [e.title for e in parsed.events] == ["Réunion garde"]
    assert [(r.where, r.reason[:10]) for r in parsed.rejected] == [("VEVENT UID exclu", "aucune dat")]


def test_single_events_are_not_counted_against_the_repetition_caps(read, monkeypatch):
    monkeypatch.setattr(recurrence, "MAX_SOURCE_OCCURRENCES", 10)
    singles = "".join(f"BEGIN:VEVENT\r\nUID:seul-{n}\r\nDTSTART:202211{10 + n}T100000Z\r\nSUMMARY:Seul {n}\r\n"
                      "END:VEVENT\r\n" for n in range(12))
    parsed = read(text=calendar(vevent("serie", "FREQ=DAILY;COUNT=30"), singles))
    assert len(series(parsed, "seul-")) == 12
    assert len(series(parsed, "serie")) == 10 and "coupée après 10" in warned(parsed, "serie")
