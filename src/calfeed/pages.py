"""The site's pages and JSON exports, apart from Flask: their contexts, French formatting and the one
template environment. The live site and the static build render the same templates from the same
contexts, given "now" by the caller."""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from .feeds import feed_bytes
from .links import subscribe_links
from .render import STATUS_LINE
from .selection import (BUILDER_CRITERIA, CRITERIA, PUBLIC_CRITERIA, FeedRequest, event_feed, event_key,
                        feed_catalogue, parse_selection, personal_feed, vocabulary_of)
from .text import fold

GROUPS = (
    ("tous", "Tout le programme"),
    ("selection", "Les tables rondes de la DITP"),
    ("categorie", "Par organisateur"),
    ("theme", "Par thème"),
    ("region", "Par région"),
    ("format", "Par format"),
)
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


def french_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


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
    return {
        "name": feed.name,
        "path": path,
        "links": subscribe_links(absolute, feed.name) if absolute else {},
        "download": where.href(path) if feed.static or not where.static else absolute,
        "import_url": (where.href("import/" + path) if feed.static else
                       (absolute + ("&" if query else "?") + "usage=import") if absolute else ""),
        "json": where.href(plain.removesuffix(".ics") + ".json") if feed.static else
                (where.absolute(plain.removesuffix(".ics") + ".json" + query) if absolute else ""),
        "embed": where.href("integrer/" + plain.removesuffix(".ics") + ".html") if feed.static else "",
        "embed_absolute": (where.absolute("integrer/" + plain.removesuffix(".ics") + ".html")
                           if feed.static and where.base else ""),
    }


def event_view(item, taxonomy, where: Where) -> dict:
    """One event as pages and JSON exports show it."""
    event = item.event
    key = event_key(event.uid)
    location = event.location
    return {
        "key": key,
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
        "formats": list(CRITERIA["format"].values(event)),
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
        "ics": where.href(f"evenements/{key}.ics"),
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


def _choices(config, programme=None) -> list[dict]:
    """The builder's and the event list's criteria, with their values and counts."""
    choices = []
    for key in BUILDER_CRITERIA:
        options = []
        for term in vocabulary_of(config.taxonomy, key).terms:
            count = len(programme.select({key: (term.slug,)})) if programme is not None else None
            if key == "region" and not count:
                continue  # eighteen regions: only those with events are worth a box
            options.append({"value": term.slug, "label": term.name, "count": count})
        choices.append({"key": key, "legend": CRITERIA[key].legend, "options": options})
    return choices


def common(config, where: Where, title: str) -> dict:
    return {"config": config, "where": where, "title": title, "edition_dates": _edition_dates(config)}


def home_context(config, programme, where: Where, now: dt.datetime) -> dict:
    groups = []
    for group, heading in GROUPS:
        cards = []
        for feed in (f for f in feed_catalogue(config, programme) if f.group == group):
            items = programme.select(feed.filters)
            title = feed.name.split(" — ", 1)[-1]
            cards.append({"feed": feed, "count": len(items), "title": title[:1].upper() + title[1:],
                          "upcoming": [event_view(i, config.taxonomy, where) for i in upcoming(items, now)],
                          **subscription(feed, where)})
        if cards:
            groups.append({"id": group, "title": heading, "cards": cards})
    return {**common(config, where, config.edition_name), "groups": groups, "total": len(programme.items)}


def builder_context(config, programme, where: Where, params: dict) -> dict:
    """The feed builder: the boxes ticked, how many events match, the resulting feed."""
    chosen = {key: values for key, values in params.items() if key in PUBLIC_CRITERIA}
    feed = parse_selection(config, chosen)
    items = programme.select(feed.filters)
    return {**common(config, where, "Composer mon agenda"), "choices": _choices(config, programme),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "asked": bool(chosen),
            "count": len(items), "feed": feed, **subscription(feed, where),
            "sample": [event_view(i, config.taxonomy, where) for i in items[:5]]}


def events_context(config, programme, where: Where, params: dict) -> dict:
    """The event list, filtered by the same criteria as the builder, and by words."""
    chosen = {key: values for key, values in params.items() if key in PUBLIC_CRITERIA}
    feed = parse_selection(config, chosen)
    words = " ".join(params.get("q", [])).strip()
    items = programme.select(feed.filters)
    if words:
        needles = fold(words).split()
        items = [i for i in items if all(n in fold(" ".join((i.event.title, i.event.description, i.event.organiser,
                                                              i.event.location.city))) for n in needles)]
    views = [event_view(i, config.taxonomy, where) for i in items[:LIST_LIMIT]]
    return {**common(config, where, "Tous les événements"), "choices": _choices(config, programme),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "words": words,
            "events": views, "matching": len(items), "total": len(programme.items)}


def event_context(config, programme, where: Where, key: str) -> dict | None:
    item = programme.by_key.get(key)
    if item is None:
        return None
    view = event_view(item, config.taxonomy, where)
    return {**common(config, where, view["title"]), "event": view,
            "personal": where.href(f"mon-programme.html?e={key}")}


def personal_context(config, programme, where: Where, keys: list[str]) -> dict:
    feed = personal_feed(config, keys)
    items = programme.select(feed.filters)
    return {**common(config, where, "Mon programme"), "feed": feed, "keys": feed.filters["evenement"],
            "events": [event_view(i, config.taxonomy, where) for i in items], **subscription(feed, where),
            "unknown": len(feed.filters["evenement"]) - len(items)}


def embed_context(config, programme, where: Where, feed, now: dt.datetime) -> dict:
    items = programme.select(feed.filters)
    return {**common(config, where, feed.name), "feed": feed, "count": len(items),
            "events": [event_view(i, config.taxonomy, where) for i in upcoming(items, now, 20)],
            **subscription(feed, where)}


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


# -- rendering, for the live site and the static build alike -----------------------------------------

@cache
def environment() -> Environment:
    """The one template environment: the live site and the static build render through it."""
    return Environment(loader=PackageLoader("calfeed", "templates"), autoescape=select_autoescape(),
                       keep_trailing_newline=True)


def render_page(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)


def static_pages(config, programme, now: dt.datetime, *, event_pages: bool = True):
    """Every page, JSON export and single-event file of the site, as (path in the feeds folder,
    bytes or chunks) pairs produced one at a time (a large programme is never held whole as pages)."""
    def page(template, context):
        return render_page(template, context).encode("utf-8")

    base = config.base_url
    top = Where("", base, static=True)
    yield "index.html", page("index.html", home_context(config, programme, top, now))
    yield "constructeur.html", page("constructeur.html", builder_context(config, programme, top, {}))
    yield "evenements.html", page("evenements.html", events_context(config, programme, top, {}))
    yield "mon-programme.html", page("mon-programme.html", personal_context(config, programme, top, []))
    for feed in feed_catalogue(config, programme):
        stem = feed.path.removesuffix(".ics")
        depth = stem.count("/") + 1
        yield f"integrer/{stem}.html", page("integrer.html", embed_context(
            config, programme, Where("../" * depth, base, True), feed, now))
        yield f"{stem}.json", feed_json_chunks(config, programme, top, feed)
    for name in ("calfeed.css", "calfeed.js"):
        yield f"static/{name}", resources.files("calfeed").joinpath(f"static/{name}").read_bytes()
    if event_pages:
        below = Where("../", base, True)
        for key, item in programme.by_key.items():
            yield f"evenements/{key}.html", page("evenement.html", event_context(config, programme, below, key))
            yield f"evenements/{key}.ics", feed_bytes(config, programme, FeedRequest(event_feed(item), False))
