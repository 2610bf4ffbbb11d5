"""The feeds the live app keeps ready: what each feed version answers, its bytes within a memory budget,
and the answers to conditional and compressed requests, with or without Flask."""

import datetime as dt
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags

from .feeds import Feed, feed_catalogue, render_feed
from .programme import Programme, load_programme
from .store import DAMAGED, Store

log = logging.getLogger(__name__)

# Microsoft's calendar fetchers (Outlook desktop, Outlook.com / 365, Exchange) are reported to fail on
# compressed calendar feeds (markuspoerschke/iCal#541: "disabling gzip compression fixed it"): they
# always get the plain body, whatever Accept-Encoding they send.
NO_GZIP_AGENTS = ("microsoft", "outlook", "exchange")
ADHOC_CACHE = 256  # ad-hoc addresses and selections remembered per programme version
NOT_MODIFIED = "304 NOT MODIFIED"


@dataclass(frozen=True, slots=True)
class Version:
    """One feed at one programme version, as far as a 304 needs it: no body."""

    etag: str
    last_modified: dt.datetime
    headers: list  # every header of its plain 200, Content-Length last, as WSGI wants them
    not_modified_headers: list

    def is_fresh_for(self, environ) -> bool:
        """Whether the client's copy is this version (the request's conditional headers say so)."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # Weak comparison (RFC 9110, 13.1.2): a proxy that compresses may have weakened our ETag.
            return parse_etags(if_none_match).contains_weak(self.etag)
        if "HTTP_IF_MODIFIED_SINCE" in environ:
            since = parse_date(environ["HTTP_IF_MODIFIED_SINCE"])
            return since is not None and self.last_modified <= since
        return False


def wants_gzip(environ) -> bool:
    encodings = environ.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" not in encodings or parse_accept_header(encodings)["gzip"] <= 0:
        return False
    agent = environ.get("HTTP_USER_AGENT", "").lower()
    return not any(name in agent for name in NO_GZIP_AGENTS)


class Bodies:
    """Feed bodies (plain or gzipped) with their headers, least recently used first out beyond a budget
    in bytes: memory stays bounded whatever the programme's size and the selections asked for."""

    def __init__(self, budget: int):
        self.budget, self.size = budget, 0
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, body: bytes, headers: list):
        if len(body) > self.budget:
            return  # served, never kept: it would push everything else out
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self._entries[key] = (body, headers)
            self.size += len(body)
            while self.size > self.budget:
                _, (dropped, _) = self._entries.popitem(last=False)
                self.size -= len(dropped)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self.size = 0


class Site:
    """The configuration, the store and the feeds of the current programme version."""

    def __init__(self, config, store: Store, check_seconds: float = 1.0, cache_bytes: int = 256 * 2**20):
        self.config, self.store = config, store
        self.check_seconds = check_seconds
        self._checked = 0.0
        self._damaged = False  # the store failed on the last check (logged once)
        self._lock = threading.Lock()  # swaps programme versions
        self._render_lock = threading.Lock()  # one thread renders or compresses a given feed, not eight
        self._programme: Programme | None = None
        self._catalogue: dict = {}  # path → feed, for the current programme
        self._versions: OrderedDict = OrderedDict()  # (generation, path, subscription, alarm) → Version
        self.bodies = Bodies(cache_bytes)
        self.resolved: dict = {}  # (PATH_INFO, QUERY_STRING) → (feed, subscription, alarm)

    def programme(self) -> Programme:
        programme = self._programme
        now = time.monotonic()
        if programme is not None and now - self._checked < self.check_seconds:
            return programme  # asked the store less than check_seconds ago
        try:
            return self._current(programme, now)
        except DAMAGED:
            if programme is None:
                raise
            # The feeds in memory are still right: keep serving them while the operator repairs the store.
            if not self._damaged:
                log.exception("the store is damaged; serving the programme already in memory")
            self._damaged, self._checked = True, now
            return programme

    def _current(self, programme: Programme | None, now: float) -> Programme:
        generation = self.store.generation()
        self._checked, self._damaged = now, False
        if programme is None or programme.generation != generation:
            with self._lock:
                if self._programme is None or self._programme.generation != generation:
                    programme = load_programme(self.store)
                    self._catalogue = {feed.path: feed for feed in feed_catalogue(self.config, programme)}
                    self.resolved = {}
                    self._versions = OrderedDict()
                    self.bodies.clear()
                    self._programme = programme
                programme = self._programme
        return programme

    @property
    def catalogue(self) -> dict:
        self.programme()
        return self._catalogue

    def answer(self, feed: Feed, subscription: bool, alarm: int, environ, programme: Programme):
        """Status, headers and body (None for a 304) answering `environ` with `feed` at `programme`."""
        key = (programme.generation, feed.path, subscription, alarm)
        version, body = self._versions.get(key), None
        if version is None:
            version, body = self._render(key, feed, programme)
        if version.is_fresh_for(environ):  # answered from the ETag alone, without touching the body
            return NOT_MODIFIED, version.not_modified_headers, None
        packed = wants_gzip(environ)
        if body is not None and not packed:
            return "200 OK", version.headers, body
        entry = self.bodies.get((key, packed)) or self._body(key, feed, programme, version, packed, body)
        return "200 OK", entry[1], entry[0]

    def _render(self, key, feed: Feed, programme: Programme) -> tuple[Version, bytes | None]:
        with self._render_lock:
            version = self._versions.get(key)
            if version is not None:
                return version, None  # another thread rendered it meanwhile
            _, _, subscription, alarm = key
            body = render_feed(self.config, programme, feed, subscription=subscription, alarm=alarm)
            etag = hashlib.sha256(body).hexdigest()[:32]
            headers = [
                ("Content-Type", "text/calendar; charset=utf-8"),
                ("Content-Disposition", f'inline; filename="{feed.path.split("?")[0].replace("/", "-")}"'),
                ("Access-Control-Allow-Origin", "*"),
                ("Vary", "Accept-Encoding"),
                ("Cache-Control", f"public, max-age={int(self.config.refresh.total_seconds())}"),
                ("ETag", f'"{etag}"'),
                ("Last-Modified", http_date(programme.published_at)),
                ("X-Content-Type-Options", "nosniff"),
            ]
            # A 304 repeats what a cache must update (RFC 9110, 15.4.5), not the body's own headers.
            not_modified = [(name, value) for name, value in headers
                            if name in ("Access-Control-Allow-Origin", "Vary", "Cache-Control", "ETag")]
            headers.append(("Content-Length", str(len(body))))
            version = Version(etag, programme.published_at, headers, not_modified)
            if programme is self._programme:  # a version superseded meanwhile is answered, not kept
                self.bodies.put((key, False), body, headers)
                self._versions[key] = version
                while len(self._versions) > ADHOC_CACHE + len(self._catalogue) * 4:
                    self._versions.popitem(last=False)
            return version, body

    def _body(self, key, feed: Feed, programme: Programme, version: Version, packed: bool, plain: bytes | None):
        """The body once dropped from memory or not yet compressed: rendered again (the same bytes,
        the output is deterministic) or compressed, at most once at a time."""
        with self._render_lock:
            entry = self.bodies.get((key, packed))
            if entry is not None:
                return entry
            if plain is None:
                kept = self.bodies.get((key, False))
                plain = kept[0] if kept else render_feed(self.config, programme, feed, subscription=key[2],
                                                         alarm=key[3])
            body = plain
            headers = version.headers
            if packed:
                body = gzip.compress(body, compresslevel=6, mtime=0)
                headers = [*headers[:-1], ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
            if programme is self._programme:
                self.bodies.put((key, packed), body, headers)
            return body, headers


class ReadyFeeds:
    """WSGI middleware that answers the feed addresses the app has already resolved straight from the
    ready feeds, without Flask's request cycle.

    Calendar clients polling their feeds are nearly all of the traffic, and most of their polls end in
    a 304: for them, routing, contexts and response objects would cost more than the answer itself.
    Anything else (a first request, pages, errors) goes to the app."""

    def __init__(self, wsgi_app, site: Site):
        self.wsgi_app, self.site = wsgi_app, site

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            try:
                site = self.site
                programme = site.programme()
                resolved = site.resolved.get((environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")))
                if resolved is not None:
                    status, headers, body = site.answer(*resolved, environ, programme)
                    start_response(status, headers)
                    return [body] if body is not None and method == "GET" else []
            except Exception:  # noqa: BLE001 -- the app below reports it with its error page and log
                pass
        return self.wsgi_app(environ, start_response)
