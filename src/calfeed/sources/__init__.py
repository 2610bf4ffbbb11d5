"""The registry of source types: one module per type declares its keys, its reader, how it is fetched and
recognised, and its documentation. Config validation, fetch, preview, the starter sources.yaml and the README
reference read this dict, never a list of their own (`scripts/source_types.py` writes the last two)."""

from pathlib import PurePath
from typing import Any

from ..adapters import Parsed
from ..errors import SourceError
from ..taxonomy import Taxonomy
from .csv import CSV
from .google_sheets import GOOGLE_SHEETS
from .ics import ICS
from .json import JSON
from .kind import COMMON_KEYS, Fetched, Get, Key, SourceType
from .openagenda import OPENAGENDA
from .xlsx import XLSX

SOURCE_TYPES: dict[str, SourceType] = {kind.name: kind for kind in (ICS, CSV, XLSX, JSON, OPENAGENDA,
                                                                             GOOGLE_SHEETS)}

# What a file is read as when neither its content nor its name tells (preview).
FALLBACK_TYPE = CSV.name

__all__ = ["COMMON_KEYS", "FALLBACK_TYPE", "SOURCE_TYPES", "Fetched", "Get", "Key", "SourceType", "guess_type",
           "parse_source", "source_keys", "type_keys", "type_of_address"]


def source_keys() -> dict[str, Key]:
    """Every key a source may have: the common ones, then each type's own (a key shared by several types,
    such as `columns`, is one declaration)."""
    keys = dict(COMMON_KEYS)
    for kind in SOURCE_TYPES.values():
        keys.update(kind.keys)
    return keys


def type_keys() -> list[tuple[str, Key, list[str]]]:
    """Each key of a type, once, with the types that have it (`columns`: csv, xlsx…), in registry order."""
    keys: dict[str, tuple[Key, list[str]]] = {}
    for kind in SOURCE_TYPES.values():
        for name, key in kind.keys.items():
            keys.setdefault(name, (key, []))[1].append(kind.name)
    return [(name, key, owners) for name, (key, owners) in keys.items()]


def guess_type(head: bytes, name: str) -> str:
    """The type of a file from its first bytes, else from its name's suffix, else FALLBACK_TYPE."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for kind in SOURCE_TYPES.values():
        if kind.recognise is not None and kind.recognise(start):
            return kind.name
    suffix = PurePath(name).suffix.lower()
    return next((kind.name for kind in SOURCE_TYPES.values() if suffix in kind.suffixes), FALLBACK_TYPE)


def type_of_address(url: str) -> str:
    """The type an address is clearly of ("" when it could be any)."""
    return next((kind.name for kind in SOURCE_TYPES.values() if kind.claims is not None and kind.claims(url)), "")


def parse_source(data: bytes, source: Any, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    """Read `data` with the reader of `source.type`; raise SourceError if it is not that format,
    or if it holds events and every one of them is rejected (never a source « OK » that publishes nothing).

    `charset` is the encoding the server declared, if any (adapters/decode.py says how it is weighed).
    """
    parsed = SOURCE_TYPES[source.type].read(data, source, taxonomy, charset)
    if parsed.rejected and not parsed.events:
        shown = " ; ".join(str(r) for r in parsed.rejected[:3])
        more = f" (et {len(parsed.rejected) - 3} autre(s))" if len(parsed.rejected) > 3 else ""
        raise SourceError(source.id, f"aucun événement lisible : les {len(parsed.rejected)} événement(s) sont "
                                     f"rejetés — {shown}{more}. Corrigez la source ou sa configuration.")
    return parsed
