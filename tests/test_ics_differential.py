"""calfeed's ICS reading against the reference expander, on the test calendars that ship with the installed
`recurring-ical-events` and `icalendar` packages (read from site-packages, never copied here).

For each calendar, in a window of a year from its first start, calfeed's published occurrence instants must
equal the reference's, less the occurrences calfeed leaves out by a documented policy (an event without a
title is rejected, a private one is skipped). Every calendar that still differs is listed below with the
policy that explains it; at least 97 % must agree.
"""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from calfeed.adapters.ics import events_from_ics, private_marker
from calfeed.config import Source, load_config
from calfeed.errors import SourceError

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [Path(recurring_ical_events.__file__).parent / "test" / "calendars",
           Path(icalendar.__file__).parent / "tests" / "calendars"]

# Calendar file name → the calfeed policy (README, « Lecture des calendriers ICS ») that explains the difference.
EXPLAINED = {
    "end_before_start_event.ics": "un événement dont la fin précède le début est rejeté avec son motif, "
                                  "pas retourné (la référence échange début et fin)",
    "issue_132_swapped_start_and_end.ics": "idem : fin avant le début, rejeté avec son motif",
    "issue_201_mixed_datetime_and_date.ics": "un DTSTART date fait un événement « toute la journée », même si "
                                             "DTEND est une date et heure (la référence en fait une heure)",
}


def _key(value, zone: str) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


def _day(value, zone: str) -> dt.date:
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(ZoneInfo(zone)).date()


def left_out_by_policy(component) -> bool:
    """What calfeed leaves out on purpose (README, « Lecture des calendriers ICS »): no title, private."""
    return not str(component.get("SUMMARY") or "").strip() or \
        bool(private_marker(component))


def _reference(data: bytes):
    """The reference occurrences of a calendar in a year from its first start, or None if it cannot tell."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
        starts = [c["DTSTART"].dt for c in calendar.walk("VEVENT")
                  if c.get("DTSTART") is not None and hasattr(c["DTSTART"], "dt")]
        if not starts:
            return None
        first = min(s.replace(tzinfo=None) if isinstance(s, dt.datetime) else dt.datetime.combine(s, dt.time())
                    for s in starts)
        low, high = first - dt.timedelta(days=1), first + dt.timedelta(days=366)
        occurrences = recurring_ical_events.of(calendar).between(low, high)
    except Exception:  # a calendar the reference itself cannot expand says nothing about calfeed
        return None
    zone = str(calendar.get("X-WR-TIMEZONE") or "Europe/Paris")
    return occurrences, low.date(), high.date(), zone


def calendars() -> list[Path]:
    return [path for folder in FOLDERS for path in sorted(folder.glob("*.ics"))]


def compare_all(taxonomy, paths):
    agree, differ = [], {}
    source = Source(id="reference", type="ics", category="labs")
    for path in paths:
        data = path.read_bytes()
        found = _reference(data)
        if not found or not found[0]:
            continue
        occurrences, low, high, zone = found
        theirs = sorted(_key(c["DTSTART"].dt, zone) for c in occurrences
                        if low <= _day(c["DTSTART"].dt, zone) < high and not left_out_by_policy(c))
        try:
            events = events_from_ics(data, source, taxonomy).events
        except SourceError:
            events = []
        ours = sorted(_key(e.start, zone) for e in events if low <= _day(e.start, zone) < high)
        if ours == theirs:
            agree.append(path.name)
        else:
            differ[path.name] = (sorted(set(theirs) - set(ours))[:3], sorted(set(ours) - set(theirs))[:3])
    return agree, differ


@pytest.mark.filterwarnings("ignore::UserWarning")  # icalendar warns when it guesses a vendor-prefixed TZID
def test_a_sample_agrees_with_the_reference_expander():
    """Every fourth calendar (`make test`); the whole corpus is the slow test below."""
    taxonomy = load_config(ROOT / "sources.yaml").taxonomy
    agree, differ = compare_all(taxonomy, calendars()[::4])
    assert len(agree) + len(differ) >= 35, "are the packages' test calendars installed?"
    unexplained = {name: diff for name, diff in differ.items() if name not in EXPLAINED}
    assert not unexplained, f"differences without a policy (missing, extra): {unexplained}"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # icalendar warns when it guesses a vendor-prefixed TZID
def test_calfeed_agrees_with_the_reference_expander():
    taxonomy = load_config(ROOT / "sources.yaml").taxonomy
    agree, differ = compare_all(taxonomy, calendars())
    total = len(agree) + len(differ)
    assert total >= 140, f"only {total} reference calendars found: are the packages' test calendars installed?"
    unexplained = {name: diff for name, diff in differ.items() if name not in EXPLAINED}
    assert not unexplained, f"differences without a policy (missing, extra): {unexplained}"
    assert set(differ) == set(EXPLAINED), f"explained but now agreeing: {set(EXPLAINED) - set(differ)}"
    assert len(agree) / total >= 0.97, f"{len(agree)}/{total} agree"
