"""How pages and JSON exports show an event and a feed: French dates, links, the event's fields."""

import datetime as dt
import json
import re
from dataclasses import dataclass
from itertools import islice
from zoneinfo import ZoneInfo

from markupsafe import Markup

from .addresses import import_path
from .changes import change_line
from .model import Event
from .editions import AFTER, BEFORE, DURING, phase
from .links import subscribe_links
from .render import STATUS_LINE
from .selection import CRITERIA, event_key
from .taxonomy import DIMENSION, DIMENSIONS
from .text import MONTHS, french_time, slugify, zone_name

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
STATUS_LABELS = {"annule": "Annulé", "reporte": "Reporté", "en-ligne": "Passé en ligne", "complet": "Complet"}


@dataclass(frozen=True)
class Where:
    """Where a page is, for its links: `root` leads (relatively) to the feeds folder; `base` is the
    live service's absolute address, or "" in a static build that does not know it."""

    root: str
    base: str
    static: bool = False

    def href(self, path: str) -> str:
        return self.root + path

    def absolute(self, path: str) -> str:
        return f"{self.base}/feeds/{path}" if self.base else ""


# French typography: a narrow no-break space before ; ! ? and a no-break space before : and inside « ».
_BEFORE_NARROW = re.compile(r"[ \u00a0]([;!?])(?=\s|$|<|&)")
_BEFORE_COLON = re.compile(r"[ \u202f]:(?=\s|$|<)")
_AFTER_OPENING = re.compile(r"«[ \u202f]")
_BEFORE_CLOSING = re.compile(r"[ \u202f]»")


def french_spacing(text):
    """Put French no-break spaces in `text` (a Jinja filter: applied to whole rendered pages too)."""
    fixed = _BEFORE_NARROW.sub("\u202f\\1", str(text))
    fixed = _BEFORE_COLON.sub("\u00a0:", fixed)
    fixed = _AFTER_OPENING.sub("«\u00a0", fixed)
    fixed = _BEFORE_CLOSING.sub("\u00a0»", fixed)
    return Markup(fixed) if isinstance(text, Markup) else fixed


def plural(count: int, one: str, many: str) -> str:
    """French agreement: 0 and 1 take the singular (« 0 événement »)."""
    return many if count > 1 else one


def french_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


def french_moment(moment: str | dt.datetime | None, timezone: str) -> str:
    """A stored instant (ISO 8601 text or aware datetime) as people read it in the programme's zone
    `timezone` (publish.timezone): « lundi 30 novembre 2026 à 15 h 06 »; « jamais » when there is none."""
    if not moment:
        return "jamais"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{french_date(local.date())} à {french_time(local)}"


def dates_between(start: dt.date | None, end: dt.date | None) -> str:
    """« du mercredi 2 novembre 2022 au mercredi 30 novembre 2022 », or what of it is known."""
    if start and end:
        return f"du {french_date(start)} au {french_date(end)}"
    return f"à partir du {french_date(start)}" if start else ""


def edition_view(config, now: dt.datetime) -> dict:
    """What the home page says of the edition at `now`: to come, under way, or over (its programme kept
    as an archive, and the next edition if one is announced)."""
    today = now.astimezone(ZoneInfo(config.timezone)).date()
    where_in = phase(config.editions.current, today)
    following = config.editions.next
    return {
        "phase": where_in, "name": config.edition_name, "dates": dates_between(config.edition_start, config.edition_end),
        "heading": {BEFORE: "À venir", DURING: "Prochains événements",
                    AFTER: f"{config.edition_name} : édition terminée"}[where_in],
        "next": following.name if following else "",
        "next_dates": dates_between(following.start, following.end) if following else "",
    }


def short_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]}"


def when(event: Event, zone: str) -> str:
    """« mardi 15 novembre 2022, 14 h – 16 h », in the event's zone, named if not the programme's `zone`."""
    if event.all_day:
        last = event.end - dt.timedelta(days=1)
        if last == event.start:
            return french_date(event.start)
        return f"du {french_date(event.start)} au {french_date(last)}"
    start, end = event.start, event.end
    text = f"{french_date(start.date())}, {french_time(start)}"
    if end > start:
        text += f" – {french_time(end)}" if end.date() == start.date() else \
            f" – {french_date(end.date())}, {french_time(end)}"
    if event.timezone != zone:
        text += f", {zone_name(start, event.timezone)}"
    return text


def subscription(feed, where: Where) -> dict:
    """Everything a page offers to add one feed: subscribe links, download, import copy, JSON, embed."""
    path = feed.path
    plain = path.split("?")[0]
    query = "?" + path.split("?", 1)[1] if "?" in path else ""
    absolute = where.absolute(path)
    short = feed.label or feed.name
    json_path = plain.removesuffix(".ics") + ".json"
    if feed.static:
        import_url, json_url = where.href(import_path(path)), where.href(json_path)
    elif absolute:
        import_url, json_url = where.absolute(import_path(path)), where.absolute(json_path + query)
    elif not where.static:  # the live site without a configured address: relative links, never the Host header
        import_url, json_url = where.href(import_path(path)), where.href(json_path + query)
    else:
        import_url = json_url = ""
    return {
        "name": feed.name,
        "short_name": short[:1].upper() + short[1:],
        "path": path,
        "id": slugify(plain.removesuffix(".ics")) + ("-" + slugify(query) if query else ""),
        "links": subscribe_links(absolute, feed.name) if absolute else {},
        "download": where.href(path) if feed.static or not where.static else absolute,
        "import_url": import_url,
        "json": json_url,
        "embed": where.href("integrer/" + plain.removesuffix(".ics") + ".html") if feed.static else "",
        "embed_absolute": (where.absolute("integrer/" + plain.removesuffix(".ics") + ".html")
                           if feed.static and where.base else ""),
    }


def event_view(item, taxonomy, where: Where, zone: str) -> dict:
    """One event as pages and JSON exports show it; `zone` is the programme's (publish.timezone)."""
    event = item.event
    key = event_key(event.uid)
    location = event.location
    return {
        "key": key,
        "slug": slugify(event.title)[:60].strip("-") or key,
        "uid": event.uid,
        "title": event.title,
        "when": when(event, zone),
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, ""),
        "status_text": STATUS_LINE.get(item.status, ""),
        "description": event.description,
        "organiser": event.organiser,
        "category": event.category, "category_name": taxonomy.categories.name(event.category),
        "themes": list(event.themes), "theme_names": [taxonomy.themes.name(t) for t in event.themes],
        "event_type": event.event_type, "event_type_name": "".join(taxonomy.names(DIMENSION["type"], event)),
        "attendance": event.attendance, "attendance_name": "".join(taxonomy.names(DIMENSION["format"], event)),
        "formats": list(CRITERIA["format"].values(event)),
        **_dimensions(event, taxonomy),
        "place": {
            "name": location.name, "address": location.address, "city": location.city,
            "postal_code": location.postal_code, "region": location.region,
            "region_name": taxonomy.regions.name(location.region) if location.region else "",
            "latitude": location.latitude, "longitude": location.longitude,
        },
        "online_url": event.online_url,
        "url": event.url,
        "registration_url": event.registration_url,
        "page": where.href(f"evenements/{key}.html"),
        "page_absolute": where.absolute(f"evenements/{key}.html"),
        "ics": where.href(f"evenements/{key}.ics"),
        "short_date": short_date(event.start if event.all_day else event.start.date()),
        "sequence": item.publication.sequence,
        "modified": item.publication.modified.isoformat(),
        "last_update": change_line(item.publication.change),  # « Mis à jour le … : nouvel horaire », or ""
    }


def _dimensions(event, taxonomy) -> dict:
    """The further dimensions the event has, named, for the event page and JSON (the page script reads every
    dimension's values from script_data.events_data)."""
    return {"facets": [{"legend": row.legend, "field": row.json_field, "values": list(row.slugs(event)),
                        "names": taxonomy.names(row, event)} for row in DIMENSIONS
                       if not row.event_field and row.slugs(event)]}


def upcoming(items, now: dt.datetime, count: int = 3) -> list:
    """The next events; once the edition is over, its first ones."""
    later = list(islice((item for item in items if item.event.start_utc >= now), count))  # stop at `count`
    return later or list(islice(items, count))


def feed_json_chunks(config, programme, where: Where, feed):
    """A feed as JSON for labs' sites (fields documented in the README), piece by piece.

    Like the iCalendar feeds, it is assembled from each event's JSON, written once per programme
    version and reused by every feed that holds the event.
    """
    items = programme.select(feed.filters)
    cache = programme.memo.setdefault(("json", where), {})
    head = json.dumps({"nom": feed.name, "description": feed.description,
                       "ics": where.absolute(feed.path) or where.href(feed.path), "nombre": len(items)},
                      ensure_ascii=False)
    yield (head[:-1] + ', "evenements": [').encode("utf-8")
    for position, item in enumerate(items):
        data = cache.get(item.event.uid)
        if data is None:
            view = event_view(item, config.taxonomy, where, config.timezone)
            data = cache[item.event.uid] = json.dumps(_json_event(view), ensure_ascii=False).encode("utf-8")
        yield b", " + data if position else data
    yield b"]}"


def feed_json(config, programme, where: Where, feed) -> bytes:
    return b"".join(feed_json_chunks(config, programme, where, feed))


def _json_event(view: dict) -> dict:
    return {
        "uid": view["uid"], "titre": view["title"], "debut": view["start"], "fin": view["end"],
        "journee_entiere": view["all_day"], "fuseau": view["timezone"], "quand": view["when"],
        "statut": view["status"], "description": view["description"], "organisateur": view["organiser"],
        "categorie": view["category"], "themes": view["themes"], "type": view["event_type"],
        "format": view["attendance"], **{facet["field"]: facet["values"] for facet in view["facets"]},
        "lieu": {"nom": view["place"]["name"], "adresse": view["place"]["address"], "ville": view["place"]["city"],
                 "code_postal": view["place"]["postal_code"], "region": view["place"]["region"],
                 "latitude": view["place"]["latitude"], "longitude": view["place"]["longitude"]},
        "lien_en_ligne": view["online_url"], "lien": view["url"], "inscription": view["registration_url"],
        "page": view["page"], "ics": view["ics"], "sequence": view["sequence"], "modifie_le": view["modified"],
        "mise_a_jour": view["last_update"],
    }


ATTENDANCE_MODES = {"presentiel": "OfflineEventAttendanceMode", "en-ligne": "OnlineEventAttendanceMode",
                    "hybride": "MixedEventAttendanceMode"}
EVENT_STATUSES = {"annule": "EventCancelled", "reporte": "EventPostponed", "en-ligne": "EventMovedOnline"}


def event_jsonld(view: dict) -> Markup:
    """schema.org `Event` markup of an event page, for search engines."""
    place = view["place"]
    data = {"@context": "https://schema.org", "@type": "Event", "name": view["title"],
            "startDate": view["start"], "endDate": view["end"],
            "eventStatus": "https://schema.org/" + EVENT_STATUSES.get(view["status"], "EventScheduled")}
    if view["description"]:
        data["description"] = view["description"]
    has_place = any(place[key] for key in ("name", "address", "city", "region_name"))
    online = view["attendance"] in ("en-ligne", "hybride") or bool(view["online_url"])
    mode = view["attendance"] or ("hybride" if online and has_place else "en-ligne" if online else "presentiel")
    in_person = mode != "en-ligne"
    data["eventAttendanceMode"] = "https://schema.org/" + ATTENDANCE_MODES[mode]
    locations = []
    if in_person:
        address = {"@type": "PostalAddress", "addressCountry": "FR"}
        for field_name, key in (("streetAddress", "address"), ("postalCode", "postal_code"),
                                ("addressLocality", "city"), ("addressRegion", "region_name")):
            if place[key]:
                address[field_name] = place[key]
        name = place["name"] or place["city"] or place["region_name"] or "Lieu précisé par l'organisateur"
        locations.append({"@type": "Place", "name": name, "address": address})
    if online:  # the joining link when published; else the event's page, which gives it
        locations.append({"@type": "VirtualLocation",
                          "url": view["online_url"] or view["url"] or view["page_absolute"] or view["page"]})
    data["location"] = locations[0] if len(locations) == 1 else locations
    data["organizer"] = {"@type": "Organization", "name": view["organiser"] or view["category_name"]}
    if view["page_absolute"] or view["url"]:
        data["url"] = view["page_absolute"] or view["url"]
    return script_json(data)


def script_json(data) -> Markup:
    """JSON to put inside a <script> element: no character of it can close the element."""
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
