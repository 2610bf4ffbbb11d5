"""How many times each feed is asked for, per day, for the team's reporting: each worker counts in memory
and adds its counts to the store every few seconds. Only the feed's address and the day are kept,
nothing about who asked (no address, no agent, no time of day); « Mon programme » is one line whatever
events it holds."""

import atexit
import datetime as dt
import logging
import threading
import time
import weakref
from zoneinfo import ZoneInfo

from ..store import DAMAGED, Store

log = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0  # counts a worker may hold before adding them to the store


def feed_name(kind: str, wanted) -> str:
    """The name a request is counted under: the feed's address under /feeds/, without personal choices."""
    feed = wanted.feed
    path = "mon-programme.ics" if feed.group == "personnel" else feed.path
    path = path if wanted.subscription else "import/" + path
    return path.replace(".ics", ".json", 1) if kind == "json" else path


class RequestCounts:
    def __init__(self, store: Store, timezone: str, flush_seconds: float = FLUSH_SECONDS):
        self.store, self.zone, self.flush_seconds = store, ZoneInfo(timezone), flush_seconds
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._flushed = time.monotonic()
        atexit.register(_flush_at_exit, weakref.ref(self))  # a worker that stops keeps its last counts

    def add(self, name: str, now: dt.datetime):
        key = (now.astimezone(self.zone).date().isoformat(), name)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            due = time.monotonic() - self._flushed >= self.flush_seconds
        if due:
            self.flush()

    def flush(self):
        with self._lock:
            counts, self._counts, self._flushed = self._counts, {}, time.monotonic()
        if counts:
            try:
                self.store.add_requests(counts)
            except DAMAGED:  # counting must never cost an answer
                log.exception("requêtes par agenda perdues : la base est endommagée")

    def by_day(self, since: str = "") -> dict[str, dict[str, int]]:
        """{day: {feed: requests}}, this worker's latest counts included."""
        self.flush()
        days: dict[str, dict[str, int]] = {}
        for day, feed, count in self.store.request_counts(since):
            days.setdefault(day, {})[feed] = count
        return days


def _flush_at_exit(counts: "weakref.ref[RequestCounts]"):
    alive = counts()
    if alive is not None:
        alive.flush()
