"""CSV exports with French headers, `;` or `,` separated, UTF-8 with or without BOM."""

import csv
import io

from ..errors import EventError, SourceError
from ..text import slugify
from .common import (Parsed, Rejected, all_day_or_timed, as_moment, build_events, check_zone, clean_text,
                     parse_date, parse_moment, parse_time, record_uid, require_format, split_dates)

# Canonical column → accepted header spellings (compared as slugs: accents, case, spaces ignored).
COLUMNS = {
    "id": ("id", "identifiant", "uid"),
    "titre": ("titre", "title", "intitule", "nom"),
    "description": ("description", "resume"),
    "date_debut": ("date_debut", "date", "debut", "dates", "date_de_debut"),
    "heure_debut": ("heure_debut", "heure", "heure_de_debut"),
    "date_fin": ("date_fin", "fin", "date_de_fin"),
    "heure_fin": ("heure_fin", "heure_de_fin"),
    "fuseau": ("fuseau", "fuseau_horaire", "timezone"),
    "lieu": ("lieu", "nom_du_lieu"),
    "adresse": ("adresse",),
    "ville": ("ville", "commune"),
    "code_postal": ("code_postal", "cp"),
    "region": ("region",),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "format": ("format", "modalite"),
    "lien_en_ligne": ("lien_en_ligne", "lien_visio", "visio"),
    "organisateur": ("organisateur", "organisateurs", "structure"),
    "categorie": ("categorie", "categorie_d_organisateur"),
    "themes": ("themes", "theme", "thematiques"),
    "type": ("type", "type_d_evenement"),
    "lien": ("lien", "url", "site"),
    "inscription": ("inscription", "lien_d_inscription"),
    "statut": ("statut", "etat"),
    "modifie_le": ("modifie_le", "mis_a_jour_le", "derniere_modification"),
}
REQUIRED = ("titre", "date_debut")
_ALIASES = {slugify(alias).replace("-", "_"): column for column, aliases in COLUMNS.items() for alias in aliases}


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
    columns = [_ALIASES.get(slugify(name).replace("-", "_")) for name in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SourceError(source.id, f"colonnes obligatoires absentes : {', '.join(missing)} "
                                     f"(en-têtes lus : {', '.join(header)}). Voir le README, « Colonnes CSV ».")
    parsed, last = Parsed(), None
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        last = (row, line)
        values = {col: cell for col, cell in zip(columns, row, strict=False) if col}
        where = f"ligne {line}"
        try:
            parsed.events.extend(_events_from_row(values, source, taxonomy, where, parsed.warnings))
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), record_uid(values.get("id"), source.id)))
    if last and len(last[0]) < len(header) and not text.endswith(("\n", "\r")):
        # A half-written export (or one cut in transit with a matching Content-Length): its last row misses
        # cells (an unterminated quote swallows the rest too), and the rows after it are missing.
        parsed.truncated = (f"la dernière ligne ({last[1]}) n'a que {len(last[0])} colonne(s) sur {len(header)} "
                            "et le fichier ne finit pas par un saut de ligne : il semble coupé")
    return parsed


def _events_from_row(values: dict, source, taxonomy, where, warnings):
    timezone = clean_text(values.get("fuseau")) or source.timezone
    check_zone(timezone)
    start_time = parse_time(values["heure_debut"]) if clean_text(values.get("heure_debut")) else None
    end_time = parse_time(values["heure_fin"]) if clean_text(values.get("heure_fin")) else None
    days = [parse_date(d) for d in split_dates(values.get("date_debut", ""))]
    if not days:
        raise EventError("date de début manquante")
    last_day = parse_date(values["date_fin"]) if clean_text(values.get("date_fin")) else None
    if last_day and len(days) > 1:
        raise EventError("plusieurs dates de début et une date de fin : indiquez l'un ou l'autre")
    occurrences = [all_day_or_timed(day, last_day, start_time, end_time, timezone) for day in days]
    modified = clean_text(values.get("modifie_le"))
    record = {
        "id": values.get("id"),
        "title": values.get("titre"),
        "description": values.get("description"),
        "location": {
            "name": values.get("lieu"), "address": values.get("adresse"), "city": values.get("ville"),
            "postal_code": values.get("code_postal"), "region": clean_text(values.get("region")),
            "latitude": values.get("latitude"), "longitude": values.get("longitude"),
        },
        "online_url": values.get("lien_en_ligne"),
        "attendance": values.get("format"),
        "organiser": values.get("organisateur"),
        "category": values.get("categorie"),
        "themes": values.get("themes"),
        "event_type": values.get("type"),
        "url": values.get("lien"),
        "registration_url": values.get("inscription"),
        "status": values.get("statut"),
        "modified": as_moment(parse_moment(modified, timezone), timezone) if modified else None,
        "timezone": timezone,
    }
    return build_events(record, occurrences, source, taxonomy, where, warnings)

