"""The only package that imports requests: a source's bytes, from disk or over HTTP, within deadlines."""

import json
import os
import re
import time
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests

from .. import __version__
from ..errors import SourceError
from .deadline import MAX_REDIRECTS, Watchdog, watched_session

USER_AGENT = f"calfeed/{__version__} (+agrégateur du Mois de l'innovation publique)"
TRANSIENT_STATUSES = {429, 502, 503, 504}
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
    session = watched_session(concurrency)
    session.headers["User-Agent"] = USER_AGENT
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
    if source.type == "openagenda":
        return fetch_openagenda(source, session, retries=retries, backoff=backoff)
    session = session or new_session()
    headers = {"Accept": "text/calendar, text/csv, application/json;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return _get_with_retries(source, session, headers, retries, backoff)


def _get_with_retries(source, session, headers, retries: int, backoff: float, where: str = "",
                      final: float | None = None) -> Fetched:
    """Attempts of `source.timeout` seconds each, all of them with their pauses within
    `source.timeout × (retries + 1)`, or by `final` (a time.monotonic() value) for a source read in pages."""
    final = final or time.monotonic() + source.timeout * (retries + 1)
    for attempt in range(retries + 1):
        if time.monotonic() >= final:
            raise SourceError(source.id, f"délai dépassé : lecture inachevée après {source.timeout * (retries + 1):.0f} s"
                                         f"{where}")
        try:
            return _get(source, session, headers, min(time.monotonic() + source.timeout, final))
        except _Transient as exc:
            pause = backoff * 2 ** attempt
            if attempt == retries or time.monotonic() + pause >= final:
                raise SourceError(source.id, exc.message + where, http_status=exc.status) from None
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
    with Watchdog(deadline) as watchdog:
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


# What the usual HTTP statuses mean, said in French (servers send their reason phrase in English).
STATUS_WORDS = {400: "requête invalide", 401: "authentification requise", 403: "accès refusé", 404: "introuvable",
                410: "supprimée", 429: "trop de requêtes", 500: "erreur interne du serveur",
                502: "passerelle en erreur", 503: "service indisponible", 504: "délai de la passerelle dépassé"}


def _status(response) -> str:
    return f"{response.status_code} ({STATUS_WORDS.get(response.status_code, 'erreur')})"


def _read_response(source, response, deadline: float) -> Fetched:
    if response.status_code == 304:
        return Fetched(None, 304, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    if response.status_code in TRANSIENT_STATUSES or response.status_code >= 500:
        raise _Transient(f"le serveur a répondu {_status(response)}", response.status_code)
    if response.status_code >= 400:
        raise SourceError(source.id, f"le serveur a répondu {_status(response)} : vérifiez l'adresse « url: » "
                                     "de la source.", http_status=response.status_code)
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
    final = time.monotonic() + source.timeout * (retries + 1)  # every page within the deadline of one source
    base = f"{(source.url or OPENAGENDA_API).rstrip('/')}/agendas/{quote(source.agenda, safe='')}/events"
    events, after, seen, left, total = {}, [], set(), source.max_bytes, None
    for number in range(1, OPENAGENDA_MAX_PAGES + 1):
        query = urlencode([("size", OPENAGENDA_PAGE_SIZE), ("detailed", 1), *(("after[]", v) for v in after)])
        page = _openagenda_page(replace(source, url=f"{base}?{query}", max_bytes=left), session, headers,
                                retries, backoff, final)
        left -= page.size
        batch, after, total = _openagenda_batch(source, page, number, events, total)
        if not batch or not after:
            break
        if repr(after) in seen:  # the same cursor again: the pages after it would never come
            raise SourceError(source.id, f"pagination de l'API OpenAgenda incohérente (la page {number} redonne un "
                                         "curseur déjà vu) : la dernière version lue reste publiée.")
        seen.add(repr(after))
    else:
        raise SourceError(source.id, f"l'API OpenAgenda renvoie plus de {OPENAGENDA_MAX_PAGES} pages : lecture "
                                     "arrêtée.")
    if total is not None and len(events) < total:  # read as is, the events not received would be cancelled
        raise SourceError(source.id, f"pagination de l'API OpenAgenda incomplète ({len(events)} événement(s) reçu(s) "
                                     f"sur {total} annoncé(s)) : la dernière version lue reste publiée.")
    body = json.dumps({"events": list(events.values())}, ensure_ascii=False, sort_keys=True).encode()
    return Fetched(body, 200)


def _openagenda_batch(source, page: Fetched, number: int, events: dict, total):
    """Page `number`'s events into `events` by uid (a later copy wins), its `after` cursor, the `total` given."""
    try:
        document = json.loads(page.body)
        batch, after = document.get("events") or [], document.get("after") or []
        for position, event in enumerate(batch):
            events[str(event.get("uid")) if event.get("uid") is not None else f"{number}-{position}"] = event
    except (ValueError, AttributeError):
        raise SourceError(source.id, "réponse de l'API OpenAgenda illisible (JSON attendu) : vérifiez « url: » "
                                     "et « agenda: ».", http_status=page.status) from None
    return batch, after, document["total"] if isinstance(document.get("total"), int) else total


def _openagenda_page(page_source, session, headers, retries, backoff, final) -> Fetched:
    try:
        fetched = _get_with_retries(page_source, session, headers, retries, backoff, " (page de l'API OpenAgenda)",
                                    final)
    except SourceError as exc:
        hint = {401: f"la clé d'API est refusée : vérifiez la variable {page_source.key_env or '(key_env)'}",
                403: f"la clé d'API est refusée : vérifiez la variable {page_source.key_env or '(key_env)'}",
                404: f"l'agenda « {page_source.agenda} » est introuvable : vérifiez « agenda: »"}.get(exc.http_status)
        if hint is None:
            raise
        raise SourceError(page_source.id, f"l'API OpenAgenda a répondu {exc.http_status} : {hint}.",
                          http_status=exc.http_status) from None
    if fetched.body is None:
        raise SourceError(page_source.id, "l'API OpenAgenda a répondu 304 sans contenu.", http_status=304)
    return fetched
