"""The only package that imports requests: a source's bytes, from disk or over HTTP, within deadlines."""

import time
from dataclasses import replace
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from .. import __version__
from ..errors import SourceError
from ..sources import SOURCE_TYPES, Fetched, Get
from .deadline import MAX_REDIRECTS, Watchdog, watched_session

USER_AGENT = f"calfeed/{__version__} (+agrégateur du Mois de l'innovation publique)"
TRANSIENT_STATUSES = {429, 502, 503, 504}
CHUNK = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


def new_session(concurrency: int = 20) -> requests.Session:
    """One session for a refresh: its pool keeps a connection per parallel request."""
    session = watched_session(concurrency)
    session.headers["User-Agent"] = USER_AGENT
    return session


def fetch_source(source: Any, session: requests.Session | None = None, *, etag: str | None = None,
                 last_modified: str | None = None, retries: int = 2, backoff: float = 0.5) -> Fetched:
    """The current bytes of `source`; raise SourceError saying what went wrong and where.

    Deadlines are wall-clock, whatever the server does: each attempt (connection, redirects, headers
    and body) ends after `source.timeout` seconds, and all attempts with their pauses after
    `source.timeout × (retries + 1)`. What is particular to the source's type (its address, its Accept
    header, the redirects it allows, what an error status means, a fetch in pages) is read from its
    entry in the registry (`calfeed.sources`).
    """
    if source.path is not None:
        return _read_file(source)
    kind = SOURCE_TYPES[source.type]
    get = _getter(session or new_session(), retries, backoff, time.monotonic() + source.timeout * (retries + 1))
    if kind.address is not None:
        source = replace(source, url=kind.address(source.url))
    if kind.fetch is not None:
        return kind.fetch(source, get)
    headers = {"Accept": kind.accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return get(source, headers, "")


def _getter(session: requests.Session, retries: int, backoff: float, final: float) -> Get:
    """One GET with its retries, all of them by `final` (a time.monotonic() value: one source's deadline,
    whatever the number of requests), an error status said as the source's type explains it."""
    def get(source: Any, headers: dict[str, str], where: str) -> Fetched:
        try:
            return _get_with_retries(source, session, headers, retries, backoff, where, final)
        except SourceError as exc:
            hint = SOURCE_TYPES[source.type].status_hint
            said = hint(source, exc.http_status) if hint is not None and exc.http_status else None
            if said is None:
                raise
            raise SourceError(source.id, said, http_status=exc.http_status) from None
    return get


def _get_with_retries(source: Any, session: requests.Session, headers: dict[str, str], retries: int, backoff: float,
                      where: str = "",
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
    def __init__(self, message: str, status: int | None = None) -> None:
        self.message, self.status = message, status


def _read_file(source: Any) -> Fetched:
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


def _get(source: Any, session: requests.Session, headers: dict[str, str], deadline: float) -> Fetched:
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


def _status(response: requests.Response) -> str:
    return f"{response.status_code} ({STATUS_WORDS.get(response.status_code, 'erreur')})"


def _read_response(source: Any, response: requests.Response, deadline: float) -> Fetched:
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


def redirect_target(source: Any, url: str, location: str) -> str:
    """The redirect target, if the rules allow it: same host and port, or http → https on the same host.

    Following a redirect anywhere would let a source's server make calfeed read (and report on) any
    address it can reach, internal ones included.
    """
    target = urljoin(url, location)
    old, new = urlsplit(url), urlsplit(target)
    if new.scheme not in DEFAULT_PORTS:
        raise SourceError(source.id, "redirection vers une adresse qui n'est pas http ou https : refusée.")
    kind = SOURCE_TYPES.get(getattr(source, "type", ""))
    if kind is not None and kind.follows is not None and kind.follows(source, url, target):
        return target  # a host the source's type is known to send its files from (Google's file servers)
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


def _http_error(source: Any, exc: requests.exceptions.RequestException) -> Exception:
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
