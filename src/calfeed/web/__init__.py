"""The live site: an app factory; one blueprint (`routes`); one response path for feeds and JSON
exports (`responses`). Feeds come from the store, never from sources."""

import os

from flask import Flask
from werkzeug.exceptions import HTTPException

from ..config import load_config
from ..refresh import ensure_published
from ..schedule import start_first_read, start_refresher
from ..store import DAMAGED
from ..store.owner import open_store
from .responses import Bodies, Published, add_security_headers
from .routes import bp, http_error, store_damaged, unexpected_error

__all__ = ["Bodies", "Published", "create_app"]


def create_app(test_config=None) -> Flask:
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
    config = load_config(app.config["CALFEED_CONFIG"])
    store = open_store(config.store_path, config.path, config.legacy_store_path)
    never_read = ensure_published(config, store, remote=False)  # web sources are read in the background
    app.extensions["calfeed"] = Published(config, store, app.config["CALFEED_CHECK_SECONDS"],
                                          app.config["CALFEED_CACHE_MB"] * 2**20)
    app.register_blueprint(bp)
    app.after_request(add_security_headers)  # every answer, the static files and the error pages included
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    for damaged in DAMAGED:
        app.register_error_handler(damaged, store_damaged)
    if never_read:
        app.extensions["calfeed.first_read"] = start_first_read(config, store, never_read)
    if app.config["CALFEED_REFRESH"]:
        start_refresher(config, store)
    return app


