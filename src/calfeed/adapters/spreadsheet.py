"""Rows of a spreadsheet (CSV or Excel) to events: French headers, a per-source `columns:` mapping,
combined time cells (« 14h00 - 16h30 ») and date ranges (« du 21 au 22 novembre 2022 »)."""

import datetime as dt
import difflib
import re

from ..errors import EventError, SourceError
from ..text import slugify
from .dates import MONTHS, without_month_dots
from .common import (DIMENSION_COLUMNS, Parsed, Rejected, all_day_or_timed, as_moment, build_events, check_zone,
                     clean_text, dimension_cells, parse_date, parse_moment, parse_time, record_key, split_dates)
from .records import Read, Reading, optional_value, settle_identities

# Canonical column → accepted header spellings (compared as slugs: accents, case, spaces ignored).
COLUMNS = {
    "id": ("id", "identifiant", "uid"),
    "titre": ("titre", "title", "intitule", "nom", "intitule_de_l_evenement", "titre_de_l_evenement",
              "nom_de_l_evenement", "evenement"),
    "description": ("description", "resume", "descriptif", "presentation"),
    "date_debut": ("date_debut", "date", "debut", "dates", "date_de_debut", "date_s", "date_de_l_evenement"),
    "heure_debut": ("heure_debut", "heure", "heure_de_debut"),
    "date_fin": ("date_fin", "fin", "date_de_fin"),
    "heure_fin": ("heure_fin", "heure_de_fin"),
    "horaires": ("horaires", "horaire", "creneau", "heures"),
    "fuseau": ("fuseau", "fuseau_horaire", "timezone"),
    "lieu": ("lieu", "nom_du_lieu", "lieu_de_l_evenement", "salle"),
    "adresse": ("adresse", "adresse_postale"),
    "ville": ("ville", "commune"),
    "code_postal": ("code_postal", "cp"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "lien_en_ligne": ("lien_en_ligne", "lien_visio", "visio"),
    "organisateur": ("organisateur", "organisateurs", "structure", "structure_organisatrice", "organisateur_rice",
                     "porteur", "porteur_du_projet"),
    "lien": ("lien", "url", "site", "site_web"),
    "inscription": ("inscription", "lien_d_inscription"),
    "statut": ("statut", "etat"),
    "modifie_le": ("modifie_le", "mis_a_jour_le", "derniere_modification"),
    **DIMENSION_COLUMNS,  # categorie, themes, region, format, type…: the vocabulary table's
}
REQUIRED = ("titre", "date_debut")
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_RANGE = re.compile(rf"^(?:du\s+)?(\d{{1,2}})(?:er)?(?:\s+({_MONTH}))?\s+(?:au|-|–)\s+(\d{{1,2}}(?:er)?\s+(?:{_MONTH})"
                    rf"(?:\s+\d{{4}})?)$")
_NUMERIC_RANGE = re.compile(r"^(\d{1,2})\s*[-–]\s*(\d{1,2})([/.]\d{1,2}[/.]\d{2,4})$")
_DAYS_AND = re.compile(rf"^(?:les?\s+)?((?:\d{{1,2}}(?:er)?\s*(?:,|et)\s*)+)(\d{{1,2}}(?:er)?\s+(?:{_MONTH})(?:\s+\d{{4}})?)$")
_WHOLE_DAY = {"toute-la-journee", "journee-entiere", "journee", "la-journee", "toute-la-journee-entiere"}
_SLOTS = re.compile(r"\s*(?:/|\+|;|,|&|\bet\b|\bpuis\b)\s*")  # « 9h-12h / 14h-17h »: two slots in one cell
_HOURS = re.compile(r"^(?:de\s+)?(\d{1,2}\s*(?:[h:]\s*\d{0,2})?)\s*(?:(?:-|–|—|à|a)\s*(\d{1,2}\s*(?:[h:]\s*\d{0,2})?))?$")


def _slug(name) -> str:
    return slugify(str(name)).replace("-", "_")


def read_header(header: list, source) -> tuple[list, list[Rejected]]:
    """The canonical column of each header cell (None if unread), and a warning per unread column."""
    mapping = {}
    for column, title in source.columns:
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f"vouliez-vous dire {close[0]} ? " if close else ""
            raise SourceError(source.id, f"« columns: » nomme une colonne calfeed inconnue « {column} » ({hint}colonnes "
                                         f"possibles : {', '.join(COLUMNS)}).")
        mapping[_slug(title)] = column
    columns = [mapping.get(_slug(name)) or _ALIASES.get(_slug(name)) for name in header]
    headers = {_slug(name) for name in header}
    for column, title in source.columns:
        if _slug(title) not in headers:  # even when calfeed finds that column under another header by itself
            raise SourceError(source.id, f"« columns: » : la colonne « {title} » (pour {column}) est absente du "
                                         "tableau.", detail=f"en-têtes lus : {', '.join(map(str, header))}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SourceError(source.id, f"colonnes obligatoires absentes : {', '.join(missing)}. Nommez-les dans "
                                     "« columns: » de la source (par exemple « titre: Intitulé ») ; voir le README, "
                                     "« Colonnes CSV ».", detail=f"en-têtes lus : {', '.join(map(str, header))}")
    seen, warnings = set(), []
    for number, (name, column) in enumerate(zip(header, columns, strict=True), start=1):
        if column in seen:
            columns[number - 1] = None
        if columns[number - 1] is None and clean_text(name):
            warnings.append(Rejected(f"colonne « {clean_text(name)} »", "non lue : aucune colonne de calfeed ne lui "
                                     "correspond (ajoutez-la à « columns: » dans sources.yaml si elle doit l'être)"
                                     if column not in seen else f"non lue : « {column} » est déjà lue dans une "
                                     "colonne précédente"))
        seen.add(column)
    return columns, warnings


def events_from_rows(header: list, rows, source, taxonomy) -> Parsed:
    """`rows` gives (line number, cells); every unread column is reported, every rejected row with its reason."""
    columns, warnings = read_header(header, source)
    headers = {column: clean_text(name) for name, column in zip(header, columns, strict=True) if column}
    parsed = Parsed(warnings=warnings)
    reads, reading = [], Reading(source)
    for line, row in rows:
        if not any(clean_text(cell) for cell in row):
            reading.row(empty=True)
            continue
        reading.row()
        values = {col: cell for col, cell in zip(columns, row, strict=False) if col}
        where = f"ligne {line}"
        try:
            events = _events_from_row(values, source, taxonomy, where, parsed.warnings, headers)
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), record_key(values.get("id"))))
            continue
        reads.append(Read(where, "\x1f".join(clean_text(cell) for cell in row), clean_text(values.get("id")), events))
    settle_identities(reads, source, parsed)
    return parsed


def parse_days(value: str, year: int | None = None) -> tuple[list[dt.date], dt.date | None]:
    """The days of a date cell: one date, a list (« 21/11/2022, 23/11/2022 », « les 21 et 22 novembre 2022 »),
    or a range (« du 21 au 22 novembre 2022 », « 21-22/11/2022 ») given as its first and last day; a date
    without its year takes `year` (see dates.parse_date)."""
    text = without_month_dots(" ".join(clean_text(value).lower().split()))
    if m := _RANGE.match(text):
        last = parse_date(m.group(3), year)
        first = dt.date(last.year, MONTHS[m.group(2)] if m.group(2) else last.month, int(m.group(1)))
        return [first], last
    if m := _NUMERIC_RANGE.match(text):
        last = parse_date(m.group(2) + m.group(3), year)
        return [parse_date(m.group(1) + m.group(3), year)], last
    if m := _DAYS_AND.match(text):
        last = parse_date(m.group(2), year)
        days = [int(d) for d in re.findall(r"\d{1,2}", m.group(1))]
        return [*(last.replace(day=d) for d in days), last], None
    return [parse_date(d, year) for d in split_dates(text.removeprefix("le "))], None


def parse_hours(value: str) -> tuple[dt.time | None, dt.time | None]:
    """A combined time cell: « 14h00 - 16h30 », « de 10h à 11h30 », « 9h30–12h », « 14h »; « toute la journée »
    gives no time (an all-day event)."""
    text = " ".join(clean_text(value).lower().split())
    if slugify(text) in _WHOLE_DAY:
        return None, None
    m = _HOURS.match(text)
    if not m:
        raise EventError(f"horaires illisibles « {value} » (attendu : 14h00 - 16h30, de 10h à 11h30 ou 14h)")
    return parse_time(m.group(1)), parse_time(m.group(2)) if m.group(2) else None


def parse_slots(value: str) -> list[tuple[dt.time | None, dt.time | None]]:
    """The slots of a time cell: one (see parse_hours), or several (« 9h-12h / 14h-17h », « de 10h à 12h et de
    14h à 16h »), each an occurrence of the day."""
    parts = [part for part in _SLOTS.split(" ".join(clean_text(value).lower().split())) if part]
    if len(parts) > 1 and all(_HOURS.match(part) for part in parts):
        slots = [parse_hours(part) for part in parts]
        if any(end is None for _, end in slots[:-1]):
            raise EventError(f"horaires illisibles « {value} » : chaque créneau a besoin d'une heure de fin "
                             "(9h-12h / 14h-17h)")
        return slots
    return [parse_hours(value)]


def _date_and_time(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(clean_text(value)) if "T" in clean_text(value) else None
    except ValueError:
        return None


def _cell(column: str, headers: dict, read, *arguments):
    """`read(*arguments)`, an error naming the cell (its column's header as the sheet writes it)."""
    try:
        return read(*arguments)
    except EventError as exc:
        raise EventError(f"cellule « {headers.get(column, column)} » : {exc}") from None


def _events_from_row(values: dict, source, taxonomy, where, warnings, headers: dict | None = None):
    headers = headers or {}
    timezone = clean_text(values.get("fuseau")) or source.timezone
    check_zone(timezone)
    start_time = _cell("heure_debut", headers, parse_time, values["heure_debut"]) \
        if clean_text(values.get("heure_debut")) else None
    end_time = _cell("heure_fin", headers, parse_time, values["heure_fin"]) if clean_text(values.get("heure_fin")) \
        else None
    slots = [(start_time, end_time)]
    if clean_text(values.get("horaires")):
        if start_time is not None:
            raise EventError("heure de début et horaires à la fois : indiquez l'un ou l'autre")
        slots = _cell("horaires", headers, parse_slots, values["horaires"])
        start_time, end_time = slots[0]
    if not clean_text(values.get("date_debut")):
        raise EventError("date de début manquante")
    if start_time is None and (moment := _date_and_time(values["date_debut"])):
        values = {**values, "date_debut": moment.date().isoformat()}  # an Excel date and time in one cell
        start_time = moment.time()
        slots = [(start_time, end_time)]
    days, last_day = _cell("date_debut", headers, parse_days, values["date_debut"], source.year)
    if clean_text(values.get("date_fin")):
        if last_day or len(days) > 1:
            raise EventError("plusieurs dates de début et une date de fin : indiquez l'un ou l'autre")
        last_day = _cell("date_fin", headers, parse_date, values["date_fin"], source.year)
    if last_day and start_time is not None and values.get("horaires") and last_day != days[0]:
        days, last_day = [days[0] + dt.timedelta(days=n) for n in range((last_day - days[0]).days + 1)], None
    occurrences = [all_day_or_timed(day, last_day, begin, end, timezone) for day in days for begin, end in slots]
    modified = clean_text(values.get("modifie_le"))
    record = {
        "id": values.get("id"), "title": values.get("titre"), "description": values.get("description"),
        "location": {
            "name": values.get("lieu"), "address": values.get("adresse"), "city": values.get("ville"),
            "postal_code": values.get("code_postal"),
            "latitude": values.get("latitude"), "longitude": values.get("longitude"),
        },
        "online_url": values.get("lien_en_ligne"), **dimension_cells(values),
        "organiser": values.get("organisateur"), "url": values.get("lien"),
        "registration_url": values.get("inscription"), "status": values.get("statut"),
        "modified": optional_value(lambda text: as_moment(parse_moment(text, timezone), timezone), modified, where,
                                   warnings, "date de modification"),
        "timezone": timezone,
    }
    return build_events(record, occurrences, source, taxonomy, where, warnings)
