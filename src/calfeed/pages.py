"""What the HTML pages show, computed apart from Flask so the static build shows the same."""

import datetime as dt
from dataclasses import dataclass

from .feeds import feed_catalogue
from .links import subscribe_links
from .pipeline import utc_now

GROUPS = (
    ("tous", "Tout le programme"),
    ("selection", "Tables rondes de la DITP et sélections"),
    ("categorie", "Par organisateur"),
    ("theme", "Par thème"),
    ("region", "Par région"),
    ("format", "Par format"),
)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


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
        text += f" – {end:%H} h {end:%M}" if end.date() == start.date() else f" – {french_date(end.date())}, {end:%H} h {end:%M}"
    if event.timezone != "Europe/Paris":
        text += f" (heure locale, {event.timezone})"
    return text


@dataclass(frozen=True)
class FeedCard:
    feed: object
    count: int
    upcoming: list
    links: dict
    download: str
    import_url: str


def feed_cards(config, programme, base: str, count_of, now: dt.datetime | None = None) -> list[tuple[str, str, list]]:
    """The feeds grouped as the page lists them, each with its count, next events and links."""
    now = now or utc_now()
    groups = []
    for group, title in GROUPS:
        cards = []
        for feed in (f for f in feed_catalogue(config) if f.group == group):
            items = programme.select(feed.filters)
            later = [i for i in items if i.event.start_utc >= now] or items
            # Without a public address (a static build with no publish.base_url), links are relative.
            url = f"{base}/feeds/{feed.path}" if base else feed.path
            links = subscribe_links(url, feed.name) if base else {}
            cards.append(FeedCard(feed, count_of(feed), later[:3], links, url,
                                  f"{base}/feeds/import/{feed.path}" if base else f"import/{feed.path}"))
        if group == "region":
            cards = [c for c in cards if c.count]  # every region has a feed; the page lists those with events
        if cards:
            groups.append((group, title, cards))
    return groups


def page_context(config, programme, base: str, count_of) -> dict:
    return {
        "config": config,
        "edition_dates": _edition_dates(config),
        "groups": feed_cards(config, programme, base, count_of),
        "total": len(programme.items),
        "when": when,
        "base": base,
    }


def _edition_dates(config) -> str:
    if config.edition_start and config.edition_end:
        return f"du {french_date(config.edition_start)} au {french_date(config.edition_end)}"
    return ""


def status_context(config, store, programme) -> dict:
    """The health of every source, for /etat, /etat.json and `calfeed check`."""
    published = {}
    for item in programme.items:
        published[item.event.source] = published.get(item.event.source, 0) + 1
    sources = []
    for source in config.sources:
        state = store.source_state(source.id)
        history = store.fetch_history(source.id, limit=5)
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
            "history": history,
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
