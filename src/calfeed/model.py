"""The one event model every source is normalised into, and its invariants."""

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .errors import EventError
from .text import fold, slugify

ATTENDANCES = ("presentiel", "en-ligne", "hybride")
# The instants calfeed publishes, those every client checked shows right (clientcheck, Thunderbird): from 1902
# (libical, Evolution's reader, turns any earlier instant into 1969-12-31, the 32-bit time limit being 1901-12-13;
# Thunderbird shows the year 1 as 1901) to the year 3000 (Thunderbird drops a whole calendar holding a date in
# 9998). Python holds the years 1 to 9999.
EARLIEST = dt.datetime(1902, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
# The zone names that mean UTC itself: an instant in one of them is written as UTC (…Z).
UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Universal"})
# The zone a programme is published in when `publish.timezone` does not say (config reads it; every page,
# feed and preview then takes the configured one).
DEFAULT_ZONE = "Europe/Paris"
STATUS_SLUGS = ("confirme", "annule", "reporte", "en-ligne", "complet")
SILENT_STATUSES = ("annule", "reporte")  # no reminder (?rappel=): the event will not take place on its date


@dataclass(frozen=True, slots=True)
class Location:
    name: str = ""
    address: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""  # a region slug, see taxonomy.REGIONS
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence of one event of the programme.

    `start`/`end` are timezone-aware datetimes, or dates for an all-day event
    (then `end` is exclusive, as in iCalendar). `timezone` is the IANA zone the
    event is published in.
    """

    uid: str
    title: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    source: str
    timezone: str = DEFAULT_ZONE
    description: str = ""
    location: Location = field(default_factory=Location)
    online_url: str = ""
    attendance: str = ""  # one of ATTENDANCES, or "" when the source does not say
    organiser: str = ""
    category: str = ""
    themes: tuple[str, ...] = ()
    event_type: str = ""
    url: str = ""
    registration_url: str = ""
    status: str = "confirme"
    modified: dt.datetime | None = None  # as the source states it, if it does
    # Dimensions of the vocabulary table beyond the fields above (taxonomy.DIMENSIONS rows without a
    # `field`): (key, slugs) pairs, by key, none empty. Stored only when present, so that an event without
    # them keeps its JSON, its digest and its SEQUENCE.
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise EventError("titre manquant")
        if not self.uid:
            raise EventError("identifiant manquant")
        if isinstance(self.start, dt.datetime) != isinstance(self.end, dt.datetime):
            raise EventError("début et fin doivent être tous deux des dates, ou tous deux des dates et heures")
        if isinstance(self.start, dt.datetime) and isinstance(self.end, dt.datetime) and \
                (self.start.tzinfo is None or self.end.tzinfo is None):
            raise EventError("heure sans fuseau horaire")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        check_moment(self.start, self.timezone)
        check_moment(self.end, self.timezone)
        if self.end < self.start or (self.all_day and self.end == self.start):
            raise EventError(f"la fin ({shown_moment(self.end)}) précède le début ({shown_moment(self.start)})")
        if self.attendance and self.attendance not in ATTENDANCES:
            raise EventError(f"format inconnu « {self.attendance} »")
        if self.status not in STATUS_SLUGS:
            raise EventError(f"statut inconnu « {self.status} »")
        if self.facets:
            object.__setattr__(self, "facets", _canonical_facets(self.facets))

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def start_utc(self) -> dt.datetime:
        """The start instant, for sorting; an all-day event starts at midnight in its zone."""
        if isinstance(self.start, dt.datetime):
            return self.start.astimezone(dt.UTC)
        return dt.datetime.combine(self.start, dt.time(), ZoneInfo(self.timezone)).astimezone(dt.UTC)

    def sort_key(self) -> tuple[dt.datetime, str, str]:
        return (self.start_utc, fold(self.title), self.uid)

    def match_key(self) -> tuple[str, dt.datetime, str]:
        """What makes two events the same to a subscriber, whatever their identifiers: title, start and place.

        Two sources carrying one event, or one source re-exported under new identifiers, agree on it."""
        place = " ".join(part for part in (self.location.name, self.location.address, self.location.postal_code,
                                           self.location.city) if part)
        return (" ".join(fold(self.title).split()), self.start_utc, " ".join(fold(place).split()))

    def end_utc(self) -> dt.datetime:
        """The end instant; an all-day event ends at midnight (exclusive) in its zone."""
        if isinstance(self.end, dt.datetime):
            return self.end.astimezone(dt.UTC)
        return dt.datetime.combine(self.end, dt.time(), ZoneInfo(self.timezone)).astimezone(dt.UTC)

    def facet(self, key: str) -> tuple[str, ...]:
        """The slugs of the further dimension `key` (see `facets`)."""
        return dict(self.facets).get(key, ())

    def to_json(self) -> str:
        """The event as canonical JSON text: what the store keeps and what `content_hash` digests."""
        return json.dumps(event_to_dict(self), ensure_ascii=False, sort_keys=True)


def _canonical_facets(facets: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Facets by key, without empty ones; each value once, in the source's order."""
    found: dict[str, tuple[str, ...]] = {}
    for key, values in facets:
        if not isinstance(key, str) or isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise EventError(f"critère « {key} » mal formé : une liste d'identifiants est attendue")
        if key in found:
            raise EventError(f"critère « {key} » donné deux fois")
        found[key] = tuple(dict.fromkeys(value for value in values if value))
    return tuple((key, found[key]) for key in sorted(found) if found[key])


def content_hash(event_json: str) -> str:
    """A digest of an event's canonical JSON: it changes when anything about the event changes."""
    return hashlib.sha256(event_json.encode()).hexdigest()[:32]


UNSEEN_FIELDS = ("uid", "source", "modified")  # what may change with no new version for subscribers


def event_digest(data: dict[str, Any]) -> str:
    """A digest of an event (its JSON dict) as subscribers see it: its identifier, the source that carries it
    and the time the source says it changed are not part of it (a renamed source, a re-export under new
    identifiers or stamped today change nothing)."""
    return content_hash(json.dumps({k: v for k, v in data.items() if k not in UNSEEN_FIELDS}, ensure_ascii=False,
                                   sort_keys=True))


def _encode_time(value: dt.date | None) -> dict[str, str | None] | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat(), "tz": getattr(value.tzinfo, "key", None)}
    return {"date": value.isoformat()}


def _decode_time(value: dict[str, str] | None) -> dt.date | None:
    if value is None:
        return None
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    moment = dt.datetime.fromisoformat(value["datetime"])
    if zone := value.get("tz"):
        moment = moment.astimezone(ZoneInfo(zone))
    return moment


_LOCATION_FIELDS = tuple(f.name for f in dataclasses.fields(Location))
_PLAIN_FIELDS = tuple(f.name for f in dataclasses.fields(Event)
                      if f.name not in ("start", "end", "modified", "location", "themes", "facets"))


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict that `event_from_dict` turns back into the same event."""
    # Built by hand: dataclasses.asdict deep-copies every value and dominates large builds.
    data = {name: getattr(event, name) for name in _PLAIN_FIELDS}
    data["start"] = _encode_time(event.start)
    data["end"] = _encode_time(event.end)
    data["modified"] = _encode_time(event.modified)
    data["themes"] = list(event.themes)
    data["location"] = {name: getattr(event.location, name) for name in _LOCATION_FIELDS}
    if event.facets:  # absent otherwise: the JSON (and digest) of an event without them is unchanged
        data["facets"] = {key: list(values) for key, values in event.facets}
    return data


def event_from_dict(data: dict[str, Any]) -> Event:
    data = dict(data)
    for key in ("start", "end", "modified"):
        data[key] = _decode_time(data.get(key))
    data["location"] = Location(**data.get("location") or {})
    data["themes"] = tuple(data.get("themes") or ())
    data["facets"] = tuple((key, tuple(values)) for key, values in (data.get("facets") or {}).items())
    return Event(**data)


def utc_now() -> dt.datetime:
    """The current time, to the second, in UTC: the edges pass it down; the domain never reads the clock."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def stable_uid(*parts: str, domain: str = "calfeed") -> str:
    """A UID derived from stable identifying parts, identical on every run."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{digest}@{domain}"


KEYLESS_DOMAIN = "calfeed"


def keyless_uid(title: str, start: dt.date) -> str:
    """The natural key of an event whose source gives it no identifier: its title and start."""
    return stable_uid(slugify(title), start.isoformat(), domain=KEYLESS_DOMAIN)


def legacy_uid(key: str, source_id: str, event: "Event") -> str:
    """The UID calfeed published, before identities were kept in the store, for the event of source
    `source_id` whose natural key is `key`: `<slug>@<source id>.calfeed`. A store in service keeps it."""
    if key.endswith("@" + KEYLESS_DOMAIN) and key == keyless_uid(event.title, event.start):
        return stable_uid(source_id, slugify(event.title), event.start.isoformat(), domain=f"{source_id}.calfeed")
    if "@" in key:
        return key
    return f"{slugify(key)}@{source_id}.calfeed"  # « id#2 » slugs to « id-2 », the old occurrence suffix


def covers_uid(record: str, uid: str) -> bool:
    """Whether the natural key `uid` may be an event of the record whose key is `record`: itself, or one
    of its occurrences (`<key>#<n>`, `<UID>-<n>` or `<stem>-<n>@<domain>`, as adapters number them). It may
    also match another record whose own id extends this one: callers use it only to hold, never to cancel."""
    if not record:
        return False
    if uid == record or uid.startswith(record + "-") or uid.startswith(record + "#"):
        return True
    stem, _, domain = record.partition("@")
    uid_stem, _, uid_domain = uid.partition("@")
    return domain == uid_domain and uid_stem.startswith(stem + "-")


def check_moment(moment: dt.date, timezone: str) -> None:
    """Refuse a date or a time whose instant (a date: its midnight in `timezone`) is outside EARLIEST–LATEST."""
    try:
        instant = moment.astimezone(dt.UTC) if isinstance(moment, dt.datetime) else \
            dt.datetime.combine(moment, dt.time(), ZoneInfo(timezone)).astimezone(dt.UTC)
        inside = EARLIEST <= instant <= LATEST
    except (OverflowError, ValueError):
        inside = False
    if not inside:
        raise EventError(f"date hors des limites que publie calfeed ({shown_moment(moment)} ; du "
                         f"{shown_moment(EARLIEST.date())} au {shown_moment(LATEST.date())}) : corrigez l'année")


def shown_moment(moment: dt.date) -> str:
    """A date or a time as a French reader writes it in a message: 22/11/2022, 22/11/2022 14:00."""
    text = f"{moment.day:02d}/{moment.month:02d}/{moment.year:04d}"  # strftime writes year 1 as « 1 »
    return f"{text} {moment:%H:%M}" if isinstance(moment, dt.datetime) else text
