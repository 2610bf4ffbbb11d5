"""VTIMEZONE components generated from the tz database, as RRULE observances every client reads.

icalendar's own generator writes one RDATE list per observance; Thunderbird's parser reads only
the first RDATE value, and so shows summer events an hour off. Here each yearly rule becomes one
observance with an RRULE, one-off transitions become observances of their own, and the result is
sorted so the bytes never depend on the process.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

# What a zone says of an instant: its offset from UTC, daylight saving or not, its abbreviation.
State = tuple[dt.timedelta, bool, str]
# A yearly transition's rule: daylight, offsets from and to, name, then month, weekday, nth weekday, time.
Rule = tuple[bool, dt.timedelta, dt.timedelta, str, int, int, int, dt.time]

LAST_YEAR = 2037  # past this, zoneinfo repeats the zone's current rule
# No zone of the tz database changes before this year (each keeps its local mean time until then; checked by
# test_no_zone_changes_before_the_first_change_year): earlier instants take the zone's first state.
FIRST_CHANGE_YEAR = 1800
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    at: dt.datetime  # UTC instant
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    daylight: bool
    name: str

    @property
    def local(self) -> dt.datetime:
        """The onset as the wall clock read it before the change (RFC 5545's observance DTSTART)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def rule(self) -> Rule:
        local = self.local
        days = calendar.monthrange(local.year, local.month)[1]
        nth = -1 if local.day + 7 > days else (local.day - 1) // 7 + 1
        return (self.daylight, self.offset_from, self.offset_to, self.name,
                local.month, local.weekday(), nth, local.time())


def _state(zone: ZoneInfo, instant: dt.datetime) -> State:
    local = instant.astimezone(zone)
    offset, name = local.utcoffset(), local.tzname()
    if offset is None or name is None:  # a ZoneInfo names both for every aware time: never met
        raise ValueError(f"{zone.key} does not say its offset at {instant}")
    return offset, bool(local.dst()), name


def transitions(tzid: str, first_year: int) -> list[Transition]:
    """Every change of offset or of daylight saving in `tzid` from `first_year` to LAST_YEAR."""
    zone = ZoneInfo(tzid)
    moment = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(days=1)
    found = []
    previous = _state(zone, moment)
    while moment < end:
        following = moment + step
        state = _state(zone, following)
        if state != previous:
            low, high = moment, following  # the change happens in (low, high]
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if _state(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            found.append(Transition(high, previous[0], state[0], state[1], state[2]))
            previous = state
        moment = following
    return found


def _observance(first: Transition, rrule: dict[str, str | int | dt.datetime] | None
                ) -> TimezoneDaylight | TimezoneStandard:
    component = TimezoneDaylight() if first.daylight else TimezoneStandard()
    component.add("DTSTART", first.local)
    component.add("TZOFFSETFROM", first.offset_from)
    component.add("TZOFFSETTO", first.offset_to)
    component.add("TZNAME", first.name)
    if rrule:
        component.add("RRULE", vRecur(rrule))
    return component


@lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int) -> Timezone:
    """The VTIMEZONE of `tzid`, right for every instant from `first_year` on (any year from 1).

    It opens with the zone's state at the start of the scan, so that an instant before the first change
    found still has its offset; every later change is a yearly rule (with UNTIL when the zone changed its
    rules afterwards: New York in 2007, Mexico City in 2022) or an observance of its own.
    """
    zone = Timezone()
    zone.add("TZID", tzid)
    scan_from = max(first_year - 1, FIRST_CHANGE_YEAR)
    begin = dt.datetime(max(min(first_year, scan_from), 1), 1, 2, tzinfo=dt.UTC)
    offset, daylight, name = _state(ZoneInfo(tzid), begin)
    begin -= dt.timedelta(days=1) + min(offset, dt.timedelta(0))  # local midnight of 1 January, even in year 1
    found = transitions(tzid, scan_from)
    observances = []
    year_start = dt.datetime(first_year - 1, 12, 31, tzinfo=dt.UTC) if first_year > 1 else begin
    if not found or found[0].at > year_start:
        # an instant of the first year may precede every change found: the zone's state before them opens
        opening = Transition(begin, offset, offset, daylight, name)
        observances.append((opening.local, _observance(opening, None)))
    runs: dict[Rule, list[list[Transition]]] = {}
    for transition in found:
        key = transition.rule()
        series = runs.setdefault(key, [])
        if series and series[-1][-1].local.year == transition.local.year - 1:
            series[-1].append(transition)
        else:
            series.append([transition])
    for key, series in runs.items():
        month, weekday, nth = key[4], key[5], key[6]
        for run in series:
            if len(run) == 1:
                observances.append((run[0].local, _observance(run[0], None)))
                continue
            rule: dict[str, str | int | dt.datetime] = {"FREQ": "YEARLY", "BYMONTH": month,
                                                        "BYDAY": f"{nth}{WEEKDAYS[weekday]}"}
            if run[-1].local.year < LAST_YEAR:
                # An instant in UTC, as RFC 5545 requires, a day after the last onset: parsers that compare it
                # with the local onset (vobject, dateutil) would otherwise drop that last change.
                rule["UNTIL"] = run[-1].at + dt.timedelta(days=1)
            observances.append((run[0].local, _observance(run[0], rule)))
    for _, observance in sorted(observances, key=lambda item: (item[0], item[1].name)):
        zone.add_component(observance)
    return zone
