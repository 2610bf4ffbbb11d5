"""`type: csv`: a CSV export (`;` or `,`), from a file or an address (a published Google Sheet, Grist…)."""

from ..adapters.csv import events_from_csv
from .kind import COLUMNS_KEY, SourceType

CSV = SourceType(
    name="csv",
    summary="un export CSV (séparateur « ; » ou « , »)",
    read=events_from_csv,
    keys={"columns": COLUMNS_KEY},
    suffixes=(".csv", ".tsv", ".txt"),
    accept="text/csv, text/plain;q=0.9, */*;q=0.5",
    doc="""\
**Un tableau Grist ou un export CSV en ligne.** Grist (document public) :
`https://DOCUMENT.getgrist.com/api/docs/ID_DU_DOCUMENT/download/csv?tableId=Programme`, en `type: csv`. Toute
adresse qui renvoie un CSV convient. Si les en-têtes du tableau ne sont pas ceux que calfeed reconnaît, nommez-les
dans `columns:` (voir « Colonnes CSV »).""",
    example="""\
  - id: programme-tableur        # un export CSV (séparateur ; ou ,), ou un tableau Grist par url:
    type: csv
    path: exemples/programme.csv
    # columns:                   # si les en-têtes ne sont pas ceux que calfeed reconnaît :
    #   titre: Nom de l'atelier  # colonne calfeed → en-tête du tableau""",
)
