"""The feed catalogue and event selection: which events each feed holds, and its bytes."""

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

from .errors import SelectionError
from .render import FeedHeader, alarm_component, assemble, assemble_chunks, render_header, zones_needed
from .text import fold

# Query parameters of /feeds/selection.ics, and the event attribute each one filters on.
SELECTION_PARAMS = ("categorie", "theme", "region", "format", "type")
# A hybrid event can be attended both ways, so it belongs to both formats.
FORMAT_MATCHES = {"presentiel": {"presentiel", "hybride"}, "en-ligne": {"en-ligne", "hybride"},
                  "hybride": {"hybride"}}


@dataclass(frozen=True)
class Feed:
    path: str  # relative to /feeds/: "categorie/labs.ics", or "selection.ics?…" for an ad-hoc feed
    group: str  # tous, categorie, theme, selection, region, format, personnalise
    slug: str
    name: str
    description: str
    filters: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def static(self) -> bool:
        return "?" not in self.path


def _vocabulary(config, key):
    taxonomy = config.taxonomy
    return {"categorie": taxonomy.categories, "theme": taxonomy.themes, "region": taxonomy.regions,
            "format": taxonomy.formats, "type": taxonomy.event_types}[key]


def feed_catalogue(config, programme=None) -> list[Feed]:
    """Every predefined feed, in the order the page lists them.

    Given the programme, a feed other than the whole programme exists while it has events: an
    empty calendar is refused or shown as broken by several clients.
    """
    edition, taxonomy = config.edition_name, config.taxonomy
    feeds = [Feed("tous.ics", "tous", "tous", f"{edition} — tout le programme",
                  f"Tous les événements du {edition}.")]
    for term in taxonomy.categories.terms:
        feeds.append(Feed(f"categorie/{term.slug}.ics", "categorie", term.slug, f"{edition} — {term.name}",
                          f"Les événements du {edition} organisés par : {term.name}"
                          + (f" ({term.description})." if term.description else "."),
                          {"categorie": (term.slug,)}))
    for term in taxonomy.themes.terms:
        feeds.append(Feed(f"theme/{term.slug}.ics", "theme", term.slug, f"{edition} — {term.name}",
                          f"Les événements du {edition} sur le thème : {term.name}.", {"theme": (term.slug,)}))
    for selection in config.selections:
        feeds.append(Feed(f"{selection.slug}.ics", "selection", selection.slug, f"{edition} — {selection.name}",
                          selection.description or f"{selection.name} ({edition}).", dict(selection.filters)))
    for term in taxonomy.regions.terms:
        feeds.append(Feed(f"region/{term.slug}.ics", "region", term.slug, f"{edition} — {term.name}",
                          f"Les événements du {edition} en région {term.name}.", {"region": (term.slug,)}))
    for term in taxonomy.formats.terms:
        feeds.append(Feed(f"format/{term.slug}.ics", "format", term.slug, f"{edition} — {term.name}",
                          f"Les événements du {edition} au format : {term.name.lower()}.", {"format": (term.slug,)}))
    if programme is not None:
        feeds = [feed for feed in feeds if feed.group == "tous" or programme.select(feed.filters)]
    return feeds


def parse_selection(config, params) -> Feed:
    """An ad-hoc feed from query parameters (a mapping of name → list of values).

    Values are matched like source labels (accents and case ignored); an unknown parameter or
    value raises SelectionError naming the valid ones.
    """
    filters: dict[str, tuple[str, ...]] = {}
    for key, values in params.items():
        if key not in SELECTION_PARAMS:
            raise SelectionError(f"paramètre inconnu « {key} ». Paramètres possibles : "
                                 f"{', '.join(SELECTION_PARAMS)} (et usage, rappel).")
        vocabulary = _vocabulary(config, key)
        slugs = []
        for raw in values:
            for value in (v for v in raw.split(",") if v.strip()):
                slug = vocabulary.lookup(value)
                if slug is None:
                    raise SelectionError(f"valeur inconnue « {value} » pour « {key} ». Valeurs possibles : "
                                         f"{', '.join(vocabulary.slugs)}.")
                if slug not in slugs:
                    slugs.append(slug)
        if slugs:
            filters[key] = tuple(sorted(slugs))
    parts = [" ou ".join(_vocabulary(config, key).name(s) for s in filters[key])
             for key in SELECTION_PARAMS if key in filters]
    label = " · ".join(parts) or "tout le programme"
    query = urlencode([(key, slug) for key in SELECTION_PARAMS for slug in filters.get(key, ())])
    return Feed(f"selection.ics?{query}" if query else "selection.ics", "personnalise", "selection",
                f"{config.edition_name} — sélection : {label}",
                f"Sélection personnalisée du {config.edition_name} : {label}.", filters)


def matches(event, filters) -> bool:
    """Values of one criterion are alternatives (OR); criteria combine (AND)."""
    for key, wanted in filters.items():
        if key == "categorie" and event.category not in wanted:
            return False
        if key == "theme" and not set(event.themes) & set(wanted):
            return False
        if key == "region" and event.location.region not in wanted:
            return False
        if key == "format" and not any(event.attendance in FORMAT_MATCHES.get(w, {w}) for w in wanted):
            return False
        if key == "type" and event.event_type not in wanted:
            return False
        if key == "organisateur" and fold(event.organiser) not in {fold(w) for w in wanted}:
            return False
        if key == "source" and event.source not in wanted:
            return False
        if key == "evenement" and event_key(event.uid) not in wanted:
            return False
    return True


def event_key(uid: str) -> str:
    """A short, stable, URL-safe key of an event (its page, its place in a personal programme)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:12]


def personal_feed(config, keys) -> Feed:
    """« Mon programme »: the events an agent ticked, by their keys; the address holds the choice."""
    keys = tuple(sorted({k for k in keys if len(k) == 12 and all(c in "0123456789abcdef" for c in k)}))
    return Feed("mon-programme.ics?" + urlencode({"e": ",".join(keys)}), "personnel", "mon-programme",
                f"{config.edition_name} — mon programme",
                f"Les événements du {config.edition_name} que j'ai choisis.", {"evenement": keys})


def select_items(items, filters) -> list:
    """The reference selection, one event at a time (the programme's index gives the same, faster)."""
    return [item for item in items if matches(item.event, filters)] if filters else list(items)


def index_value(name: str, value: str) -> str:
    return fold(value) if name == "organisateur" else value


def index_keys(event):
    """Every (criterion, value) under which `matches` would select `event`."""
    yield "categorie", event.category
    for theme in event.themes:
        yield "theme", theme
    if event.location.region:
        yield "region", event.location.region
    for name, accepted in FORMAT_MATCHES.items():
        if event.attendance in accepted:
            yield "format", name
    if event.event_type:
        yield "type", event.event_type
    yield "organisateur", fold(event.organiser)
    yield "source", event.source
    yield "evenement", event_key(event.uid)


@lru_cache(maxsize=512)
def _header_bytes(header: FeedHeader, zones: tuple) -> bytes:
    return render_header(header, dict(zones))


@lru_cache(maxsize=16)
def _alarm_bytes(minutes: int) -> bytes:
    return alarm_component(minutes).to_ical()


def feed_header(config, feed: Feed, subscription: bool = True) -> FeedHeader:
    url = f"{config.base_url}/feeds/{feed.path}" if config.base_url else ""
    return FeedHeader(feed.name, feed.description, config.timezone, config.refresh, url, subscription)


def feed_chunks(config, programme, feed: Feed, *, subscription: bool = True, alarm: int = 0):
    """The feed's bytes, piece by piece: a header, then the pre-rendered VEVENTs it selects."""
    selected = programme.select(feed.filters)
    zones = tuple(sorted(zones_needed(item.event for item in selected).items()))
    if not selected:
        # RFC 5545 wants at least one component in a calendar: an empty feed carries its zone.
        zones = ((config.timezone, config.edition_start.year if config.edition_start else 2000),)
    head = _header_bytes(feed_header(config, feed, subscription), zones)
    return assemble_chunks(head, (item.vevent for item in selected), _alarm_bytes(alarm) if alarm else b"")


def single_event(config, item) -> bytes:
    """One event alone, to add to one's own calendar (import variant: no calendar of its own)."""
    feed = Feed(f"evenements/{event_key(item.event.uid)}.ics", "evenement", event_key(item.event.uid),
                item.event.title, item.event.title)
    zones = tuple(sorted(zones_needed([item.event]).items()))
    return assemble(_header_bytes(feed_header(config, feed, subscription=False), zones), [item.vevent])


def render_feed(config, programme, feed: Feed, *, subscription: bool = True, alarm: int = 0) -> bytes:
    """The feed's bytes, whole."""
    return b"".join(feed_chunks(config, programme, feed, subscription=subscription, alarm=alarm))
