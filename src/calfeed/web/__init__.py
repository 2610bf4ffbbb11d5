"""The live site: an app factory; one blueprint (`routes`); one response path for feeds and JSON
exports (`responses`). Feeds come from the store, never from sources.

`create_app` reads nothing and starts nothing: `start` does (the configuration, the store, the local
sources of a fresh store, the background reads), called by `calfeed serve`'s workers (server.py) before
their first request, or by the first request of an app nobody started (a test's)."""

import os
import threading

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..caching import ASSET, live_cache_control
from ..config import load_config
from ..refresh import ensure_published
from ..schedule import start_first_read, start_refresher
from ..store import DAMAGED
from ..store.owner import open_store
from .responses import Bodies, Published, add_security_headers
from .routes import bp, http_error, store_damaged, unexpected_error

__all__ = ["Bodies", "Published", "create_app", "start"]

_starting = threading.Lock()  # two threads of a worker asking at once start the app once


def create_app(test_config: dict | None = None) -> Flask:
    """The Flask app, configured from the environment and `test_config`; nothing read, nothing started."""
    app = Flask("calfeed", static_url_path="/feeds/static")  # the package's static/ folder
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
    app.wsgi_app = _Started(app, app.wsgi_app)  # type: ignore[method-assign]
    app.register_blueprint(bp)
    app.after_request(add_security_headers)  # every answer, the static files and the error pages included
    app.after_request(_asset_cache)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    for damaged in DAMAGED:
        app.register_error_handler(damaged, store_damaged)
    return app


def start(app: Flask) -> Published:
    """Make `app` ready to serve, once: read its configuration, open its store, publish the local sources
    of a fresh store (web sources are read in the background, so that a slow server never delays serving
    what is known), start the background refresh if asked. Later calls return what the first made."""
    with _starting:
        site = app.extensions.get("calfeed")
        if site is not None:
            return site
        config = load_config(app.config["CALFEED_CONFIG"])
        store = open_store(config.store_path, config.path, config.legacy_store_path)
        never_read = ensure_published(config, store, remote=False)
        site = Published(config, store, app.config["CALFEED_CHECK_SECONDS"], app.config["CALFEED_CACHE_MB"] * 2**20)
        if config.proxy_hops:  # only the proxies the team declares are believed (never a client's own headers)
            hops = config.proxy_hops
            app.wsgi_app.proxies = ProxyFix(app.wsgi_app.flask, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,
                                            x_prefix=hops)
        app.extensions["calfeed"] = site
        if never_read:
            app.extensions["calfeed.first_read"] = start_first_read(config, store, never_read)
        if app.config["CALFEED_REFRESH"]:
            app.extensions["calfeed.refresher"] = start_refresher(config, store)
        return site


class _Started:
    """The app's WSGI entry: starts the app at its first request if nobody did, then believes the declared
    proxies' headers (ProxyFix, known once the configuration is read)."""

    def __init__(self, app: Flask, flask_app):
        self.app, self.flask = app, flask_app
        self.proxies = None

    def __call__(self, environ, start_response):
        if "calfeed" not in self.app.extensions:
            start(self.app)
        return (self.proxies or self.flask)(environ, start_response)


def _asset_cache(response: Response) -> Response:
    """The live app's assets (Flask's static view, /feeds/static/…) are kept as caching.py says."""
    if request.endpoint == "static":
        response.headers["Cache-Control"] = live_cache_control(ASSET)
    return response
