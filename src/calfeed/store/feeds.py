"""Every feed address once published, with the name and selection it had: an address that reached
subscribers keeps answering after the team retires or renames its feed (it is never recomputed from
today's configuration alone)."""

import datetime as dt
import json
from dataclasses import dataclass

from . import Store


@dataclass(frozen=True)
class RememberedFeed:
    path: str  # relative to /feeds/, as published: "categorie/labs.ics"
    group: str
    slug: str
    name: str
    description: str
    label: str
    filters: tuple  # ((criterion, (values…)), …), sorted
    first_published: str
    last_configured: str  # the last publication while sources.yaml still listed it


def remember_feeds(db, feeds, now: dt.datetime):
    """Record the configured feeds (`addresses.Feed`) as published now: new ones are added, known ones
    take their current name and selection."""
    moment = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    db.executemany(
        "INSERT INTO feed_addresses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET"
        " feed_group = excluded.feed_group, slug = excluded.slug, name = excluded.name,"
        " description = excluded.description, label = excluded.label, filters_json = excluded.filters_json,"
        " last_configured = excluded.last_configured",
        ((feed.path, feed.group, feed.slug, feed.name, feed.description, feed.label,
          json.dumps(sorted((key, list(values)) for key, values in feed.filters.items()), ensure_ascii=False),
          moment, moment) for feed in feeds))


def remembered_feeds(store: Store) -> tuple[RememberedFeed, ...]:
    """Every feed address ever published, by path."""
    rows = store.db.execute(
        "SELECT path, feed_group, slug, name, description, label, filters_json, first_published, last_configured"
        " FROM feed_addresses ORDER BY path").fetchall()
    return tuple(RememberedFeed(*row[:6], tuple((key, tuple(values)) for key, values in json.loads(row[6])),
                                *row[7:]) for row in rows)
