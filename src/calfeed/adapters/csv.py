"""CSV exports with French headers, `;` or `,` separated, UTF-8 with or without BOM."""

import csv
import io

from ..errors import SourceError
from .common import Parsed, require_format
from .spreadsheet import events_from_rows


def events_from_csv(data: bytes, source, taxonomy) -> Parsed:
    """Read a CSV export: one row an event (or one row several dates), French headers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise SourceError(source.id, "le fichier CSV n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 ».") from None
    require_format(not text.lstrip().lower().startswith(("<!doctype", "<html", "<?xml", "{", "[")),
                   source, "un fichier CSV", data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return Parsed()
    last = []

    def rows():
        for row in reader:
            if any(cell.strip() for cell in row):
                last[:] = [row, reader.line_num]
            yield reader.line_num, row

    parsed = events_from_rows(header, rows(), source, taxonomy)
    if last and len(last[0]) < len(header) and not text.endswith(("\n", "\r")):
        # A half-written export (or one cut in transit with a matching Content-Length): its last row misses
        # cells (an unterminated quote swallows the rest too), and the rows after it are missing.
        parsed.truncated = (f"la dernière ligne ({last[1]}) n'a que {len(last[0])} colonne(s) sur {len(header)} "
                            "et le fichier ne finit pas par un saut de ligne : il semble coupé")
    return parsed
