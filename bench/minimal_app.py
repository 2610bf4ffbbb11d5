"""Comparison server for bench/serve.py: the smallest Flask app returning fixed bytes from memory,
with an ETag and 304 support, so that calfeed's own overhead can be measured against it."""

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request


def create():
    app = Flask(__name__)
    bodies = {}
    for name, path in (("tous", os.environ["BENCH_TOUS"]), ("selection", os.environ["BENCH_SELECTION"])):
        data = Path(path).read_bytes()
        bodies[name] = (data, hashlib.sha256(data).hexdigest()[:32])

    def serve(name):
        data, etag = bodies[name]
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            response = Response(data, mimetype="text/calendar")
        response.set_etag(etag)
        return response

    app.add_url_rule("/feeds/tous.ics", "tous", lambda: serve("tous"))
    app.add_url_rule("/feeds/selection.ics", "selection", lambda: serve("selection"))
    return app
