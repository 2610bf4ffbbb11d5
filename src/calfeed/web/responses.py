"""One response path for feeds and JSON exports: a worker keeps the current programme version and,
within a memory budget, the bodies it answered; werkzeug answers conditional requests from each
version's ETag (one per content-coding) and Last-Modified."""

import datetime as dt
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Response, current_app, request
from werkzeug.datastructures import Headers, ImmutableHeadersMixin
from werkzeug.http import is_resource_modified, parse_accept_header

from ..caching import FEED, PAGE, live_cache_control
from ..model import utc_now
from ..publish import load_programme
from ..security import security_headers
from ..selection import Programme
from ..store import DAMAGED, Store
from .counts import RequestCounts, feed_name

log = logging.getLogger(__name__)

# Microsoft's calendar fetchers (Outlook desktop, Outlook.com / 365, Exchange) are reported to fail on
# compressed calendar feeds (markuspoerschke/iCal#541: "disabling gzip compression fixed it"): they
# always get the plain body, whatever Accept-Encoding they send.
NO_GZIP_AGENTS = ("microsoft", "outlook", "exchange")
VERSIONS_KEPT = 4096  # ETags remembered per programme version (a 304 needs no body)
PAGE_CACHE = {"Cache-Control": live_cache_control(PAGE)}


def add_security_headers(response: Response) -> Response:
    """Flask's after_request hook: every answer gets its security headers. A feed's are already among the
    headers prepared once per version (`Version.prepare`): they are not set again on every request."""
    if "Content-Security-Policy" not in response.headers:
        response.headers.update(security_headers(request.path))
    return response


class Bodies:
    """Response bodies, least recently used first out beyond a budget in bytes: memory stays bounded
    whatever the programme's size and the selections asked for (a body dropped is made again, the
    same bytes: the output is deterministic)."""

    def __init__(self, budget: int):
        self.budget, self.size = budget, 0
        self.largest = 0  # the largest body kept so far: room is made for one such before making a body
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def make_room(self):
        """Drop the least used bodies until one as large as the largest kept fits: the budget then bounds
        the bodies kept and the one being made together (at 100,000 events `tous.ics` alone is 150 MB)."""
        with self._lock:
            while self._entries and self.size + self.largest > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)

    def put(self, key, body: bytes):
        if len(body) > self.budget:
            return  # served, never kept: it would push everything else out
        with self._lock:
            self.largest = max(self.largest, len(body))
            old = self._entries.pop(key, None)
            self.size += len(body) - (len(old) if old is not None else 0)
            self._entries[key] = body
            while self.size > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self.size = 0


class Published:
    """One worker's view of the store: the current programme version and the bodies made from it."""

    def __init__(self, config, store: Store, check_seconds: float = 1.0, cache_bytes: int = 256 * 2**20):
        self.config, self.store = config, store
        self.check_seconds = check_seconds
        self._checked = 0.0
        self._damaged = False  # the store failed at the last check (logged once)
        self._programme: Programme | None = None
        self._swap = threading.Lock()
        self._making: dict = {}  # key → lock: one thread makes a given body, the others wait for it
        self._making_lock = threading.Lock()
        self._versions: OrderedDict = OrderedDict()
        self.bodies = Bodies(cache_bytes)
        self.counts = RequestCounts(store, config.timezone)

    def programme(self) -> Programme:
        programme, now = self._programme, time.monotonic()
        if programme is not None and now - self._checked < self.check_seconds:
            return programme  # asked the store less than check_seconds ago
        try:
            return self._current(programme, now)
        except DAMAGED:
            if programme is None:
                raise
            # The feeds in memory are still right: keep serving them while the operator repairs the store.
            if not self._damaged:
                log.exception("base endommagée : les agendas déjà en mémoire restent servis")
            self._damaged, self._checked = True, now
            return programme

    def _current(self, programme: Programme | None, now: float) -> Programme:
        generation = self.store.generation()
        self._checked, self._damaged = now, False
        if programme is None or programme.generation != generation:
            with self._swap:
                if self._programme is None or self._programme.generation != generation:
                    self._programme = load_programme(self.store)
                    self._versions = OrderedDict()
                    self.bodies.clear()
                programme = self._programme
        return programme

    def body(self, programme: Programme, key, make, packed: bool) -> bytes:
        """The body for `key` at `programme` (gzipped if `packed`), made at most once at a time."""
        key = (programme.generation, key, packed)
        body = self.bodies.get(key)
        if body is not None:
            return body
        with self._making_lock:
            lock = self._making.setdefault(key, threading.Lock())
        with lock:
            body = self.bodies.get(key)
            if body is None:
                if packed:
                    body = gzip.compress(self.body(programme, key[1], make, False), compresslevel=6, mtime=0)
                else:
                    self.bodies.make_room()
                    body = make()
                if programme is self._programme:  # a superseded version is answered, not kept
                    self.bodies.put(key, body)
        with self._making_lock:
            self._making.pop(key, None)
        return body

    def version(self, programme: Programme, key, make, packed: bool, mimetype: str, filename: str) -> "Version":
        """What answers `key` at `programme`: its ETag (one per content-coding) and its headers, prepared
        once per version with werkzeug and remembered, so that a 304 needs no body."""
        remembered = (programme.generation, key, packed)
        version = self._versions.get(remembered)
        if version is None:
            etag = hashlib.sha256(self.body(programme, key, make, False)).hexdigest()[:32]
            version = Version.prepare(etag + ("-gzip" if packed else ""), programme.published_at, self.config.refresh,
                                      mimetype, filename, packed)
            if programme is self._programme:
                self._versions[remembered] = version
                while len(self._versions) > VERSIONS_KEPT:
                    self._versions.popitem(last=False)
        return version


class SentHeaders(ImmutableHeadersMixin, Headers):
    """Headers checked once by werkzeug, when their version was prepared, and shared by every answer of that
    version: read-only (werkzeug's immutable headers), no answer may change what the others send."""

    def __init__(self, pairs: Headers | list[tuple[str, str]]):
        super().__init__()
        for name, value in pairs:
            Headers.add(self, name, value)  # Headers' own add, which checks each value (the mixin's refuses)


class PreparedResponse(Response):
    """An answer whose headers were prepared once per version (`Version.prepare`) and are sent as they are,
    with the body's Content-Length. werkzeug copies and checks every header of an answer before sending it
    (`Response.get_wsgi_headers`): for a feed that was the largest cost of answering (bench/serve.py)."""

    default_mimetype = None  # the prepared headers carry the Content-Type (a 304's has none, as werkzeug sends)

    def __init__(self, body: bytes | None, headers: SentHeaders, status: int = 200):
        super().__init__(None if body is None else [body], status, headers)
        self.sent = headers.to_wsgi_list()
        if body is not None:
            self.sent.append(("Content-Length", str(len(body))))

    def get_wsgi_response(self, environ: dict) -> tuple:
        return self.get_app_iter(environ), self.status, self.sent


@dataclass(frozen=True, slots=True)
class Version:
    etag: str
    last_modified: dt.datetime
    headers: SentHeaders  # of a 200, but its Content-Length
    not_modified_headers: SentHeaders  # what a 304 repeats (RFC 9110 15.4.5): what a cache must update

    @classmethod
    def prepare(cls, etag: str, last_modified: dt.datetime, refresh: dt.timedelta, mimetype: str, filename: str,
                packed: bool) -> "Version":
        template = Response(mimetype=mimetype)
        template.set_etag(etag)
        template.last_modified = last_modified
        template.headers["Cache-Control"] = live_cache_control(FEED, refresh)
        # The body depends on Accept-Encoding and, through NO_GZIP_AGENTS, on User-Agent: a shared cache must
        # key on both, or it could hand the gzip copy made for a browser to Outlook. Varying on User-Agent
        # splits a cache's copies by client, a small cost here: calendar fetchers are a handful of agents.
        template.vary.add("Accept-Encoding")
        template.vary.add("User-Agent")
        template.headers["Access-Control-Allow-Origin"] = "*"
        template.headers.update(security_headers(request.path))
        # A 304 repeats what a cache must update, without the entity headers (werkzeug's rule, as it applies
        # to any 304 it sends).
        repeated = [(name, value) for name, value in template.headers.to_wsgi_list()
                    if name in ("ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin",
                                "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")]
        if packed:
            template.headers["Content-Encoding"] = "gzip"
        template.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return cls(etag, last_modified, SentHeaders(template.headers), SentHeaders(repeated))


def published() -> Published:
    return current_app.extensions["calfeed"]


# The request headers werkzeug's is_resource_modified reads (If-Range only with ignore_if_range=False).
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH")


def wants_gzip(environ) -> bool:
    encodings = environ.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" not in encodings or parse_accept_header(encodings)["gzip"] <= 0:
        return False
    agent = environ.get("HTTP_USER_AGENT", "").lower()
    return not any(name in agent for name in NO_GZIP_AGENTS)


def respond(site: Published, programme: Programme, key, make, mimetype: str, filename: str) -> Response:
    """The one response path of feeds and JSON exports: conditional, compressed when asked."""
    environ = request.environ
    site.counts.add(feed_name(*key), utc_now())
    packed = wants_gzip(environ)
    version = site.version(programme, key, make, packed, mimetype, filename)
    # werkzeug decides every conditional request; one without its headers is "modified" anyway (the
    # check is skipped only to save its parsing on the plain requests that are most of the traffic).
    if any(name in environ for name in CONDITIONAL) and \
            not is_resource_modified(environ, etag=version.etag, last_modified=version.last_modified):
        return PreparedResponse(None, version.not_modified_headers, 304)  # from the ETag alone, no body
    return PreparedResponse(site.body(programme, key, make, packed), version.headers)

