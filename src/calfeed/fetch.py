"""The only module that imports requests: read a source's bytes, from disk or over HTTP."""

import time
from dataclasses import dataclass

import requests

from . import __version__
from .errors import SourceError

USER_AGENT = f"calfeed/{__version__} (+agrégateur du Mois de l'innovation publique)"
TRANSIENT_STATUSES = {429, 502, 503, 504}
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: the source answered 304 Not Modified
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def size(self) -> int:
        return len(self.body) if self.body is not None else 0


def new_session(concurrency: int = 20) -> requests.Session:
    """One session for a refresh: its pool keeps a connection per parallel request."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = MAX_REDIRECTS
    adapter = requests.adapters.HTTPAdapter(pool_connections=concurrency, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch_source(source, session: requests.Session | None = None, *, etag=None, last_modified=None,
                 retries: int = 2, backoff: float = 0.5) -> Fetched:
    """The current bytes of `source`; raise SourceError saying what went wrong and where."""
    if source.path is not None:
        return _read_file(source)
    session = session or new_session()
    headers = {"Accept": "text/calendar, text/csv, application/json;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for attempt in range(retries + 1):
        try:
            return _get(source, session, headers)
        except _Transient as exc:
            if attempt == retries:
                raise SourceError(source.id, exc.message, http_status=exc.status) from None
            time.sleep(backoff * 2 ** attempt)
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


def _get(source, session, headers) -> Fetched:
    deadline = time.monotonic() + source.timeout * 3
    try:
        with session.get(source.url, headers=headers, timeout=(min(source.timeout, 10), source.timeout),
                         stream=True, allow_redirects=True) as response:
            if response.status_code == 304:
                return Fetched(None, 304, response.headers.get("ETag"), response.headers.get("Last-Modified"))
            if response.status_code in TRANSIENT_STATUSES or response.status_code >= 500:
                raise _Transient(f"le serveur a répondu {response.status_code} {response.reason}",
                                 response.status_code)
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
                    raise _Transient(f"réponse trop lente (plus de {source.timeout * 3:.0f} s)")
                chunks.append(chunk)
            return Fetched(b"".join(chunks), response.status_code, response.headers.get("ETag"),
                           response.headers.get("Last-Modified"))
    except requests.exceptions.Timeout:
        raise _Transient(f"délai dépassé ({source.timeout:.0f} s) en contactant {source.location}") from None
    except requests.exceptions.TooManyRedirects:
        raise SourceError(source.id, f"trop de redirections (plus de {MAX_REDIRECTS}).") from None
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        if "IncompleteRead" in text or "Connection broken" in text:
            raise _Transient("réponse tronquée (connexion interrompue avant la fin)") from None
        raise _Transient(f"connexion impossible à {source.location}") from None
    except requests.exceptions.ChunkedEncodingError:
        raise _Transient("réponse tronquée (connexion interrompue avant la fin)") from None
    except requests.exceptions.InvalidSchema:
        raise SourceError(source.id, "redirection vers une adresse qui n'est pas http ou https : refusée.") from None
    except requests.exceptions.RequestException as exc:
        raise SourceError(source.id, f"erreur HTTP ({type(exc).__name__}).") from None
