"""The live site: an app factory, one blueprint; feeds come from the store, never from sources."""

import datetime as dt
import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags

from .config import load_config
from .errors import SelectionError
from .feeds import Feed, feed_catalogue, parse_selection, personal_feed, render_feed
from .pages import (Where, builder_context, embed_context, event_context, events_context, feed_json,
                    home_context, personal_context, status_context)
from .pipeline import ensure_published, start_refresher
from .programme import load_programme
from .store import Store

bp = Blueprint("calfeed", __name__)
MAX_ALARM_MINUTES = 7 * 24 * 60
# Microsoft's calendar fetchers (Outlook desktop, Outlook.com / 365, Exchange) are reported to fail on
# compressed calendar feeds (markuspoerschke/iCal#541: "disabling gzip compression fixed it"): they
# always get the plain body, whatever Accept-Encoding they send.
NO_GZIP_AGENTS = ("microsoft", "outlook", "exchange")
ADHOC_CACHE = 256  # ad-hoc selections kept ready per programme version


@dataclass
class Rendered:
    """One feed at one programme version, ready to serve: headers checked once, compressed at most once."""

    body: bytes
    etag: str
    count: int
    last_modified: dt.datetime
    headers: list  # every header of a 200 (Content-Length included), as WSGI wants them
    not_modified_headers: list
    gzip_headers: list | None = field(default=None, repr=False)
    _gzip: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> tuple[bytes, list]:
        with self._lock:
            if self._gzip is None:
                self._gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
                self.gzip_headers = [*self.headers[:-1], ("Content-Encoding", "gzip"),
                                     ("Content-Length", str(len(self._gzip)))]
            return self._gzip, self.gzip_headers

    def answer(self, environ) -> tuple[str, list, bytes | None]:
        """The status, headers and body (None for a 304) answering a request for this feed, from the
        request's conditional and encoding headers only."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:  # the ETag alone decides, without touching the body
            # Weak comparison (RFC 9110, 13.1.2): a proxy that compresses may have weakened our ETag.
            if parse_etags(if_none_match).contains_weak(self.etag):
                return "304 NOT MODIFIED", self.not_modified_headers, None
        elif "HTTP_IF_MODIFIED_SINCE" in environ:
            since = parse_date(environ["HTTP_IF_MODIFIED_SINCE"])
            if since is not None and self.last_modified <= since:
                return "304 NOT MODIFIED", self.not_modified_headers, None
        encodings = environ.get("HTTP_ACCEPT_ENCODING", "")
        if "gzip" in encodings and parse_accept_header(encodings)["gzip"] > 0:
            agent = environ.get("HTTP_USER_AGENT", "").lower()
            if not any(name in agent for name in NO_GZIP_AGENTS):
                body, headers = self.gzipped()
                return "200 OK", headers, body
        return "200 OK", self.headers, self.body


class Site:
    """The configuration, the store and the feeds of the current programme version."""

    def __init__(self, config, store: Store, check_seconds: float = 1.0):
        self.config, self.store = config, store
        self._catalogue: dict = {}  # path → feed, for the current programme
        self.check_seconds = check_seconds
        self._checked = 0.0
        self._lock = threading.Lock()
        self._programme = None
        self._feeds: OrderedDict = OrderedDict()
        self.resolved: dict = {}  # (path, query string) → (feed, subscription, alarm)

    def programme(self):
        programme = self._programme
        now = time.monotonic()
        if programme is not None and now - self._checked < self.check_seconds:
            return programme  # asked the store less than check_seconds ago
        generation = self.store.generation()
        self._checked = now
        if programme is None or programme.generation != generation:
            with self._lock:
                if self._programme is None or self._programme.generation != generation:
                    programme = load_programme(self.store)
                    self._catalogue = {feed.path: feed for feed in feed_catalogue(self.config, programme)}
                    self.resolved = {}
                    self._feeds = OrderedDict()
                    self._programme = programme
                programme = self._programme
        return programme

    @property
    def catalogue(self) -> dict:
        self.programme()
        return self._catalogue

    def feed(self, feed, *, subscription=True, alarm=0, programme=None) -> Rendered:
        programme = programme or self.programme()
        key = (programme.generation, feed.path, subscription, alarm)
        rendered = self._feeds.get(key)
        if rendered is None:
            body = render_feed(self.config, programme, feed, subscription=subscription, alarm=alarm)
            count = body.count(b"BEGIN:VEVENT\r\n")
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
            rendered = Rendered(body, etag, count, programme.published_at, headers, not_modified)
            with self._lock:
                if programme is self._programme:
                    self._feeds[key] = rendered
                    while len(self._feeds) > ADHOC_CACHE + len(self._catalogue) * 4:
                        self._feeds.popitem(last=False)
        return rendered


def create_app(test_config=None) -> Flask:
    app = Flask(__name__, static_url_path="/feeds/static")
    app.config.from_mapping(
        CALFEED_CONFIG=os.environ.get("CALFEED_CONFIG", "sources.yaml"),
        CALFEED_REFRESH=os.environ.get("CALFEED_REFRESH", "0") == "1",
        # How often a worker asks the store whether the programme changed (seconds).
        CALFEED_CHECK_SECONDS=1.0,
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    config = load_config(app.config["CALFEED_CONFIG"])
    store = Store(config.store_path)
    ensure_published(config, store)
    app.extensions["calfeed"] = Site(config, store, app.config["CALFEED_CHECK_SECONDS"])
    app.wsgi_app = ReadyFeeds(app.wsgi_app, app.extensions["calfeed"])
    app.json.ensure_ascii = False
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    if app.config["CALFEED_REFRESH"]:
        start_refresher(config, store)
    return app


def site() -> Site:
    return current_app.extensions["calfeed"]


def base_url() -> str:
    return site().config.base_url or request.url_root.rstrip("/")


@bp.app_context_processor
def _globals():
    return {"config": site().config, "where": Where("/feeds/", base_url())}


def where(depth: int = 0) -> Where:
    """Links from a page `depth` folders below /feeds/ (the static build's layout)."""
    return Where("../" * depth, base_url())


NOSNIFF = {"X-Content-Type-Options": "nosniff"}  # feeds carry it in their prepared headers


def _page(template: str, context: dict, status: int = 200):
    return render_template(template, **context), status, NOSNIFF


@bp.get("/")
def home():
    s = site()
    return _page("index.html", home_context(s.config, s.programme(), Where("feeds/", base_url())))


@bp.get("/feeds/")
@bp.get("/feeds/index.html")
def home_in_feeds():
    s = site()
    return _page("index.html", home_context(s.config, s.programme(), where()))


def _criteria() -> dict:
    return {key: request.args.getlist(key) for key in request.args}


@bp.get("/feeds/constructeur.html")
def builder():
    s = site()
    try:
        return _page("constructeur.html", builder_context(s.config, s.programme(), where(), _criteria()))
    except SelectionError as exc:
        abort(400, description=str(exc))


@bp.get("/feeds/evenements.html")
def events():
    s = site()
    try:
        return _page("evenements.html", events_context(s.config, s.programme(), where(), _criteria()))
    except SelectionError as exc:
        abort(400, description=str(exc))


@bp.get("/feeds/evenements/<key>.html")
def event_page(key):
    s = site()
    context = event_context(s.config, s.programme(), where(1), key)
    if context is None:
        abort(404, description="Cet événement n'est pas (ou plus) au programme.")
    return _page("evenement.html", context)


@bp.get("/feeds/mon-programme.html")
def personal_page():
    s = site()
    keys = [k for value in request.args.getlist("e") for k in value.split(",") if k]
    return _page("mon-programme.html", personal_context(s.config, s.programme(), where(), keys))


# Feed addresses are at most two folders deep; plain string parts (no <path:…>) keep URL matching
# on werkzeug's fast, part-by-part route (this is the service's hot path).
@bp.get("/feeds/integrer/<name>.html", defaults={"group": None})
@bp.get("/feeds/integrer/<group>/<name>.html")
def embed(group, name):
    path = f"{group}/{name}" if group else name
    s = site()
    chosen = s.catalogue.get(path + ".ics")
    if chosen is None:
        abort(404, description=f"Aucun agenda « {path} » à intégrer.")
    depth = path.count("/") + 1
    response = current_app.make_response(
        render_template("integrer.html", **embed_context(s.config, s.programme(), where(depth), chosen)))
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    response.headers.update(NOSNIFF)
    return response


@bp.get("/feeds/<name>.json", defaults={"group": None})
@bp.get("/feeds/<group>/<name>.json")
def feed_as_json(group, name):
    path = f"{group}/{name}" if group else name
    s = site()
    chosen, _, _ = _resolve(s, path + ".ics")
    response = current_app.response_class(feed_json(s.config, s.programme(), Where("/feeds/", base_url()), chosen),
                                          mimetype="application/json")
    response.headers.update(NOSNIFF)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={int(s.config.refresh.total_seconds())}"
    return response


@bp.get("/feeds/<name>.ics", defaults={"group": None, "variant": None})
@bp.get("/feeds/<group>/<name>.ics", defaults={"variant": None})
@bp.get("/feeds/<variant>/<group>/<name>.ics")
def feed(variant, group, name):
    path = "/".join(part for part in (variant, group, name) if part) + ".ics"
    s = site()
    programme = s.programme()  # the current programme, and with it the catalogue and resolved addresses
    resolved = _resolve(s, path)
    if len(s.resolved) > ADHOC_CACHE * 4:
        s.resolved.clear()
    # A valid address is parsed once; ReadyFeeds answers it from then on, by its raw WSGI address.
    s.resolved[request.environ.get("PATH_INFO", ""), request.environ.get("QUERY_STRING", "")] = resolved
    chosen, subscription, alarm = resolved
    rendered = s.feed(chosen, subscription=subscription, alarm=alarm, programme=programme)
    status, headers, body = rendered.answer(request.environ)
    return current_app.response_class(body, status=status, headers=headers)


class ReadyFeeds:
    """WSGI middleware that answers the feed addresses the blueprint has already resolved straight from
    the ready feeds, without Flask's request cycle.

    Calendar clients polling their feeds are nearly all of the traffic, and most of their polls end in
    a 304: for them, routing, contexts and response objects would cost more than the answer itself.
    Anything else (a first request, pages, errors) goes to the Flask app."""

    def __init__(self, wsgi_app, site: "Site"):
        self.wsgi_app, self.site = wsgi_app, site

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            try:
                site = self.site
                programme = site.programme()
                resolved = site.resolved.get((environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")))
                if resolved is not None:
                    chosen, subscription, alarm = resolved
                    rendered = site.feed(chosen, subscription=subscription, alarm=alarm, programme=programme)
                    status, headers, body = rendered.answer(environ)
                    start_response(status, headers)
                    return [body] if body is not None and method == "GET" else []
            except Exception:  # noqa: BLE001 -- the app below reports it with its error page and log
                pass
        return self.wsgi_app(environ, start_response)


def _resolve(s: "Site", path: str):
    """The feed, variant and reminder an address asks for; abort with a French message if invalid."""
    subscription, alarm = True, 0
    if path.startswith("import/"):
        subscription, path = False, path.removeprefix("import/")
    usage = request.args.get("usage", "abonnement")
    if usage not in ("abonnement", "import"):
        abort(400, description="« usage » vaut « abonnement » (par défaut) ou « import ».")
    subscription = subscription and usage == "abonnement"
    alarm_text = request.args.get("rappel", "0")
    if not alarm_text.isdigit() or int(alarm_text) > MAX_ALARM_MINUTES:
        abort(400, description=f"« rappel » est un nombre de minutes entre 0 et {MAX_ALARM_MINUTES}.")
    alarm = int(alarm_text)
    params = {key: request.args.getlist(key) for key in request.args if key not in ("usage", "rappel")}
    if path == "selection.ics":
        try:
            chosen = parse_selection(s.config, params)
        except SelectionError as exc:
            abort(400, description=str(exc))
    elif path == "mon-programme.ics":
        keys = [k for value in params.pop("e", []) for k in value.split(",") if k]
        if params:
            abort(400, description="Un programme personnel ne prend que le paramètre « e ».")
        chosen = personal_feed(s.config, keys)
    elif path.startswith("evenements/"):
        key = path.removeprefix("evenements/").removesuffix(".ics")
        item = s.programme().by_key.get(key)
        if item is None or params:
            abort(404, description="Cet événement n'est pas (ou plus) au programme.")
        chosen = Feed(path, "evenement", key, item.event.title, item.event.title, {"evenement": (key,)})
        subscription = False  # one event to add to one's own calendar: no calendar of its own
    else:
        chosen = s.catalogue.get(path)
        if chosen is None:
            abort(404, description=f"Aucun agenda à l'adresse /feeds/{path}. La liste des agendas est sur la page d'accueil.")
        if params:
            abort(400, description="Les filtres (categorie, theme…) ne s'appliquent qu'à /feeds/selection.ics.")
    return chosen, subscription, alarm


@bp.get("/etat")
def status_page():
    s = site()
    context = status_context(s.config, s.store, s.programme())
    return render_template("etat.html", title="État des sources", where=Where("feeds/", base_url()),
                           **context), 200, NOSNIFF


@bp.get("/etat.json")
def status_json():
    s = site()
    response = jsonify(status_context(s.config, s.store, s.programme()))
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
        response = current_app.response_class(f"{title} : {message}\n", status=error.code,
                                               mimetype="text/plain")
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        response.headers.update(NOSNIFF)
        return response
    return render_template("erreur.html", title=title, message=message), error.code, NOSNIFF


def _unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error")
    return render_template("erreur.html", title="Erreur interne",
                           message="Une erreur inattendue s'est produite ; l'équipe peut la voir dans les journaux."), \
        500, NOSNIFF
