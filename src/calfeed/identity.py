"""Which UID subscribers know each event of the sources by: the store's identities, never today's config.

A source gives each event its natural key (its own identifier, exactly as stated); the store remembers
under which UID each (source, natural key) was published (STYLE habit 16). An event whose key is new
keeps the UID of the same event already published — same title, start and place — when that event is
no longer claimed (a re-export under new identifiers, a renamed source), or shares it with another
source that carries it; otherwise it gets a new UID that depends on nothing in sources.yaml. Two events
of one version of one source are never merged: parallel sessions with one title stay distinct.
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from zoneinfo import ZoneInfo

from .model import Event, event_digest, event_from_dict, legacy_uid, stable_uid
from .text import fold

UID_DOMAIN = "calfeed"


@dataclass
class Claim:
    """One event of one source as it is published: under `uid`."""

    source_id: str
    key: str  # the natural key the source gives it
    uid: str
    read: Event  # as its source gives it, under its natural key
    digest: str  # see model.event_digest

    @property
    def event(self) -> Event:
        """The event under its published UID."""
        return self.read if self.read.uid == self.uid else replace(self.read, uid=self.uid)

    @property
    def event_json(self) -> str:
        return self.event.to_json()


@dataclass
class Plan:
    """The identity of every event the sources carry now, and what the team is told about it."""

    claims: list[Claim] = field(default_factory=list)  # in sources.yaml order, then each source's order
    bindings: list[tuple[str, str, str]] = field(default_factory=list)  # new (source, key, uid) to remember
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # per source, in French

    def published(self) -> dict[str, Claim]:
        """Each UID once, with the event of the first source (in sources.yaml order) that carries it."""
        first: dict[str, Claim] = {}
        for claim in self.claims:
            first.setdefault(claim.uid, claim)
        return first


def new_uid(key: str, event: Event, attempt: int = 0) -> str:
    """The UID of an event never published: its own when it has one (« @ »), else a digest of its exact
    natural key, title and start — the same on every install, whatever the source is called in sources.yaml."""
    if "@" in key and not attempt:
        return key
    parts = [key, " ".join(fold(event.title).split()), event.start_utc.isoformat()]
    return stable_uid(*parts, *([str(attempt)] if attempt else []), domain=UID_DOMAIN)


def plan_identities(config, store, snapshot: Callable[[str], Iterable[str]] | None = None,
                    now: dt.datetime | None = None, published: dict | None = None) -> Plan:
    """The published UID of each event the configured sources carry now.

    `snapshot(source_id)` gives a source's events as JSON texts (by default its stored snapshot): a
    caller may pass a source's new events to see what publishing them would do before keeping them.
    With `now`, a past event is never moved by a key its source reuses (see `_moved_from_past`).
    `published`: the store's published versions, when the caller has read them already."""
    planner = _Planner(config, store, snapshot or store.snapshot, now, published)
    planner.keep_known()
    planner.match_new()
    return planner.plan


class _Planner:
    """One assignment of published UIDs to the events of the sources (see plan_identities)."""

    def __init__(self, config, store, snapshot, now, published):
        self.store, self.now = store, now
        self.configured = [source.id for source in config.sources]
        self.known = store.identities()
        self.published = store.published_versions() if published is None else published
        self.bound = defaultdict(set)  # uid → the (source, key) pairs known to carry it
        for pair, uid in self.known.items():
            self.bound[uid].add(pair)
        self.plan = Plan()
        self.claimed: dict[str, str] = {}  # uid → the first source claiming it in this pass
        self.claimed_by = defaultdict(set)  # source → the UIDs its events claimed in this pass
        for source_id in self.configured:
            for event_json in snapshot(source_id):
                data = json.loads(event_json)
                event = event_from_dict(data)
                self.plan.claims.append(Claim(source_id, event.uid, "", event, event_digest(data)))

    def claim(self, item: Claim, uid: str):
        item.uid = uid
        self.claimed.setdefault(uid, item.source_id)
        self.claimed_by[item.source_id].add(uid)
        if self.known.get((item.source_id, item.key)) != uid:
            self.plan.bindings.append((item.source_id, item.key, uid))

    def keep_known(self):
        """Known keys keep their UID; so does an event from before the store kept identities (its old UID)."""
        pending = []
        for item in self.plan.claims:
            uid = self.known.get((item.source_id, item.key))
            if uid and uid not in self.claimed_by[item.source_id] and \
                    not _moved_from_past(self.published.get(uid), item.read, self.now):
                self.claim(item, uid)
            else:
                pending.append(item)
        for item in pending:
            old = legacy_uid(item.key, item.source_id, item.read)
            if old in self.published and old not in self.claimed and \
                    all(pair[0] == item.source_id for pair in self.bound[old]):
                self.claim(item, old)

    def match_new(self):
        """New keys: the same event already published but no longer claimed (it vanished, or its source was
        renamed or removed) keeps its UID; one another source carries is shared; else a new UID."""
        still = [item for item in self.plan.claims if not item.uid]
        if not still:
            return
        free = {}  # match key → UIDs of the published events no claimed key carries, in programme order
        starts = {item.read.start_utc.isoformat() for item in still}  # only these can match: read no other
        if still:
            for row in sorted((r for r in self.published.values() if r.uid not in self.claimed and
                               r.sort_key.split("\x1f", 1)[0] in starts), key=lambda r: (r.sort_key, r.uid)):
                event = event_from_dict(json.loads(self.store.published_event_json(row.uid)))
                free.setdefault(event.match_key(), []).append(row.uid)
        carried = {}  # match key → (uid, source) of an event claimed in this pass
        for item in self.plan.claims:
            if item.uid:
                carried.setdefault(item.read.match_key(), (item.uid, item.source_id))
        for item in still:
            match = item.read.match_key()
            other = carried.get(match)
            if free.get(match):
                uid = free[match].pop(0)
                self.plan.notes[item.source_id].append(self.taken_note(item, self.published[uid].source_id))
            elif other and other[1] != item.source_id and other[0] not in self.claimed_by[item.source_id]:
                uid = other[0]
                self.plan.notes[item.source_id].append(
                    f"« {item.read.title} » : même événement que dans la source « {other[1]} », publié une seule fois")
            else:
                uid = self.fresh_uid(item)
                carried.setdefault(match, (uid, item.source_id))
            self.claim(item, uid)

    def taken_note(self, item: Claim, was: str) -> str:
        if was == item.source_id:
            return (f"« {item.read.title} » : réexporté avec un nouvel identifiant ({item.key}), même événement "
                    "pour les abonnés")
        if was in self.configured:
            return f"« {item.read.title} » : même événement que dans la source « {was} », qui ne le publie plus"
        return f"« {item.read.title} » : même événement que dans l'ancienne source « {was} »"

    def fresh_uid(self, item: Claim) -> str:
        """A UID for an event never published; two distinct events never share one. An event's own UID
        (« @ ») that another source also gives is the same event (as calfeed always read it)."""
        attempt, uid = 0, new_uid(item.key, item.read)
        own = "@" in item.key

        def taken(uid):
            if uid in self.claimed_by[item.source_id]:
                return True
            return not own and (uid in self.claimed or uid in self.published or
                                bool(self.bound[uid] - {(item.source_id, item.key)}))
        while taken(uid):
            attempt += 1
            uid = new_uid(item.key, item.read, attempt)
        return uid


def _moved_from_past(row, event: Event, now: dt.datetime | None) -> bool:
    """Whether a known key now names another event than the past one it was published for: next year's
    spreadsheet numbers its rows 1, 2, 3 again. Its past event stays as subscribers know it (a past event
    is never rewritten into next year's), and the new one is a new event."""
    if row is None or now is None:
        return False
    start = dt.datetime.fromisoformat(row.sort_key.split("\x1f", 1)[0])
    return start < now and start != event.start_utc


def is_past(event: Event, now: dt.datetime) -> bool:
    """Whether the event is over: its end is before now."""
    return event.end_utc() <= now


def shown_day(event: Event) -> str:
    start = event.start.astimezone(ZoneInfo(event.timezone)) if not event.all_day else event.start
    return f"{start:%d/%m/%Y %H:%M}" if not event.all_day else f"{start:%d/%m/%Y}"


def orphan_sources(config, store) -> dict[str, int]:
    """The sources removed from sources.yaml and not retired, with how many of their events stay published."""
    configured, retired = {s.id for s in config.sources}, store.retired_sources()
    counts = defaultdict(int)
    for row in store.published_versions().values():
        if row.source_id not in configured and row.source_id not in retired and row.vanished_at is None:
            counts[row.source_id] += 1
    return dict(sorted(counts.items()))


def would_cancel(config, store, source_id: str, events_json: list[str], now: dt.datetime,
                 minimum: int = 0) -> list[str]:
    """The future published events of `source_id` that reading `events_json` into it would cancel: those
    no event of the new version, nor of another source, is the same as (see identity.py); for refresh to
    hold a mass change. Fewer than `minimum` found at a glance (by natural key): [] without looking further."""
    keys = {json.loads(text)["uid"] for text in events_json}
    known = {uid for (sid, key), uid in store.identities().items() if sid == source_id and key in keys}
    rows = [row for row in store.published_versions().values()
            if row.source_id == source_id and not row.vanished_at and row.uid not in known]
    if len(rows) < minimum:
        return []

    def snapshot(sid):
        return events_json if sid == source_id else store.snapshot(sid)
    plan = plan_identities(config, store, snapshot, now)
    carried = {claim.uid for claim in plan.claims}
    lost = []
    for row in rows:
        if row.uid in carried:
            continue
        event = event_from_dict(json.loads(store.published_event_json(row.uid)))
        if not is_past(event, now):
            lost.append(f"« {event.title} » ({shown_day(event)})")
    return sorted(lost)


def future_published(store, source_id: str, now: dt.datetime) -> int:
    """How many of the source's published events are still to come and not cancelled."""
    count = 0
    for row in store.published_versions().values():
        if row.source_id == source_id and not row.vanished_at and \
                not is_past(event_from_dict(json.loads(store.published_event_json(row.uid))), now):
            count += 1
    return count
