"""The site's addresses: pages, feeds, JSON exports, the status page, and the error pages."""

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import HTTPException

from ..addresses import AddressError, catalogue, resolve_address
from ..errors import DiskError, SelectionError
from ..feeds import feed_bytes
from ..model import utc_now
from ..pages import (LEGAL_PAGES, builder_context, embed_context, error_context, event_context, events_context,
                     home_context, legal_context, personal_context, render_page, status_context)
from ..script_data import events_data
from ..text import slugify
from ..selection import Programme
from ..store import store_problem
from ..views import Where, feed_json
from ..security import NOSNIFF
from ..caching import PRIVATE, live_cache_control
from .responses import PAGE_CACHE, published, respond

bp = Blueprint("calfeed", __name__)


def _base() -> str:
    """The site's public address: the configured one; else, only behind a proxy the team declared
    (publish.proxy_hops, applied by ProxyFix), the address that proxy forwarded; never the request's own
    Host header, which any client may set. "" when unknown: pages then say what to configure."""
    config = published().config
    if config.base_url:
        return config.base_url
    return request.url_root.rstrip("/") if config.proxy_hops else ""


def _where(depth: int = 0) -> Where:
    """Links from a page `depth` folders below /feeds/ (the static build's layout)."""
    return Where("../" * depth, _base())


def _page(template: str, context: dict, status: int = 200):
    return render_page(template, context), status, {**NOSNIFF, **PAGE_CACHE}


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
    context = event_context(site.config, site.programme(), _where(1), key, request.args.getlist("e"))
    if context is None:
        abort(404, description="Cet événement n'est pas (ou plus) au programme.")
    return _page("evenement.html", context)


@bp.get("/feeds/mon-programme.html")
def personal_page():
    site = published()
    return _page("mon-programme.html", personal_context(site.config, site.programme(), _where(),
                                                        request.args.getlist("e")))


@bp.get("/feeds/evenements.json")
def script_events():
    """Every event as the pages' script filters and lists it (the static build writes the same file)."""
    site = published()
    return events_data(site.programme(), site.config.timezone), 200, {**NOSNIFF, **PAGE_CACHE, "Content-Type": "application/json"}


def _legal(page: str):
    return _page("legal.html", legal_context(published().config, _where(), page))


for _name in LEGAL_PAGES:
    bp.add_url_rule(f"/feeds/{_name}.html", f"legal_{_name.replace('-', '_')}", lambda _name=_name: _legal(_name))


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
    # any site may frame it: responses.security_headers
    return render_page("integrer.html", context), 200, {**NOSNIFF, **PAGE_CACHE}


RESOLVED_KEPT = 1024  # valid addresses remembered per programme version, as clients send them


def _resolve(site, programme: Programme, path: str):
    """The feed an address asks for; a valid address is parsed once per programme version."""
    resolved = programme.memo.setdefault("resolved", {})
    key = (path, request.query_string)
    wanted = resolved.get(key)
    if wanted is None:
        try:
            wanted = resolve_address(site.config, programme, path, _params())
        except AddressError as exc:
            abort(exc.status, description=str(exc))
        if len(resolved) >= RESOLVED_KEPT:
            resolved.clear()  # any address resolves again cheaply; only the memory must stay bounded
        resolved[key] = wanted
    return wanted


@bp.get("/feeds/<name>.json", defaults={"group": None})
@bp.get("/feeds/<group>/<name>.json")
def feed_as_json(group, name):
    path = f"{group}/{name}" if group else name
    site = published()
    programme = site.programme()
    wanted = _resolve(site, programme, path + ".ics")
    where = Where("/feeds/", site.config.base_url)  # the same for every request: not part of the key
    return respond(site, programme, ("json", wanted), lambda: feed_json(site.config, programme, where, wanted.feed),
                   "application/json", path.replace("/", "-") + ".json")


@bp.get("/feeds/<name>.ics", defaults={"group": None, "variant": None})
@bp.get("/feeds/<group>/<name>.ics", defaults={"variant": None})
@bp.get("/feeds/<variant>/<group>/<name>.ics")
def feed(variant, group, name):
    path = "/".join(part for part in (variant, group, name) if part) + ".ics"
    site = published()
    programme = site.programme()
    wanted = _resolve(site, programme, path)
    return respond(site, programme, ("ics", wanted), lambda: feed_bytes(site.config, programme, wanted),
                   "text/calendar", _file_name(wanted.feed))


def _file_name(feed) -> str:
    """A feed's file name; a single event is named after its title (« atelier-falc.ics »), not its key."""
    if feed.group == "evenement":
        return (slugify(feed.name)[:60].strip("-") or feed.slug) + ".ics"
    return feed.path.split("?")[0].replace("/", "-")


@bp.get("/etat")
def status_page():
    site = published()
    context = status_context(site.config, site.store, site.programme(), public=True)
    return _page("etat.html", {**error_context(site.config, Where("feeds/", _where().base), "État des sources", ""),
                               **context})


@bp.get("/etat.json")
def status_json():
    site = published()
    response = current_app.json.response(status_context(site.config, site.store, site.programme(), public=True))
    response.headers.update(NOSNIFF)
    response.headers["Cache-Control"] = live_cache_control(PRIVATE)
    return response


@bp.get("/etat/requetes.json")
def request_counts():
    """Requests per feed and per day of the live service (the static tree's are in the web server's logs)."""
    response = current_app.json.response({"jours": published().counts.by_day()})
    response.headers.update(NOSNIFF)
    response.headers["Cache-Control"] = live_cache_control(PRIVATE)
    return response


@bp.get("/etat/requetes.csv")
def request_counts_csv():
    lines = ["jour;agenda;requetes"] + [f"{day};{feed};{count}" for day, feeds in published().counts.by_day().items()
                                        for feed, count in feeds.items()]
    return "\r\n".join(lines) + "\r\n", 200, {**NOSNIFF, "Content-Type": "text/csv; charset=utf-8",
                                               "Cache-Control": live_cache_control(PRIVATE),
                                               "Content-Disposition": 'attachment; filename="requetes-par-agenda.csv"'}


def http_error(error: HTTPException):
    """Every error is a French HTML page with the site's header and a way back, under the right status
    code (a calendar client reads the code, a person the page); a JSON address answers JSON."""
    titles = {400: "Requête invalide", 404: "Page introuvable", 405: "Méthode non autorisée"}
    title = titles.get(error.code, "Erreur")
    custom = error.description and error.description != type(error).description
    message = error.description if custom else {
        404: "Cette page n'existe pas. La liste des agendas est sur la page d'accueil.",
        405: "Cette adresse ne s'utilise qu'en lecture (GET).",
    }.get(error.code, title)
    if request.path.endswith(".json"):
        response = current_app.json.response({"erreur": f"{title} : {message}"})
        response.status_code = error.code
        response.headers.update({**NOSNIFF, **PAGE_CACHE})  # asked again, as the error pages are
        return response
    return _error_page(title, message, error.code)


def _error_page(title: str, message: str, status: int):
    config = published().config
    context = {**error_context(config, Where("/feeds/", _base()), title, message), "status": status}
    return render_page("erreur.html", context), status, {**NOSNIFF, **PAGE_CACHE}


def store_damaged(error: Exception):
    site = published()
    problem = store_problem(site.store.path, error)
    current_app.logger.error("base inutilisable : %s", problem)  # the operator's advice, in the service's log
    what = "ne peut plus être écrite (disque)" if isinstance(problem, DiskError) else "est endommagée"
    return _error_page("Service indisponible", f"La base de données du service {what} ; l'équipe en est "
                                               "avertie dans les journaux. Les agendas déjà chargés restent servis.",
                       503)


def unexpected_error(error: Exception):
    current_app.logger.exception("erreur inattendue en répondant à %s", request.path)
    return _error_page("Erreur interne", "Une erreur inattendue s'est produite ; l'équipe peut la voir dans les "
                                         "journaux.", 500)
