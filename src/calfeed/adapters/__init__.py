"""Adapters turn the bytes of one source into events: one function per source type."""

from .csv import events_from_csv
from .ics import events_from_ics
from .json import events_from_json
from .common import Parsed, Rejected

ADAPTERS = {
    "ics": events_from_ics,
    "csv": events_from_csv,
    "json": events_from_json,
}

__all__ = ["ADAPTERS", "Parsed", "Rejected", "parse_source"]


def parse_source(data: bytes, source, taxonomy, charset: str | None = None) -> Parsed:
    """Read `data` with the adapter of `source.type`; raise SourceError if it is not that format.

    `charset` is the encoding the server declared, if any (see decode.py for how it is weighed).
    """
    return ADAPTERS[source.type](data, source, taxonomy, charset)
