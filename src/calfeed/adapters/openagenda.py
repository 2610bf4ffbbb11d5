"""One OpenAgenda event (API v2, or an export file in either of its shapes) to a calfeed record."""

import datetime as dt

from ..errors import EventError
from .common import check_zone, clean_text, localize, parse_moment
from .records import optional_value
from .html import html_to_text

# OpenAgenda's status codes (API v2): 1 scheduled, 2 rescheduled, 3 moved online, 4 postponed, 5 full, 6 cancelled.
OPENAGENDA_STATUS = {1: "confirme", 2: "confirme", 3: "en-ligne", 4: "reporte", 5: "complet", 6: "annule"}
OPENAGENDA_ATTENDANCE = {1: "presentiel", 2: "en-ligne", 3: "hybride"}
# Location fields some exports repeat at the top level of each event: calfeed key → export key.
TOP_LEVEL_LOCATION = {"name": "locationName", "address": "address", "city": "city", "postal_code": "postalCode",
                      "region": "region", "latitude": "latitude", "longitude": "longitude", "timezone": "timezone"}
_LAST_MINUTE = dt.time(23, 59)


def localised(value) -> str:
    """OpenAgenda's multilingual fields are {"fr": "...", "en": "..."}: prefer French."""
    if isinstance(value, dict):
        return value.get("fr") or next((v for v in value.values() if v), "")
    return value or ""


def _location(item: dict) -> dict:
    location = dict(item.get("location") or {})
    for key, exported in TOP_LEVEL_LOCATION.items():
        source_key = "postalCode" if key == "postal_code" else key
        if location.get(source_key) in (None, "") and item.get(exported) not in (None, ""):
            location[source_key] = item[exported]
    return location


def _occurrences(timings, timezone: str) -> list:
    """Each timing as (start, end); 00:00 → 23:59 (or whole days) in the event's zone is an all-day event."""
    occurrences = []
    for timing in timings:
        begin = timing.get("begin") or timing.get("start")  # the API says begin, some exports start
        start = parse_moment(str(begin or ""), timezone)
        end = parse_moment(str(timing.get("end") or begin), timezone)
        if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            occurrences.append((start, max(end, start) + dt.timedelta(days=1)))  # whole days, last one included
            continue
        if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
            raise EventError("horaire OpenAgenda mêlant date seule et date avec heure")
        start, end = localize(start, timezone), localize(end, timezone)
        if start.time() == dt.time() and (end.time().replace(second=0, microsecond=0) == _LAST_MINUTE or
                                          (end.time() == dt.time() and end.date() > start.date())):
            last = end.date() if end.time() != dt.time() else end.date() - dt.timedelta(days=1)
            occurrences.append((start.date(), last + dt.timedelta(days=1)))
        else:
            occurrences.append((start, end))
    return occurrences


def _registration(item: dict) -> str:
    for entry in item.get("registration") or []:
        value = entry.get("value") if isinstance(entry, dict) else entry
        kind = entry.get("type") if isinstance(entry, dict) else ""
        if kind == "email" and value:
            value = f"mailto:{value}"
        if value and (kind in ("link", "email") or str(value).startswith("http")):
            return str(value)
    return str(item.get("registrationUrl") or "")


# OpenAgenda's moderation states: -1 refused, 0 to moderate, 1 ready to publish, 2 published. A key with
# the agenda's rights also returns the unpublished ones: they are not for the public.
OPENAGENDA_UNPUBLISHED = {-1: "refusé par la modération", 0: "en attente de modération", 1: "prêt mais pas publié"}


def unpublished_state(item: dict) -> str:
    """Why OpenAgenda does not publish this event ("" when it does, or does not say)."""
    state = item.get("state")
    if isinstance(state, int) and state in OPENAGENDA_UNPUBLISHED:
        return f"non publié sur OpenAgenda (state {state}, {OPENAGENDA_UNPUBLISHED[state]})"
    return ""


def _code(value) -> int | None:
    """One of OpenAgenda's numeric codes, or None for anything else (a list, an object…)."""
    return value if isinstance(value, int) else None


def record_from_openagenda(item: dict, source, where: str, warnings: list):
    location = _location(item)
    timezone = check_zone(clean_text(location.get("timezone")) or source.timezone)
    timings = item.get("timings") or []
    if not timings:
        raise EventError("aucun horaire (« timings » vide)")
    keywords = localised(item.get("keywords")) or []
    if isinstance(keywords, str):
        keywords = [k for k in keywords.split(",") if k.strip()]
    phones = [str(e.get("value")) for e in item.get("registration") or []
              if isinstance(e, dict) and e.get("type") == "phone" and e.get("value")]
    description = "\n\n".join(t for t in (clean_text(html_to_text(localised(item.get("description")))),
                                          clean_text(html_to_text(localised(item.get("longDescription")))),
                                          "Inscription par téléphone : " + ", ".join(phones) if phones else "") if t)
    updated = item.get("updatedAt")
    record = {
        "id": f"openagenda-{item['uid']}" if item.get("uid") else None,
        "title": localised(item.get("title")),
        "description": description,
        "location": {
            "name": location.get("name"), "address": location.get("address"), "city": location.get("city"),
            "postal_code": location.get("postalCode"),
            "latitude": location.get("latitude"), "longitude": location.get("longitude"),
        },
        "online_url": item.get("onlineAccessLink"),
        "region": clean_text(location.get("region")),
        "format": OPENAGENDA_ATTENDANCE.get(_code(item.get("attendanceMode")), ""),
        "labels": [str(k) for k in keywords],
        "url": item.get("canonicalUrl") or item.get("link"),
        "registration_url": _registration(item),
        "status": OPENAGENDA_STATUS.get(_code(item.get("status")), ""),
        "modified": optional_value(lambda text: parse_moment(str(text), timezone), updated, where,
                                   warnings, "« updatedAt »"),
        "timezone": timezone,
    }
    return record, _occurrences(timings, timezone)
