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

from .model import Event, event_from_dict, legacy_uid, stable_uid
from .text import fold

UID_DOMAIN = "calfeed"


@dataclass
class Claim:
    """One event of one source as it is published: under `uid`."""

    source_id: str
    key: str  # the natural key the source gives it
    uid: str
    event: Event  # with the published UID
    event_json: str


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

    def carriers(self) -> dict[str, list[str]]:
        """Each UID with the sources that carry it."""
        found = defaultdict(list)
        for claim in self.claims:
            if claim.source_id not in found[claim.uid]:
                found[claim.uid].append(claim.source_id)
        return found


def new_uid(key: str, event: Event, attempt: int = 0) -> str:
    """The UID of an event never published: its own when it has one (« @ »), else a digest of its exact
    natural key, title and start — the same on every install, whatever the source is called in sources.yaml."""
    if "@" in key and not attempt:
        return key
    parts = [key, " ".join(fold(event.title).split()), event.start_utc.isoformat()]
    return stable_uid(*parts, *([str(attempt)] if attempt else []), domain=UID_DOMAIN)


def plan_identities(config, store, snapshot: Callable[[str], Iterable[str]] | None = None,
                    now: dt.datetime | None = None) -> Plan:
    """The published UID of each event the configured sources carry now.

    `snapshot(source_id)` gives a source's events as JSON texts (by default its stored snapshot): a
    caller may pass a source's new events to see what publishing them would do before keeping them.
    With `now`, a past event is never moved by a key its source reuses (see `_moved_from_past`)."""
    snapshot = snapshot or store.snapshot
    configured = [source.id for source in config.sources]
    known = store.identities()
    published = store.published_versions()
    bound = defaultdict(set)  # uid → the (source, key) pairs known to carry it
    for pair, uid in known.items():
        bound[uid].add(pair)
    plan = Plan()
    pending: list[int] = []
    claimed: dict[str, str] = {}  # uid → the first source claiming it in this pass
    claimed_by = defaultdict(set)  # source → the UIDs its events claimed in this pass

    def claim(claim_: Claim, uid: str):
        claim_.uid = uid
        claimed.setdefault(uid, claim_.source_id)
        claimed_by[claim_.source_id].add(uid)
        if known.get((claim_.source_id, claim_.key)) != uid:
            plan.bindings.append((claim_.source_id, claim_.key, uid))

    # 1. Known keys keep their UID; so does an event from before the store kept identities (its old UID).
    for source_id in configured:
        for event_json in snapshot(source_id):
            event = event_from_dict(json.loads(event_json))
            plan.claims.append(Claim(source_id, event.uid, "", event, event_json))
    for index, item in enumerate(plan.claims):
        uid = known.get((item.source_id, item.key))
        if uid and uid not in claimed_by[item.source_id] and not _moved_from_past(published.get(uid), item.event, now):
            claim(item, uid)
        else:
            pending.append(index)
    still = []
    for index in pending:
        item = plan.claims[index]
        old = legacy_uid(item.key, item.source_id, item.event)
        if old in published and old not in claimed and all(pair[0] == item.source_id for pair in bound[old]):
            claim(item, old)
        else:
            still.append(index)
    # 2. New keys: the same event already published (not claimed: it vanished, or its source was
    # renamed or removed) keeps its UID; one another source carries is shared; else a new UID.
    free = {}  # match key → UIDs of the published events no claimed key carries, in programme order
    if still:
        for row in sorted((r for r in published.values() if r.uid not in claimed), key=lambda r: (r.sort_key, r.uid)):
            free.setdefault(event_from_dict(json.loads(store.published_event_json(row.uid))).match_key(), []
                            ).append(row.uid)
    carried = {}  # match key → (uid, source) of an event claimed in this pass
    for item in plan.claims:
        if item.uid:
            carried.setdefault(item.event.match_key(), (item.uid, item.source_id))
    for index in still:
        item = plan.claims[index]
        match = item.event.match_key()
        if free.get(match):
            uid = free[match].pop(0)
            was = published[uid].source_id
            if was == item.source_id:
                plan.notes[item.source_id].append(
                    f"« {item.event.title} » : réexporté avec un nouvel identifiant ({item.key}), même événement "
                    "pour les abonnés")
            elif was in configured:
                plan.notes[item.source_id].append(
                    f"« {item.event.title} » : même événement que dans la source « {was} », qui ne le publie plus")
            else:
                plan.notes[item.source_id].append(
                    f"« {item.event.title} » : même événement que dans l'ancienne source « {was} »")
            claim(item, uid)
        elif match in carried and carried[match][1] != item.source_id and \
                carried[match][0] not in claimed_by[item.source_id]:
            uid, other = carried[match]
            plan.notes[item.source_id].append(
                f"« {item.event.title} » : même événement que dans la source « {other} », publié une seule fois")
            claim(item, uid)
        else:
            attempt, uid = 0, new_uid(item.key, item.event)
            while uid in claimed_by[item.source_id] or (uid in claimed and "@" not in item.key) or \
                    (uid in published and uid not in claimed and "@" not in item.key) or \
                    (bound[uid] - {(item.source_id, item.key)} and "@" not in item.key):
                attempt += 1  # two distinct events never share a UID
                uid = new_uid(item.key, item.event, attempt)
            claim(item, uid)
            carried.setdefault(match, (uid, item.source_id))
    for item in plan.claims:
        if item.event.uid != item.uid:
            item.event = replace(item.event, uid=item.uid)
            item.event_json = item.event.to_json()
    return plan


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
