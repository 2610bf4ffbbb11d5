"""Refresh the sources into the store: fetch each one's bytes, read them with its adapter, keep its
last good snapshot; then publish. The one path behind `fetch`, `build`, `check` and `serve`."""

import datetime as dt
import hashlib
import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .sources import parse_source
from .adapters.csv import cut_short
from .adapters.decode import DECODER_VERSION
from .alerts import check_alerts
from .errors import CalfeedError, SourceError
from .fetch import fetch_source, new_session
from .identity import future_published, would_cancel
from .model import covers_uid, utc_now
from .publish import needs_publishing, publish_events
from .store import Store


# The team's log (the service's, under gunicorn: server.py): each source's failure, a bug's with its traceback.
# Never shown to a subscriber nor on /etat, which say what the source did in their own words (public.py).
log = logging.getLogger(__name__)

# A source that loses more than this many events, and more than its share `max_drop` (sources.yaml),
# is held at its last good snapshot until the operator accepts the new state.
MIN_DROP = 2

# Sources are kept as each one is read; once none has finished for this long while some are still
# being read, what was read is published: a slow source (bounded by its deadline) never holds the others.
PUBLISH_PAUSE = 1.0


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
    detail: str = ""  # what the source sent, for the operator's terminal only: never stored
    held: list[str] = field(default_factory=list)  # published events kept at their last good version
    cancelled: list[str] = field(default_factory=list)  # its events announced cancelled by this refresh
    notes: list[str] = field(default_factory=list)  # identities matched: re-exports, events shared with others
    http_status: int | None = None
    size: int = 0
    duration_ms: int = 0


# The libraries whose version changes what the same bytes read as.
READING_LIBRARIES = ("icalendar", "recurring-ical-events", "python-dateutil", "charset-normalizer", "openpyxl",
                     "tzdata")


@cache
def reader_version() -> str:
    """The version of everything that turns a source's bytes into events: calfeed's version, a digest of
    its code and the reading libraries' versions. Any upgrade changes it, so each source is read again
    once and a fix to a reader reaches subscribers without waiting for the source to change (an event
    read the same gets no new SEQUENCE). The whole package's code is digested rather than a version
    number bumped by hand: a forgotten bump would leave a fix unpublished, a needless re-read costs one
    parse per source."""
    digest = hashlib.sha256(f"calfeed {__version__}|decoder {DECODER_VERSION}".encode())
    for library in READING_LIBRARIES:
        try:
            digest.update(f"|{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"|{library} -".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint(source, taxonomy) -> str:
    """What, besides the body, decides how a source is read: a change means read it again."""
    text = repr((source, taxonomy.configured, reader_version()))  # the terms sources.yaml gives
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _conditional(state, fingerprint: str) -> dict:
    """The validators of a conditional GET, only if the stored snapshot was read as this source would be
    read now: otherwise a 304 would keep a snapshot read by an older reader or another configuration."""
    if state.body_hash and state.body_hash.startswith(fingerprint + ":"):
        return {"etag": state.etag, "last_modified": state.last_modified}
    return {"etag": None, "last_modified": None}


def _read(source, taxonomy, state, session, retries):
    """Fetch and parse one source (runs in a worker thread; touches no shared state)."""
    started = time.monotonic()
    report = SourceReport(source.id, ok=False)
    result = None
    try:
        fingerprint = _fingerprint(source, taxonomy)
        fetched = fetch_source(source, session, retries=retries, **_conditional(state, fingerprint))
        report.http_status, report.size = fetched.status, fetched.size
        if fetched.body is None:
            result = ("unchanged", fetched, None, None)
        else:
            # The fingerprint leads the stored hash: the next fetch tells from it whether a 304 may be believed.
            digest = f"{fingerprint}:" + hashlib.sha256(fetched.body + f"|{fetched.charset}".encode()).hexdigest()
            if digest == state.body_hash:
                result = ("unchanged", fetched, None, digest)
            else:
                result = ("parsed", fetched, parse_source(fetched.body, source, taxonomy, fetched.charset), digest)
    except SourceError as exc:  # the source's problem, said by calfeed: no traceback to add
        report.error, report.http_status, report.detail = exc.reason, exc.http_status, exc.detail
        log.info("source « %s » en échec : %s", source.id, exc.reason)
    except Exception as exc:  # a bug in an adapter must not take the other sources down
        # What the exception says may hold what the source wrote or an internal address: it goes to the team's
        # log only; the report (shown on /etat) names the kind of failure and where to read the rest.
        report.error = (f"erreur inattendue de calfeed en lisant la source ({type(exc).__name__}) : le détail et sa "
                        "trace sont dans le journal de l'équipe (journal du service, ou sortie de la commande)")
        log.exception("source « %s » : erreur inattendue en la lisant (%s)", source.id, source.type)
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report, result


def refresh_sources(config, store: Store, *, now: dt.datetime | None = None, only: list[str] | None = None,
                    session=None, accept=()) -> list[SourceReport]:
    """Fetch every source (concurrently), keep each one's last good snapshot as it comes, publish.

    Each source is bounded by its fetch deadline; the sources read while a slow one is still going
    are published without waiting for it (see PUBLISH_PAUSE).
    `accept`: sources whose new state the operator accepts as it is (`calfeed accept`): it replaces
    the snapshot even if it shrank or looks cut short, and their missing events are cancelled."""
    now = now or utc_now()
    sources = [s for s in config.sources if not only or s.id in only]
    unknown = set(only or ()) - {s.id for s in config.sources}
    if unknown:
        raise CalfeedError(f"source inconnue : {', '.join(sorted(unknown))}. Sources de {config.path.name} : "
                           f"{', '.join(s.id for s in config.sources)}.")
    states = {s.id: store.source_state(s.id) for s in sources}
    session = session or new_session(config.concurrency)
    reports = {}
    passes = []

    def publish():
        passes.append(publish_events(config, store, now=now, accept=accept))

    with ThreadPoolExecutor(max_workers=min(config.concurrency, max(len(sources), 1))) as pool:
        pending = {pool.submit(_read, s, config.taxonomy, states[s.id], session, config.retries): s for s in sources}
        unpublished = False
        while pending:
            done, _ = wait(pending, timeout=PUBLISH_PAUSE if unpublished else None, return_when=FIRST_COMPLETED)
            if not done:  # the others are in, a slow source is still being read: publish them now
                publish()
                unpublished = False
                continue
            with store.transaction() as db:
                for future in done:
                    source = pending.pop(future)
                    report, result = future.result()
                    _apply(config, store, db, source, states[source.id], report, result, now, source.id in accept)
                    reports[source.id] = report
                    unpublished = unpublished or report.changed
    if not only:
        with store.transaction() as db:
            for stale in set(store.known_sources()) - {s.id for s in config.sources}:
                store.forget_source(db, stale)  # its events stay as they were, until `calfeed retire`
            store.set_meta(db, "last_refresh", now.isoformat())
    publish()
    for report in reports.values():
        report.held = list(store.source_state(report.source_id).held)
        report.cancelled = [text for done in passes for sid, text in done.cancelled if sid == report.source_id]
        report.notes = [note for done in passes for note in done.notes.get(report.source_id, ())]
    check_alerts(config, store, now)  # the team is told of a source failing (or back) for long enough
    return [reports[s.id] for s in sources]


def _refusal(config, store, source, state, parsed, now, accepted: bool) -> str:
    """Why a source's new snapshot is not to be believed without the operator's word ("" if it is):
    a body that looks cut short, an empty one, or a mass change — a large share of its events still to
    come would vanish with no event of the new version to match them (see identity.py). Past events
    leaving a source (next year's file) are never cancelled, so they do not count; rejected ones are held
    one by one, not counted as lost."""
    if accepted:
        return ""
    before, count = state.event_count, len(parsed.events)
    fix = f"si c'est voulu, lancez « calfeed accept {source.id} »"
    if parsed.truncated:
        return f"{parsed.truncated} : l'instantané précédent reste publié ({fix})"
    if cut := cut_short(parsed, store.snapshot(source.id)):
        return f"{cut} : l'instantané précédent reste publié ({fix})"
    # Empty with nothing still to come (OpenAgenda lists only upcoming events; the edition is over):
    # subscribers lose nothing, past events stay. Empty while events are to come: an export gone wrong.
    if not count and before and not source.allow_empty and not parsed.excluded and \
            future_published(store, source.id, now):  # all of it private now is not an export gone wrong
        return (f"la source ne renvoie plus aucun événement alors qu'elle en publiait {before} : l'instantané "
                f"précédent reste publié ({fix}, ou mettez « allow_empty: true » pour accepter un calendrier vide)")
    lost = would_cancel(config, store, source.id, [event.to_json() for event in parsed.events], now,
                        minimum=MIN_DROP + 1 + len(parsed.rejected) + len(parsed.excluded))
    lost_count = len(lost) - len(parsed.rejected) - len(parsed.excluded)  # nor are events now marked private
    upcoming = future_published(store, source.id, now) if lost_count > MIN_DROP else 0
    if lost_count > MIN_DROP and lost_count > upcoming * source.max_drop:
        shown = ", ".join(lost[:5]) + (f" et {len(lost) - 5} autre(s)" if len(lost) > 5 else "")
        return (f"{lost_count} des {upcoming} événement(s) à venir de la source ({round(lost_count * 100 / upcoming)} %) "
                f"disparaîtraient sans qu'aucun "
                f"événement de sa nouvelle version ne leur corresponde ({shown}) : changement massif, l'instantané "
                f"précédent reste publié et rien n'est annoncé aux abonnés ({fix}, qui les annoncera annulés ; ou "
                f"relevez « max_drop: » de la source, aujourd'hui {source.max_drop:g})")
    return ""


def _apply(config, store, db, source, state, report, result, now, accepted=False):
    """Record one source's refresh, and keep its new snapshot if it is one to believe."""
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
    report.error = _refusal(config, store, source, state, parsed, now, accepted)
    if report.error:
        log.info("source « %s » retenue : %s", source.id, report.error)
        store.set_fetch_error(db, source.id, report.error)
        return
    current = {event.uid for event in parsed.events}
    store.save_snapshot(db, source.id, now, (event.to_json() for event in parsed.events), report.rejected,
                        report.warnings, etag=fetched.etag, last_modified=fetched.last_modified, body_hash=digest,
                        rejected_uids=[r.uid for r in parsed.rejected])
    _withdraw_private(store, db, source, parsed.excluded, current, now)
    parsed.events.clear()  # stored: free them before the next source
    report.ok, report.changed = True, True


def _withdraw_private(store, db, source, excluded, current: set[str], now):
    """Published events the source now marks private leave the feeds at once: not kept as cancelled for
    the grace period (a cancelled copy still shows the title and place to every subscriber). `excluded` and
    `current` hold natural keys; the store says under which UID each was published (see identity.py)."""
    keys = [r.uid for r in excluded if r.uid]
    if not keys:
        return
    published = {uid for (sid, key), uid in store.identities().items()
                 if sid == source.id and key not in current and any(covers_uid(k, key) for k in keys)}
    withdrawn = [row.uid for row in store.published_versions().values() if row.source_id == source.id and
                 (row.uid in published or row.uid not in current and any(covers_uid(k, row.uid) for k in keys))]
    for uid in withdrawn:
        store.delete_published(db, uid)
    if withdrawn:
        store.bump_generation(db, now)


def ensure_published(config, store: Store, *, now: dt.datetime | None = None, remote: bool = True) -> list[str]:
    """Read the sources never read yet, so a fresh install serves its feeds at once.

    With `remote=False`, only local files are read: the ids of the web sources never read are returned
    for the caller to read in the background, so that a slow server never delays serving what is known.
    """
    missing = [s for s in config.sources if store.source_state(s.id).last_attempt is None]
    later = [s.id for s in missing if s.path is None and not remote]
    now_read = [s.id for s in missing if s.id not in later]
    if now_read:
        refresh_sources(config, store, now=now, only=now_read)
    elif needs_publishing(config, store):
        publish_events(config, store, now=now)
    return later
