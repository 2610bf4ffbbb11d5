"""Reading feeds back in tests: parse what was rendered, never compare to hand-written strings."""

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from icalendar import Calendar

from calfeed.config import load_config
from calfeed.store.owner import open_store


def open_project(path):
    config = load_config(path)
    return config, open_store(config.store_path, config.path, config.legacy_store_path)


def parse_feed(data: bytes) -> dict:
    """UID → VEVENT component of a rendered feed, parsed with icalendar."""
    calendar = Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def utc(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


class SlowServer:
    """A threaded loopback HTTP server answering every GET with `body` after `delay` seconds."""

    def __init__(self, delay: float, body: bytes, content_type: str = "text/calendar"):
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                time.sleep(delay)
                data = owner.body
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.body = body
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
