"""JSON exports: calfeed's documented generic schema, and OpenAgenda's API v2 export as a preset."""

import datetime as dt
import json

from ..errors import EventError, SourceError
from .common import (Parsed, Rejected, as_moment, build_events, check_zone, clean_text, localize,
                     parse_moment, record_uid)

# OpenAgenda's status codes (API v2): 1 scheduled, 2 rescheduled, 3 moved online, 4 postponed, 5 full, 6 cancelled.
OPENAGENDA_STATUS = {1: "confirme", 2: "confirme", 3: "en-ligne", 4: "reporte", 5: "complet", 6: "annule"}
OPENAGENDA_ATTENDANCE = {1: "presentiel", 2: "en-ligne", 3: "hybride"}


def events_from_json(data: bytes, source, taxonomy) -> Parsed:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        head = data[:60].decode("utf-8", "replace").strip()
        raise SourceError(source.id, f"le contenu reçu n'est pas du JSON valide ({exc}; début : « {head} »). "
                                     "Vérifiez l'adresse ou le type de la source.") from None
    items = document.get("events") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise SourceError(source.id, "le JSON doit être une liste d'événements ou un objet { \"events\": [...] }.")
    read = _record_from_openagenda if source.preset == "openagenda" else _record_from_calfeed
    parsed = Parsed()
    for number, item in enumerate(items, start=1):
        where = f"événement n° {number}"
        try:
            if not isinstance(item, dict):
                raise EventError("chaque événement doit être un objet JSON")
            record, occurrences = read(item, source)
            if item.get("id") or item.get("uid"):
                where = f"{where} (id {item.get('id') or item.get('uid')})"
            parsed.events.extend(build_events(record, occurrences, source, taxonomy, where, parsed.warnings))
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), _known_uid(item, source)))
    return parsed


def _known_uid(item, source) -> str:
    """The UID an item's event has when it can be read (its `id`, or OpenAgenda's `uid`), or ""."""
    if not isinstance(item, dict):
        return ""
    if source.preset == "openagenda":
        return record_uid(f"openagenda-{item['uid']}", source.id) if item.get("uid") else ""
    return record_uid(item.get("id"), source.id)


def _record_from_calfeed(item: dict, source):
    timezone = check_zone(clean_text(item.get("fuseau")) or source.timezone)
    spans = item.get("occurrences") or [{"debut": item.get("debut"), "fin": item.get("fin")}]
    occurrences = [_span(span.get("debut"), span.get("fin"), timezone) for span in spans]
    location = item.get("lieu") or {}
    if isinstance(location, str):
        location = {"nom": location}
    themes = item.get("themes") or []
    record = {
        "id": item.get("id"),
        "title": item.get("titre"),
        "description": item.get("description"),
        "location": {
            "name": location.get("nom"), "address": location.get("adresse"), "city": location.get("ville"),
            "postal_code": location.get("code_postal"), "region": clean_text(location.get("region")),
            "latitude": location.get("latitude"), "longitude": location.get("longitude"),
        },
        "online_url": item.get("lien_en_ligne"),
        "attendance": item.get("format"),
        "organiser": item.get("organisateur"),
        "category": item.get("categorie"),
        "themes": ",".join(themes) if isinstance(themes, list) else themes,
        "event_type": item.get("type"),
        "url": item.get("lien"),
        "registration_url": item.get("inscription"),
        "status": item.get("statut"),
        "modified": as_moment(parse_moment(item["modifie_le"], timezone), timezone) if item.get("modifie_le") else None,
        "timezone": timezone,
    }
    return record, occurrences


def _span(start_text, end_text, timezone):
    if not start_text:
        raise EventError("date de début manquante (« debut »)")
    start = parse_moment(str(start_text), timezone)
    if not end_text:
        end = start + dt.timedelta(days=1) if not isinstance(start, dt.datetime) else start
    else:
        end = parse_moment(str(end_text), timezone)
        if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            end = end + dt.timedelta(days=1)  # the schema's "fin" is the last day, inclusive
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        raise EventError("« debut » et « fin » doivent être tous deux des dates, ou tous deux des dates et heures")
    return start, end


def _localised(value) -> str:
    """OpenAgenda's multilingual fields are {"fr": "...", "en": "..."}: prefer French."""
    if isinstance(value, dict):
        return value.get("fr") or next((v for v in value.values() if v), "")
    return value or ""


def _record_from_openagenda(item: dict, source):
    location = item.get("location") or {}
    timezone = check_zone(clean_text(location.get("timezone")) or clean_text(item.get("timezone"))
                          or source.timezone)
    timings = item.get("timings") or []
    if not timings:
        raise EventError("aucun horaire (« timings » vide)")
    occurrences = []
    for timing in timings:
        start = parse_moment(str(timing.get("begin") or ""), timezone)
        end = parse_moment(str(timing.get("end") or timing.get("begin")), timezone)
        if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
            raise EventError("horaire OpenAgenda sans heure")
        occurrences.append((localize(start, timezone), localize(end, timezone)))
    keywords = _localised(item.get("keywords")) or []
    if isinstance(keywords, str):
        keywords = [keywords]
    registration = ""
    for entry in item.get("registration") or []:
        value = entry.get("value") if isinstance(entry, dict) else entry
        kind = entry.get("type") if isinstance(entry, dict) else ""
        if kind == "email" and value:
            value = f"mailto:{value}"
        if value and (kind in ("link", "email") or str(value).startswith("http")):
            registration = str(value)
            break
    description = "\n\n".join(t for t in (clean_text(_localised(item.get("description"))),
                                          clean_text(_localised(item.get("longDescription")))) if t)
    updated = item.get("updatedAt")
    record = {
        "id": f"openagenda-{item['uid']}" if item.get("uid") else None,
        "title": _localised(item.get("title")),
        "description": description,
        "location": {
            "name": location.get("name"), "address": location.get("address"), "city": location.get("city"),
            "postal_code": location.get("postalCode"), "region": clean_text(location.get("region")),
            "latitude": location.get("latitude"), "longitude": location.get("longitude"),
        },
        "online_url": item.get("onlineAccessLink"),
        "attendance": OPENAGENDA_ATTENDANCE.get(item.get("attendanceMode"), ""),
        "labels": [str(k) for k in keywords],
        "url": item.get("canonicalUrl") or item.get("link"),
        "registration_url": registration,
        "status": OPENAGENDA_STATUS.get(item.get("status"), ""),
        "modified": parse_moment(updated, timezone) if updated else None,
        "timezone": timezone,
    }
    return record, occurrences
