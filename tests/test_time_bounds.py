"""Time as hostile and unusual sources write it (issue 19): recurrences bounded while they run, any date the
format allows published right or rejected alone, zones as the file defines them, spreadsheet dates as typed."""

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from icalendar import Calendar

from calfeed.adapters import recurrence
from calfeed.sources import parse_source
from calfeed.adapters.dates import parse_date
from calfeed.adapters.spreadsheet import parse_slots
from calfeed.config import load_config
from calfeed.errors import EventError
from calfeed.model import EARLIEST, LATEST, Event
from calfeed.render import FeedHeader, Publication, render_calendar
from calfeed.vtimezone import FIRST_CHANGE_YEAR, vtimezone
from helpers import open_project

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def read(project, tmp_path):
    """Parse ICS or CSV text written for the test as a source of `kind`."""
    def read(text, kind="ics", **options):
        name = f"ecrit.{kind}"
        (tmp_path / name).write_text(text, encoding="utf-8")
        path = project([{"id": "essai", "type": kind, "path": name, "category": "labs", **options}])
        config, _ = open_project(path)
        source = config.sources[0]
        return parse_source(source.path.read_bytes(), source, config.taxonomy)
    return read


def calendar(*events: str, extra: str = "") -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//essai//FR\r\n" + extra + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, *lines: str, start="DTSTART;TZID=Europe/Paris:20221114T100000",
           end="DTEND;TZID=Europe/Paris:20221114T110000") -> str:
    body = [f"UID:{uid}", f"SUMMARY:Événement {uid}", start, *([end] if end else []), *lines]
    return "BEGIN:VEVENT\r\n" + "".join(line + "\r\n" for line in body) + "END:VEVENT\r\n"


def starts(parsed, prefix=""):
    return sorted(e.start_utc for e in parsed.events if e.uid.startswith(prefix))


def reasons(items, uid):
    return " ".join(item.reason for item in items if uid in item.where)


# -- recurrences: bounded while they run ------------------------------------------------------------------

def test_the_deadline_interrupts_a_loop_that_never_returns():
    started = time.monotonic()
    with pytest.raises(recurrence.Overrun):
        with recurrence.deadline(0.2):
            while True:
                pass
    assert time.monotonic() - started < 2


def test_the_deadline_never_fires_after_its_block():
    with recurrence.deadline(0.05):
        total = sum(range(1000))
    time.sleep(0.2)  # the timer, cancelled, raises nothing later in this thread
    assert total == 499500


def test_a_library_that_catches_every_exception_cannot_swallow_the_deadline():
    def stubborn():
        while True:
            try:
                sum(range(10_000))
            except Exception:  # what a library might do: Overrun is a BaseException, it passes
                pass
    with pytest.raises(recurrence.Overrun):
        with recurrence.deadline(0.2):
            stubborn()


def test_interval_zero_publishes_its_first_date_at_once(read):
    started = time.process_time()
    parsed = read(calendar(vevent("zero", "RRULE:FREQ=DAILY;INTERVAL=0"), vevent("autre")))
    assert time.process_time() - started < 3
    assert starts(parsed, "zero") == [dt.datetime(2022, 11, 14, 9, tzinfo=dt.UTC)]
    assert "INTERVAL=0 invalide" in reasons(parsed.warnings, "zero")


def test_rules_more_than_24_times_a_day_are_refused_before_expansion(read):
    minutes = ",".join(map(str, range(60)))
    started = time.process_time()
    parsed = read(calendar(vevent("secondes", f"RRULE:FREQ=HOURLY;BYMINUTE={minutes};BYSECOND={minutes}"),
                           vevent("quarts", "RRULE:FREQ=DAILY;COUNT=16;BYHOUR=9,10;BYMINUTE=0,15,30,45"),
                           vevent("demi", "RRULE:FREQ=HOURLY;COUNT=3;BYMINUTE=0,30")))
    assert time.process_time() - started < 3
    assert len(starts(parsed, "secondes")) == 1 and "86400 fois par jour" in reasons(parsed.warnings, "secondes")
    assert len(starts(parsed, "quarts")) == 16  # 8 a day is within the bound
    assert len(starts(parsed, "demi")) == 1 and "trop fréquente" in reasons(parsed.warnings, "demi")


def test_a_bysetpos_past_every_set_is_refused_before_expansion(read):
    started = time.process_time()
    parsed = read(calendar(vevent("dixieme", "RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=10"),
                           vevent("troisieme", "RRULE:FREQ=MONTHLY;COUNT=2;BYDAY=MO,TU;BYSETPOS=3")))
    assert time.process_time() - started < 3
    assert "ne tombe sur aucun jour" in reasons(parsed.warnings, "dixieme")
    assert len(starts(parsed, "troisieme")) == 3  # DTSTART, then the third Monday or Tuesday of two months


def test_an_expansion_over_its_time_is_rejected_alone_naming_the_bound(read, monkeypatch):
    monkeypatch.setattr(recurrence, "EVENT_TIME_LIMIT", 0.3)
    started = time.monotonic()
    parsed = read(calendar(vevent("jamais", "RRULE:FREQ=HOURLY;BYWEEKNO=20;BYMONTH=1"),
                           vevent("chaque-jour", "RRULE:FREQ=DAILY;COUNT=3")))
    assert time.monotonic() - started < 5
    assert len(starts(parsed, "chaque-jour")) == 3
    reason = reasons(parsed.rejected, "jamais")
    assert "« Événement jamais »" in reason and "dépasse 0,3 s" in reason and "0,3 s par événement" in reason


def test_floods_of_listed_dates_and_of_rules_are_rejected_alone(read, monkeypatch):
    monkeypatch.setattr(recurrence, "MAX_LISTED_DATES", 50)
    exdates = ",".join(f"202212{d:02d}T100000" for d in range(1, 31)) + "," + \
        ",".join(f"202301{d:02d}T100000" for d in range(1, 31))
    rules = [f"RRULE:FREQ=DAILY;COUNT=2;BYHOUR={h}" for h in range(11)]
    parsed = read(calendar(vevent("exclusions", "RRULE:FREQ=WEEKLY;COUNT=2", f"EXDATE;TZID=Europe/Paris:{exdates}"),
                           vevent("regles", *rules), vevent("garde")))
    assert [e.uid.split("@")[0] for e in parsed.events] == ["garde"]
    assert "60 dates listées" in reasons(parsed.rejected, "exclusions")
    assert "11 règles de répétition" in reasons(parsed.rejected, "regles")



def test_a_series_cut_at_the_five_year_window_says_so(read):
    """Subscribers would see a yearly series end after five years: the team is told, a short series is not."""
    parsed = read(calendar(vevent("annuel", "RRULE:FREQ=YEARLY;UNTIL=99991231T000000Z"),
                           vevent("court", "RRULE:FREQ=WEEKLY;COUNT=3")))
    assert len(starts(parsed, "annuel")) == 6  # 2022 to 2027: five years from the first date
    assert "la règle continue au-delà" in reasons(parsed.warnings, "annuel")
    assert reasons(parsed.warnings, "court") == "" and len(starts(parsed, "court")) == 3

# -- any date the format allows ---------------------------------------------------------------------------

def test_dates_outside_the_published_years_are_rejected_alone(read):
    parsed = read(calendar(
        vevent("an-un", start="DTSTART;TZID=Europe/Paris:00010615T100000", end="DTEND;TZID=Europe/Paris:00010615T120000"),
        vevent("fin", start="DTSTART;VALUE=DATE:99991231", end=None),
        vevent("debut-gregorien", start="DTSTART;TZID=Europe/Paris:15830615T100000", end=None),
        vevent("belle-epoque", start="DTSTART;TZID=Europe/Paris:19020615T100000", end=None),
        vevent("garde")))
    assert sorted(e.uid.split("@")[0] for e in parsed.events) == ["belle-epoque", "garde"]
    for uid in ("an-un", "fin", "debut-gregorien"):
        assert "hors des limites que publie calfeed" in reasons(parsed.rejected, uid)
    with pytest.raises(EventError, match="hors des limites"):
        Event(uid="x", title="x", start=dt.date(3000, 1, 2), end=dt.date(3000, 1, 3), source="s")
    assert EARLIEST.year == 1902 and LATEST.year == 3000


def test_durations_of_any_size_or_sign(read):
    parsed = read(calendar(vevent("eternel", "DURATION:P999999999D", end=None),
                           vevent("a-rebours", "DURATION:-PT1H", end=None),
                           vevent("dix-ans", "DURATION:P3650D", end=None),
                           vevent("garde")))
    assert "durée trop longue" in reasons(parsed.rejected, "eternel")
    assert "durée négative" in reasons(parsed.rejected, "a-rebours")
    [long] = [e for e in parsed.events if e.uid.startswith("dix-ans")]
    assert long.start_utc == dt.datetime(2022, 11, 14, 9, tzinfo=dt.UTC) and long.end - long.start == dt.timedelta(3650)


def test_a_date_rdate_in_a_timed_series_takes_the_series_time(read):
    parsed = read(calendar(vevent("mixte", "RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=DATE:20221116",
                                  "EXDATE;VALUE=DATE:20221121")))
    assert starts(parsed) == [dt.datetime(2022, 11, 14, 9, tzinfo=dt.UTC), dt.datetime(2022, 11, 16, 9, tzinfo=dt.UTC)]


@pytest.mark.parametrize("tzid", ["America/New_York", "America/Mexico_City", "Europe/Paris", "Australia/Lord_Howe",
                                  "Asia/Kolkata", "Africa/Casablanca", "America/Sao_Paulo"])
@pytest.mark.parametrize("first_year", [1583, 1950, 1995, 2006, 2022])
def test_the_vtimezone_is_right_for_every_instant_from_its_first_year(tzid, first_year):
    """The VTIMEZONE, read back by icalendar (dateutil), gives zoneinfo's offset every 9 days and at each change."""
    text = calendar(extra=vtimezone(tzid, first_year).to_ical().decode())
    written = Calendar.from_ical(text).walk("VTIMEZONE")[0].to_tz()
    zone = ZoneInfo(tzid)
    moment, end = dt.datetime(first_year, 1, 1, 12), dt.datetime(2040, 1, 1)
    wrong = []
    while moment < end:
        for local in (moment, moment + dt.timedelta(hours=3)):
            if local.replace(tzinfo=zone).utcoffset() != local.replace(tzinfo=written).utcoffset() and \
                    local.replace(tzinfo=zone, fold=1).utcoffset() == local.replace(tzinfo=zone).utcoffset():
                wrong.append(local)  # (a wall time that happens twice or never is no test of the file)
        moment += dt.timedelta(days=9)
    assert not wrong[:5], f"{tzid} from {first_year}: {len(wrong)} wrong, first {wrong[:5]}"


def test_no_zone_changes_before_the_first_change_year():
    """vtimezone() scans from FIRST_CHANGE_YEAR: no zone of the tz database may change earlier."""
    changed = []
    for tzid in sorted(available_timezones()):
        zone = ZoneInfo(tzid)
        states = {(dt.datetime(year, 6, 1, tzinfo=dt.UTC).astimezone(zone).utcoffset())
                  for year in range(1583, FIRST_CHANGE_YEAR + 1, 7)}
        if len(states) > 1:
            changed.append(tzid)
    assert not changed


def test_a_feed_holding_events_before_their_zones_last_rule_change_renders():
    taxonomy = load_config(ROOT / "sources.yaml").taxonomy
    events = [Event(uid=f"{zone}-{year}@essai", title=zone, start=dt.datetime(year, 4, 2, 15, tzinfo=ZoneInfo(zone)),
                    end=dt.datetime(year, 4, 2, 17, tzinfo=ZoneInfo(zone)), source="essai", timezone=zone,
                    category="labs")
              for zone, year in (("America/New_York", 2006), ("America/Mexico_City", 2022), ("Europe/Paris", 1995),
                                 ("Europe/Paris", 1905))]
    publication = Publication(0, dt.datetime(2022, 11, 1, tzinfo=dt.UTC))
    data = render_calendar(FeedHeader("Essai", "Essai"), [(e, publication) for e in events], taxonomy)
    parsed = {str(c["UID"]): c.decoded("DTSTART") for c in Calendar.from_ical(data).walk("VEVENT")}
    for event in events:
        assert parsed[event.uid].astimezone(dt.UTC) == event.start_utc
    assert b"DTSTART:19050402T145039Z" in data  # a local mean time (+00:09:21) is written as its instant


# -- zones as the file defines them -----------------------------------------------------------------------

CUSTOM = ("BEGIN:VTIMEZONE\r\nTZID:Heure de Boston\r\nBEGIN:STANDARD\r\nDTSTART:19671029T020000\r\n"
          "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n"
          "BEGIN:DAYLIGHT\r\nDTSTART:19870405T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nTZOFFSETFROM:-0500\r\n"
          "TZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def test_a_zone_the_file_defines_is_expanded_with_its_own_rules(read):
    parsed = read(calendar(vevent("boston", "RRULE:FREQ=WEEKLY;COUNT=4", start="DTSTART;TZID=Heure de Boston:20221019T120000",
                                  end="DTEND;TZID=Heure de Boston:20221019T130000"), extra=CUSTOM))
    assert starts(parsed) == [dt.datetime(2022, 10, 19, 16, tzinfo=dt.UTC), dt.datetime(2022, 10, 26, 16, tzinfo=dt.UTC),
                              dt.datetime(2022, 11, 2, 16, tzinfo=dt.UTC), dt.datetime(2022, 11, 9, 17, tzinfo=dt.UTC)]
    assert all(e.end - e.start == dt.timedelta(hours=1) for e in parsed.events)


@pytest.mark.filterwarnings("ignore::UserWarning")  # icalendar warns when it guesses a vendor-prefixed TZID
def test_windows_and_prefixed_names_are_mapped(read):
    parsed = read(calendar(
        vevent("outlook", "RRULE:FREQ=WEEKLY;COUNT=3", start="DTSTART;TZID=Eastern Standard Time:20221026T090000",
               end=None),
        vevent("mozilla", "RRULE:FREQ=WEEKLY;COUNT=3", start="DTSTART;TZID=/mozilla.org/20050126_1/America/New_York:"
                                                            "20221027T090000", end=None)))
    for event in parsed.events:
        assert str(event.start.tzinfo) == "America/New_York" and event.start.hour == 9


def test_a_time_without_zone_is_read_in_its_start_zone(read):
    parsed = read(calendar(vevent("toronto", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20221117T180000",
                                  start="DTSTART;TZID=America/Toronto:20221116T180000", end="DTEND:20221116T193000")))
    assert starts(parsed) == [dt.datetime(2022, 11, 16, 23, tzinfo=dt.UTC), dt.datetime(2022, 11, 18, 23, tzinfo=dt.UTC)]
    assert all(e.end - e.start == dt.timedelta(minutes=90) for e in parsed.events)


# -- spreadsheet dates as typed ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("mardi 15/11/2022", dt.date(2022, 11, 15)), ("mar. 15 nov. 2022", dt.date(2022, 11, 15)),
    ("Mardi, 15 novembre 2022", dt.date(2022, 11, 15)), ("15/11", dt.date(2022, 11, 15)),
    ("mardi 15 novembre", dt.date(2022, 11, 15)), ("1er décembre", dt.date(2022, 12, 1)),
])
def test_dates_as_people_type_them(text, expected):
    assert parse_date(text, 2022) == expected


def test_a_wrong_weekday_or_a_missing_year_is_said():
    with pytest.raises(EventError, match="le 15/11/2022 est un mardi, pas un mercredi"):
        parse_date("mercredi 15/11/2022")
    with pytest.raises(EventError, match="date sans année"):
        parse_date("15/11")


def test_two_slots_in_one_cell():
    assert parse_slots("9h-12h / 14h-17h") == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(17))]
    assert parse_slots("de 10h à 12h et de 14h à 16h30") == [(dt.time(10), dt.time(12)), (dt.time(14), dt.time(16, 30))]
    assert parse_slots("14h00 - 16h30") == [(dt.time(14), dt.time(16, 30))]


def test_spreadsheet_rows_take_the_edition_year_and_name_the_cell(read):
    text = ("Titre;Date;Horaires\nSans année;18/11;9h30-11h\nDeux créneaux;lundi 21 novembre;9h-12h / 14h-17h\n"
            "Jour faux;mercredi 22/11/2022;10h\n")
    parsed = read(text, kind="csv")
    assert [(e.title, e.start) for e in sorted(parsed.events, key=lambda e: e.start)] == [
        ("Sans année", dt.datetime(2022, 11, 18, 9, 30, tzinfo=PARIS)),
        ("Deux créneaux", dt.datetime(2022, 11, 21, 9, tzinfo=PARIS)),
        ("Deux créneaux", dt.datetime(2022, 11, 21, 14, tzinfo=PARIS))]
    assert [(r.where, r.reason[:18]) for r in parsed.rejected] == [("ligne 4", "cellule « Date » :")]
