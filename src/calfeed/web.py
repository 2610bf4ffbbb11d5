"""The live site: an app factory, one blueprint, one response path for feeds and JSON exports.

Feeds come from the store, never from sources: a worker keeps the current programme version and,
within a memory budget, the bodies it has answered; conditional requests are answered by werkzeug
from the version's ETag and Last-Modified.
"""

import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, parse_accept_header

from .config import load_config
from .errors import SelectionError
from .feeds import feed_bytes
from .model import utc_now
from .pages import (Where, builder_context, embed_context, event_context, events_context, feed_json, home_context,
                    personal_context, render_page, status_context)
from .publish import load_programme
from .refresh import ensure_published
from .schedule import start_refresher
from .selection import AddressError, Programme, catalogue, resolve_address
from .store import Store

bp = Blueprint("calfeed", __name__)

# Microsoft's calendar fetchers (Outlook desktop, Outlook.com / 365, Exchange) are reported to fail on
# compressed calendar feeds (markuspoerschke/iCal#541: "disabling gzip compression fixed it"): they
# always get the plain body, whatever Accept-Encoding they send.
NO_GZIP_AGENTS = ("microsoft", "outlook", "exchange")
VERSIONS_KEPT = 4096  # ETags remembered per programme version (a 304 needs no body)
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def create_app(test_config=None) -> Flask:
    app = Flask(__name__, static_url_path="/feeds/static")
    app.config.from_mapping(
        CALFEED_CONFIG=os.environ.get("CALFEED_CONFIG", "sources.yaml"),
        CALFEED_REFRESH=os.environ.get("CALFEED_REFRESH", "0") == "1",
        # How often a worker asks the store whether the programme changed (seconds).
        CALFEED_CHECK_SECONDS=1.0,
        # Memory for feed bodies per worker (MB); beyond it the least used are rendered again when asked.
        CALFEED_CACHE_MB=int(os.environ.get("CALFEED_CACHE_MB", "256")),
    )
    if test_config:
        app.config.update(test_config)
    config = load_config(app.config["CALFEED_CONFIG"])
    store = Store(config.store_path)
    ensure_published(config, store)
    app.extensions["calfeed"] = Published(config, store, app.config["CALFEED_CHECK_SECONDS"],
                                          app.config["CALFEED_CACHE_MB"] * 2**20)
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    if app.config["CALFEED_REFRESH"]:
        start_refresher(config, store)
    return app


class Bodies:
    """Response bodies, least recently used first out beyond a budget in bytes: memory stays bounded
    whatever the programme's size and the selections asked for (a body dropped is made again, the
    same bytes: the output is deterministic)."""

    def __init__(self, budget: int):
        self.budget, self.size = budget, 0
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key, body: bytes):
        if len(body) > self.budget:
            return  # served, never kept: it would push everything else out
        with self._lock:
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
        self._programme: Programme | None = None
        self._swap = threading.Lock()
        self._making: dict = {}  # key → lock: one thread makes a given body, the others wait for it
        self._making_lock = threading.Lock()
        self._etags: OrderedDict = OrderedDict()
        self.bodies = Bodies(cache_bytes)

    def programme(self) -> Programme:
        programme, now = self._programme, time.monotonic()
        if programme is not None and now - self._checked < self.check_seconds:
            return programme  # asked the store less than check_seconds ago
        generation = self.store.generation()
        self._checked = now
        if programme is None or programme.generation != generation:
            with self._swap:
                if self._programme is None or self._programme.generation != generation:
                    self._programme = load_programme(self.store)
                    self._etags = OrderedDict()
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
                    body = make()
                if programme is self._programme:  # a superseded version is answered, not kept
                    self.bodies.put(key, body)
        with self._making_lock:
            self._making.pop(key, None)
        return body

    def etag(self, programme: Programme, key, make, packed: bool) -> str:
        """The ETag of a body: one per content-coding, remembered so that a 304 needs no body."""
        remembered = (programme.generation, key, packed)
        etag = self._etags.get(remembered)
        if etag is None:
            etag = hashlib.sha256(self.body(programme, key, make, False)).hexdigest()[:32]
            etag += "-gzip" if packed else ""
            if programme is self._programme:
                self._etags[remembered] = etag
                while len(self._etags) > VERSIONS_KEPT:
                    self._etags.popitem(last=False)
        return etag


def published() -> Published:
    return current_app.extensions["calfeed"]


def wants_gzip() -> bool:
    encodings = request.headers.get("Accept-Encoding", "")
    if "gzip" not in encodings or parse_accept_header(encodings)["gzip"] <= 0:
        return False
    agent = request.headers.get("User-Agent", "").lower()
    return not any(name in agent for name in NO_GZIP_AGENTS)


def respond(programme: Programme, key, make, mimetype: str, filename: str) -> Response:
    """The one response path of feeds and JSON exports: conditional, compressed when asked."""
    site = published()
    packed = wants_gzip()
    etag = site.etag(programme, key, make, packed)
    response = Response(status=200, mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = programme.published_at
    response.cache_control.public = True
    response.cache_control.max_age = int(site.config.refresh.total_seconds())
    response.vary.add("Accept-Encoding")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.update(NOSNIFF)
    if not is_resource_modified(request.environ, etag=etag, last_modified=programme.published_at):
        response.status_code = 304  # answered from the ETag alone, without touching the body
        return response
    response.set_data(site.body(programme, key, make, packed))
    if packed:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _where(depth: int = 0) -> Where:
    """Links from a page `depth` folders below /feeds/ (the static build's layout)."""
    return Where("../" * depth, published().config.base_url or request.url_root.rstrip("/"))


def _page(template: str, context: dict, status: int = 200):
    return render_page(template, context), status, NOSNIFF


def _params() -> dict:
    return request.args.to_dict(flat=False)


@bp.get("/")
def home():
    site = published()
    where = Where("feeds/", _where().base)
    return _page("index.html", home_context(site.config, site.programme(), where, utc_now()))


@bp.get("/feeds/")
@bp.get("/feeds/index.html")
def home_in_feeds():
    site = published()
    return _page("index.html", home_context(site.config, site.programme(), _where(), utc_now()))


@bp.get("/feeds/constructeur.html")
def builder():
    site = published()
    try:
        return _page("constructeur.html", builder_context(site.config, site.programme(), _where(), _params()))
    except SelectionError as exc:
        abort(400, description=str(exc))


@bp.get("/feeds/evenements.html")
def events():
    site = published()
    try:
        return _page("evenements.html", events_context(site.config, site.programme(), _where(), _params()))
    except SelectionError as exc:
        abort(400, description=str(exc))


@bp.get("/feeds/evenements/<key>.html")
def event_page(key):
    site = published()
    context = event_context(site.config, site.programme(), _where(1), key)
    if context is None:
        abort(404, description="Cet événement n'est pas (ou plus) au programme.")
    return _page("evenement.html", context)


@bp.get("/feeds/mon-programme.html")
def personal_page():
    site = published()
    return _page("mon-programme.html", personal_context(site.config, site.programme(), _where(),
                                                        request.args.getlist("e")))


# Feed addresses are at most two folders deep; plain string parts (no <path:…>) keep URL matching
# on werkzeug's fast, part-by-part route (this is the service's hot path).
@bp.get("/feeds/integrer/<name>.html", defaults={"group": None})
@bp.get("/feeds/integrer/<group>/<name>.html")
def embed(group, name):
    path = f"{group}/{name}" if group else name
    site = published()
    programme = site.programme()
    chosen = catalogue(site.config, programme).get(path + ".ics")
    if chosen is None:
        abort(404, description=f"Aucun agenda « {path} » à intégrer.")
    context = embed_context(site.config, programme, _where(path.count("/") + 1), chosen, utc_now())
    return render_page("integrer.html", context), 200, {**NOSNIFF, "Content-Security-Policy": "frame-ancestors *"}


def _resolve(programme: Programme, path: str):
    try:
        return resolve_address(published().config, programme, path, _params())
    except AddressError as exc:
        abort(exc.status, description=str(exc))


@bp.get("/feeds/<name>.json", defaults={"group": None})
@bp.get("/feeds/<group>/<name>.json")
def feed_as_json(group, name):
    path = f"{group}/{name}" if group else name
    site = published()
    programme = site.programme()
    wanted = _resolve(programme, path + ".ics")
    where = Where("/feeds/", _where().base)
    return respond(programme, ("json", wanted, where), lambda: feed_json(site.config, programme, where, wanted.feed),
                   "application/json", path.replace("/", "-") + ".json")


@bp.get("/feeds/<name>.ics", defaults={"group": None, "variant": None})
@bp.get("/feeds/<group>/<name>.ics", defaults={"variant": None})
@bp.get("/feeds/<variant>/<group>/<name>.ics")
def feed(variant, group, name):
    path = "/".join(part for part in (variant, group, name) if part) + ".ics"
    site = published()
    programme = site.programme()
    wanted = _resolve(programme, path)
    return respond(programme, ("ics", wanted), lambda: feed_bytes(site.config, programme, wanted),
                   "text/calendar", wanted.feed.path.split("?")[0].replace("/", "-"))


@bp.get("/etat")
def status_page():
    site = published()
    context = status_context(site.config, site.store, site.programme())
    return _page("etat.html", {"config": site.config, "title": "État des sources",
                               "where": Where("feeds/", _where().base), **context})


@bp.get("/etat.json")
def status_json():
    site = published()
    response = current_app.json.response(status_context(site.config, site.store, site.programme()))
    response.headers.update(NOSNIFF)
    response.headers["Cache-Control"] = "no-store"
    return response


def _http_error(error: HTTPException):
    titles = {400: "Requête invalide", 404: "Page introuvable", 405: "Méthode non autorisée"}
    title = titles.get(error.code, "Erreur")
    custom = error.description and error.description != type(error).description
    message = error.description if custom else {
        404: "Cette page n'existe pas. La liste des agendas est sur la page d'accueil.",
        405: "Cette adresse ne s'utilise qu'en lecture (GET).",
    }.get(error.code, title)
    if request.path.startswith("/feeds/") or request.path.endswith(".json"):
        response = Response(f"{title} : {message}\n", status=error.code, content_type="text/plain; charset=utf-8")
        response.headers.update(NOSNIFF)
        return response
    return _error_page(title, message, error.code)


def _error_page(title: str, message: str, status: int):
    config = published().config if "calfeed" in current_app.extensions else None
    return render_page("erreur.html", {"config": config, "title": title, "message": message,
                                       "where": Where("/feeds/", "")}), status, NOSNIFF


def _unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error")
    return _error_page("Erreur interne", "Une erreur inattendue s'est produite ; l'équipe peut la voir dans les "
                                         "journaux.", 500)
