"""The only module that imports requests: read a source's bytes, from disk or over HTTP."""

import json
import os
import re
import time
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

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
    if source.type == "openagenda":
        return fetch_openagenda(source, session, retries=retries, backoff=backoff)
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


OPENAGENDA_API = "https://api.openagenda.com/v2"
OPENAGENDA_PAGE_SIZE = 300  # the largest page the API gives
OPENAGENDA_MAX_PAGES = 1000


def fetch_openagenda(source, session: requests.Session | None = None, *, retries: int = 2,
                     backoff: float = 0.5) -> Fetched:
    """Every event of an OpenAgenda agenda, page after page through the API's `after` cursor, as one JSON body
    {"events": [...]}. A failure on any page fails the whole fetch, so the last good snapshot stays.

    The API key is read from the environment variable the source names (`key_env`) and sent in a header:
    it never appears in an address, a message, the store or the logs.
    """
    if not source.agenda:
        raise SourceError(source.id, "indiquez l'identifiant de l'agenda OpenAgenda (« agenda: » dans sources.yaml).")
    if source.key_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", source.key_env):  # never echoed: it may be a key
        raise SourceError(source.id, "« key_env » doit être le nom d'une variable d'environnement en majuscules "
                                     "(par exemple OPENAGENDA_KEY), pas la clé elle-même.")
    headers = {"Accept": "application/json"}
    if source.key_env:
        key = os.environ.get(source.key_env, "").strip()
        if not key:
            raise SourceError(source.id, f"la variable d'environnement {source.key_env} (clé d'API OpenAgenda) "
                                         "est absente ou vide : définissez-la pour le service calfeed.")
        headers["key"] = key
    session = session or new_session()
    base = f"{(source.url or OPENAGENDA_API).rstrip('/')}/agendas/{quote(source.agenda, safe='')}/events"
    events, after, seen, left = [], [], set(), source.max_bytes
    for _ in range(OPENAGENDA_MAX_PAGES):
        query = urlencode([("size", OPENAGENDA_PAGE_SIZE), ("detailed", 1), *(("after[]", v) for v in after)])
        page = _openagenda_page(replace(source, url=f"{base}?{query}", max_bytes=left), session, headers,
                                retries, backoff)
        left -= page.size
        try:
            document = json.loads(page.body)
            batch, after = document.get("events") or [], document.get("after") or []
        except (ValueError, AttributeError):
            raise SourceError(source.id, "réponse de l'API OpenAgenda illisible (JSON attendu) : vérifiez « url: » "
                                         "et « agenda: ».", http_status=page.status) from None
        events.extend(batch)
        if not batch or not after or repr(after) in seen:
            break
        seen.add(repr(after))
    else:
        raise SourceError(source.id, f"l'API OpenAgenda renvoie plus de {OPENAGENDA_MAX_PAGES} pages : lecture "
                                     "arrêtée.")
    body = json.dumps({"events": events}, ensure_ascii=False, sort_keys=True).encode()
    return Fetched(body, 200)


def _openagenda_page(page_source, session, headers, retries, backoff) -> Fetched:
    for attempt in range(retries + 1):
        try:
            fetched = _get(page_source, session, headers)
        except _Transient as exc:
            if attempt == retries:
                raise SourceError(page_source.id, f"{exc.message} (page de l'API OpenAgenda)",
                                  http_status=exc.status) from None
            time.sleep(backoff * 2 ** attempt)
            continue
        if fetched.body is None:
            raise SourceError(page_source.id, "l'API OpenAgenda a répondu 304 sans contenu.", http_status=304)
        return fetched
    raise AssertionError("unreachable")
