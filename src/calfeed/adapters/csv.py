"""CSV exports with French headers, `;` or `,` separated, UTF-8 with or without BOM."""

import csv
import io

from .common import Parsed, Rejected, require_format
from .decode import decode_text
from .spreadsheet import events_from_rows


def events_from_csv(data: bytes, source, taxonomy, charset: str | None = None) -> Parsed:
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
    last = []

    def rows():
        first_line = reader.line_num  # physical lines read before this row
        for row in reader:
            if any(cell.strip() for cell in row):
                last[:] = [row, reader.line_num, first_line]
            yield reader.line_num, row
            first_line = reader.line_num

    parsed = events_from_rows(header, rows(), source, taxonomy)
    parsed.warnings[:0] = [Rejected("contenu", warning) for warning in decoding]
    if last and not text.endswith(("\n", "\r")):
        # A half-written export (or one cut in transit with a matching Content-Length): its last row misses
        # cells (an unterminated quote swallows the rest too), or its last cell is a quoted text cut in the
        # middle (all cells there, but the quote never closed), and the rows after it are missing.
        row, line, first_line = last
        raw = "".join(io.StringIO(text, newline="").readlines()[first_line:])
        if len(row) < len(header):
            parsed.truncated = (f"la dernière ligne ({line}) n'a que {len(row)} colonne(s) sur {len(header)} "
                                "et le fichier ne finit pas par un saut de ligne : il semble coupé")
        elif raw.count('"') % 2:  # quoting and escaped quotes ("") come in pairs; an odd count is never closed
            parsed.truncated = (f"la dernière ligne ({line}) ouvre un guillemet jamais fermé et le fichier ne "
                                "finit pas par un saut de ligne : il semble coupé")
    return parsed
