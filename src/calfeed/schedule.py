"""Background refresh for `calfeed serve`: one process at a time refreshes, on the configured interval."""

import datetime as dt
import logging
import os
import socket
import threading
import time

from .model import utc_now
from .refresh import refresh_sources
from .store import DAMAGED, Store, store_problem

log = logging.getLogger(__name__)


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
            except DAMAGED as exc:  # a full or read-only disk, a damaged base: what to do, without a traceback
                log.error("actualisation en tâche de fond impossible : %s", store_problem(store.path, exc))
            except Exception:  # keep serving the last good feeds whatever happens here
                log.exception("actualisation en tâche de fond : erreur inattendue")

    thread = threading.Thread(target=loop, name="calfeed-refresh", daemon=True)
    thread.start()
    return thread


def start_first_read(config, store: Store, source_ids: list[str]) -> threading.Thread:
    """Read web sources never read before in the background, so that serving starts at once.

    One process does it (the refresh lease); the others serve the store, which shows these sources as
    never read until then.
    """
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:first-read"
    longest = max(s.timeout * (config.retries + 1) for s in config.sources if s.id in source_ids)

    def read():
        if not store.acquire_lease(owner, utc_now(), seconds=longest + 60):
            return
        try:
            refresh_sources(config, store, only=source_ids)
        except Exception:  # keep serving whatever happens here
            log.exception("première lecture des sources web : erreur inattendue")
        finally:
            store.release_lease(owner)

    thread = threading.Thread(target=read, name="calfeed-first-read", daemon=True)
    thread.start()
    return thread
