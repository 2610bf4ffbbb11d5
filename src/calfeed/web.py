"""The live site: an app factory, one blueprint; feeds come from the store, never from sources."""

import os

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .config import load_config
from .errors import SelectionError
from .feeds import Feed, parse_selection, personal_feed
from .live import ADHOC_CACHE, ReadyFeeds, Site
from .pages import (LEGAL_PAGES, Where, builder_context, embed_context, error_context, event_context, events_context,
                    feed_json, french_spacing, home_context, legal_context, personal_context, status_context)
from .pipeline import ensure_published, start_refresher
from .store import Store

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
    store = Store(config.store_path)
    ensure_published(config, store)
    app.extensions["calfeed"] = Site(config, store, app.config["CALFEED_CHECK_SECONDS"],
                                     app.config["CALFEED_CACHE_MB"] * 2**20)
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
    return {"config": site().config, "site": site().config.site, "where": Where("/feeds/", base_url())}


bp.add_app_template_filter(french_spacing, "fr")


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
    context = event_context(s.config, s.programme(), where(1), key, _programme_keys())
    if context is None:
        abort(404, description="Cet événement n'est pas (ou plus) au programme.")
    return _page("evenement.html", context)


@bp.get("/feeds/mon-programme.html")
def personal_page():
    s = site()
    return _page("mon-programme.html", personal_context(s.config, s.programme(), where(), _programme_keys()))


def _programme_keys() -> list[str]:
    """« Mon programme » travels in the address: ?e=key,key…"""
    return [k for value in request.args.getlist("e") for k in value.split(",") if k]


def _legal(page: str):
    s = site()
    return _page("legal.html", legal_context(s.config, where(), page))


for _name in LEGAL_PAGES:
    bp.add_url_rule(f"/feeds/{_name}.html", f"legal_{_name.replace('-', '_')}", lambda _name=_name: _legal(_name))


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
    """Every error is a French HTML page with the site's header and a way back, with the right status
    code (a calendar client reads the code; a person reads the page); JSON addresses answer JSON."""
    titles = {400: "Requête invalide", 404: "Page introuvable", 405: "Méthode non autorisée"}
    title = titles.get(error.code, "Erreur")
    custom = error.description and error.description != type(error).description
    message = error.description if custom else {
        404: "Cette page n'existe pas. La liste des agendas est sur la page d'accueil.",
        405: "Cette adresse ne s'utilise qu'en lecture (GET).",
    }.get(error.code, title)
    if request.path.endswith(".json"):
        response = jsonify({"erreur": f"{title} : {message}"})
        response.status_code = error.code
        response.headers.update(NOSNIFF)
        return response
    context = error_context(site().config, Where("/feeds/", base_url()), title, message)
    return render_template("erreur.html", **context), error.code, NOSNIFF


def _unexpected_error(error: Exception):
    current_app.logger.exception("unexpected error")
    context = error_context(site().config, Where("/feeds/", base_url()), "Erreur interne",
                            "Une erreur inattendue s'est produite ; l'équipe peut la voir dans les journaux.")
    return render_template("erreur.html", **context), 500, NOSNIFF
