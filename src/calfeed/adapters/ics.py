"""iCalendar sources (RFC 5545): time zones, floating times, all-day, DURATION, recurrences, STATUS.

Recurrences are expanded by `recurring-ical-events` (RRULE, RDATE periods, EXDATE, overrides with
RANGE=THISANDFUTURE, duplicate UIDs by SEQUENCE, DST) within calfeed's own bounds: no rule more
frequent than hourly, a cap on occurrences per event and per source, a time budget per source.
Producers' quirks are read leniently, and every event that is not published is listed with its reason.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.prop import vBroken, vDDDLists, vDDDTypes

from ..errors import EventError, SourceError
from ..model import check_moment, shown_moment
from ..taxonomy import Taxonomy
from .common import Parsed, Rejected, build_events, clean_text, record_key, require_format
from .parsed import Source
from .decode import decode_text
from .records import Reading
from .zones import check_implied_end, iana_zone, shown, time_of, zoned
from .recurrence import (Budget, Occurrence, as_list, budget_reason, check_listed_dates, end_zones, normalise_rules,
                         occurrences, stamp)
from .vevent import Properties, description_of, geo_of, link_of, private_marker, raw, split_reused_uids

_TIMES = ("DTSTART", "DTEND", "RECURRENCE-ID")
_NO_UID = "sans-uid-"


def events_from_ics(data: bytes, source: Source, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    text, decoding = decode_text(data, charset, source)
    require_format("BEGIN:VCALENDAR" in text[:4096].upper(), source, "un calendrier iCalendar (ICS)", text)
    try:
        calendar = Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises ValueError and friends on broken syntax, quoting the line
        raise SourceError(source.id, "calendrier ICS illisible (syntaxe iCalendar invalide)",
                          detail=str(exc)) from None
    floating_zone = source.timezone
    wr_zone = str(calendar.get("X-WR-TIMEZONE") or "").strip()
    if wr_zone:
        floating_zone = iana_zone(wr_zone) or floating_zone
    parsed = Parsed(warnings=[Rejected("contenu", warning) for warning in decoding])
    groups: dict[str, list[Component]] = {}
    private: dict[str, str] = {}
    calendar_marker = private_marker(calendar)
    reading = Reading(source)
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        reading.row()
        uid = clean_text(component.get("UID")) or f"{_NO_UID}{number}"
        where = f"VEVENT UID {uid}"
        if marker := private_marker(component) or calendar_marker:
            private.setdefault(uid, marker)
            continue
        try:
            _normalise(component, floating_zone, where, parsed.warnings)
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), _known(uid, source)))
            continue
        groups.setdefault(uid, []).append(component)
    _exclude(private, groups, parsed, source)
    split_reused_uids(groups, parsed.warnings)
    _all_day_overrides(groups)
    budget = Budget()
    for uid, components in groups.items():
        where = f"VEVENT UID {uid}"
        if budget.spent and _is_recurring(components):
            parsed.rejected.append(Rejected(where, budget_reason(budget), _known(uid, source)))
            continue
        try:
            _expand(uid, components, floating_zone, source, taxonomy, where, parsed, budget)
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), _known(uid, source)))
        except OverflowError:  # a rule or a listed date that reaches past the year 9999
            parsed.rejected.append(Rejected(where, "une date de l'événement (répétition, RDATE) sort des années 1 à "
                                                   "9999 : corrigez-la", _known(uid, source)))
        except (ValueError, TypeError, AttributeError, KeyError, recurring_ical_events.InvalidCalendar) as exc:
            parsed.rejected.append(Rejected(where, f"propriété illisible ({exc})", _known(uid, source)))
    return parsed


def _exclude(private: dict[str, str], groups: dict[str, list[Component]], parsed: Parsed, source: Source) -> None:
    """Private events (UID → marker) out of `groups`, reported as excluded, not as errors."""
    for uid, marker in private.items():
        groups.pop(uid, None)  # an edit of a private appointment stays private too
        parsed.excluded.append(Rejected(f"VEVENT UID {uid}", f"privé ({marker}) : exclu", _known(uid, source)))
    if private:
        markers = ", ".join(sorted(set(private.values())))
        parsed.warnings.append(Rejected("calendrier", f"{len(private)} événement(s) privé(s) exclu(s) ({markers}) : "
                                                      "jamais publiés, retirés des flux s'ils l'étaient"))


def _known(uid: str, source: Source) -> str:
    """The UID a rejected event would have had (see common.record_key); "" for one without UID of its own."""
    return "" if uid.startswith(_NO_UID) else record_key(uid)


def _normalise(component: Component, floating_zone: str, where: str, warnings: list[Rejected]) -> None:
    """Rewrite one VEVENT so the recurrence library reads it as its producer meant; raise EventError if unusable."""
    ms_all_day = str(component.get("X-MICROSOFT-CDO-ALLDAYEVENT") or "").strip().upper() == "TRUE"
    for name in _TIMES:  # DTSTART first: a DTEND or RECURRENCE-ID without zone is read in its zone
        prop = component.get(name)
        if prop is None:
            continue
        if isinstance(prop, vBroken) or isinstance(prop, list):
            raise EventError(f"{name} illisible « {prop if not isinstance(prop, list) else prop[0]} »")
        if not isinstance(prop.dt, dt.date):  # VALUE=TIME or VALUE=PERIOD: neither a day nor an instant
            raise EventError(f"{name} illisible « {raw(prop)} » : écrivez une date (AAAAMMJJ) ou une date et heure")
        like = time_of(component, "DTSTART") if name != "DTSTART" and component.get("DTSTART") is not None else None
        component[name] = vDDDTypes(zoned(prop.dt, prop.params.get("TZID"), floating_zone, like))
        component[name].params.update({k: v for k, v in prop.params.items() if k not in ("TZID", "VALUE")})
    if component.get("DTSTART") is None:
        raise EventError("DTSTART manquant")
    start = time_of(component, "DTSTART")
    if ms_all_day and _midnight(start) and (component.get("DTEND") is None or _midnight(time_of(component, "DTEND"))):
        for name in _TIMES:  # Outlook's « toute la journée » written as midnight to midnight
            if component.get(name) is not None:
                component[name] = vDDDTypes(_day(time_of(component, name)))
        start = time_of(component, "DTSTART")
    for name in _TIMES:
        if component.get(name) is not None:
            check_moment(time_of(component, name), floating_zone)
    end = time_of(component, "DTEND") if component.get("DTEND") is not None else None
    if end is None:
        check_implied_end(component, start, floating_zone)
    if end is not None:
        if isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            component["DTEND"] = vDDDTypes(dt.datetime.combine(end, dt.time(), start.tzinfo))
        elif not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            end = end.date() if end.time() == dt.time() and end.date() > start else start + dt.timedelta(days=1)
            component["DTEND"] = vDDDTypes(end)
        elif not isinstance(start, dt.datetime) and end == start:
            component["DTEND"] = vDDDTypes(start + dt.timedelta(days=1))  # a one-day event, as its producer meant
        if (written := time_of(component, "DTEND")) < start:
            raise EventError(f"la fin ({shown_moment(written)}) précède le début ({shown_moment(start)})")
    check_listed_dates(component, clean_text(component.get("SUMMARY")))
    _normalise_dates(component, start, floating_zone, where, warnings)
    normalise_rules(component, start, where, warnings)


def _midnight(value: object) -> bool:
    return isinstance(value, dt.datetime) and value.time() == dt.time()


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _normalise_dates(component: Component, start: dt.date, floating_zone: str, where: str,
                     warnings: list[Rejected]) -> None:
    all_day = not isinstance(start, dt.datetime)
    for name in ("EXDATE", "RDATE"):
        entries = component.get(name)
        if entries is None:
            continue
        kept = []
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, vBroken):
                warnings.append(Rejected(where, f"{name} illisible « {entry} » ignoré"
                                         + (" : ces dates ne sont pas exclues" if name == "EXDATE" else "")))
                continue
            tzid = entry.params.get("TZID")
            values = []
            for item in entry.dts:
                value = item.dt
                if isinstance(value, tuple):  # an RDATE PERIOD: start and end, or start and duration
                    first = zoned(value[0], tzid, floating_zone, start)
                    second = value[1] if isinstance(value[1], dt.timedelta) else \
                        zoned(value[1], tzid, floating_zone, start)
                    values.append((first, second))
                    continue
                value = zoned(value, tzid, floating_zone, start)
                if all_day and isinstance(value, dt.datetime):
                    value = value.date()
                elif isinstance(start, dt.datetime) and name == "RDATE" and not isinstance(value, dt.datetime):
                    value = dt.datetime.combine(value, start.time(), start.tzinfo)  # that day, at the series' time
                values.append(value)
            if values:
                kept.append(vDDDLists(values))
        del component[name]
        for entry in kept:
            component.add(name, entry)


def _all_day_overrides(groups: dict[str, list[Component]]) -> None:
    """An Outlook all-day series made of dates: its overrides' RECURRENCE-ID must be dates too."""
    for components in groups.values():
        masters = [c for c in components if c.get("RECURRENCE-ID") is None]
        if masters and not isinstance(time_of(masters[0], "DTSTART"), dt.datetime):
            for component in components:
                rid = component.get("RECURRENCE-ID")
                if rid is not None and isinstance(rid.dt, dt.datetime):
                    component["RECURRENCE-ID"] = vDDDTypes(rid.dt.date())


def _record(component: Component, uid: str, floating_zone: str, where: str,
            warnings: list[Rejected]) -> dict[str, Any]:
    """The flat record of one VEVENT. An optional property that cannot be read is dropped with a warning:
    one broken GEO or LAST-MODIFIED never costs the whole event."""

    props = Properties(component, where, warnings)
    labels: list[str] = []
    for entry in as_list(component.get("CATEGORIES")):
        labels.extend(str(c) for c in getattr(entry, "cats", [entry]))
    status = str(props.one("STATUS") or "").upper()
    nowhere: tuple[float | None, float | None] = (None, None)
    geo = props.optional("GEO", lambda prop: geo_of(prop.latitude, prop.longitude), nowhere)
    organiser = props.optional("ORGANIZER", lambda prop: clean_text(prop.params.get("CN", "")), "")
    online = component.get("CONFERENCE") or component.get("X-GOOGLE-CONFERENCE")
    online = as_list(online)[0] if online else ""
    url = props.optional("URL", lambda prop: link_of(str(prop)), "")
    return {
        "id": uid,
        "title": props.one("SUMMARY"),
        "description": description_of(component, props.one("DESCRIPTION")),
        "location": {"name": props.one("LOCATION"), "latitude": geo[0], "longitude": geo[1]},
        "online_url": str(online),
        "organiser": organiser,
        "labels": labels,
        "url": url,
        "status": {"CANCELLED": "annule"}.get(status, ""),
        "modified": props.optional("LAST-MODIFIED", lambda prop: _modified(prop, floating_zone)),
        "timezone": None,
    }


def _modified(prop: Any, floating_zone: str) -> dt.datetime:  # a vDDDTypes
    value = prop.dt
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return zoned(value, prop.params.get("TZID"), floating_zone).astimezone(dt.UTC)


def _is_recurring(components: Iterable[Component]) -> bool:
    return any(c.get(name) is not None for c in components for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _expand(uid: str, components: Sequence[Component], floating_zone: str, source: Source, taxonomy: Taxonomy,
            where: str, parsed: Parsed, budget: Budget) -> None:
    recurring = _is_recurring(components)
    masters = [c for c in components if c.get("RECURRENCE-ID") is None]
    master_labels = _record(masters[0], uid, floating_zone, where, [])["labels"] if masters else []
    failures: dict[str, int] = {}
    stamps, zones = set(), end_zones(components)
    property_warnings: list[Rejected] = []  # said once per event, not once per occurrence
    found = occurrences(components, budget, where, parsed.warnings, clean_text(components[0].get("SUMMARY")))
    if not found:
        parsed.rejected.append(Rejected(where, "aucune date : toutes les occurrences sont exclues (EXDATE) ou hors "
                                               "des cinq ans lus", _known(uid, source)))
    for occurrence in found:
        component = occurrence.as_component(False)
        start, end = _span(occurrence, component, floating_zone, zones)
        key = stamp(component["RECURRENCE-ID"].dt if component.get("RECURRENCE-ID") is not None else start)
        if key in stamps:  # occurrences moved by a RANGE=THISANDFUTURE override share its RECURRENCE-ID
            key = stamp(start)
        stamps.add(key)
        record = _record(component, f"{uid}-{key}" if recurring else uid, floating_zone, where, property_warnings)
        record["labels"] = record["labels"] or master_labels
        try:
            parsed.events.extend(build_events(record, [(start, end)], source, taxonomy, where, parsed.warnings))
        except EventError as exc:
            failures[str(exc)] = failures.get(str(exc), 0) + 1
    parsed.warnings.extend(dict.fromkeys(property_warnings))
    for reason, count in failures.items():
        parsed.rejected.append(Rejected(where, reason if count == 1 else f"{reason} ({count} occurrences)",
                                        _known(uid, source)))


def _span(occurrence: Occurrence, component: Component, floating_zone: str,
          zones: dict[str | None, dt.tzinfo | None]) -> tuple[dt.date, dt.date]:
    """An occurrence's start and end, each shown in its own zone (a flight leaves New York, lands in Paris)."""
    start, end = shown(occurrence.start, floating_zone), occurrence.end
    if isinstance(end, dt.timedelta):
        end = start + end
    if isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
        end = dt.datetime.combine(end, dt.time(), start.tzinfo)
    rid = component.get("RECURRENCE-ID")
    zone = zones.get(stamp(rid.dt) if rid is not None else None, zones.get(None))
    if isinstance(end, dt.datetime) and zone is not None:
        end = end.astimezone(zone)
    return start, shown(end, floating_zone)
