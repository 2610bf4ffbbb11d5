"""Bring the published events in line with the sources' snapshots, versioned for calendar clients.

A changed event gets a higher SEQUENCE, a new LAST-MODIFIED and says what changed; each event keeps
the UID the store gave it (identity.py). Only an organiser cancels: a future event gone from its
source stays published as cancelled for the grace period; a past one, one another source still
carries, or one of a source removed from sources.yaml (until `calfeed retire`) stays as it was.
Each event is rendered once per change and its bytes kept in the store, so feeds are assembled
without rendering.
"""

import dataclasses
import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .addresses import feed_catalogue
from .changes import BACK, Change, change_natures
from .identity import is_past, plan_identities, shown_day
from .model import Event, covers_uid, event_digest, event_from_dict, utc_now
from .render import Publication, render_event, render_key
from .selection import NEVER_PUBLISHED, Item, Programme
from .store import PublishedRow, Store
from .store.feeds import remember_feeds, remembered_feeds

ONE_SECOND = dt.timedelta(seconds=1)
WRITE_BATCH = 500  # rendered rows written per statement: fewer round trips, memory still bounded


@dataclass
class PublishReport:
    added: int = 0
    changed: int = 0
    vanished: int = 0
    removed: int = 0
    rerendered: int = 0
    pruned: int = 0  # past events older than publish.keep_past_days, taken out of the feeds
    cancelled: list[tuple[str, str]] = field(default_factory=list)  # (source, « title » (date)) cancelled now
    notes: dict[str, list[str]] = field(default_factory=dict)  # per source: identities matched, for the team
    orphans: dict[str, int] = field(default_factory=dict)  # removed source → its events still published

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.vanished or self.removed or self.rerendered or self.pruned)


def _digest(event_json: str) -> str:
    return event_digest(json.loads(event_json))


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
        self.configured = {source.id for source in config.sources}
        self.retired = store.retired_sources()
        self.prune_before = now - config.keep_past if config.keep_past is not None else None
        self.today = now.astimezone(ZoneInfo(config.timezone)).date().isoformat()
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
        self.keys = defaultdict(list)  # (source, published UID) → the natural keys the source gave it
        if self.rejections:
            for (source_id, key), uid in store.identities().items():
                self.keys[source_id, uid].append(key)
        self.pending: list[PublishedRow] = []  # rendered rows not written yet (see flush)

    def write(self, row: PublishedRow, event, publication: Publication):
        publication = dataclasses.replace(publication, change=_change(row.last_change))
        vevent = render_event(event, publication, self.config.taxonomy)
        self.pending.append(PublishedRow(  # built whole: dataclasses.replace costs more than the row itself
            row.uid, row.source_id, row.event_json, row.content_hash, publication.sequence, row.first_seen,
            publication.modified.isoformat(), row.vanished_at, row.sort_key, self.key, vevent, row.last_change))
        if len(self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self):
        """Write the rows rendered so far (batched: one statement per batch instead of one per event)."""
        self.store.write_published(self.db, self.pending)
        self.pending.clear()

    def pruned(self, event: Event) -> bool:
        """Whether the event ended before what publish.keep_past_days keeps: it leaves the feeds."""
        return self.prune_before is not None and event.end_utc() < self.prune_before

    def present(self, claim, row: PublishedRow | None):
        """An event the sources publish now (a claim, see identity.py): new, changed, re-rendered or as it was."""
        if self.pruned(claim.read):
            if row is not None:
                self.store.delete_published(self.db, row.uid)
                self.report.pruned += 1
            return
        digest = claim.digest
        if row is not None and row.content_hash == digest and row.source_id == claim.source_id and \
                not row.vanished_at and row.render_key == self.key:
            return  # as it was: the common case, decided without writing the event's JSON
        event = claim.event
        event_json = event.to_json()
        if row is None:
            modified = event.modified or self.config.reference_time or self.now
            publication = Publication(0, modified.astimezone(dt.UTC).replace(microsecond=0))
            row = PublishedRow(uid=event.uid, source_id=event.source, event_json=event_json, content_hash=digest,
                               sequence=0, first_seen=self.now.isoformat(), modified="", vanished_at=None,
                               sort_key=_sort_key(event), render_key="", vevent=b"")
            self.report.added += 1
        elif not row.vanished_at and (row.content_hash != digest or row.source_id != event.source) and \
                _digest(before := self.store.published_event_json(event.uid)) == digest:
            # Same event as published: carried by another source now (a renamed one), or its digest computed
            # another way (an older calfeed). Adopt it, no new version.
            if before != event_json and row.render_key == self.key:
                self.store.set_content_hash(self.db, event.uid, digest, event.source, event_json)
                return
            if row.render_key == self.key:
                self.store.set_content_hash(self.db, event.uid, digest)
                return
            publication = Publication(row.sequence, dt.datetime.fromisoformat(row.modified))
            row = dataclasses.replace(row, source_id=event.source, event_json=event_json, content_hash=digest)
            self.report.rerendered += 1
        elif row.content_hash != digest or row.vanished_at:
            publication = Publication(row.sequence + 1, _later(self.now, row))
            natures = [BACK] if row.vanished_at else \
                change_natures(json.loads(self.store.published_event_json(event.uid)), json.loads(event_json))
            row = dataclasses.replace(row, source_id=event.source, event_json=event_json, content_hash=digest,
                                      vanished_at=None, sort_key=_sort_key(event),
                                      last_change=f"{self.today} {','.join(natures)}")
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
        keys = [row.uid, *self.keys[row.source_id, row.uid]]
        for uid, rejection in rejections:
            if any(covers_uid(uid, key) for key in keys):
                return f"illisible dans la source (rejet : {rejection.split(' : ', 1)[0]})"
        unknown = sum(1 for uid, _ in rejections if not uid)
        if unknown:
            return (f"absent de la source, qui rejette {unknown} événement(s) sans identifiant : ce peut être "
                    "l'un d'eux")
        return ""

    def kept(self, row: PublishedRow, event: Event) -> bool:
        """Whether an event no source carries any more stays as last published rather than cancelled: it
        is over (a past event is never cancelled for vanishing), or its source was removed from
        sources.yaml and not retired (only `calfeed retire` ends it)."""
        if row.source_id not in self.configured and row.source_id not in self.retired:
            self.report.orphans[row.source_id] = self.report.orphans.get(row.source_id, 0) + 1
            return True
        return is_past(event, self.now)

    def gone(self, row: PublishedRow):
        """An event in the store that no source publishes any more: cancelled, then removed after grace;
        or kept as it was (see `kept`)."""
        reason = self.hold_reason(row) if row.vanished_at is None else ""
        if self.prune_before is not None or (row.vanished_at is None and not reason):
            event = event_from_dict(json.loads(self.store.published_event_json(row.uid)))
            if self.pruned(event):
                self.store.delete_published(self.db, row.uid)
                self.report.pruned += 1
                return
            if row.vanished_at is None and not reason and self.kept(row, event):
                if row.render_key != self.key:
                    self.write(dataclasses.replace(row, event_json=self.store.published_event_json(row.uid)), event,
                               Publication(row.sequence, dt.datetime.fromisoformat(row.modified)))
                    self.report.rerendered += 1
                return
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
            row = dataclasses.replace(row, vanished_at=self.now.isoformat(), last_change="")
            self.report.vanished += 1
            event = event_from_dict(json.loads(self.store.published_event_json(row.uid)))
            self.report.cancelled.append((row.source_id, f"« {event.title} » ({shown_day(event)})"))
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


def publish_events(config, store: Store, *, now: dt.datetime | None = None, accept=(),
                   retire=()) -> PublishReport:
    """Bring the published events in line with the snapshots, tracking versions for clients.

    `accept`: sources whose operator accepted the new state (`calfeed accept`): their missing events
    are cancelled even if the source rejects some. `retire`: sources removed from sources.yaml that the
    team ends (`calfeed retire`): their future events are cancelled, their past ones stay."""
    now = (now or utc_now()).replace(microsecond=0)
    with store.transaction() as db:
        for source_id in retire:
            store.retire_source(db, source_id, now)
        store.unretire_sources(db, [source.id for source in config.sources])
        publisher = _Publisher(config, store, db, now, accept)
        published = store.published_versions()
        plan = plan_identities(config, store, now=now, published=published)
        store.bind_identities(db, plan.bindings)
        for uid, claim in plan.published().items():
            publisher.present(claim, published.pop(uid, None))
        for row in published.values():
            publisher.gone(row)
        publisher.flush()
        publisher.report.notes = {source_id: notes for source_id, notes in plan.notes.items() if notes}
        for source_id, held in publisher.held.items():
            store.set_held(db, source_id, held)
        store.set_meta(db, "render_key", publisher.key)
        remember_feeds(db, feed_catalogue(config), now)  # their addresses answer for good (addresses.catalogue)
        # A new configuration changes what is served (feed names, links…) even when no event changed:
        # Last-Modified must move with the bytes, or If-Modified-Since clients keep a stale copy (a 304).
        if publisher.report.any or store.get_meta("config_key") != config_key(config):
            store.set_meta(db, "config_key", config_key(config))
            store.bump_generation(db, now)
    return publisher.report


def _change(last_change: str) -> Change:
    """A stored « <date> <nature,…> » as the renderer takes it: (date, natures), or () for none."""
    if not last_change:
        return ()
    day, _, natures = last_change.partition(" ")
    return (dt.date.fromisoformat(day), tuple(natures.split(",")))


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
                                       vanished=row.vanished_at is not None, change=_change(row.last_change)),
                           row.vevent)
                      for row in rows)
        feeds = remembered_feeds(store)
    return Programme(generation, items, published_at or NEVER_PUBLISHED, feeds)
