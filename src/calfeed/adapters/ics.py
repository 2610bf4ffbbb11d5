"""iCalendar sources (RFC 5545): time zones, floating times, all-day, DURATION, recurrences, STATUS."""

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ..errors import EventError, SourceError
from .common import Parsed, Rejected, build_events, clean_text, record_uid, require_format

# An unbounded rule is expanded this far after its first occurrence, and never past this count:
# enough for any programme, and the same on every run.
HORIZON = dt.timedelta(days=5 * 366)
MAX_OCCURRENCES = 1000


def events_from_ics(data: bytes, source, taxonomy) -> Parsed:
    require_format(b"BEGIN:VCALENDAR" in data[:4096].upper(), source, "un calendrier iCalendar (ICS)", data)
    try:
        calendar = Calendar.from_ical(data.decode("utf-8-sig", "replace"))
    except Exception as exc:  # icalendar raises ValueError and friends on broken syntax
        raise SourceError(source.id, f"calendrier ICS illisible : {exc}") from None
    floating_zone = source.timezone
    wr_zone = str(calendar.get("X-WR-TIMEZONE") or "").strip()
    if wr_zone:
        floating_zone = _iana(wr_zone) or floating_zone
    components = list(calendar.walk("VEVENT"))
    masters, overrides = {}, {}
    parsed = Parsed()
    for number, component in enumerate(components, start=1):
        uid = clean_text(component.get("UID")) or f"sans-uid-{number}"
        if component.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, []).append(component)
        else:
            masters.setdefault(uid, component)
    for uid, component in masters.items():
        where = f"VEVENT UID {uid}"
        known = record_uid(uid, source.id) if component.get("UID") else ""  # sans-uid-N is no identity
        try:
            parsed.events.extend(_expand(uid, component, overrides.get(uid, []), floating_zone, source,
                                         taxonomy, where, parsed.warnings))
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), known))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            parsed.rejected.append(Rejected(where, f"propriété illisible ({exc})", known))
    for uid in overrides.keys() - masters.keys():
        # An occurrence published alone (some servers do): treat it as a single event.
        for component in overrides[uid]:
            where = f"VEVENT UID {uid} (occurrence isolée)"
            try:
                start, end = _span(component, floating_zone)
                stamp = _stamp(_moment(component["RECURRENCE-ID"], floating_zone))
                parsed.events.extend(build_events(_record(component, f"{uid}-{stamp}", floating_zone),
                                                  [(start, end)], source, taxonomy, where, parsed.warnings))
            except (EventError, ValueError, TypeError, KeyError) as exc:
                parsed.rejected.append(Rejected(where, str(exc), record_uid(uid, source.id)))
    return parsed


def _iana(name: str) -> str | None:
    name = WINDOWS_TO_OLSON.get(name, name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _moment(prop, floating_zone: str):
    """A DTSTART-like property as a date, or an aware datetime in an IANA zone."""
    value = prop.dt
    if not isinstance(value, dt.datetime):
        return value
    tzid = prop.params.get("TZID")
    known = _iana(tzid) if tzid else None
    if value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(known or floating_zone))
    key = getattr(value.tzinfo, "key", None)
    if key in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):  # an instant: show it in the calendar's zone
        return value.astimezone(ZoneInfo(floating_zone))
    if key:
        return value
    if known:  # e.g. a Windows zone name with its own VTIMEZONE: the wall clock is what the author meant
        return value.replace(tzinfo=ZoneInfo(known))
    return value.astimezone(ZoneInfo(floating_zone))


def _span(component, floating_zone):
    if component.get("DTSTART") is None:
        raise EventError("DTSTART manquant")
    start = _moment(component["DTSTART"], floating_zone)
    if component.get("DTEND") is not None:
        end = _moment(component["DTEND"], floating_zone)
    elif component.get("DURATION") is not None:
        end = start + component["DURATION"].dt
    elif isinstance(start, dt.datetime):
        end = start
    else:
        end = start + dt.timedelta(days=1)
    if isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
        end = dt.datetime.combine(end, dt.time(), start.tzinfo)
    if not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        end = end.date() if end.time() == dt.time() and end.date() > start else start + dt.timedelta(days=1)
    return start, end


def _stamp(value) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _key(value):
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def _record(component, uid: str, floating_zone: str) -> dict:
    labels = []
    for entry in _as_list(component.get("CATEGORIES")):
        labels.extend(str(c) for c in getattr(entry, "cats", [entry]))
    status = str(component.get("STATUS") or "").upper()
    geo = component.get("GEO")
    organiser = component.get("ORGANIZER")
    modified = component.get("LAST-MODIFIED")
    online = component.get("CONFERENCE") or component.get("X-GOOGLE-CONFERENCE")
    online = _as_list(online)[0] if online else ""
    return {
        "id": uid,
        "title": component.get("SUMMARY"),
        "description": component.get("DESCRIPTION"),
        "location": {
            "name": component.get("LOCATION"),
            "latitude": geo.latitude if geo else None,
            "longitude": geo.longitude if geo else None,
        },
        "online_url": str(online),
        "organiser": organiser.params.get("CN", "") if organiser is not None else "",
        "labels": labels,
        "url": str(component.get("URL") or ""),
        "status": {"CANCELLED": "annule"}.get(status, ""),
        "modified": _moment(modified, floating_zone).astimezone(dt.UTC) if modified is not None else None,
        "timezone": None,
    }


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _expand(uid, master, overrides, floating_zone, source, taxonomy, where, warnings):
    start, end = _span(master, floating_zone)
    record = _record(master, uid, floating_zone)
    if master.get("RRULE") is None and master.get("RDATE") is None:
        return build_events(record, [(start, end)], source, taxonomy, where, warnings)
    duration = end - start
    replaced = {}
    for component in overrides:
        replaced[_key(_moment(component["RECURRENCE-ID"], floating_zone))] = component
    events = []
    for occurrence in _occurrences(master, start, floating_zone):
        stamp = _stamp(occurrence)
        override = replaced.get(_key(occurrence))
        if override is not None:
            o_start, o_end = _span(override, floating_zone)
            o_record = _record(override, f"{uid}-{stamp}", floating_zone)
            o_record["labels"] = o_record["labels"] or record["labels"]
            events.extend(build_events(o_record, [(o_start, o_end)], source, taxonomy,
                                       f"{where} ({stamp})", warnings))
        else:
            events.extend(build_events({**record, "id": f"{uid}-{stamp}"}, [(occurrence, occurrence + duration)],
                                       source, taxonomy, where, warnings))
    return events


def _occurrences(master, start, floating_zone):
    """Every start of a recurring event: RRULE and RDATE, less EXDATE, bounded."""
    all_day = not isinstance(start, dt.datetime)
    anchor = dt.datetime.combine(start, dt.time()) if all_day else start
    rules = rruleset()
    for rule in _as_list(master.get("RRULE")):
        text = rule.to_ical().decode()
        text = _fix_until(text, anchor)
        rules.rrule(rrulestr(text, dtstart=anchor, forceset=False, cache=False))
    for prop, add in (("RDATE", rules.rdate), ("EXDATE", rules.exdate)):
        for entry in _as_list(master.get(prop)):
            for value in entry.dts:
                moment = _moment(value, floating_zone)
                if isinstance(moment, dt.datetime) and all_day:
                    moment = dt.datetime.combine(moment.date(), dt.time())
                elif not isinstance(moment, dt.datetime):
                    moment = dt.datetime.combine(moment, dt.time(), None if all_day else anchor.tzinfo)
                add(moment)
    limit = anchor + HORIZON
    found = []
    for moment in rules:
        if moment > limit or len(found) >= MAX_OCCURRENCES:
            break
        found.append(moment.date() if all_day else moment)
    return found


_UNTIL = re.compile(r"UNTIL=(\d{8})(T\d{6})?(Z?)")


def _fix_until(rule: str, anchor: dt.datetime) -> str:
    """dateutil wants UNTIL in UTC for a zoned DTSTART and floating for a floating one."""
    m = _UNTIL.search(rule)
    if not m:
        return rule
    day, time, utc = m.group(1), m.group(2) or "T235959", m.group(3)
    until = dt.datetime.strptime(day + time, "%Y%m%dT%H%M%S")
    if anchor.tzinfo is not None:
        until = until.replace(tzinfo=dt.UTC if utc else anchor.tzinfo).astimezone(dt.UTC)
        value = until.strftime("%Y%m%dT%H%M%SZ")
    else:
        value = until.strftime("%Y%m%dT%H%M%S")
    return rule[:m.start()] + f"UNTIL={value}" + rule[m.end():]
