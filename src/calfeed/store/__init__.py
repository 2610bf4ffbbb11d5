"""The only package that touches SQLite: source snapshots, fetch history, published events."""

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import DiskError, StoreError
from .problems import DAMAGED, KEPT, damaged_message, store_problem
from .identities import IdentityTables
from .schema import MIGRATIONS

__all__ = ["DAMAGED", "Store", "damaged_message", "store_problem"]

HISTORY_KEPT = 200  # fetch records kept per source


@dataclass(frozen=True)
class SourceState:
    id: str
    event_count: int = 0
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    failures: int = 0
    rejected: tuple = ()
    warnings: tuple = ()
    rejected_uids: tuple = ()  # the UID of each rejected event, "" when the source gives none
    held: tuple = ()  # published events kept at their last good version, each with why


@dataclass(frozen=True)
class PublishedRow:
    uid: str
    source_id: str
    event_json: str
    content_hash: str
    sequence: int
    first_seen: str
    modified: str
    vanished_at: str | None
    sort_key: str
    render_key: str
    vevent: bytes
    last_change: str = ""  # "<date ISO> <nature,nature>" of the last change subscribers were told of


def _now_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class Store(IdentityTables):
    """A SQLite database shared by the CLI, the web workers and the refresher."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.transaction() as db:
                self._migrate(db)
        except OSError as exc:
            if DiskError.kind_of(exc.errno) is None:
                raise  # a wrong path, not the disk: named as such by the CLI
            raise DiskError.from_os_error(self.path.parent, exc, KEPT) from None
        except sqlite3.Error as exc:
            problem = store_problem(self.path, exc)
            if isinstance(problem, DiskError):
                raise problem from None
            raise StoreError(f"base de données {self.path} inutilisable ({exc}). "
                               "Vérifiez le chemin « store: path: » de sources.yaml et ses droits d'écriture.") from None

    @property
    def db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
        return connection

    def close(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @contextmanager
    def transaction(self):
        """One write transaction, taken at once so concurrent writers queue instead of failing."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:  # SQLite already rolled back on some errors (a full disk): say that one
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self, db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"la base {self.path} vient d'une version plus récente de calfeed "
                               f"(schéma {version}) : mettez calfeed à jour.")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # -- sources ---------------------------------------------------------------

    def source_state(self, source_id: str) -> SourceState:
        row = self.db.execute(
            "SELECT id, event_count, etag, last_modified, body_hash, last_attempt, last_success, last_error,"
            " failures, rejected_json, warnings_json, rejected_uids_json, held_json FROM sources WHERE id = ?",
            (source_id,)).fetchone()
        if row is None:
            return SourceState(source_id)
        return SourceState(*row[:9], rejected=tuple(json.loads(row[9])), warnings=tuple(json.loads(row[10])),
                           rejected_uids=tuple(json.loads(row[11])), held=tuple(json.loads(row[12])))

    def snapshot(self, source_id: str):
        """The JSON text of each event of the source's last good snapshot, in order, as a stream."""
        cursor = self.db.execute("SELECT event_json FROM snapshot_events WHERE source_id = ? ORDER BY position",
                                 (source_id,))
        for (event_json,) in cursor:
            yield event_json

    def record_fetch(self, db, source_id: str, started: dt.datetime, duration_ms: int, *, http_status=None,
                     size=None, events_read=None, events_rejected=None, error=None):
        db.execute("INSERT INTO fetches (source_id, started_at, duration_ms, http_status, bytes, events_read,"
                   " events_rejected, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (source_id, _now_text(started), duration_ms, http_status, size, events_read, events_rejected,
                    error))
        db.execute("DELETE FROM fetches WHERE source_id = ? AND id <= (SELECT id FROM fetches WHERE source_id = ?"
                   " ORDER BY id DESC LIMIT 1 OFFSET ?)", (source_id, source_id, HISTORY_KEPT))
        db.execute("INSERT INTO sources (id, last_attempt) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET"
                   " last_attempt = excluded.last_attempt", (source_id, _now_text(started)))

    def save_snapshot(self, db, source_id: str, when: dt.datetime, events, rejected: list[str],
                      warnings: list[str], etag=None, last_modified=None, body_hash=None, rejected_uids=()) -> int:
        """Replace the source's snapshot by `events` (JSON texts, streamed); return how many."""
        db.execute("DELETE FROM snapshot_events WHERE source_id = ?", (source_id,))
        db.executemany("INSERT INTO snapshot_events VALUES (?, ?, ?)",
                       ((source_id, position, text) for position, text in enumerate(events)))
        count = db.execute("SELECT COUNT(*) FROM snapshot_events WHERE source_id = ?", (source_id,)).fetchone()[0]
        db.execute(
            "UPDATE sources SET event_count = ?, rejected_json = ?, warnings_json = ?, etag = ?,"
            " last_modified = ?, body_hash = ?, last_success = ?, last_error = NULL, failures = 0 WHERE id = ?",
            (count, json.dumps(rejected, ensure_ascii=False), json.dumps(warnings, ensure_ascii=False), etag,
             last_modified, body_hash, _now_text(when), source_id))
        db.execute("UPDATE sources SET rejected_uids_json = ? WHERE id = ?",
                   (json.dumps(list(rejected_uids) or [""] * len(rejected)), source_id))
        return count

    def set_held(self, db, source_id: str, held: list[str]):
        db.execute("UPDATE sources SET held_json = ? WHERE id = ?", (json.dumps(held, ensure_ascii=False), source_id))

    def set_fetch_error(self, db, source_id: str, error: str):
        """Record an error found after the fetch itself (the body was read, but refused)."""
        db.execute("UPDATE fetches SET error = ? WHERE id = (SELECT MAX(id) FROM fetches WHERE source_id = ?)",
                   (error, source_id))
        self.mark_failed(db, source_id, error)

    def mark_unchanged(self, db, source_id: str, when: dt.datetime):
        db.execute("UPDATE sources SET last_success = ?, last_error = NULL, failures = 0 WHERE id = ?",
                   (_now_text(when), source_id))

    def mark_failed(self, db, source_id: str, error: str):
        db.execute("UPDATE sources SET last_error = ?, failures = failures + 1 WHERE id = ?", (error, source_id))

    def fetch_history(self, source_id: str, limit: int = 20) -> list[dict]:
        rows = self.db.execute(
            "SELECT started_at, duration_ms, http_status, bytes, events_read, events_rejected, error FROM fetches"
            " WHERE source_id = ? ORDER BY id DESC LIMIT ?", (source_id, limit)).fetchall()
        keys = ("started_at", "duration_ms", "http_status", "bytes", "events_read", "events_rejected", "error")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def known_sources(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM sources ORDER BY id")]

    def forget_source(self, db, source_id: str):
        db.execute("DELETE FROM snapshot_events WHERE source_id = ?", (source_id,))
        db.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    # -- published events ------------------------------------------------------

    def published(self) -> Iterator[PublishedRow]:
        """Every published event in programme order, one row at a time (a large programme is never
        held twice in memory, as rows and as events)."""
        for row in self.db.execute(
                "SELECT uid, source_id, event_json, content_hash, sequence, first_seen, modified, vanished_at,"
                " sort_key, render_key, vevent, last_change FROM published ORDER BY sort_key"):
            yield PublishedRow(*row)

    @contextmanager
    def reading(self):
        """One read transaction over the published events: (generation, published_at, rows), where the
        rows stream in programme order and belong to that generation."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield self.generation(), self.published_at(), self.published()
        finally:
            db.execute("COMMIT")

    def published_versions(self) -> dict[str, PublishedRow]:
        """Every published event's version, without its text nor its bytes (for comparing)."""
        rows = self.db.execute(
            "SELECT uid, source_id, '', content_hash, sequence, first_seen, modified, vanished_at,"
            " sort_key, render_key, x'', last_change FROM published").fetchall()
        return {row[0]: PublishedRow(*row) for row in rows}

    def published_event_json(self, uid: str) -> str:
        return self.db.execute("SELECT event_json FROM published WHERE uid = ?", (uid,)).fetchone()[0]

    def write_published(self, db, rows: list[PublishedRow]):
        """Write published events, in one statement (a first publication writes thousands)."""
        db.executemany("INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       ((row.uid, row.source_id, row.event_json, row.content_hash, row.sequence, row.first_seen,
                         row.modified, row.vanished_at, row.sort_key, row.render_key, row.vevent, row.last_change)
                        for row in rows))

    def set_content_hash(self, db, uid: str, digest: str, source_id: str | None = None, event_json: str | None = None):
        """An event's digest; with `source_id`, the source now carrying the same event (no new version)."""
        db.execute("UPDATE published SET content_hash = ?, source_id = coalesce(?, source_id), event_json ="
                   " coalesce(?, event_json) WHERE uid = ?", (digest, source_id, event_json, uid))

    def delete_published(self, db, uid: str):
        db.execute("DELETE FROM published WHERE uid = ?", (uid,))

    def generation(self) -> int:
        """A number that changes whenever the published events change."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def bump_generation(self, db, now: dt.datetime):
        """A new version of what is served; its time is later than the last one, even within one second
        (HTTP dates count whole seconds: an equal Last-Modified would answer a stale copy with a 304)."""
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        row = db.execute("SELECT value FROM meta WHERE key = 'published_at'").fetchone()
        if row:
            now = max(now.replace(microsecond=0), dt.datetime.fromisoformat(row[0]) + dt.timedelta(seconds=1))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('published_at', ?)", (_now_text(now),))

    def published_at(self) -> dt.datetime | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'published_at'").fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, db, key: str, value: str):
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- requests per feed and per day (no personal data) ------------------------

    def add_requests(self, counts: dict[tuple[str, str], int]):
        """Add `counts` ((day, feed) → requests) to the daily totals."""
        with self.transaction() as db:
            db.executemany("INSERT INTO feed_requests VALUES (?, ?, ?) ON CONFLICT (day, feed) DO UPDATE SET"
                           " count = count + excluded.count", ((day, feed, n) for (day, feed), n in counts.items()))

    def request_counts(self, since: str = "") -> list[tuple[str, str, int]]:
        """(day, feed, requests) from day `since` (AAAA-MM-JJ) on, by day then by most asked."""
        return self.db.execute("SELECT day, feed, count FROM feed_requests WHERE day >= ? ORDER BY day, count DESC,"
                               " feed", (since,)).fetchall()

    # -- refresh lease: one refresher at a time across processes ---------------

    def acquire_lease(self, owner: str, now: dt.datetime, seconds: float) -> bool:
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'lease'").fetchone()
            if row:
                holder, _, until = row[0].partition("|")
                if holder != owner and dt.datetime.fromisoformat(until) > now:
                    return False
            until = (now + dt.timedelta(seconds=seconds)).astimezone(dt.UTC).isoformat()
            db.execute("INSERT OR REPLACE INTO meta VALUES ('lease', ?)", (f"{owner}|{until}",))
            return True

    def release_lease(self, owner: str):
        with self.transaction() as db:
            db.execute("DELETE FROM meta WHERE key = 'lease' AND value LIKE ?", (f"{owner}|%",))

