"""`type: google-sheets`: a Google Sheets spreadsheet, by the address the team copies from the browser, read
as the CSV export of one of its tabs with the CSV reader (same columns, same rules)."""

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..adapters.csv import events_from_csv
from ..errors import SourceError
from ..taxonomy import Taxonomy
from ..adapters.parsed import Parsed
from .kind import COLUMNS_KEY, SourceType

GOOGLE_HOST = "docs.google.com"
SIGN_IN_HOST = "accounts.google.com"  # where Google sends a reader who may not see the sheet
FILE_HOSTS = ".googleusercontent.com"  # where Google serves the export from, by a redirect
# /spreadsheets[/u/0]/d/<id>/… (an editor's address) and /spreadsheets[/u/0]/d/e/<id>/… (« publié sur le web »)
_SHEET = re.compile(r"^/spreadsheets(?:/u/\d+)?/d/(?P<published>e/)?(?P<id>[A-Za-z0-9_-]{10,})(?:/|$)")
_GID = re.compile(r"(?:^|[?&#])gid=(\d+)")
FIX = ("dans Google Sheets, « Partager » > Accès général : « Tous les utilisateurs disposant du lien » (lecteur), "
       "ou « Fichier » > « Partager » > « Publier sur le web »")


def export_address(url: str) -> str:
    """The CSV export of the tab a Google Sheets address shows (its gid, else the first tab). An address that
    is not on docs.google.com, or not a sheet's, is read as it is (an export already, another server)."""
    parts = urlsplit(url)
    match = _SHEET.match(parts.path)
    if parts.hostname != GOOGLE_HOST or match is None:
        return url
    gid = _GID.search(f"?{parts.query}#{parts.fragment}")
    tab = [("gid", gid.group(1))] if gid else []
    if match["published"]:
        single = [("single", "true")] if "single=true" in parts.query else []
        return f"https://{GOOGLE_HOST}/spreadsheets/d/e/{match['id']}/pub?{urlencode([('output', 'csv'), *tab, *single])}"
    return f"https://{GOOGLE_HOST}/spreadsheets/d/{match['id']}/export?{urlencode([('format', 'csv'), *tab])}"


def _not_shared(source: Any, what: str) -> SourceError:
    return SourceError(source.id, f"{what} : la feuille Google Sheets n'est pas partagée publiquement (ou "
                                  f"l'adresse est fausse). Pour la rendre lisible par calfeed, {FIX} ; puis "
                                  "vérifiez l'adresse « url: » (copiée de la barre du navigateur sur le bon onglet).")


def _follows(source: Any, url: str, target: str) -> bool:
    """Google answers an export with a redirect to its file servers; to its sign-in page when the sheet is
    not shared with everyone who has the link (never a CSV: said as such)."""
    old, new = urlsplit(url), urlsplit(target)
    if new.hostname == SIGN_IN_HOST:
        raise _not_shared(source, "Google demande de se connecter")
    return (old.hostname == GOOGLE_HOST and new.scheme == "https" and
            (new.hostname or "").endswith(FILE_HOSTS))


def _status_hint(source: Any, status: int) -> str | None:
    """A refusal of a sheet's export address means a sheet not shared; any other address (a file copied
    elsewhere) is refused for its own reasons, which the usual message says."""
    parts = urlsplit(source.url)
    if status in (401, 403, 404) and _SHEET.match(parts.path):
        server = "Google" if parts.hostname == GOOGLE_HOST else parts.hostname
        return _not_shared(source, f"{server} a répondu {status}").reason
    return None


def _check_url(url: str) -> str | None:
    """An address on Google's documents server that is not a sheet's (a document, a form, a slide show)
    would be answered with a web page: said when sources.yaml is read."""
    parts = urlsplit(url)
    if parts.hostname == GOOGLE_HOST and _SHEET.match(parts.path) is None:
        return (f"l'adresse « {url} » est sur Google Docs mais n'est pas celle d'un tableau Google Sheets "
                "(elle devrait contenir /spreadsheets/d/…) : ouvrez le tableau et copiez l'adresse de la barre du "
                "navigateur.")
    return None


def events_from_google_sheet(data: bytes, source: Any, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    """The CSV export, read by the CSV reader; a web page instead (Google's sign-in page, answered 200 to a
    reader who may not see the sheet) says what to change in the sheet's sharing."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if start.startswith((b"<!doctype", b"<html")):
        raise _not_shared(source, "Google a renvoyé une page web (sa page de connexion) au lieu du tableau")
    return events_from_csv(data, source, taxonomy, charset)


def _is_google_sheet(url: str) -> bool:
    return urlsplit(url).hostname == GOOGLE_HOST and _SHEET.match(urlsplit(url).path) is not None


GOOGLE_SHEETS = SourceType(
    name="google-sheets",
    summary="un tableau Google Sheets, par son adresse",
    read=events_from_google_sheet,
    keys={"columns": COLUMNS_KEY},
    location="url",
    accept="text/csv, */*;q=0.5",
    address=export_address,
    follows=_follows,
    status_hint=_status_hint,
    claims=_is_google_sheet,
    check_url=_check_url,
    example_online=True,
    doc="""\
**Un tableau Google Sheets.** Ouvrez le tableau sur l'onglet à publier et copiez l'adresse de la barre du
navigateur (`https://docs.google.com/spreadsheets/d/…/edit#gid=0`) : `type: google-sheets`, `url:` cette adresse.
Le lien de « Partager » (`…/edit?usp=sharing`) et celui de « Publier sur le web » (`…/d/e/…/pubhtml`) conviennent
aussi ; calfeed lit l'export CSV de l'onglet (`#gid=` de l'adresse, le premier onglet sinon). Le tableau doit être
lisible sans compte : « Partager » > Accès général : « Tous les utilisateurs disposant du lien », ou « Publier sur
le web » ; sinon calfeed le dit, en nommant la source. Dates et nombres s'écrivent comme dans un tableau français
(`18/11/2022`, `14:00:00`, `48,85`) ; les lignes et colonnes vides en fin de tableau sont ignorées ; les colonnes
et les règles sont celles du CSV (`columns:` si les en-têtes sont à vous). Essayez d'abord :
`calfeed preview --url "https://docs.google.com/spreadsheets/d/…/edit#gid=0"`.""",
    example="""\
  - id: programme-partage        # un tableau Google Sheets, par l'adresse copiée du navigateur (partagé :
    type: google-sheets          #   « Tous les utilisateurs disposant du lien »)
    url: https://docs.google.com/spreadsheets/d/IDENTIFIANT_DU_TABLEAU/edit#gid=0
    category: collectivites""",
)
