"""The times of an iCalendar source in their zones: IANA, Windows and vendor-prefixed names, zones the file
defines itself, times without zone, and the end an event implies (DURATION, its day, its instant)."""

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Component
from icalendar.prop import vBroken
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ..errors import EventError
from ..model import UTC_KEYS, check_moment, shown_moment


def time_of(component: Component, name: str) -> dt.date:
    """DTSTART, DTEND or RECURRENCE-ID of a VEVENT read by `ics._normalise`, which refuses any other value: a date,
    or a datetime with its zone."""
    value = getattr(component.get(name), "dt", None)
    if not isinstance(value, dt.date):
        raise EventError(f"{name} illisible « {value} »")
    return value


def iana_zone(name: str) -> str | None:
    """The IANA zone a TZID names: itself, a Windows name (« Romance Standard Time »), or a name after a vendor's
    prefix (« /mozilla.org/20050126_1/Europe/Paris », « /softwarestudio.org/Olson_20011030_5/Europe/Paris »)."""
    name = WINDOWS_TO_OLSON.get(name, name)
    parts = name.strip().strip('"').split("/")
    for start in range(len(parts) if name.startswith("/") else 1):
        candidate = "/".join(parts[start:])
        if candidate:
            try:
                ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return candidate
    return None


@overload
def zoned(value: dt.datetime, tzid: str | None, floating_zone: str, like: dt.date | None = None) -> dt.datetime: ...
@overload
def zoned(value: dt.date, tzid: str | None, floating_zone: str, like: dt.date | None = None) -> dt.date: ...
def zoned(value: dt.date, tzid: str | None, floating_zone: str, like: dt.date | None = None) -> dt.date:
    """A date, or a datetime in an IANA zone, UTC, or the zone its file defines for a TZID no IANA name matches
    (expanded with that zone's own rules). A time without zone is read in the zone of `like` (its event's
    start) when there is one, else in the calendar's zone."""
    if not isinstance(value, dt.datetime):
        return value
    known = iana_zone(tzid) if tzid else None
    if value.tzinfo is None:
        if not tzid and isinstance(like, dt.datetime) and like.tzinfo is not None:
            return value.replace(tzinfo=like.tzinfo)
        return value.replace(tzinfo=ZoneInfo(known or floating_zone))
    key = getattr(value.tzinfo, "key", None)
    if key in UTC_KEYS:
        return value.astimezone(dt.UTC)
    if key:
        return value
    if known:  # e.g. a Windows zone name with its own VTIMEZONE: the wall clock is what the author meant
        return value.replace(tzinfo=ZoneInfo(known))
    return value  # the file's own VTIMEZONE: its rules, not the calendar's, decide each occurrence's instant


@overload
def shown(value: dt.datetime, floating_zone: str) -> dt.datetime: ...
@overload
def shown(value: dt.date, floating_zone: str) -> dt.date: ...
def shown(value: dt.date, floating_zone: str) -> dt.date:
    """An instant in UTC, or in a zone the file defines, is shown in the calendar's zone; any other value as it is."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None and not getattr(value.tzinfo, "key", None):
        return value.astimezone(ZoneInfo(floating_zone))
    return value


def check_implied_end(component: Component, start: dt.date, floating_zone: str) -> None:
    """Check the end an event without DTEND has (its DURATION, else its day or its instant), before any library
    computes it: a negative duration would publish a wrong start, a huge one would fail the whole source."""
    duration = component.get("DURATION")
    length = duration.dt if duration is not None and not isinstance(duration, vBroken) else None
    if duration is not None and not isinstance(length, dt.timedelta):
        raise EventError(f"DURATION illisible « {duration} » : écrivez par exemple PT1H30M")
    if length is None:
        length = dt.timedelta(0) if isinstance(start, dt.datetime) else dt.timedelta(days=1)
    written = duration.to_ical().decode() if duration is not None else ""
    if length < dt.timedelta(0):
        raise EventError(f"durée négative (DURATION:{written}) : la fin précéderait le début ; écrivez une durée "
                         "positive ou un DTEND")
    try:
        end = start + length
    except OverflowError:
        if duration is None:  # an all-day event on 31/12/9999: its day ends after the last day Python holds
            raise EventError(f"date hors des limites que publie calfeed ({shown_moment(start)} : ce jour finit "
                             "après le dernier que calfeed publie) : corrigez l'année") from None
        raise EventError(f"durée trop longue (DURATION:{written}) : la fin tomberait après l'an 9999 ; "
                         "corrigez la durée") from None
    check_moment(end, floating_zone)
