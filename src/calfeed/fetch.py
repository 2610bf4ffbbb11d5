"""The only module that imports requests: read a source's bytes, from disk or over HTTP."""

import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import __version__
from .errors import SourceError

USER_AGENT = f"calfeed/{__version__} (+agrégateur du Mois de l'innovation publique)"
TRANSIENT_STATUSES = {429, 502, 503, 504}
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: the source answered 304 Not Modified
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None  # the `charset` parameter of Content-Type, if the server sent one

    @property
    def size(self) -> int:
        return len(self.body) if self.body is not None else 0


def new_session(concurrency: int = 20) -> requests.Session:
    """One session for a refresh: its pool keeps a connection per parallel request."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = MAX_REDIRECTS
    adapter = _WatchedAdapter(pool_connections=concurrency, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch_source(source, session: requests.Session | None = None, *, etag=None, last_modified=None,
                 retries: int = 2, backoff: float = 0.5) -> Fetched:
    """The current bytes of `source`; raise SourceError saying what went wrong and where.

    Deadlines are wall-clock, whatever the server does: each attempt (connection, redirects, headers
    and body) ends after `source.timeout` seconds, and all attempts with their pauses after
    `source.timeout × (retries + 1)`.
    """
    if source.path is not None:
        return _read_file(source)
    session = session or new_session()
    headers = {"Accept": "text/calendar, text/csv, application/json;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    final = time.monotonic() + source.timeout * (retries + 1)
    for attempt in range(retries + 1):
        try:
            return _get(source, session, headers, min(time.monotonic() + source.timeout, final))
        except _Transient as exc:
            pause = backoff * 2 ** attempt
            if attempt == retries or time.monotonic() + pause >= final:
                raise SourceError(source.id, exc.message, http_status=exc.status) from None
            time.sleep(pause)
    raise AssertionError("unreachable")


class _Transient(Exception):
    def __init__(self, message, status=None):
        self.message, self.status = message, status


def _read_file(source) -> Fetched:
    try:
        size = source.path.stat().st_size
        if size > source.max_bytes:
            raise SourceError(source.id, f"le fichier {source.path} dépasse la taille maximale "
                                         f"({size} octets > {source.max_bytes}) ; augmentez « max_bytes ».")
        return Fetched(source.path.read_bytes())
    except FileNotFoundError:
        raise SourceError(source.id, f"fichier introuvable : {source.path}. Vérifiez « path: » dans sources.yaml.") from None
    except IsADirectoryError:
        raise SourceError(source.id, f"{source.path} est un dossier, pas un fichier.") from None
    except OSError as exc:
        raise SourceError(source.id, f"lecture impossible de {source.path} ({exc.strerror}).") from None


def _get(source, session, headers, deadline: float) -> Fetched:
    """One attempt, cut at `deadline` (a time.monotonic() value) by a watchdog."""
    url = source.url
    too_slow = f"délai dépassé (pas de réponse complète en {source.timeout:.0f} s) en lisant {source.location}"
    with _Watchdog(deadline) as watchdog:
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Transient(too_slow)
                with session.get(url, headers=headers, timeout=(min(remaining, 10), remaining), stream=True,
                                 allow_redirects=False) as response:
                    if response.is_redirect:
                        url = redirect_target(source, url, response.headers["Location"])
                        continue
                    fetched = _read_response(source, response, deadline)
                    if watchdog.fired:  # the body may look complete when the watchdog closed it
                        raise _Transient(too_slow)
                    return fetched
            raise SourceError(source.id, f"trop de redirections (plus de {MAX_REDIRECTS}).")
        except requests.exceptions.RequestException as exc:
            if watchdog.fired:
                raise _Transient(too_slow) from None
            raise _http_error(source, exc) from None
        except OSError:  # a socket error that requests let through, as the watchdog closed it
            if watchdog.fired:
                raise _Transient(too_slow) from None
            raise _Transient(f"connexion interrompue avec {source.location}") from None


def _read_response(source, response, deadline: float) -> Fetched:
    if response.status_code == 304:
        return Fetched(None, 304, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    if response.status_code in TRANSIENT_STATUSES or response.status_code >= 500:
        raise _Transient(f"le serveur a répondu {response.status_code} {response.reason}", response.status_code)
    if response.status_code >= 400:
        raise SourceError(source.id, f"le serveur a répondu {response.status_code} {response.reason} : "
                                     "vérifiez l'adresse « url: » de la source.",
                          http_status=response.status_code)
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > source.max_bytes:
        raise SourceError(source.id, f"réponse trop grosse ({declared} octets > {source.max_bytes}) ; "
                                     "augmentez « max_bytes » si elle est normale.",
                          http_status=response.status_code)
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > source.max_bytes:
            raise SourceError(source.id, f"réponse trop grosse (plus de {source.max_bytes} octets) ; "
                                         "augmentez « max_bytes » si elle est normale.",
                              http_status=response.status_code)
        if time.monotonic() > deadline:
            raise _Transient(f"délai dépassé (pas de réponse complète en {source.timeout:.0f} s) "
                             f"en lisant {source.location}")
        chunks.append(chunk)
    return Fetched(b"".join(chunks), response.status_code, response.headers.get("ETag"),
                   response.headers.get("Last-Modified"), _charset(response.headers.get("Content-Type")))


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    header = Message()
    header["Content-Type"] = content_type
    charset = header.get_param("charset")
    return str(charset).strip() or None if charset else None


def redirect_target(source, url: str, location: str) -> str:
    """The redirect target, if the rules allow it: same host and port, or http → https on the same host.

    Following a redirect anywhere would let a source's server make calfeed read (and report on) any
    address it can reach, internal ones included.
    """
    target = urljoin(url, location)
    old, new = urlsplit(url), urlsplit(target)
    if new.scheme not in DEFAULT_PORTS:
        raise SourceError(source.id, "redirection vers une adresse qui n'est pas http ou https : refusée.")
    try:
        old_port, new_port = old.port or DEFAULT_PORTS[old.scheme], new.port or DEFAULT_PORTS[new.scheme]
    except ValueError:
        raise SourceError(source.id, "redirection vers une adresse invalide : refusée.") from None
    same = new.hostname == old.hostname and (
        (new.scheme == old.scheme and new_port == old_port) or
        (old.scheme == "http" and new.scheme == "https" and new_port in (443, old_port)))
    if not same:
        host = new.hostname or "?"
        if new.port:
            host = f"{host}:{new.port}"
        raise SourceError(source.id, f"redirection refusée vers un autre hôte ({host}) : calfeed ne suit que les "
                                     "redirections vers le même hôte (ou de http vers https). Si la source a "
                                     "déménagé, mettez sa nouvelle adresse dans « url: ».")
    return target


def _http_error(source, exc: requests.exceptions.RequestException) -> Exception:
    if isinstance(exc, requests.exceptions.Timeout):
        return _Transient(f"délai dépassé ({source.timeout:.0f} s) en contactant {source.location}")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return _Transient("réponse tronquée (connexion interrompue avant la fin)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "IncompleteRead" in text or "Connection broken" in text:
            return _Transient("réponse tronquée (connexion interrompue avant la fin)")
        return _Transient(f"connexion impossible à {source.location}")
    if isinstance(exc, requests.exceptions.InvalidSchema):
        return SourceError(source.id, "adresse qui n'est pas http ou https : refusée.")
    return SourceError(source.id, f"erreur HTTP ({type(exc).__name__}).")


# The wall-clock deadline. requests' read timeout bounds each socket read, not the response: a server
# sending a few bytes every second never trips it. A timer closes the connection of the attempt at its
# deadline, whatever phase it is in; the connection classes below tell the timer which socket is in use.
_current = threading.local()


class _Watchdog:
    def __init__(self, deadline: float):
        self.deadline, self.fired = deadline, False
        self._connections, self._sockets, self._lock = [], [], threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self):
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        _current.watchdog = None
        if self.fired:
            for connection in self._connections:
                connection.close()  # never back into the pool half-read

    def watch(self, connection, sock):
        with self._lock:
            if connection not in self._connections:
                self._connections.append(connection)
            if sock is not None:
                self._sockets.append(sock)
            fired = self.fired
        if fired:
            self._shut(sock)

    def _fire(self):
        with self._lock:
            self.fired = True
            sockets = [*self._sockets, *(c.sock for c in self._connections)]
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock):
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


def _watched_request(connection, request, args, kwargs):
    """Send a request, telling the thread's watchdog which socket carries it.

    The socket is taken once the request is sent: http.client drops the connection's reference to it
    when the response says « Connection: close », while the response keeps reading from it.
    """
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(connection, None)
    result = request(*args, **kwargs)
    if watchdog is not None:
        watchdog.watch(connection, connection.sock)
    return result


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args, **kwargs):
        return _watched_request(self, super().request, args, kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args, **kwargs):
        return _watched_request(self, super().request, args, kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTLSPool}
