"""What a source type declares (its keys, its reader, how it is fetched and recognised, its documentation),
the keys every source shares, and what a fetch gives back. Pure data: the registry is `sources.SOURCE_TYPES`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..adapters.parsed import Parsed
from ..model import DEFAULT_ZONE
from ..taxonomy import DIMENSIONS, Taxonomy

# `source` below is a config.Source (config imports this package, so it cannot be named here).
Reader = Callable[[bytes, Any, Taxonomy, "str | None"], Parsed]


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


# One GET of `source.url` with the given headers, retried within the source's deadline (fetch gives it to a
# type that fetches in several requests); the text says where, for messages (« (page de l'API OpenAgenda) »).
Get = Callable[[Any, dict[str, str], str], Fetched]


def text_value(value: Any) -> str:
    """A key written as text (or a number: `agenda: 12345`), "" when absent."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Key:
    """One key of a source in sources.yaml: the shape of its value (JSON Schema, checked by config_schema),
    what it means (French, shown in the README reference and the starter), a value to show, and how
    config turns it into the Source field of the same name."""

    schema: dict[str, Any]
    help: str
    example: str = ""
    read: Callable[[Any], Any] = text_value
    choices: tuple[str, ...] = ()  # the values it accepts, when they are a fixed list (an unknown one is an error)


TEXT: dict[str, Any] = {"type": ["string", "number", "null"]}
TEXTS: dict[str, Any] = {"type": ["array", "string", "null"], "items": TEXT}
POSITIVE: dict[str, Any] = {"type": "number", "exclusiveMinimum": 0}
SHARE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}

# The keys every source may have, whatever its type (config reads them itself: vocabulary, zone, location).
COMMON_KEYS: dict[str, Key] = {
    "id": Key(TEXT, "identifiant unique, minuscules et tirets", "ditp-tables-rondes"),
    "type": Key(TEXT, "le type de la source (README : « Types de source »)", "ics"),
    "url": Key(TEXT, "adresse de la source (http ou https seulement)", "https://…"),
    "path": Key(TEXT, "OU fichier, relatif au dossier de sources.yaml", "data/agenda.ics"),
    # a default value for each dimension of the vocabulary table (category, themes, region…)
    **{row.source_key: Key(TEXTS if row.multiple else TEXT, row.source_help, row.source_example) for row in DIMENSIONS},
    "timezone": Key(TEXT, "fuseau des heures « flottantes » de la source", DEFAULT_ZONE),
    "organiser": Key(TEXT, "organisateur par défaut", "DITP"),
    "allow_empty": Key({"type": "boolean"}, "accepter qu'une source qui publiait des événements n'en publie plus",
                       "false"),
    "max_drop": Key(SHARE, "part des événements qu'elle peut perdre d'un coup sans être retenue "
                           "(défaut : fetch.max_drop, 0.3)", "0.3"),
    "max_bytes": Key(POSITIVE, "taille maximale d'une réponse, propre à cette source (défaut : fetch.max_bytes)",
                     "10485760"),
    "timeout": Key(POSITIVE, "secondes par tentative, propres à cette source (défaut : fetch.timeout)", "20"),
}


def columns_value(value: Any) -> tuple[tuple[str, str], ...]:
    """`columns:` as (calfeed column, the sheet's own header) pairs."""
    return tuple((str(column), str(title)) for column, title in (value or {}).items())


# Shared by every type read as a table (csv, xlsx, google-sheets): one declaration, one rule.
COLUMNS_KEY = Key({"type": "object", "additionalProperties": TEXT},
                  "colonne calfeed → en-tête du tableau (voir « Colonnes CSV »)", "{titre: Intitulé de l'action}",
                  columns_value)


@dataclass(frozen=True)
class SourceType:
    """One source type. Only `name`, `summary`, `read`, `doc` and `example` are required; the rest says how
    it differs from a plain file or address read as is."""

    name: str
    summary: str  # French, a few words: « un calendrier iCalendar (.ics) »
    read: Reader  # bytes → events (adapters)
    doc: str  # French Markdown: how to declare one (README, « Types de source »)
    example: str  # YAML lines of one source, for the starter sources.yaml (reading a file of exemples/)
    keys: dict[str, Key] = field(default_factory=dict)  # its own keys, beyond COMMON_KEYS
    example_online: bool = False  # the example needs the network: the starter writes it commented out
    location: str = "url-or-path"  # "url" when only an address makes sense
    default_url: str = ""  # the address read when neither url: nor path: is given (OpenAgenda's API)
    accept: str = "text/calendar, text/csv, application/json;q=0.9, */*;q=0.5"  # the HTTP Accept header
    address: Callable[[str], str] | None = None  # the address to fetch for the url: the team wrote
    follows: Callable[[Any, str, str], bool] | None = None  # (source, url, target): a redirect it allows
    status_hint: Callable[[Any, int], str | None] | None = None  # French explanation of an HTTP error status
    fetch: Callable[[Any, Get], Fetched] | None = None  # fetched in several requests (pages)
    recognise: Callable[[bytes], bool] | None = None  # preview: is this file's start one of mine?
    suffixes: tuple[str, ...] = ()  # preview: file names ending so are mine when the content does not tell
    claims: Callable[[str], bool] | None = None  # preview: is this address one of mine?
    check_url: Callable[[str], str | None] | None = None  # config: what is wrong with this url: (French), if anything
