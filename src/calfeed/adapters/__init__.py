"""Adapters turn the bytes of one source into events: one function per source type."""

from ..errors import SourceError
from .common import Parsed, Rejected
from .csv import events_from_csv
from .ics import events_from_ics
from .json import events_from_json, events_from_openagenda
from .xlsx import events_from_xlsx

ADAPTERS = {
    "ics": events_from_ics,
    "csv": events_from_csv,
    "xlsx": events_from_xlsx,
    "json": events_from_json,
    "openagenda": events_from_openagenda,
}

__all__ = ["ADAPTERS", "Parsed", "Rejected", "parse_source"]


def parse_source(data: bytes, source, taxonomy, charset: str | None = None) -> Parsed:
    """Read `data` with the adapter of `source.type`; raise SourceError if it is not that format,
    or if it holds events and every one of them is rejected (never a source « OK » that publishes nothing).

    `charset` is the encoding the server declared, if any (adapters/decode.py says how it is weighed).
    """
    parsed = ADAPTERS[source.type](data, source, taxonomy, charset)
    if parsed.rejected and not parsed.events:
        shown = " ; ".join(str(r) for r in parsed.rejected[:3])
        more = f" (et {len(parsed.rejected) - 3} autre(s))" if len(parsed.rejected) > 3 else ""
        raise SourceError(source.id, f"aucun événement lisible : les {len(parsed.rejected)} événement(s) sont "
                                     f"rejetés — {shown}{more}. Corrigez la source ou sa configuration.")
    return parsed
