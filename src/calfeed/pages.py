"""What the HTML pages and the JSON exports show, computed apart from Flask: the live site and
the static build render the same templates from the same contexts."""

import datetime as dt
import json
import re
from dataclasses import dataclass

from markupsafe import Markup

from .feeds import FORMAT_MATCHES, SELECTION_PARAMS, event_key, feed_catalogue, parse_selection, personal_feed
from .links import event_links, subscribe_links
from .pipeline import utc_now
from .render import STATUS_LINE
from .text import slugify

# The home page: the calendars offered first, then the groups folded into a compact list.
FEATURED = ("tous", "selection")
GROUPS = (
    ("categorie", "Par organisateur"),
    ("theme", "Par thème"),
    ("region", "Par région"),
    ("format", "Par format"),
)
# Criteria of the builder and the event list: legend, and the field of the JSON export holding the value.
CRITERIA = {"categorie": ("Organisateur", "categorie"), "theme": ("Thème", "themes"),
            "region": ("Région", "lieu.region"), "format": ("Format", "format")}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
LIST_LIMIT = 500  # events listed on one page; beyond, the page asks to narrow the search
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
    return one if count == 1 else many


def matching_sentence(count: int) -> str:
    """« Aucun événement ne correspond encore », « 1 événement correspond », « 2 événements correspondent »."""
    if count == 0:
        return "Aucun événement ne correspond encore à ces critères."
    return f"{count} {plural(count, 'événement correspond', 'événements correspondent')} à ces critères."


def french_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]}"


def when(event) -> str:
    """« mercredi 16 novembre 2022 » or « mardi 15 novembre 2022, 14 h 00 – 16 h 00 »."""
    if event.all_day:
        last = event.end - dt.timedelta(days=1)
        if last == event.start:
            return french_date(event.start)
        return f"du {french_date(event.start)} au {french_date(last)}"
    start, end = event.start, event.end
    text = f"{french_date(start.date())}, {start:%H} h {start:%M}"
    if end > start:
        text += f" – {end:%H} h {end:%M}" if end.date() == start.date() else \
            f" – {french_date(end.date())}, {end:%H} h {end:%M}"
    if event.timezone != "Europe/Paris":
        text += f" (heure locale, {event.timezone})"
    return text


def subscription(feed, where: Where) -> dict:
    """Everything a page offers to add one feed: subscribe links, download, import copy, JSON, embed."""
    path = feed.path
    plain = path.split("?")[0]
    query = "?" + path.split("?", 1)[1] if "?" in path else ""
    absolute = where.absolute(path)
    embed = where.href("integrer/" + plain.removesuffix(".ics") + ".html") if feed.static else ""
    embed_absolute = (where.absolute("integrer/" + plain.removesuffix(".ics") + ".html")
                      if feed.static and where.base else "")
    return {
        "name": feed.name,
        "short_name": feed.name.split(" — ", 1)[-1][:1].upper() + feed.name.split(" — ", 1)[-1][1:],
        "path": path,
        "id": slugify(plain.removesuffix(".ics")) + ("-" + slugify(query) if query else ""),
        "links": subscribe_links(absolute, feed.name) if absolute else {},
        "download": where.href(path) if feed.static or not where.static else absolute,
        "import_url": (where.href("import/" + path) if feed.static else
                       (absolute + ("&" if query else "?") + "usage=import") if absolute else ""),
        "json": where.href(plain.removesuffix(".ics") + ".json") if feed.static else
                (where.absolute(plain.removesuffix(".ics") + ".json" + query) if absolute else ""),
        "embed": embed,
        "embed_absolute": embed_absolute,
    }


def event_view(item, taxonomy, where: Where) -> dict:
    """One event as pages and JSON exports show it."""
    event = item.event
    key = event_key(event.uid)
    location = event.location
    page = where.href(f"evenements/{key}.html")
    return {
        "key": key,
        "slug": slugify(event.title)[:60].strip("-") or key,
        "uid": event.uid,
        "title": event.title,
        "when": when(event),
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "status": item.status,
        "status_label": STATUS_LABELS.get(item.status, ""),
        "status_text": STATUS_LINE.get(item.status, ""),
        "description": event.description,
        "organiser": event.organiser,
        "category": event.category,
        "category_name": taxonomy.categories.name(event.category),
        "themes": list(event.themes),
        "theme_names": [taxonomy.themes.name(t) for t in event.themes],
        "event_type": event.event_type,
        "event_type_name": taxonomy.event_types.name(event.event_type) if event.event_type else "",
        "attendance": event.attendance,
        "attendance_name": taxonomy.formats.name(event.attendance) if event.attendance else "",
        "formats": [name for name, accepted in FORMAT_MATCHES.items() if event.attendance in accepted],
        "place": {
            "name": location.name, "address": location.address, "city": location.city,
            "postal_code": location.postal_code, "region": location.region,
            "region_name": taxonomy.regions.name(location.region) if location.region else "",
            "latitude": location.latitude, "longitude": location.longitude,
        },
        "online_url": event.online_url,
        "url": event.url,
        "registration_url": event.registration_url,
        "page": page,
        "page_absolute": where.absolute(f"evenements/{key}.html"),
        "ics": where.href(f"evenements/{key}.ics"),
        "short_date": short_date(event.start if event.all_day else event.start.date()),
        "sequence": item.publication.sequence,
        "modified": item.publication.modified.isoformat(),
    }


def upcoming(items, now: dt.datetime, count: int = 3) -> list:
    """The next events; once the edition is over, its first ones."""
    later = [item for item in items if item.event.start_utc >= now]
    return (later or list(items))[:count]


def _edition_dates(config) -> str:
    if config.edition_start and config.edition_end:
        return f"du {french_date(config.edition_start)} au {french_date(config.edition_end)}"
    return ""


def criteria_table(config) -> list[dict]:
    """The selection criteria as data, for the pages' forms and their script: for each criterion its
    key, legend, the field of the JSON export it reads, and for each value the event values it
    accepts (a hybrid event is both « présentiel » and « en ligne »). Built from the code that
    selects feeds, so the browser never holds a second copy of the rules."""
    vocabularies = {"categorie": config.taxonomy.categories, "theme": config.taxonomy.themes,
                    "region": config.taxonomy.regions, "format": config.taxonomy.formats}
    table = []
    for key in SELECTION_PARAMS:
        if key not in CRITERIA:
            continue
        legend, field_name = CRITERIA[key]
        values = []
        for term in vocabularies[key].terms:
            accepts = sorted(FORMAT_MATCHES.get(term.slug, {term.slug})) if key == "format" else [term.slug]
            values.append({"value": term.slug, "label": term.name, "accepts": accepts})
        table.append({"key": key, "legend": legend, "field": field_name, "values": values})
    return table


def _selection_naming(config) -> dict:
    """How a composed calendar is named (see feeds.parse_selection), for the builder's script."""
    sample = parse_selection(config, {})
    return {"prefix": sample.name.removesuffix("tout le programme"), "all": "tout le programme",
            "or": " ou ", "and": " · "}


def _choices(config, programme=None) -> list[dict]:
    """The builder's and the event list's criteria, with their values and counts."""
    choices = []
    for criterion in criteria_table(config):
        key = criterion["key"]
        options = []
        for value in criterion["values"]:
            count = len(programme.select({key: (value["value"],)})) if programme is not None else None
            if key == "region" and not count:
                continue  # eighteen regions: only those with events are worth a box
            options.append({"value": value["value"], "label": value["label"], "count": count})
        choices.append({"key": key, "legend": criterion["legend"], "options": options})
    return choices


def common(config, where: Where, title: str) -> dict:
    return {"config": config, "site": config.site, "where": where, "title": title,
            "edition_dates": _edition_dates(config)}


def _card(config, programme, feed, where: Where, now: dt.datetime) -> dict:
    items = programme.select(feed.filters)
    following = upcoming(items, now, 1)
    return {"feed": feed, "count": len(items), "title": subscription(feed, where)["short_name"],
            "next": event_view(following[0], config.taxonomy, where) if following else None,
            **subscription(feed, where)}


def home_context(config, programme, where: Where, now: dt.datetime | None = None) -> dict:
    """The home page: the calendars most agents want first, each with one subscribe control; the
    others folded by group, with their counts; then the next events."""
    now = now or utc_now()
    catalogue = feed_catalogue(config, programme)
    featured = [_card(config, programme, feed, where, now) for feed in catalogue if feed.group in FEATURED]
    groups = []
    for group, heading in GROUPS:
        cards = [_card(config, programme, feed, where, now) for feed in catalogue if feed.group == group]
        if cards:
            groups.append({"id": group, "title": heading, "cards": cards})
    return {**common(config, where, config.site.service), "featured": featured, "groups": groups,
            "total": len(programme.items),
            "upcoming": [event_view(i, config.taxonomy, where) for i in upcoming(programme.items, now, 5)]}


def _criteria_json(config) -> Markup:
    """The criteria table and the calendar naming rule, as JSON safe inside a <script> element."""
    data = {"criteres": criteria_table(config), "nom": _selection_naming(config)}
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def builder_context(config, programme, where: Where, params: dict) -> dict:
    """The feed builder: the boxes ticked, how many events match, the resulting feed."""
    chosen = {key: values for key, values in params.items() if key in SELECTION_PARAMS}
    feed = parse_selection(config, chosen)
    items = programme.select(feed.filters)
    return {**common(config, where, "Composer mon agenda"), "choices": _choices(config, programme),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "asked": bool(chosen),
            "count": len(items), "sentence": matching_sentence(len(items)), "feed": feed,
            **subscription(feed, where), "criteria_json": _criteria_json(config),
            "sample": [event_view(i, config.taxonomy, where) for i in items[:5]]}


def events_context(config, programme, where: Where, params: dict) -> dict:
    """The event list, filtered by the same criteria as the builder, and by words."""
    chosen = {key: values for key, values in params.items() if key in SELECTION_PARAMS}
    feed = parse_selection(config, chosen)
    words = " ".join(params.get("q", [])).strip()
    items = programme.select(feed.filters)
    if words:
        from .text import fold
        needles = fold(words).split()
        items = [i for i in items if all(n in fold(" ".join((i.event.title, i.event.description, i.event.organiser,
                                                              i.event.location.city))) for n in needles)]
    views = [event_view(i, config.taxonomy, where) for i in items[:LIST_LIMIT]]
    kept = {k for value in params.get("e", []) for k in value.split(",") if k}
    return {**common(config, where, "Tous les événements"), "choices": _choices(config, programme),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "words": words,
            "events": views, "matching": len(items), "total": len(programme.items), "kept": kept,
            "criteria_json": _criteria_json(config)}


def event_context(config, programme, where: Where, key: str, keys: list[str] = ()) -> dict | None:
    """An event's page; `keys` is the agent's programme carried by the address (« Mon programme »)."""
    item = programme.by_key.get(key)
    if item is None:
        return None
    view = event_view(item, config.taxonomy, where)
    mine = list(personal_feed(config, keys).filters["evenement"])
    added = sorted(set(mine) | {key})
    details = "\n\n".join(part for part in (view["description"], view["page_absolute"]) if part)
    return {**common(config, where, view["title"]), "event": view, "programme": mine, "in_programme": key in mine,
            "add": where.href("mon-programme.html?e=" + ",".join(added)),
            "remove": where.href("mon-programme.html?e=" + ",".join(k for k in mine if k != key)),
            "agenda_links": event_links(item.event, details), "jsonld": _event_jsonld(view)}


ATTENDANCE_MODES = {"presentiel": "OfflineEventAttendanceMode", "en-ligne": "OnlineEventAttendanceMode",
                    "hybride": "MixedEventAttendanceMode"}
EVENT_STATUSES = {"annule": "EventCancelled", "reporte": "EventPostponed", "en-ligne": "EventMovedOnline"}


def _event_jsonld(view: dict) -> Markup:
    """schema.org `Event` markup of an event page, for search engines."""
    place = view["place"]
    data = {"@context": "https://schema.org", "@type": "Event", "name": view["title"],
            "startDate": view["start"], "endDate": view["end"],
            "eventStatus": "https://schema.org/" + EVENT_STATUSES.get(view["status"], "EventScheduled")}
    if view["description"]:
        data["description"] = view["description"]
    if view["attendance"]:
        data["eventAttendanceMode"] = "https://schema.org/" + ATTENDANCE_MODES[view["attendance"]]
    locations = []
    if place["name"] or place["city"]:
        address = {"@type": "PostalAddress", "addressCountry": "FR"}
        for field_name, key in (("streetAddress", "address"), ("postalCode", "postal_code"),
                                ("addressLocality", "city"), ("addressRegion", "region_name")):
            if place[key]:
                address[field_name] = place[key]
        locations.append({"@type": "Place", "name": place["name"] or place["city"], "address": address})
    if view["online_url"]:
        locations.append({"@type": "VirtualLocation", "url": view["online_url"]})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if view["organiser"] or view["category_name"]:
        data["organizer"] = {"@type": "Organization", "name": view["organiser"] or view["category_name"]}
    if view["url"] or view["page_absolute"]:
        data["url"] = view["url"] or view["page_absolute"]
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def personal_context(config, programme, where: Where, keys: list[str]) -> dict:
    feed = personal_feed(config, keys)
    items = programme.select(feed.filters)
    return {**common(config, where, "Mon programme"), "feed": feed, "keys": feed.filters["evenement"],
            "events": [event_view(i, config.taxonomy, where) for i in items], **subscription(feed, where),
            "unknown": len(feed.filters["evenement"]) - len(items), "count": len(items),
            "criteria_json": _criteria_json(config)}


def embed_context(config, programme, where: Where, feed, now: dt.datetime | None = None) -> dict:
    now = now or utc_now()
    items = programme.select(feed.filters)
    return {**common(config, where, feed.name), "feed": feed, "count": len(items),
            "events": [event_view(i, config.taxonomy, where) for i in upcoming(items, now, 20)],
            **subscription(feed, where)}


LEGAL_PAGES = {"accessibilite": "Déclaration d'accessibilité", "mentions-legales": "Mentions légales",
               "contact": "Contact"}


def legal_context(config, where: Where, page: str) -> dict:
    """« Accessibilité », « Mentions légales », « Contact »: texts from the `site:` section of sources.yaml."""
    return {**common(config, where, LEGAL_PAGES[page]), "legal_page": page}


def error_context(config, where: Where, title: str, message: str) -> dict:
    return {**common(config, where, title), "message": message}


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
            data = cache[item.event.uid] = json.dumps(_json_event(event_view(item, config.taxonomy, where)),
                                                      ensure_ascii=False).encode("utf-8")
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
        "format": view["attendance"],
        "lieu": {"nom": view["place"]["name"], "adresse": view["place"]["address"], "ville": view["place"]["city"],
                 "code_postal": view["place"]["postal_code"], "region": view["place"]["region"],
                 "latitude": view["place"]["latitude"], "longitude": view["place"]["longitude"]},
        "lien_en_ligne": view["online_url"], "lien": view["url"], "inscription": view["registration_url"],
        "page": view["page"], "ics": view["ics"], "sequence": view["sequence"], "modifie_le": view["modified"],
    }


def status_context(config, store, programme) -> dict:
    """The health of every source, for /etat, /etat.json and `calfeed check`."""
    published = {}
    for item in programme.items:
        published[item.event.source] = published.get(item.event.source, 0) + 1
    sources = []
    for source in config.sources:
        state = store.source_state(source.id)
        sources.append({
            "id": source.id,
            "type": source.type,
            "location": source.location,
            "ok": state.last_error is None and state.last_success is not None,
            "last_attempt": state.last_attempt,
            "last_success": state.last_success,
            "last_error": state.last_error,
            "failures": state.failures,
            "events_read": state.event_count,
            "events_published": published.get(source.id, 0),
            "rejected": list(state.rejected),
            "warnings": list(state.warnings),
            "history": store.fetch_history(source.id, limit=5),
        })
    return {
        "edition": config.edition_name,
        "generation": programme.generation,
        "published_at": programme.published_at.isoformat(),
        "events": len(programme.items),
        "cancelled": sum(1 for item in programme.items if item.status == "annule"),
        "sources": sources,
        "failing": [s["id"] for s in sources if not s["ok"]],
    }
