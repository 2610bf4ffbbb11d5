"""Feeds requested continuously while refreshes change the data: every answer is whole, old or new."""

import re
import threading

import requests
from werkzeug.serving import make_server

from calfeed.refresh import refresh_sources
from calfeed.web import create_app, start
from helpers import open_project, parse_feed

EVENTS = 20
REFRESHES = 12


def write_version(folder, version):
    rows = "".join(f"e{n};Atelier {n} version {version};{10 + n % 20:02d}/11/2022;labs\n" for n in range(EVENTS))
    (folder / "agenda.csv").write_text("id;titre;date_debut;categorie\n" + rows, encoding="utf-8")


def test_responses_during_refreshes_are_whole_and_consistent(project, tmp_path):
    write_version(tmp_path, 0)
    path = project([{"id": "s", "type": "csv", "path": "agenda.csv"}])
    app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path), "CALFEED_CHECK_SECONDS": 0})
    start(app)  # as `calfeed serve` does before serving: version 0 is published before the refreshes begin
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}/feeds/tous.ics"
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    done = threading.Event()
    seen, problems = [], []

    def poll():
        session, last = requests.Session(), -1
        while not done.is_set():
            body = session.get(url, timeout=10).content
            try:
                events = parse_feed(body)
            except Exception as exc:  # noqa: BLE001 - any parse failure is what we look for
                problems.append(f"illisible : {exc}")
                continue
            versions = {int(re.search(r"version (\d+)", str(e["SUMMARY"])).group(1)) for e in events.values()}
            if len(events) != EVENTS or len(versions) != 1 or not body.endswith(b"END:VCALENDAR\r\n"):
                problems.append(f"{len(events)} événements, versions {versions}")
                continue
            version = versions.pop()
            if version < last:
                problems.append(f"retour en arrière {last} → {version}")
            last = version
            seen.append(version)

    pollers = [threading.Thread(target=poll) for _ in range(3)]
    for poller in pollers:
        poller.start()
    config, store = open_project(path)
    try:
        for version in range(1, REFRESHES + 1):
            write_version(tmp_path, version)
            refresh_sources(config, store)
    finally:
        done.set()
        for poller in pollers:
            poller.join(30)
        server.shutdown()
    assert problems == []
    assert len(seen) > REFRESHES and len(set(seen)) > 2  # the pollers saw several versions go by
