"""The only code that writes iCalendar: one event component, one calendar around many."""

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from icalendar import Alarm, Calendar, Event as VEvent, vDuration, vText

from .changes import Change, change_line
from .model import DEFAULT_ZONE, SILENT_STATUSES, UTC_KEYS, Event
from .taxonomy import DIMENSION, DIMENSIONS, Taxonomy
from .vtimezone import vtimezone

PRODID = "-//calfeed//Mois de l'innovation publique//FR"
END_CALENDAR = b"END:VCALENDAR\r\n"
END_EVENT = b"END:VEVENT\r\n"

TITLE_PREFIX = {"annule": "ANNULÉ – ", "reporte": "REPORTÉ – ", "en-ligne": "EN LIGNE – ", "complet": "COMPLET – "}
STATUS_LINE = {"annule": "Cet événement est annulé.",
               "reporte": "Cet événement est reporté : la nouvelle date sera publiée ici.",
               "en-ligne": "Cet événement a lieu désormais en ligne.", "complet": "Cet événement est complet."}
# The code whose text decides the bytes rendered: any change to it renders every stored event again.
RENDERER_FILES = (Path(__file__), Path(__file__).with_name("vtimezone.py"))
# Withdrawn by its organiser, or by the team (calfeed retire): the line says neither.
VANISHED_LINE = "Cet événement a été retiré du programme : considérez-le comme annulé."


@dataclass(frozen=True, slots=True)
class Publication:
    """What a subscriber's client needs to recognise an update: a version and its time."""

    sequence: int
    modified: dt.datetime  # aware; rendered as DTSTAMP and LAST-MODIFIED
    vanished: bool = False
    change: Change = ()  # (date, natures) of the last change subscribers are told of, see change_line


@dataclass(frozen=True)
class FeedHeader:
    """The calendar-level properties of one feed."""

    name: str
    description: str
    timezone: str = DEFAULT_ZONE
    refresh: dt.timedelta = dt.timedelta(hours=1)
    url: str = ""
    subscription: bool = True  # False: the import variant, without calendar name nor refresh hint


def render_key(taxonomy: Taxonomy) -> str:
    """What rendered VEVENT bytes depend on besides the event and its version.

    The versions of calfeed and icalendar, the renderer's own source text and the taxonomy (its
    labels are written in CATEGORIES and DESCRIPTION): when any changes, publishing renders every
    stored event again, keeping its SEQUENCE (the event itself did not change).
    """
    parts = (_package_version("calfeed"), _package_version("icalendar"), _source_digest(RENDERER_FILES),
             repr(taxonomy))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # run from a source tree without installing: the source digest still counts
        return "?"


@lru_cache(maxsize=8)
def _source_digest(paths: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def effective_status(event: Event, publication: Publication) -> str:
    return "annule" if publication.vanished else event.status


class _Text(vText):
    r"""A TEXT value escaped as RFC 5545 (3.3.11) says, and only so.

    icalendar 7's vText first turns a literal backslash-N into a line break (a title
    `C:\New folder` would be read back as `C:` and a new line `ew folder`); this is the one
    place that works around it. `test_icalendar_still_reads_backslash_n_as_a_line_break` fails
    when icalendar stops doing that: this class can then go.
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        return (self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")).encode()


def _tzid(zone: dt.tzinfo | None) -> str | None:
    """The TZID of a time in `zone`: its IANA name; None for UTC or a fixed offset, written as UTC."""
    key = getattr(zone, "key", None)
    return None if key in UTC_KEYS else key


def _moment(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    """DTSTART or DTEND as written: a date, a UTC instant, or a wall clock in its own IANA zone — but a local mean
    time (offset with seconds, Paris before 1911) as its UTC instant: ical.js (Thunderbird) drops the seconds."""
    if isinstance(value, dt.datetime) and (_tzid(value.tzinfo) is None
                                           or (value.utcoffset() or dt.timedelta()).seconds % 60):
        return value.astimezone(dt.UTC)
    return value


def event_component(event: Event, publication: Publication, taxonomy: Taxonomy) -> VEvent:
    """The VEVENT of one event, as every feed publishes it."""
    status = effective_status(event, publication)
    component = VEvent()
    component.add("SUMMARY", _Text(TITLE_PREFIX.get(status, "") + event.title))
    component.add("DTSTART", _moment(event.start))  # each in its own zone: a trip may end in another
    if event.all_day or event.end != event.start:  # RFC 5545 3.8.2.2: a DTEND is after DTSTART; none = an instant
        component.add("DTEND", _moment(event.end))
    component.add("DTSTAMP", publication.modified.astimezone(dt.UTC))
    component.add("UID", _Text(event.uid))
    component.add("SEQUENCE", publication.sequence)
    labels = [name for row in DIMENSIONS if row.in_categories for name in taxonomy.names(row, event)]
    # calendar names carry no year: each event says its edition
    component.add("CATEGORIES", [label for label in (*labels, taxonomy.edition_label(event.start)) if label])
    component.add("CLASS", "PUBLIC")
    if event.online_url and status != "annule":
        component.add("CONFERENCE", event.online_url,
                      parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Rejoindre en ligne"})
    description = describe(event, status, publication.vanished, taxonomy, publication.change)
    if description:  # libical drops an empty DESCRIPTION with an error
        component.add("DESCRIPTION", _Text(description))
    if event.location.latitude is not None and event.location.longitude is not None:
        component.add("GEO", (event.location.latitude, event.location.longitude))
    component.add("LAST-MODIFIED", publication.modified.astimezone(dt.UTC))
    location = place(event, taxonomy)
    if location:
        component.add("LOCATION", _Text(location))
    component.add("STATUS", {"annule": "CANCELLED", "reporte": "TENTATIVE"}.get(status, "CONFIRMED"))
    component.add("TRANSP", "TRANSPARENT")
    link = event.url or event.registration_url or event.online_url
    if link:
        component.add("URL", link, parameters={"VALUE": "URI"})
    component.add("X-MICROSOFT-CDO-BUSYSTATUS", "FREE")
    return component


def describe(event: Event, status: str, vanished: bool, taxonomy: Taxonomy, change: Change = ()) -> str:
    """The DESCRIPTION: the source's text, then what Outlook would otherwise hide (links), then the date
    and nature of the last change."""
    lines = []
    if vanished:
        lines.append(VANISHED_LINE)
    elif status in STATUS_LINE:
        lines.append(STATUS_LINE[status])
    if event.description:
        lines.append(event.description)
    facts = [edition] if (edition := taxonomy.edition_label(event.start)) else []
    if event.organiser:
        facts.append(f"Organisateur : {event.organiser}")
    if kind := " · ".join(name for key in ("type", "format") for name in taxonomy.names(DIMENSION[key], event)):
        facts.append(kind)
    if event.themes:
        facts.append("Thèmes : " + ", ".join(taxonomy.themes.name(t) for t in event.themes))
    facts.extend(f"{row.legend} : {', '.join(names)}" for row in DIMENSIONS  # the further dimensions
                 if not row.event_field and (names := taxonomy.names(row, event)))
    if event.online_url and status != "annule":
        facts.append(f"Rejoindre en ligne : {event.online_url}")
    if event.registration_url:
        facts.append(f"Inscription : {event.registration_url}")
    if event.url:
        facts.append(f"Plus d'informations : {event.url}")
    if facts:
        lines.append("\n".join(facts))
    if change and not vanished:
        lines.append(change_line(change))
    return "\n\n".join(lines)


def place(event: Event, taxonomy: Taxonomy) -> str:
    """The LOCATION line: the place and its address, or the online link for an online event."""
    loc = event.location
    town = " ".join(part for part in (loc.postal_code, loc.city) if part)
    parts = _distinct_parts([part for part in (loc.name, loc.address, town) if part])
    region = taxonomy.regions.name(loc.region) if loc.region else ""
    if region and not any(region in part for part in parts):
        parts.append(region)
    if not parts and event.attendance == "en-ligne":
        return event.online_url or "En ligne"
    text = ", ".join(parts)
    if event.attendance == "hybride" and text:
        text += " (et en ligne)"
    return text


def _distinct_parts(parts: list[str]) -> list[str]:
    """The parts of a place less those another part says (OpenAgenda's `address` holds name and town), by pieces."""
    pieces = [{piece.strip().casefold() for piece in part.split(",")} for part in parts]
    return [part for i, part in enumerate(parts)
            if not any(j != i and pieces[i] <= pieces[j] and (pieces[i] != pieces[j] or j < i)
                       for j in range(len(parts)))]


def alarm_component(minutes: int, all_day: bool = False) -> Alarm:
    """A reminder `minutes` before; all day (from midnight: not 23:30 the evening before), at 9 h, days before."""
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", "Rappel")
    alarm.add("TRIGGER", dt.timedelta(days=-max(1, -(-minutes // 1440)), hours=9) if all_day else dt.timedelta(minutes=-minutes))
    return alarm


def render_event(event: Event, publication: Publication, taxonomy: Taxonomy) -> bytes:
    """The VEVENT bytes of one event: what the store keeps, what feeds are assembled from.

    Written by icalendar, once per version of the event (the store keeps the bytes), so a feed
    costs only the assembly of bytes already rendered.
    """
    return event_component(event, publication, taxonomy).to_ical()


def with_alarm(vevent: bytes, alarm: bytes) -> bytes:
    """Insert a rendered VALARM into a rendered VEVENT (where icalendar puts subcomponents)."""
    return vevent[: -len(END_EVENT)] + alarm + END_EVENT


def _calendar(header: FeedHeader, timezones: dict[str, int]) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    if header.subscription:
        # A TEXT value: icalendar leaves plain strings of X- properties unescaped.
        calendar.add("X-WR-CALNAME", _Text(header.name))
        calendar.add("NAME", _Text(header.name))
        calendar.add("X-WR-CALDESC", _Text(header.description))
        calendar.add("DESCRIPTION", _Text(header.description))
        calendar.add("REFRESH-INTERVAL", header.refresh, parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(header.refresh))
        if header.url:
            calendar.add("SOURCE", header.url, parameters={"VALUE": "URI"})
    calendar.add("X-WR-TIMEZONE", header.timezone)
    for tzid, first_year in sorted(timezones.items()):
        calendar.add_component(vtimezone(tzid, first_year))
    return calendar


def zones_needed(events: Iterable[Event]) -> dict[str, int]:
    """Each TZID the events' starts and ends are written with, with the first year it must cover."""
    zones: dict[str, int] = {}
    for event in events:  # every event of every feed: kept to attribute lookups
        start, end = event.start, event.end
        if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):  # both or neither (Event)
            continue
        year = min(start.year, end.year)
        for moment in (start, end) if start.tzinfo is not end.tzinfo else (start,):
            tzid = _tzid(moment.tzinfo) if _moment(moment) is moment else None
            if tzid and zones.get(tzid, year + 1) > year:
                zones[tzid] = year
    return zones


def render_header(header: FeedHeader, timezones: dict[str, int]) -> bytes:
    """The calendar's opening (properties and VTIMEZONEs), without its closing line."""
    return _calendar(header, timezones).to_ical()[: -len(END_CALENDAR)]


def assemble_chunks(head: bytes, vevents: Iterable[bytes], alarm: bytes = b"") -> Iterator[bytes]:
    """A feed, piece by piece, from a rendered header and rendered events (selected and sorted)."""
    yield head
    if alarm:
        for vevent in vevents:
            yield with_alarm(vevent, alarm)
    else:
        yield from vevents
    yield END_CALENDAR


def render_calendar(header: FeedHeader, items: list[tuple[Event, Publication]], taxonomy: Taxonomy,
                    alarm_minutes: int = 0) -> bytes:
    """The plain renderer: one icalendar object for the whole feed (the tests hold `assemble_chunks` to it).

    `items` is a sorted list of (Event, Publication).
    """
    calendar = _calendar(header, zones_needed(event for event, _ in items))
    for event, publication in items:
        component = event_component(event, publication, taxonomy)
        if alarm_minutes and ("annule" if publication.vanished else event.status) not in SILENT_STATUSES:
            component.add_component(alarm_component(alarm_minutes, event.all_day))
        calendar.add_component(component)
    return calendar.to_ical()
