"""The site's pages, apart from Flask: each page's context and the one template environment. The live
site and the static build render the same templates from the same contexts, given "now" by the caller."""

import datetime as dt
from collections.abc import Sequence
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from .editions import AFTER
from .feeds import feed_bytes
from .addresses import (FeedRequest, catalogue, event_feed, feed_catalogue, parse_selection, personal_feed,
                        personal_page)
from .links import CLIENTS, event_links
from .public import public_location, public_source_text, without_addresses
from .script_data import EVENTS_FILE, events_data, page_data, say, search_text
from .selection import BUILDER_CRITERIA, CRITERIA, NEVER_PUBLISHED, PUBLIC_CRITERIA
from .taxonomy import DIMENSION, DIMENSIONS
from .text import fold, french_every, paragraphs
from .site_info import LEGAL_PAGES, SITE_MAP
from .views import (Where, dates_between, edition_view, event_jsonld, event_view, feed_json_chunks, french_moment,
                    french_spacing, subscription, upcoming)

# The home page: the calendars most agents want first, then the groups folded into a compact list (the
# dimensions of the vocabulary table that have a feed per value).
FEATURED = ("tous", "selection")
GROUPS = tuple((row.key, row.group) for row in DIMENSIONS if row.group)
LIST_LIMIT = 500  # events listed on one page; beyond, the page asks to narrow the search


def _edition_dates(config) -> str:
    return dates_between(config.edition_start, config.edition_end)


def _choices(config, programme=None) -> list[dict]:
    """The builder's and the event list's criteria, with their values and counts; a criterion that no
    published event has a value of is not offered (a dimension the team's sources do not fill)."""
    choices = []
    for key in BUILDER_CRITERIA:
        options = []
        for term in config.taxonomy.vocabulary(key).terms:
            # Every term, even without events yet (all eighteen regions): the count says what a box gives.
            count = len(programme.select({key: (term.slug,)})) if programme is not None else None
            options.append({"value": term.slug, "label": term.name, "count": count})
        if programme is None or not programme.items or any(option["count"] for option in options):
            choices.append({"key": key, "legend": CRITERIA[key].legend, "options": options,
                            "noun": DIMENSION[key].noun})
    return choices


def common(config, where: Where, title: str, choices: Sequence[dict] = (), page: str = "") -> dict:
    """What every page has; its script is given the sentences it says on `page` and the criteria of the
    `choices` the page offers."""
    return {"config": config, "site": config.site, "where": where, "title": title, "choices": choices,
            "edition_dates": _edition_dates(config),
            "script_data": page_data(config, page, tuple(choice["key"] for choice in choices))}


def _card(config, programme, feed, where: Where, now: dt.datetime) -> dict:
    items = programme.select(feed.filters)
    following = [item for item in upcoming(items, now, 1) if item.event.start_utc >= now]  # none once all are past
    return {"feed": feed, "count": len(items), "title": subscription(feed, where)["short_name"],
            "next": event_view(following[0], config.taxonomy, where, config.timezone) if following else None,
            **subscription(feed, where)}


def home_context(config, programme, where: Where, now: dt.datetime) -> dict:
    """The home page: the calendars most agents want first, each with one subscribe control; the
    others folded by group, with their counts; then the next events."""
    catalogue = feed_catalogue(config, programme)
    featured = [_card(config, programme, feed, where, now) for feed in catalogue if feed.group in FEATURED]
    groups = []
    for group, heading in GROUPS:
        cards = [_card(config, programme, feed, where, now) for feed in catalogue if feed.group == group]
        cards = [card for card in cards if card["count"] or group != "region"]  # eighteen regions: those with events
        if cards:
            groups.append({"id": group, "title": heading, "cards": cards})
    # The edition's own events: a past edition's stay in the feeds, never under « À venir ».
    mine = [item for item in programme.items if config.taxonomy.edition_label(item.event.start) == config.edition_name]
    edition = {**edition_view(config, now), "count": len(mine)}
    soon = [item for item in upcoming(mine, now, 5) if item.event.start_utc >= now] if edition["phase"] != AFTER else []
    return {**common(config, where, config.site.service), "featured": featured, "groups": groups,
            "total": len(programme.items), "edition": edition,
            "upcoming": [event_view(i, config.taxonomy, where, config.timezone) for i in soon]}


def builder_context(config, programme, where: Where, params: dict) -> dict:
    """The feed builder: the boxes ticked, how many events match, the resulting feed."""
    chosen = {key: values for key, values in params.items() if key in PUBLIC_CRITERIA}
    feed = parse_selection(config, chosen)
    items = programme.select(feed.filters)
    return {**common(config, where, "Composer mon agenda", _choices(config, programme), "constructeur"),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "asked": bool(chosen),
            "widen": _widen(config, programme, where, feed) if not items else [],
            "count": len(items), "sentence": say("correspondent", len(items)), "feed": feed,
            **subscription(feed, where),
            "sample": [event_view(i, config.taxonomy, where, config.timezone) for i in items[:5]]}


def _widen(config, programme, where: Where, feed) -> list[dict]:
    """For a choice that gives no event: what each ticked box, left out, would give (« sans « Occitanie » :
    1 événement »), so that an empty result leads somewhere. The page script computes the same from the table."""
    found = []
    for key in (key for key in PUBLIC_CRITERIA if key in feed.filters):  # in the table's order, as the script
        for value in feed.filters[key]:
            kept = {k: [v for v in vs if (k, v) != (key, value)] for k, vs in feed.filters.items()}
            wider = parse_selection(config, {k: vs for k, vs in kept.items() if vs})
            count = len(programme.select(wider.filters))
            if count:
                query = wider.path.partition("?")[2]
                found.append({"label": config.taxonomy.vocabulary(key).name(value), "count": count,
                              "href": where.href("constructeur.html") + ("?" + query if query else "")})
    return found


def events_context(config, programme, where: Where, params: dict) -> dict:
    """The event list, filtered by the same criteria as the builder, and by words."""
    chosen = {key: values for key, values in params.items() if key in PUBLIC_CRITERIA}
    feed = parse_selection(config, chosen)
    words = " ".join(params.get("q", [])).strip()
    items = programme.select(feed.filters)
    if words:
        needles = fold(words).split()
        items = [i for i in items if all(n in search_text(i.event) for n in needles)]
    views = [event_view(i, config.taxonomy, where, config.timezone) for i in items[:LIST_LIMIT]]
    kept = set(personal_feed(config, params.get("e", [])).filters["evenement"])
    choices = _choices(config, programme)
    nouns = [choice["noun"] for choice in choices]  # « Filtrer par organisateur, thème… ou type »
    return {**common(config, where, "Tous les événements", choices, "evenements"),
            "filters_named": " ou ".join(filter(None, (", ".join(nouns[:-1]), *nouns[-1:]))),
            "selected": {key: set(values) for key, values in feed.filters.items()}, "words": words,
            "events": views, "matching": len(items), "total": len(programme.items), "kept": kept}


def event_context(config, programme, where: Where, key: str, keys: list[str] = ()) -> dict | None:
    """An event's page; `keys` is the agent's programme carried by the address (« Mon programme »)."""
    item = programme.by_key.get(key)
    if item is None:
        return None
    view = event_view(item, config.taxonomy, where, config.timezone)
    mine = list(personal_feed(config, keys).filters["evenement"])
    added = sorted(set(mine) | {key})
    details = "\n\n".join(part for part in (view["description"], view["page_absolute"]) if part)
    return {**common(config, where, view["title"], page="evenement"), "event": view, "programme": mine, "in_programme": key in mine,
            "add": where.href(personal_page(added)),
            "remove": where.href(personal_page(k for k in mine if k != key)),
            "agenda_links": event_links(item.event, details), "jsonld": event_jsonld(view)}


def personal_context(config, programme, where: Where, keys: list[str]) -> dict:
    feed = personal_feed(config, keys)
    items = programme.select(feed.filters)
    chosen = feed.filters["evenement"]
    share = where.absolute(personal_page(chosen)) if chosen else ""
    # The static copy cannot write the agent's choice: it gives every event's line, for its script to show.
    lines = [event_view(i, config.taxonomy, where, config.timezone) for i in programme.items] if where.static else []
    return {**common(config, where, "Mon programme", page="programme"), "feed": feed, "keys": chosen, "share": share,
            "events": [event_view(i, config.taxonomy, where, config.timezone) for i in items], **subscription(feed, where),
            "unknown": len(feed.filters["evenement"]) - len(items), "count": len(items), "lines": lines}


def embed_context(config, programme, where: Where, feed, now: dt.datetime) -> dict:
    items = programme.select(feed.filters)
    return {**common(config, where, feed.name), "feed": feed, "count": len(items),
            "events": [event_view(i, config.taxonomy, where, config.timezone) for i in upcoming(items, now, 20)],
            **subscription(feed, where)}


def legal_context(config, where: Where, page: str) -> dict:
    """« Accessibilité », « Mentions légales », « Contact »: texts from the `site:` section of sources.yaml."""
    return {**common(config, where, LEGAL_PAGES[page]), "legal_page": page, "refresh_every": french_every(config.refresh),
            "embed_example": where.absolute("integrer/tous.html"), "embed_relative": where.href("integrer/tous.html"),
            "pages": [(where.href(path), name) for path, name in SITE_MAP]}



def error_context(config, where: Where, title: str, message: str) -> dict:
    # What an address may choose by, from the vocabulary table (« organisateur, thème, … ou public visé »).
    nouns = [DIMENSION[key].noun for key in BUILDER_CRITERIA]
    criteria = f"{', '.join(nouns[:-1])} ou {nouns[-1]}" if len(nouns) > 1 else "".join(nouns)
    return {**common(config, where, title), "message": message, "criteria": criteria}


def status_context(config, store, programme, *, public: bool = False) -> dict:
    """The health of every source, for /etat and /etat.json (`public`) and `calfeed check`."""
    published = {}
    for item in programme.items:
        published[item.event.source] = published.get(item.event.source, 0) + 1
    sources = []
    for source in config.sources:
        def shown(text, source=source):
            return public_source_text(config, source, text) if public else text
        state = store.source_state(source.id)
        sources.append({
            "id": source.id,
            "type": source.type,
            "location": public_location(config, source) if public else source.location,
            "ok": state.last_error is None and state.last_success is not None,
            "last_attempt": state.last_attempt,
            "last_success": state.last_success,
            "last_error": shown(state.last_error),
            "failures": state.failures,
            "events_read": state.event_count,
            "events_published": published.get(source.id, 0),
            "rejected": [shown(reason) for reason in state.rejected],
            "warnings": [shown(warning) for warning in state.warnings],
            # Published events, named by their titles (public already); any address reduced to its host.
            "held": [without_addresses(reason) if public else reason for reason in state.held],
            "history": [{**entry, "error": shown(entry["error"])} for entry in store.fetch_history(source.id, limit=5)],
        })
    return {
        "edition": config.edition_name,
        "generation": programme.generation,
        "published_at": None if programme.published_at == NEVER_PUBLISHED else programme.published_at.isoformat(),
        "events": len(programme.items),
        "cancelled": sum(1 for item in programme.items if item.status == "annule"),
        "sources": sources,
        "failing": [s["id"] for s in sources if not s["ok"]],
        "held": [s["id"] for s in sources if s["held"]],  # published events kept while unreadable
    }


# -- rendering, for the live site and the static build alike -----------------------------------------

@cache
def environment() -> Environment:
    """The one template environment: the live site and the static build render through it."""
    env = Environment(loader=PackageLoader("calfeed", "templates"), autoescape=select_autoescape(),
                      keep_trailing_newline=True)
    env.filters["fr"] = french_spacing
    env.filters["moment"] = french_moment
    env.filters["paragraphs"] = paragraphs
    env.globals.update(clients=CLIENTS, say=say, programme_page=personal_page)
    return env


def render_page(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)


def static_files(folder, prefix: str):
    """The site's own files (styles, scripts, the vendored DSFR: fonts, icons), as (path, bytes)."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from static_files(entry, f"{prefix}{entry.name}/")
        elif not entry.name.startswith("."):
            yield prefix + entry.name, entry.read_bytes()


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
    yield EVENTS_FILE, events_data(programme, config.timezone)
    for feed in catalogue(config, programme).values():  # every address that answers, as the live site does
        stem = feed.path.removesuffix(".ics")
        depth = stem.count("/") + 1
        yield f"integrer/{stem}.html", page("integrer.html", embed_context(
            config, programme, Where("../" * depth, base, True), feed, now))
        yield f"{stem}.json", feed_json_chunks(config, programme, top, feed)
    for name in LEGAL_PAGES:
        yield f"{name}.html", page("legal.html", legal_context(config, top, name))
    # Most static hosts answer a missing address with 404.html; its links lead from the site's root.
    yield "404.html", page("erreur.html", error_context(config, Where("/feeds/", base, True), "Page introuvable",
                                                        "Cette page n'existe pas. La liste des agendas est sur "
                                                        "la page d'accueil."))
    yield from static_files(resources.files("calfeed").joinpath("static"), "static/")
    if event_pages:
        below = Where("../", base, True)
        for key, item in programme.by_key.items():
            yield f"evenements/{key}.html", page("evenement.html", event_context(config, programme, below, key))
            yield f"evenements/{key}.ics", feed_bytes(config, programme, FeedRequest(event_feed(item), False))
