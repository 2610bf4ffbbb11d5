"""Excel workbooks (.xlsx) through openpyxl: the first sheet or a named one, the same columns and rules as CSV."""

import datetime as dt
import io
import zipfile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what a read-only workbook's sheets are (no public name)

from ..errors import SourceError
from ..taxonomy import Taxonomy
from .common import Parsed
from .parsed import Source
from .spreadsheet import events_from_rows

# A workbook's parts once unpacked may weigh this many times the source's `max_bytes`: 50 MB by default, more
# than the sheet of a 50 000-row programme; openpyxl holds the shared strings in memory at about four times
# their size. A sheet wider than MAX_COLUMNS is read on its first MAX_COLUMNS columns.
UNPACKED_FACTOR = 5
MAX_PARTS = 1000
MAX_COLUMNS = 500


def events_from_xlsx(data: bytes, source: Source, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    """Read one sheet of a workbook: its first row holds the headers, each other row an event.

    `charset` is unused (every adapter takes it): a workbook records its own encoding."""
    try:
        _check_unpacked_size(data, source)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, EOFError):
        head = data[:40].decode("utf-8", "replace").strip()
        raise SourceError(source.id, f"le contenu reçu n'est pas un classeur Excel .xlsx (début : « {head} »). "
                                     "Vérifiez l'adresse ou le type de la source (un .xls ancien : enregistrez-le "
                                     "en .xlsx).") from None
    try:
        sheet = _sheet(workbook, source)
        # The size the sheet declares is not trusted: openpyxl would pad every row to its declared width.
        sheet.reset_dimensions()
        cells = sheet.values  # each row's values
        header = [_text(cell) for cell in next(cells, ())[:MAX_COLUMNS]]
        while header and not header[-1]:
            header.pop()
        if not header:
            return Parsed()
        rows = ([_text(cell) for cell in row[:len(header)]] for row in cells)
        return events_from_rows(header, enumerate(rows, start=2), source, taxonomy)
    finally:
        workbook.close()


def _check_unpacked_size(data: bytes, source: Source) -> None:
    """Refuse a workbook whose parts, once unpacked, pass UNPACKED_FACTOR × `max_bytes` (a « zip bomb »).

    The sizes are those the archive declares: Python's zipfile never unpacks more than a part declares."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise SourceError(source.id, f"classeur Excel de plus de {MAX_PARTS} parties : refusé (limite de calfeed).")
        unpacked = sum(part.file_size for part in parts)
    bound = UNPACKED_FACTOR * source.max_bytes
    if unpacked > bound:
        raise SourceError(source.id, f"classeur Excel trop gros une fois décompressé ({unpacked} octets > {bound}, "
                                     f"soit {UNPACKED_FACTOR} × « max_bytes ») : refusé, la dernière version lue "
                                     "reste publiée. Relevez « max_bytes » si ce classeur est normal.")


def _sheet(workbook: Workbook, source: Source) -> ReadOnlyWorksheet:
    """The sheet named by `sheet:` (a name, or a number from 1), or the first one; only sheets of cells count,
    never a chart sheet (it holds no table)."""
    sheets = [sheet for sheet in workbook.worksheets if isinstance(sheet, ReadOnlyWorksheet)]  # read-only workbook
    names = [sheet.title for sheet in sheets]
    if not sheets:
        raise SourceError(source.id, "le classeur n'a aucune feuille de cellules (seulement des graphiques) : "
                                     "publiez le tableau des événements.")
    if not source.sheet:
        return sheets[0]
    if source.sheet in names:
        return sheets[names.index(source.sheet)]
    if source.sheet.isdigit() and 1 <= int(source.sheet) <= len(sheets):
        return sheets[int(source.sheet) - 1]
    what = " : un graphique, pas un tableau" if source.sheet in workbook.sheetnames else " absente du classeur"
    raise SourceError(source.id, f"feuille « {source.sheet} »{what} (feuilles : {', '.join(names)}). Corrigez "
                                 "« sheet: » dans sources.yaml.")


def _text(value: object) -> str:
    """A cell as the CSV reader would see it: Excel dates and times as dates and hours, not serial numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
