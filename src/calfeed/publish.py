"""Bring the published events in line with the sources' snapshots, versioned for calendar clients.

A changed event gets a higher SEQUENCE and a new LAST-MODIFIED; an event gone from its source stays
published as cancelled for the grace period; each event is rendered once per change and its bytes
kept in the store, so feeds are assembled without rendering.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from .model import content_hash, covers_uid, event_from_dict, utc_now
from .render import Publication, render_event, render_key
from .selection import NEVER_PUBLISHED, Item, Programme
from .store import PublishedRow, Store

ONE_SECOND = dt.timedelta(seconds=1)
WRITE_BATCH = 500  # rendered rows written per statement: fewer round trips, memory still bounded


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
    # Title and start tell the same event apart only across sources: within one source, events with
    # distinct UIDs are distinct (parallel sessions of a conference share a title and a time).
    seen_uids, seen_keys = set(), {}
    for source in config.sources:
        for event_json in store.snapshot(source.id):
            event = event_from_dict(json.loads(event_json))
            key = event.dedupe_key()
            if event.uid in seen_uids or seen_keys.get(key, source.id) != source.id:
                continue  # the same event from an earlier source in sources.yaml wins
            seen_uids.add(event.uid)
            seen_keys.setdefault(key, source.id)
            yield event, event_json


def _sort_key(event) -> str:
    start, title, uid = event.sort_key()
    return f"{start.isoformat()}\x1f{title}\x1f{uid}"


def _later(now: dt.datetime, row: PublishedRow) -> dt.datetime:
    """A new version's time: now, and always after the previous version's (clients compare them)."""
    return max(now, dt.datetime.fromisoformat(row.modified) + ONE_SECOND)


class _Publisher:
    """One publication pass inside one write transaction."""

    def __init__(self, config, store: Store, db, now: dt.datetime, accept=()):
        self.config, self.store, self.db, self.now = config, store, db, now
        self.key = render_key(config.taxonomy)
        self.report = PublishReport()
        # Per source: its rejected events as (UID or "", why), unless the operator accepted its new state.
        self.rejections = {}
        for source in config.sources:
            state = store.source_state(source.id)
            if source.id not in accept and state.rejected:
                uids = state.rejected_uids if len(state.rejected_uids) == len(state.rejected) else \
                    ("",) * len(state.rejected)
                self.rejections[source.id] = list(zip(uids, state.rejected, strict=True))
        self.held = {source.id: [] for source in config.sources}
        self.pending: list[PublishedRow] = []  # rendered rows not written yet (see flush)

    def write(self, row: PublishedRow, event, publication: Publication):
        vevent = render_event(event, publication, self.config.taxonomy)
        self.pending.append(PublishedRow(  # built whole: dataclasses.replace costs more than the row itself
            row.uid, row.source_id, row.event_json, row.content_hash, publication.sequence, row.first_seen,
            publication.modified.isoformat(), row.vanished_at, row.sort_key, self.key, vevent))
        if len(self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self):
        """Write the rows rendered so far (batched: one statement per batch instead of one per event)."""
        self.store.write_published(self.db, self.pending)
        self.pending.clear()

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

    def hold_reason(self, row: PublishedRow) -> str:
        """Why an event missing from its source's snapshot keeps its last good version ("": it does not).

        An event the source still serves but unreadably is not gone: cancelling it would tell subscribers
        something false. When a source rejects an event it gives no identifier to, any of its missing
        events may be that one: all of them are held, until the source is fixed or `calfeed accept`."""
        # The reasons themselves (with the source's text) are in the source's rejected list, not repeated here.
        rejections = self.rejections.get(row.source_id, ())
        for uid, rejection in rejections:
            if covers_uid(uid, row.uid):
                return f"illisible dans la source (rejet : {rejection.split(' : ', 1)[0]})"
        unknown = sum(1 for uid, _ in rejections if not uid)
        if unknown:
            return (f"absent de la source, qui rejette {unknown} événement(s) sans identifiant : ce peut être "
                    "l'un d'eux")
        return ""

    def gone(self, row: PublishedRow):
        """An event in the store that no source publishes any more: cancelled, then removed after grace."""
        reason = self.hold_reason(row) if row.vanished_at is None else ""
        if reason:
            event = event_from_dict(json.loads(self.store.published_event_json(row.uid)))
            self.held[row.source_id].append(f"« {event.title} » ({row.uid}) : dernière version valide conservée, "
                                            f"{reason}")
            if row.render_key != self.key:
                self.write(dataclasses.replace(row, event_json=self.store.published_event_json(row.uid)), event,
                           Publication(row.sequence, dt.datetime.fromisoformat(row.modified)))
                self.report.rerendered += 1
            return
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


def publish_events(config, store: Store, *, now: dt.datetime | None = None, accept=()) -> PublishReport:
    """Bring the published events in line with the snapshots, tracking versions for clients.

    `accept`: sources whose operator accepted the new state (`calfeed accept`): their missing events
    are cancelled even if the source rejects some."""
    now = (now or utc_now()).replace(microsecond=0)
    with store.transaction() as db:
        publisher = _Publisher(config, store, db, now, accept)
        published = store.published_versions()
        for event, event_json in current_events(config, store):
            publisher.present(event, event_json, published.pop(event.uid, None))
        for row in published.values():
            publisher.gone(row)
        publisher.flush()
        for source_id, held in publisher.held.items():
            store.set_held(db, source_id, held)
        store.set_meta(db, "render_key", publisher.key)
        # A new configuration changes what is served (feed names, links…) even when no event changed:
        # Last-Modified must move with the bytes, or If-Modified-Since clients keep a stale copy (a 304).
        if publisher.report.any or store.get_meta("config_key") != config_key(config):
            store.set_meta(db, "config_key", config_key(config))
            store.bump_generation(db, now)
    return publisher.report


def config_key(config) -> str:
    """The configuration as feeds and pages use it: when it changes, what is served may change."""
    return hashlib.sha256(repr(config).encode()).hexdigest()[:16]


def needs_publishing(config, store: Store) -> bool:
    """Whether the store was never published, or with another renderer, vocabulary or configuration."""
    return store.generation() == 0 or store.get_meta("render_key") != render_key(config.taxonomy) or \
        store.get_meta("config_key") != config_key(config)


def load_programme(store: Store) -> Programme:
    """Every published event, sorted by start, from one consistent snapshot of the store."""
    with store.reading() as (generation, published_at, rows):
        items = tuple(Item(event_from_dict(json.loads(row.event_json)),
                           Publication(row.sequence, dt.datetime.fromisoformat(row.modified),
                                       vanished=row.vanished_at is not None),
                           row.vevent)
                      for row in rows)
    return Programme(generation, items, published_at or NEVER_PUBLISHED)
