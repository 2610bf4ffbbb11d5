"""`type: xlsx`: an Excel workbook, one sheet read with the CSV's columns and rules."""

from typing import Any

from ..adapters.xlsx import events_from_xlsx
from .kind import COLUMNS_KEY, Key, SourceType


def _sheet(value: Any) -> str:
    return "" if value is None else str(value)


def _is_zip(start: bytes) -> bool:
    return start.startswith(b"PK\x03\x04")


XLSX = SourceType(
    name="xlsx",
    summary="un classeur Excel (.xlsx)",
    read=events_from_xlsx,
    keys={"columns": COLUMNS_KEY,
          "sheet": Key({"type": ["string", "integer"]}, "la feuille à lire, par son nom ou son numéro (par défaut "
                                                       "la première)", "Programme", _sheet)},
    recognise=_is_zip,
    suffixes=(".xlsx",),
    accept="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, */*;q=0.5",
    doc="""\
**Un fichier Excel.** Déposez le `.xlsx` dans le dossier de `sources.yaml` (ou donnez son adresse) :
`type: xlsx`, `path: programme.xlsx`, et `sheet: Nom de la feuille` si ce n'est pas la première. Les dates et
heures Excel sont lues comme telles ; les colonnes et les règles sont celles du CSV. Un ancien `.xls` doit être
enregistré en `.xlsx`.""",
    example="""\
  - id: programme-excel          # un classeur Excel .xlsx (mêmes colonnes que le CSV)
    type: xlsx
    path: exemples/tableur.xlsx
    sheet: Programme             # la feuille, par son nom ou son numéro (par défaut la première)
    format: presentiel           # format par défaut : presentiel, en-ligne, hybride""",
)
