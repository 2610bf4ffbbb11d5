"""Refresh sources into the store, then publish: the one pipeline behind `fetch`, `build` and `serve`."""

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .adapters import parse_source
from .errors import CalfeedError, SourceError
from .fetch import fetch_source, new_session
from .model import content_hash, event_from_dict
from .render import Publication, render_event, render_key as current_render_key
from .store import PublishedRow, Store

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    """What one refresh of one source did."""

    source_id: str
    ok: bool
    changed: bool = False
    events: int = 0
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    http_status: int | None = None
    size: int = 0
    duration_ms: int = 0


@dataclass
class PublishReport:
    added: int = 0
    changed: int = 0
    vanished: int = 0
    removed: int = 0
    rerendered: int = 0
    total: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.vanished or self.removed or self.rerendered)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _fingerprint(source, taxonomy) -> str:
    """What, besides the body, decides how a source is read: a change means read it again."""
    return repr((source, taxonomy.categories, taxonomy.themes, taxonomy.event_types))


def _read(source, taxonomy, state, session, retries):
    """Fetch and parse one source (runs in a worker thread; touches no shared state)."""
    started = time.monotonic()
    report = SourceReport(source.id, ok=False)
    result = None
    try:
        fetched = fetch_source(source, session, etag=state.etag, last_modified=state.last_modified,
                               retries=retries)
        report.http_status, report.size = fetched.status, fetched.size
        if fetched.body is None:
            result = ("unchanged", fetched, None, None)
        else:
            digest = hashlib.sha256(fetched.body + _fingerprint(source, taxonomy).encode()).hexdigest()
            if digest == state.body_hash:
                result = ("unchanged", fetched, None, digest)
            else:
                result = ("parsed", fetched, parse_source(fetched.body, source, taxonomy), digest)
    except SourceError as exc:
        report.error, report.http_status = exc.reason, exc.http_status
    except Exception as exc:  # a bug in an adapter must not take the other sources down
        report.error = f"erreur inattendue en lisant la source ({type(exc).__name__}: {exc})"
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report, result


def refresh_sources(config, store: Store, *, now: dt.datetime | None = None, only: list[str] | None = None,
                    session=None) -> list[SourceReport]:
    """Fetch every source (concurrently), keep each one's last good snapshot, then publish."""
    now = now or utc_now()
    sources = [s for s in config.sources if not only or s.id in only]
    unknown = set(only or ()) - {s.id for s in config.sources}
    if unknown:
        raise CalfeedError(f"source inconnue : {', '.join(sorted(unknown))}. Sources de {config.path.name} : "
                           f"{', '.join(s.id for s in config.sources)}.")
    states = {s.id: store.source_state(s.id) for s in sources}
    session = session or new_session(config.concurrency)
    with ThreadPoolExecutor(max_workers=min(config.concurrency, max(len(sources), 1))) as pool:
        futures = [pool.submit(_read, s, config.taxonomy, states[s.id], session, config.retries) for s in sources]
        results = [future.result() for future in futures]
    reports = []
    with store.transaction() as db:
        for source, (report, result) in zip(sources, results, strict=True):
            _apply(store, db, source, states[source.id], report, result, now)
            reports.append(report)
        if not only:
            for stale in set(store.known_sources()) - {s.id for s in config.sources}:
                store.forget_source(db, stale)  # removed from sources.yaml: its events vanish below
            store.set_meta(db, "last_refresh", now.isoformat())
    del results  # the parsed events are in the snapshots now: free them before publishing
    publish_events(config, store, now=now)
    return reports


def _apply(store, db, source, state, report, result, now):
    if result is None:
        store.record_fetch(db, source.id, now, report.duration_ms, http_status=report.http_status,
                           error=report.error)
        store.mark_failed(db, source.id, report.error)
        return
    kind, fetched, parsed, digest = result
    store.record_fetch(db, source.id, now, report.duration_ms, http_status=fetched.status, size=fetched.size,
                       events_read=None if parsed is None else len(parsed.events),
                       events_rejected=None if parsed is None else len(parsed.rejected))
    if kind == "unchanged":
        report.ok, report.events = True, state.event_count
        report.rejected = list(state.rejected)
        store.mark_unchanged(db, source.id, now)
        return
    report.events = len(parsed.events)
    report.rejected = [str(r) for r in parsed.rejected]
    report.warnings = [str(w) for w in parsed.warnings]
    if not parsed.events and state.event_count and not source.allow_empty:
        report.error = (f"la source ne renvoie plus aucun événement alors qu'elle en publiait {state.event_count} : "
                        "l'instantané précédent reste publié (mettez « allow_empty: true » pour accepter un "
                        "calendrier vide)")
        db.execute("UPDATE fetches SET error = ? WHERE id = (SELECT MAX(id) FROM fetches WHERE source_id = ?)",
                   (report.error, source.id))
        store.mark_failed(db, source.id, report.error)
        return
    store.save_snapshot(db, source.id, now, (event.to_json() for event in parsed.events), report.rejected,
                        report.warnings, etag=fetched.etag, last_modified=fetched.last_modified, body_hash=digest)
    parsed.events.clear()  # stored: free them before the next source
    report.ok, report.changed = True, True


def _sort_key(event) -> str:
    start, title, uid = event.sort_key()
    return f"{start.isoformat()}\x1f{title}\x1f{uid}"


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


def publish_events(config, store: Store, *, now: dt.datetime | None = None) -> PublishReport:
    """Bring the published events in line with the snapshots, tracking versions for clients.

    A changed event gets a higher SEQUENCE and a new LAST-MODIFIED; an event gone from its source
    stays published as cancelled for the grace period; each event is rendered once per change.
    """
    now = (now or utc_now()).replace(microsecond=0)
    taxonomy = config.taxonomy
    render_key = current_render_key(taxonomy)
    report = PublishReport()

    def write(db, row, event, publication):
        store.write_published(db, dataclasses.replace(row, vevent=render_event(event, publication, taxonomy)))

    with store.transaction() as db:
        published = store.published_versions()
        for event, event_json in current_events(config, store):
            report.total += 1
            digest = content_hash(event_json)
            row = published.pop(event.uid, None)
            if row is None:
                modified = event.modified or config.reference_time or now
                publication = Publication(0, modified.astimezone(dt.UTC).replace(microsecond=0))
                first_seen = now
                report.added += 1
            elif row.content_hash != digest and not row.vanished_at and \
                    store.published_event_json(event.uid) == event_json:
                # Same event, digest computed another way (an older calfeed): adopt it, no new version.
                store.set_content_hash(db, event.uid, digest)
                continue
            elif row.content_hash != digest or row.vanished_at:
                previous = dt.datetime.fromisoformat(row.modified)
                publication = Publication(row.sequence + 1, max(now, previous + dt.timedelta(seconds=1)))
                first_seen = dt.datetime.fromisoformat(row.first_seen)
                report.changed += 1
            elif row.render_key != render_key:
                publication = Publication(row.sequence, dt.datetime.fromisoformat(row.modified))
                first_seen = dt.datetime.fromisoformat(row.first_seen)
                report.rerendered += 1
            else:
                continue
            write(db, PublishedRow(
                uid=event.uid, source_id=event.source,
                event_json=event_json,
                content_hash=digest, sequence=publication.sequence, first_seen=first_seen.isoformat(),
                modified=publication.modified.isoformat(), vanished_at=None, sort_key=_sort_key(event),
                render_key=render_key, vevent=b""), event, publication)
        for row in published.values():  # in the store, no longer in any source
            if row.vanished_at is None:
                modified = max(now, dt.datetime.fromisoformat(row.modified) + dt.timedelta(seconds=1))
                publication = Publication(row.sequence + 1, modified, vanished=True)
                vanished_at = now.isoformat()
                report.vanished += 1
            elif now - dt.datetime.fromisoformat(row.vanished_at) > config.grace:
                store.delete_published(db, row.uid)
                report.removed += 1
                continue
            elif row.render_key != render_key:
                publication = Publication(row.sequence, dt.datetime.fromisoformat(row.modified), vanished=True)
                vanished_at = row.vanished_at
                report.rerendered += 1
            else:
                continue
            event_json = store.published_event_json(row.uid)
            write(db, dataclasses.replace(row, event_json=event_json, sequence=publication.sequence,
                                          modified=publication.modified.isoformat(), vanished_at=vanished_at,
                                          render_key=render_key),
                  event_from_dict(json.loads(event_json)), publication)
        store.set_meta(db, "render_key", render_key)
        if report.any:
            store.bump_generation(db, now)
    return report


def ensure_published(config, store: Store, *, now: dt.datetime | None = None):
    """Read the sources never read yet, so a fresh install serves its feeds at once."""
    missing = [s.id for s in config.sources if store.source_state(s.id).last_attempt is None]
    if missing:
        refresh_sources(config, store, now=now, only=missing)
    elif store.generation() == 0 or store.get_meta("render_key") != current_render_key(config.taxonomy):
        publish_events(config, store, now=now)


def refresh_if_due(config, store: Store, owner: str, *, now: dt.datetime | None = None) -> bool:
    """Refresh unless another process did it within the interval; one process at a time."""
    now = now or utc_now()
    last = store.get_meta("last_refresh")
    if last and now - dt.datetime.fromisoformat(last) < config.fetch_interval:
        return False
    if not store.acquire_lease(owner, now, seconds=max(600, config.fetch_interval.total_seconds())):
        return False
    try:
        last = store.get_meta("last_refresh")
        if last and now - dt.datetime.fromisoformat(last) < config.fetch_interval:
            return False
        refresh_sources(config, store, now=now)
        return True
    finally:
        store.release_lease(owner)


def start_refresher(config, store: Store) -> threading.Thread:
    """Refresh sources in the background on the configured interval, without blocking requests."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    pause = min(60.0, config.fetch_interval.total_seconds() / 4)

    def loop():
        while True:
            time.sleep(pause)
            try:
                refresh_if_due(config, store, owner)
            except Exception:  # keep serving the last good feeds whatever happens here
                log.exception("background refresh failed")

    thread = threading.Thread(target=loop, name="calfeed-refresh", daemon=True)
    thread.start()
    return thread
