"""Bring the published events in line with the sources' snapshots, versioned for calendar clients.

A changed event gets a higher SEQUENCE and a new LAST-MODIFIED; an event gone from its source stays
published as cancelled for the grace period; each event is rendered once per change and its bytes
kept in the store, so feeds are assembled without rendering.
"""

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from .model import content_hash, event_from_dict, utc_now
from .render import Publication, render_event, render_key
from .selection import Item, Programme
from .store import PublishedRow, Store

ONE_SECOND = dt.timedelta(seconds=1)


@dataclass
class PublishReport:
    added: int = 0
    changed: int = 0
    vanished: int = 0
    removed: int = 0
    rerendered: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.vanished or self.removed or self.rerendered)


def current_events(config, store: Store):
    """The programme as the sources say it now, one event at a time: each event once, with its JSON."""
    seen_uids, seen_keys = set(), set()
    for source in config.sources:
        for event_json in store.snapshot(source.id):
            event = event_from_dict(json.loads(event_json))
            key = event.dedupe_key()
            if event.uid in seen_uids or key in seen_keys:
                continue  # the same event from an earlier source in sources.yaml wins
            seen_uids.add(event.uid)
            seen_keys.add(key)
            yield event, event_json


def _sort_key(event) -> str:
    start, title, uid = event.sort_key()
    return f"{start.isoformat()}\x1f{title}\x1f{uid}"


def _later(now: dt.datetime, row: PublishedRow) -> dt.datetime:
    """A new version's time: now, and always after the previous version's (clients compare them)."""
    return max(now, dt.datetime.fromisoformat(row.modified) + ONE_SECOND)


class _Publisher:
    """One publication pass inside one write transaction."""

    def __init__(self, config, store: Store, db, now: dt.datetime):
        self.config, self.store, self.db, self.now = config, store, db, now
        self.key = render_key(config.taxonomy)
        self.report = PublishReport()

    def write(self, row: PublishedRow, event, publication: Publication):
        vevent = render_event(event, publication, self.config.taxonomy)
        self.store.write_published(self.db, dataclasses.replace(
            row, sequence=publication.sequence, modified=publication.modified.isoformat(), render_key=self.key,
            vevent=vevent))

    def present(self, event, event_json: str, row: PublishedRow | None):
        """An event the sources publish now: new, changed, re-rendered or as it was."""
        digest = content_hash(event_json)
        if row is None:
            modified = event.modified or self.config.reference_time or self.now
            publication = Publication(0, modified.astimezone(dt.UTC).replace(microsecond=0))
            row = PublishedRow(uid=event.uid, source_id=event.source, event_json=event_json, content_hash=digest,
                               sequence=0, first_seen=self.now.isoformat(), modified="", vanished_at=None,
                               sort_key=_sort_key(event), render_key="", vevent=b"")
            self.report.added += 1
        elif row.content_hash != digest and not row.vanished_at and \
                self.store.published_event_json(event.uid) == event_json:
            # Same event, digest computed another way (an older calfeed): adopt it, no new version.
            self.store.set_content_hash(self.db, event.uid, digest)
            return
        elif row.content_hash != digest or row.vanished_at:
            publication = Publication(row.sequence + 1, _later(self.now, row))
            row = dataclasses.replace(row, source_id=event.source, event_json=event_json, content_hash=digest,
                                      vanished_at=None, sort_key=_sort_key(event))
            self.report.changed += 1
        elif row.render_key != self.key:
            publication = Publication(row.sequence, dt.datetime.fromisoformat(row.modified))
            row = dataclasses.replace(row, event_json=event_json)
            self.report.rerendered += 1
        else:
            return
        self.write(row, event, publication)

    def gone(self, row: PublishedRow):
        """An event in the store that no source publishes any more: cancelled, then removed after grace."""
        if row.vanished_at is None:
            publication = Publication(row.sequence + 1, _later(self.now, row), vanished=True)
            row = dataclasses.replace(row, vanished_at=self.now.isoformat())
            self.report.vanished += 1
        elif self.now - dt.datetime.fromisoformat(row.vanished_at) > self.config.grace:
            self.store.delete_published(self.db, row.uid)
            self.report.removed += 1
            return
        elif row.render_key != self.key:
            publication = Publication(row.sequence, dt.datetime.fromisoformat(row.modified), vanished=True)
            self.report.rerendered += 1
        else:
            return
        event_json = self.store.published_event_json(row.uid)
        self.write(dataclasses.replace(row, event_json=event_json), event_from_dict(json.loads(event_json)),
                   publication)


def publish_events(config, store: Store, *, now: dt.datetime | None = None) -> PublishReport:
    """Bring the published events in line with the snapshots, tracking versions for clients."""
    now = (now or utc_now()).replace(microsecond=0)
    with store.transaction() as db:
        publisher = _Publisher(config, store, db, now)
        published = store.published_versions()
        for event, event_json in current_events(config, store):
            publisher.present(event, event_json, published.pop(event.uid, None))
        for row in published.values():
            publisher.gone(row)
        store.set_meta(db, "render_key", publisher.key)
        if publisher.report.any:
            store.bump_generation(db, now)
    return publisher.report


def needs_publishing(config, store: Store) -> bool:
    """Whether the store was never published, or with another renderer or vocabulary."""
    return store.generation() == 0 or store.get_meta("render_key") != render_key(config.taxonomy)


def load_programme(store: Store) -> Programme:
    """Every published event, sorted by start, from one consistent snapshot of the store."""
    with store.reading() as (generation, published_at, rows):
        items = tuple(Item(event_from_dict(json.loads(row.event_json)),
                           Publication(row.sequence, dt.datetime.fromisoformat(row.modified),
                                       vanished=row.vanished_at is not None),
                           row.vevent)
                      for row in rows)
    return Programme(generation, items, published_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
