"""What the public status page (/etat, /etat.json) may show of a source: its host, its file as
sources.yaml names it, and messages without the values the source wrote nor any secret of an address.
The operator's terminal (`calfeed check`) shows them whole."""

import re
from urllib.parse import urlsplit


# What a source wrote (a cell, a label, a column name) is quoted « like this » in reasons and warnings.
QUOTED = re.compile(r"«[^»]*»")


def public_text(text: str | None) -> str | None:
    """A reason or warning fit for the public status page: the values the source wrote are left out
    (a cell may hold anything); where it is stays (a line, a UID, a column's name), so the team knows
    what to fix. The operator's terminal (`calfeed check`) shows it whole."""
    if not text:
        return text
    where, separator, reason = text.partition(" : ")
    if not separator or "«" in where and not where.startswith(("colonne «", "VEVENT")):
        return QUOTED.sub("«…»", text)
    return where + separator + QUOTED.sub("«…»", reason)


# Any web address in a message: on the public page only its host is kept.
ADDRESS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s«»\"'<>]+")


def _host(address: str) -> str:
    """An address reduced to its host (and port): a private calendar link (Google, Nextcloud, iCloud)
    carries its secret key in its path or query, and credentials may sit before the host."""
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "adresse masquée"
    if ":" in host:  # an IPv6 address, written as in a URL
        host = f"[{host}]"
    return f"{host}{port}" if host else "adresse masquée"


def public_location(config, source) -> str:
    """Where a source is read from, fit for the public page: a web source's host alone; a local source's
    file as sources.yaml names it, relative to its folder (the server's own folders are nobody's business;
    config keeps local paths inside that folder)."""
    if source.path is None:
        return _host(source.url)  # config gives a source its type's default address (OpenAgenda's API)
    try:
        return source.path.relative_to(config.folder).as_posix()
    except ValueError:
        return source.path.name


def without_addresses(text: str) -> str:
    """Every web address of `text` reduced to its host."""
    return ADDRESS.sub(lambda match: _host(match.group()), text)


def public_source_text(config, source, text: str | None) -> str | None:
    """A message about `source` fit for the public page: its file named as sources.yaml does, every web
    address reduced to its host, and no value the source wrote (`public_text`)."""
    if not text:
        return text
    if source.path is not None:
        text = text.replace(str(source.path), public_location(config, source))
    return public_text(without_addresses(text))
