"""What every adapter shares: the normaliser from a flat record to events, dates, links."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import EventError, SourceError
from ..model import DEFAULT_ZONE, Event, Location, keyless_uid
from ..taxonomy import DIMENSIONS, Taxonomy, Vocabulary
from ..text import split_list
from .dates import parse_date
from .decode import garbled
from .parsed import Parsed as Parsed  # re-exported: the adapters take both from here
from .parsed import Rejected

_TIME = re.compile(r"^(\d{1,2})\s*(?:[h:]\s*(\d{2})?)?(?::(\d{2}))?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAFE_SCHEMES = ("http://", "https://")
# The spreadsheet columns of the vocabulary table's dimensions: canonical name → the headers read as it.
DIMENSION_COLUMNS = {row.column: (row.column, *row.headers) for row in DIMENSIONS}


def record_key(record_id: object) -> str:
    """The natural key of the event a record with the source's own identifier `record_id` becomes: that
    identifier exactly as the source states it (case included), never the source's `id` in sources.yaml.
    The events of a record with several occurrences are `<key>#<n>`, or `<stem>-<n>@<domain>` for a UID
    (see model.covers_uid). The UID subscribers see is given by the store (see identity.py)."""
    return clean_text(record_id)


def clean_text(value: object) -> str:
    """Text from a source: no control characters, normalised line ends, trimmed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def safe_url(value: object) -> str:
    """Keep only web links: a `javascript:` or other scheme from a source is never published."""
    url = clean_text(value)
    if not url or any(c.isspace() for c in url):
        return ""
    if url.lower().startswith(SAFE_SCHEMES):
        return url
    if url.lower().startswith("mailto:") and "@" in url:
        return url
    return ""


def parse_time(value: str) -> dt.time:
    """An hour as French users write it: 14:00, 14h, 14h30, 9 h 30."""
    text = clean_text(value).lower().replace(" ", "")
    m = _TIME.match(text)
    if not m:
        raise EventError(f"heure illisible « {value} » (attendu : 14:00 ou 14h30)")
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise EventError(f"heure impossible « {value} »")
    return dt.time(hour, minute, second)


def parse_moment(value: str, timezone: str) -> dt.datetime | dt.date:
    """An ISO 8601 date or date-time; a date-time without offset is read in `timezone`."""
    text = clean_text(value)
    if "T" not in text and " " not in text.strip():
        return parse_date(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"date et heure illisibles « {value} » (attendu : AAAA-MM-JJTHH:MM)") from None
    return localize(moment, timezone)


def localize(moment: dt.datetime, timezone: str) -> dt.datetime:
    """Attach `timezone` to a floating time, or convert an aware one into it."""
    zone = ZoneInfo(timezone)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def zone_of(value: object, default: str) -> str:
    """The IANA name of an aware datetime's zone, or `default`."""
    key = getattr(getattr(value, "tzinfo", None), "key", None)
    return key or default


def split_dates(value: str) -> list[str]:
    return [part for part in re.split(r"\s*(?:\||,|;|\bet\b)\s*", clean_text(value)) if part]


def require_format(ok: bool, source: Any, expected: str, text: str) -> None:
    """Refuse a body that is not the source's format (an HTML error page, say) or empty. The message never
    quotes the body (it is shown on the public status page); its start goes in the error's `detail`."""
    if not ok:
        empty = not text.strip(" \t\r\n\ufeff\x00")
        head = clean_text(text[:60]).replace("\n", " ")
        raise SourceError(source.id, f"le contenu reçu est vide (attendu : {expected}) : l'export a pu être coupé "
                                     "ou pas encore écrit. Vérifiez le fichier ou l'adresse de la source." if empty
                          else f"le contenu reçu n'est pas {expected}. Vérifiez l'adresse ou le type de la source.",
                          detail=f"début : « {head} »")


def build_events(record: dict[str, Any], occurrences: Sequence[tuple[dt.date, dt.date]], source: Any,
                 taxonomy: Taxonomy, where: str, warnings: list[Rejected]) -> list[Event]:
    """Normalise one record of a source (all adapters agree on its keys) into events.

    `occurrences` is a list of (start, end) pairs; one event is made per pair.
    Keys of `record`: id, title, description, location (dict), online_url, organiser, url, registration_url,
    status, modified, labels (free labels to classify), timezone, and each dimension's key of the vocabulary
    table (categorie, theme, region, format, type…: a label, or several for a dimension that takes several).
    """
    _refuse_garbled(record)
    classes = _classify(record, source, taxonomy, where, warnings)
    location = record.get("location") or {}

    def link(key: str, name: str) -> str:  # a link that is not one to publish (javascript:, a typo) is dropped
        url = safe_url(record.get(key))
        if not url and clean_text(record.get(key)):
            warnings.append(Rejected(where, f"{name} non publiable « {clean_text(record.get(key))[:60]} » (ni http, "
                                            "ni https, ni mailto) : ignoré, l'événement est publié sans lui"))
        return url

    online_url = link("online_url", "lien en ligne")
    if not classes["attendance"] and online_url and not any(location.get(k) for k in ("name", "address", "city")):
        classes["attendance"] = "en-ligne"
    title = clean_text(record.get("title"))
    timezone = record.get("timezone") or source.timezone
    base_id = clean_text(record.get("id"))
    place = Location(
        name=clean_text(location.get("name")), address=clean_text(location.get("address")),
        city=clean_text(location.get("city")), postal_code=clean_text(location.get("postal_code")),
        region=classes.pop("region") or "", **_coordinates(location, where, warnings),
    )
    url, registration_url = link("url", "lien"), link("registration_url", "lien d'inscription")
    events = []
    for index, (start, end) in enumerate(occurrences, start=1):
        events.append(Event(
            uid=_uid(base_id, title, start, index, len(occurrences)), title=title, start=start, end=end,
            source=source.id, timezone=zone_of(start, timezone) if isinstance(start, dt.datetime) else timezone,
            description=clean_text(record.get("description")), location=place, online_url=online_url,
            organiser=clean_text(record.get("organiser")) or source.organiser,
            url=url, registration_url=registration_url,
            modified=record.get("modified"), **classes,
        ))
    return events


def _refuse_garbled(record: dict[str, Any]) -> None:
    """Text garbled before calfeed read it is never published: a subscriber cannot correct « num\ufffdro »."""
    location = record.get("location") or {}
    for value in (record.get("title"), record.get("description"), record.get("organiser"),
                  *(location.get(key) for key in ("name", "address", "city"))):
        if isinstance(value, str) and (fragment := garbled(value)):
            raise EventError(f"texte abîmé avant sa lecture (« {clean_text(fragment)} ») : caractères de "
                             "remplacement ou accents mal encodés ; corrigez l'encodage à la source")


def _uid(base_id: str, title: str, start: dt.date, index: int, count: int) -> str:
    """The event's natural key (see `record_key`); a record without identifier is keyed by its title and
    start (see model.keyless_uid), never by the source's id."""
    if not base_id:
        return keyless_uid(title, start)
    key = record_key(base_id)
    if count > 1:
        key = f"{key.split('@')[0]}-{index}@{key.split('@', 1)[1]}" if "@" in key else f"{key}#{index}"
    return key


def _classify(record: dict[str, Any], source: Any, taxonomy: Taxonomy, where: str,
              warnings: list[Rejected]) -> dict[str, Any]:
    """The Event's arguments for each dimension of the vocabulary table, and its status. A dimension's values:
    the record's own, else (for one that takes several: and) those its labels name, else (and) the source's
    defaults. An unknown value is dropped with a warning; for a required dimension (the category) it rejects
    the record, as does no value at all."""
    found = taxonomy.classify(list(record.get("labels") or []))
    classes: dict[str, Any] = {}
    facets = []
    for row in DIMENSIONS:
        own = []
        for label in split_list(str(record.get(row.key) or "")) if row.multiple else [record.get(row.key)]:
            try:
                own.append(_pick(taxonomy.vocabulary(row.key), label, row.unknown))
            except EventError as exc:
                if row.missing:
                    raise
                warnings.append(Rejected(where, f"{exc} : valeur ignorée"))
        own = [slug for slug in own if slug]
        if row.multiple:
            slugs = tuple(dict.fromkeys([*own, *found[row.key], *row.defaults(source)]))
        else:
            slugs = tuple((own or found[row.key] or list(row.defaults(source)))[:1])
        if row.missing and not slugs:
            raise EventError(row.missing)
        if row.event_field:
            classes[row.attribute] = slugs if row.multiple else "".join(slugs)
        elif slugs:
            facets.append((row.key, slugs))
    try:
        status = _pick(taxonomy.statuses, record.get("status"), "statut inconnu")
    except EventError as exc:
        warnings.append(Rejected(where, f"{exc} : valeur ignorée"))
        status = ""
    return {**classes, "facets": tuple(facets), "status": status or "confirme"}


def dimension_cells(values: dict[str, Any]) -> dict[str, Any]:
    """A spreadsheet row's cells of each dimension (by its column, see DIMENSION_COLUMNS), as record keys."""
    return {row.key: values.get(row.column) for row in DIMENSIONS}


def dimension_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A calfeed JSON item's field of each dimension (« themes », « lieu.region »…), as record keys; a
    dimension that takes several values may be a list or one text."""
    fields = {}
    for row in DIMENSIONS:
        value: Any = item
        for part in row.json_field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if row.multiple:
            value = ",".join(str(v) for v in value if isinstance(v, str | int)) if isinstance(value, list) else \
                str(value) if isinstance(value, str | int) else ""
        fields[row.key] = value
    return fields


def _pick(vocabulary: Vocabulary, label: object, unknown: str) -> str:
    """The slug of `label`; `unknown` names a wrong one, agreed with its noun (« thème inconnu »)."""
    label = clean_text(label)
    if not label:
        return ""
    slug = vocabulary.lookup(label)
    if slug is None:
        raise EventError(f"{unknown} « {label} » (valeurs possibles : {', '.join(vocabulary.slugs)})")
    return slug


def _coordinates(location: dict[str, Any], where: str, warnings: list[Rejected]) -> dict[str, float | None]:
    """Latitude and longitude, both or neither: an unreadable one drops the pair with a warning, not the event."""
    try:
        return {"latitude": _coordinate(location.get("latitude"), 90),
                "longitude": _coordinate(location.get("longitude"), 180)}
    except EventError as exc:
        warnings.append(Rejected(where, f"{exc} : coordonnées ignorées, l'événement est publié sans elles"))
        return {"latitude": None, "longitude": None}


def _coordinate(value: object, bound: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise EventError(f"coordonnée illisible « {value} »") from None
    if not -bound <= number <= bound:
        raise EventError(f"coordonnée hors limites « {value} »")
    return number


def all_day_or_timed(day: dt.date, last_day: dt.date | None, start_time: dt.time | None, end_time: dt.time | None,
                     timezone: str) -> tuple[dt.date, dt.date]:
    """The (start, end) pair of one occurrence given a day and optional hours."""
    last_day = last_day or day
    if last_day < day:
        raise EventError(f"la date de fin ({last_day:%d/%m/%Y}) précède la date de début ({day:%d/%m/%Y})")
    if start_time is None:
        if end_time is not None:
            raise EventError("heure de fin sans heure de début")
        return day, last_day + dt.timedelta(days=1)
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, start_time, zone)
    end = dt.datetime.combine(last_day, end_time, zone) if end_time is not None else start
    return start, end


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventError(f"fuseau horaire inconnu « {name} » (exemple : {DEFAULT_ZONE}, Indian/Reunion)") from None
    return name


def as_moment(value: dt.date, timezone: str) -> dt.datetime:
    """A date read as midnight in `timezone`; a datetime unchanged."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), ZoneInfo(timezone))
