"""The fault matrix's machinery: loopback servers that commit every fault a source's server can commit, and
one run of a fault against a source type (read healthy, then faulty; compare what is published).

Used by tests/test_fault_matrix.py, tests/test_faults.py, tests/test_slow_sources.py and by
`python bench/faults.py`, which prints the whole matrix as a table.
"""

import datetime as dt
import gzip
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

T0 = dt.datetime(2022, 11, 10, 8, 0, tzinfo=dt.UTC)
TIMEOUT, RETRIES = 1.0, 1
DEADLINE = TIMEOUT * (RETRIES + 1)  # what fetch promises, pauses between attempts included
MAX_BYTES = 256 * 1024
# Shown nowhere if calfeed keeps what servers send out of the public status page.
CANARY = "db_password=canari-7f3a"

# The healthy programme: accents, typographic apostrophes and dashes, an « œ » (not in Latin-1).
EVENTS = [
    ("ev-1", "Atelier numéro 1 – l’été à Évry", "Café de l’innovation publique, salle « Œuvre »", 15),
    ("ev-2", "Table ronde : données ouvertes", "Échanges entre agents et élus", 16),
    ("ev-3", "Webinaire « Facile à lire et à comprendre »", "Présentation du FALC à la Région", 17),
    ("ev-4", "Hackathon de la transition écologique", "Deux jours à Besançon", 18),
]


def body_of(kind: str, events=EVENTS, broken: str | None = None) -> str:
    """The text of a healthy export of `events`; `broken` names an event given an unreadable date."""
    if kind == "ics":
        parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//essai//FR"]
        for uid, title, description, day in events:
            start = "DTSTART;TZID=Europe/Paris:2022XXXX" if uid == broken else \
                f"DTSTART;TZID=Europe/Paris:202211{day:02d}T100000"
            parts += ["BEGIN:VEVENT", f"UID:{uid}@lab.example", "DTSTAMP:20221001T000000Z", start,
                      f"DTEND;TZID=Europe/Paris:202211{day:02d}T120000", f"SUMMARY:{title}",
                      f"DESCRIPTION:{description}", "END:VEVENT"]
        parts.append("END:VCALENDAR")
        return "\r\n".join(parts) + "\r\n"
    if kind == "csv":
        rows = ["id;titre;description;date_debut;heure_debut;heure_fin"]
        for uid, title, description, day in events:
            date = "31/02/2022" if uid == broken else f"{day}/11/2022"
            rows.append(f"{uid};{title};{description};{date};10:00;12:00")
        return "\r\n".join(rows) + "\r\n"
    # OpenAgenda: an export (type json, preset openagenda), or one page of the API (type openagenda).
    items = [{"uid": uid, "title": {"fr": title}, "description": {"fr": description},
              "timings": [{"begin": "pas une date" if uid == broken else f"2022-11-{day:02d}T10:00:00+01:00",
                           "end": f"2022-11-{day:02d}T12:00:00+01:00"}]}
             for uid, title, description, day in events]
    return json.dumps({"events": items}, ensure_ascii=False, indent=1)


CONTENT_TYPES = {"ics": "text/calendar", "csv": "text/csv", "json": "application/json",
                 "openagenda": "application/json"}


# ---------------------------------------------------------------------------------------------------
# A loopback server on a raw socket: http.server cannot trickle, cut or lie about lengths.

@dataclass
class Answer:
    body: bytes = b""
    status: str = "200 OK"
    content_type: str = "text/plain"
    headers: tuple = ()
    # normal, trickle (the body 10 bytes every half second), slow-headers (the same with endless headers),
    # cut (announces the whole body, sends half), hang (never answers)
    mode: str = "normal"


class FaultServer:
    """Answers every request with `self.answer`, committing its fault; one thread per connection."""

    def __init__(self):
        self.answer = Answer()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        answer = self.answer
        try:
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = connection.recv(65536)
                    if not data:
                        return
                    request += data
                if answer.mode == "hang":
                    self.closed.wait(30)
                    return
                length = len(answer.body)
                head = [f"HTTP/1.1 {answer.status}", f"Content-Type: {answer.content_type}",
                        f"Content-Length: {length}", "Connection: close", *answer.headers]
                head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                if answer.mode == "slow-headers":  # each byte in time for any per-read timeout
                    head = b"HTTP/1.1 200 OK\r\n" + b"".join(f"X-Attente-{n}: oui\r\n".encode() for n in range(40))
                    for start in range(0, len(head), 10):
                        if self.closed.wait(0.5):
                            return
                        connection.sendall(head[start:start + 10])
                    return
                connection.sendall(head)
                if answer.mode == "trickle":  # 10 bytes every half second
                    for start in range(0, length, 10):
                        if self.closed.wait(0.5):
                            return
                        connection.sendall(answer.body[start:start + 10])
                elif answer.mode == "cut":
                    connection.sendall(answer.body[:length // 2])
                else:
                    connection.sendall(answer.body)
        except OSError:
            pass  # the client gave up: that is the point of several faults

    def close(self):
        self.closed.set()
        self.sock.close()


# ---------------------------------------------------------------------------------------------------
# The faults. Each gives the answer of the faulty server for a source type, from the healthy text.

def _good(kind, encoding="utf-8", charset=None):
    content_type = CONTENT_TYPES[kind] + (f"; charset={charset}" if charset else "")
    return Answer(body_of(kind).encode(encoding), content_type=content_type)


def _stray_byte(kind):
    # A UTF-8 export in which one apostrophe was pasted from a Windows editor (byte 0x92).
    data = body_of(kind).encode("utf-8")
    return Answer(data.replace("’".encode(), b"\x92", 1), content_type=CONTENT_TYPES[kind])


def _windows_1252(kind):
    # The whole export in Windows-1252, the server saying nothing of it.
    return _good(kind, "cp1252")


def _declared_latin1(kind):
    # Windows-1252 bytes with « charset=ISO-8859-1 », as most servers label them.
    return _good(kind, "cp1252", "ISO-8859-1")


def _cut_at_origin(kind):
    # A half-written export: the server sends what exists, with an honest Content-Length.
    text = body_of(kind)
    return Answer(text[: int(len(text) * 0.6)].encode(), content_type=CONTENT_TYPES[kind])


def _one_unreadable(kind):
    return Answer(body_of(kind, broken="ev-2").encode(), content_type=CONTENT_TYPES[kind])


def _huge(kind):
    text = body_of(kind)
    return Answer(text.encode() + b" " * (MAX_BYTES * 4), content_type=CONTENT_TYPES[kind])


def _gzip_bomb(kind):
    # A small compressed body that inflates far past max_bytes.
    data = gzip.compress(body_of(kind).encode() + b" " * (MAX_BYTES * 40))
    return Answer(data, content_type=CONTENT_TYPES[kind], headers=("Content-Encoding: gzip",))


def _html(kind):
    page = f"<!DOCTYPE html><html><body><h1>Maintenance</h1><!-- {CANARY} --></body></html>"
    return Answer(page.encode(), content_type="text/html")


FAULTS = {
    "erreur 500": lambda kind, other: Answer(f"Internal error {CANARY}".encode(), "500 Internal Server Error"),
    "erreur 404": lambda kind, other: Answer(f"Not found {CANARY}".encode(), "404 Not Found"),
    "pas de réponse": lambda kind, other: Answer(mode="hang"),
    "corps au goutte-à-goutte": lambda kind, other: Answer(body_of(kind).encode(), content_type=CONTENT_TYPES[kind],
                                                           mode="trickle"),
    "en-têtes au goutte-à-goutte": lambda kind, other: Answer(mode="slow-headers"),
    "corps coupé en route": lambda kind, other: Answer(body_of(kind).encode(), content_type=CONTENT_TYPES[kind],
                                                       mode="cut"),
    "export coupé à la source": lambda kind, other: _cut_at_origin(kind),
    "page HTML": lambda kind, other: _html(kind),
    "Windows-1252 non déclaré": lambda kind, other: _windows_1252(kind),
    "Latin-1 déclaré": lambda kind, other: _declared_latin1(kind),
    "Windows-1252 annoncé UTF-8": lambda kind, other: _good(kind, "cp1252", "utf-8"),
    "octet Windows égaré": lambda kind, other: _stray_byte(kind),
    "corps vide": lambda kind, other: Answer(b"", content_type=CONTENT_TYPES[kind]),
    "redirection vers un autre hôte": lambda kind, other: Answer(
        status="302 Found", headers=(f"Location: {other.url}/agenda",)),
    "un événement illisible": lambda kind, other: _one_unreadable(kind),
    "corps énorme": lambda kind, other: _huge(kind),
    "bombe gzip": lambda kind, other: _gzip_bomb(kind),
}
# Not a fault but a control: a server that names its legacy encoding is read right, nothing to flag.
NOTHING_TO_FLAG = {"Latin-1 déclaré"}
TYPES = ("ics", "csv", "json", "openagenda")


@dataclass
class Row:
    fault: str
    kind: str
    lost: int
    cancelled: int
    altered: int
    seconds: float
    check_flag: bool
    status_flag: bool
    leak: bool
    detail: str

    @property
    def within_deadline(self) -> bool:
        return self.seconds <= DEADLINE + 0.5  # half a second to parse and publish

    @property
    def passed(self) -> bool:
        flagged = self.fault in NOTHING_TO_FLAG or (self.check_flag and self.status_flag)
        return not (self.lost or self.cancelled or self.altered or self.leak) and flagged and self.within_deadline


def _write_config(folder: Path, kind: str, url: str) -> Path:
    document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    source = {"id": "lab", "type": kind, "url": url, "category": "labs", "timeout": TIMEOUT,
              "max_bytes": MAX_BYTES}
    if kind == "json":
        source["preset"] = "openagenda"
    if kind == "openagenda":  # the API, read page by page: `url` is the API's address
        source["agenda"] = "12345678"
    document["sources"] = [source]
    document["store"] = {"path": "store/calfeed.sqlite"}
    document["fetch"] = {**document.get("fetch", {}), "retries": RETRIES}
    document["selections"] = {}
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _published(store):
    from calfeed.publish import load_programme
    return {item.event.uid: item for item in load_programme(store).items}


def run_fault(fault: str, kind: str, folder: Path) -> Row:
    """Read a healthy source, then the faulty one; compare what is published."""
    from click.testing import CliRunner

    from calfeed.cli import cli
    from calfeed.config import load_config
    from calfeed.refresh import refresh_sources
    from calfeed.store import Store
    from calfeed.web import create_app

    server, other = FaultServer(), FaultServer()
    try:
        path = _write_config(folder, kind, f"{server.url}/agenda")
        config = load_config(path)
        store = Store(config.store_path)
        server.answer = _good(kind)
        [healthy] = refresh_sources(config, store, now=T0)
        assert healthy.ok and healthy.events == len(EVENTS), healthy
        before = _published(store)
        server.answer = FAULTS[fault](kind, other)
        started = time.monotonic()
        [report] = refresh_sources(config, store, now=T0 + dt.timedelta(hours=1))
        seconds = time.monotonic() - started
        after = _published(store)
        store.close()
        lost = sum(1 for uid in before if uid not in after)
        cancelled = sum(1 for uid, item in after.items() if uid in before and item.status == "annule")
        altered = sum(1 for uid, item in after.items() if uid in before and
                      (item.event.title, item.event.description) != (before[uid].event.title,
                                                                     before[uid].event.description))
        result = CliRunner().invoke(cli, ["check", "--no-fetch", "--config", str(path)])
        check_flag = result.exit_code != 0 or "avertissement" in result.output or "rejeté" in result.output
        app = create_app({"TESTING": True, "CALFEED_CONFIG": str(path)})
        client = app.test_client()
        status = client.get("/etat.json").get_json()
        page = client.get("/etat").get_data(as_text=True) + client.get("/etat.json").get_data(as_text=True)
        app.extensions["calfeed"].store.close()
        [entry] = status["sources"]
        status_flag = "lab" in status["failing"] or bool(entry["warnings"]) or bool(entry["rejected"])
        leak = CANARY in page or "Maintenance" in page
        detail = report.error or "; ".join(report.warnings + report.rejected)
        return Row(fault, kind, lost, cancelled, altered, seconds, check_flag, status_flag, leak, detail)
    finally:
        server.close()
        other.close()
