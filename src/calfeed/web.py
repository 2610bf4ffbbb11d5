"""The live site: an app factory, one blueprint; feeds come from the store, never from sources."""

import os

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .config import load_config
from .errors import SelectionError
from .feeds import Feed, parse_selection, personal_feed
from .live import ADHOC_CACHE, ReadyFeeds, Site
from .pages import (Where, builder_context, embed_context, event_context, events_context, feed_json,
                    home_context, personal_context, status_context)
from .pipeline import ensure_published, start_refresher
from .store import DAMAGED, open_store

bp = Blueprint("calfeed", __name__)
MAX_ALARM_MINUTES = 7 * 24 * 60


def create_app(test_config=None) -> Flask:
    app = Flask(__name__, static_url_path="/feeds/static")
    app.config.from_mapping(
        CALFEED_CONFIG=os.environ.get("CALFEED_CONFIG", "sources.yaml"),
        CALFEED_REFRESH=os.environ.get("CALFEED_REFRESH", "0") == "1",
        # How often a worker asks the store whether the programme changed (seconds).
        CALFEED_CHECK_SECONDS=1.0,
        # Memory for feed bodies per worker (MB); beyond it the least used are rendered again when asked.
        CALFEED_CACHE_MB=int(os.environ.get("CALFEED_CACHE_MB", "256")),
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    config = load_config(app.config["CALFEED_CONFIG"])
    store = open_store(config.store_path, config.path, config.legacy_store_path)
    ensure_published(config, store)
    app.extensions["calfeed"] = Site(config, store, app.config["CALFEED_CHECK_SECONDS"],
                                     app.config["CALFEED_CACHE_MB"] * 2**20)
    app.wsgi_app = ReadyFeeds(app.wsgi_app, app.extensions["calfeed"])
    app.json.ensure_ascii = False
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    for damaged in DAMAGED:
        app.register_error_handler(damaged, _store_damaged)
    if app.config["CALFEED_REFRESH"]:
        start_refresher(config, store)
    return app


def site() -> Site:
    return current_app.extensions["calfeed"]


def base_url() -> str:
    """The configured public address, or "" (links then stay relative): never the request's Host
    header, which any client may set to another site's name."""
    return site().config.base_url


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
    status, headers, body = s.answer(*resolved, request.environ, programme)
    return current_app.response_class(body, status=status, headers=headers)


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
    # isdecimal() alone would take « ² » or Arabic-Indic digits, which int() then refuses or reads.
    if not (alarm_text.isascii() and alarm_text.isdecimal()) or int(alarm_text) > MAX_ALARM_MINUTES:
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


def _store_damaged(error: Exception):
    current_app.logger.error("store damaged: %s", error)
    return render_template("erreur.html", title="Service indisponible",
                           message="La base de données du service est endommagée ; l'équipe en est avertie dans "
                                   "les journaux. Les agendas déjà chargés restent servis."), 503, NOSNIFF
