"""CSV exports with French headers, `;` or `,` separated, UTF-8 with or without BOM."""

import csv
import io
import json
from collections.abc import Iterable, Iterator

from ..errors import SourceError
from ..model import Event, event_from_dict
from ..taxonomy import Taxonomy

from .common import Parsed, Rejected, require_format
from .parsed import Source
from .decode import decode_text
from .spreadsheet import events_from_rows


def events_from_csv(data: bytes, source: Source, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    """Read a CSV export: one row an event (or one row several dates), French headers."""
    text, decoding = decode_text(data, charset, source)
    require_format(not text.lstrip().lower().startswith(("<!doctype", "<html", "<?xml", "{", "[")),
                   source, "un fichier CSV", text)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return Parsed()
    last: list[tuple[list[str], int, int]] = []  # the last row that holds something: cells, line, line before it

    def rows() -> Iterator[tuple[int, list[str]]]:
        first_line = reader.line_num  # physical lines read before this row
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    last[:] = [(row, reader.line_num, first_line)]
                yield reader.line_num, row
                first_line = reader.line_num
        except csv.Error:  # a cell over the csv module's bound: most often a quote never closed that swallows the rest
            raise SourceError(source.id, f"CSV illisible à partir de la ligne {first_line + 1} : une cellule dépasse "
                                         f"{csv.field_size_limit()} caractères (un guillemet jamais fermé ?). "
                                         "Corrigez le fichier.") from None

    parsed = events_from_rows(header, rows(), source, taxonomy)
    parsed.warnings[:0] = [Rejected("contenu", warning) for warning in decoding]
    if last and not text.endswith(("\n", "\r")):
        # A half-written export (or one cut in transit with a matching Content-Length): its last row misses
        # cells (an unterminated quote swallows the rest too), or its last cell is a quoted text cut in the
        # middle (all cells there, but the quote never closed), and the rows after it are missing.
        row, line, before = last[0]
        raw = "".join(io.StringIO(text, newline="").readlines()[before:])
        if len(row) < len(header):
            parsed.truncated = (f"la dernière ligne ({line}) n'a que {len(row)} colonne(s) sur {len(header)} "
                                "et le fichier ne finit pas par un saut de ligne : il semble coupé")
        elif raw.count('"') % 2:  # quoting and escaped quotes ("") come in pairs; an odd count is never closed
            parsed.truncated = (f"la dernière ligne ({line}) ouvre un guillemet jamais fermé et le fichier ne "
                                "finit pas par un saut de ligne : il semble coupé")
        else:  # all cells there, the last one unquoted: it may be cut short, or the tool omits the last line end
            alone: list[Event]
            try:
                alone = events_from_rows(header, [(line, row)], source, taxonomy).events
            except SourceError:
                alone = []
            parsed.open_end = (line, tuple(event.uid for event in alone))
    return parsed


# Text fields of an event a cut last cell may shorten.
_TEXT_FIELDS = ("title", "description", "organiser", "url", "registration_url", "online_url")
_PLACE_FIELDS = ("name", "address", "city", "postal_code")


def cut_short(parsed: Parsed, previous: Iterable[str]) -> str:
    """Why the last row of a body without its final line end looks cut ("" if it does not), given the
    JSON texts of the source's last good events.

    Many tools end a CSV without a line end (Google Sheets does), so its absence alone proves nothing; but
    when the last row's event was published before and one of its texts is now a strict beginning of what it
    was (« Atelier de fo » for « Atelier de formation », or empty), the body was most likely read while it
    was being written: it is held rather than published."""
    if not parsed.open_end:
        return ""
    line, uids = parsed.open_end
    new = {event.uid: event for event in parsed.events if event.uid in uids}
    for text in previous:
        if not any(f'"uid": {json.dumps(uid, ensure_ascii=False)}' in text for uid in new):
            continue
        old = event_from_dict(json.loads(text))
        if old.uid not in new:
            continue
        pairs = [(getattr(old, name), getattr(new[old.uid], name)) for name in _TEXT_FIELDS]
        pairs += [(getattr(old.location, name), getattr(new[old.uid].location, name)) for name in _PLACE_FIELDS]
        for before, now in pairs:
            if before != now and before.startswith(now):
                shown = f"« …{now[-30:]} »" if now else "vide"
                return (f"la dernière ligne ({line}) ne finit pas par un saut de ligne et son texte s'arrête avant sa "
                        f"version publiée ({shown} au lieu de « …{before[max(0, len(now) - 30):len(now) + 30]}… ») : "
                        "le fichier semble coupé pendant son écriture")
    return ""
