"""JSON exports: calfeed's documented generic schema, and OpenAgenda's events (API pages or a saved export)."""

import datetime as dt
import json
from collections.abc import Callable

from ..errors import EventError, SourceError
from ..taxonomy import Taxonomy
from .common import (Parsed, Rejected, as_moment, build_events, check_zone, clean_text, dimension_fields,
                     parse_moment, record_key)
from .decode import decode_text
from .parsed import Source
from .records import Read, Reading, optional_value, settle_identities
from .openagenda import Item, Record, Span, record_from_openagenda, unpublished_state

# Reads one item of the document: its record and occurrences (EventError when it cannot be used).
Reader = Callable[[Item, Source, str, list[Rejected]], tuple[Record, list[Span]]]


def events_from_json(data: bytes, source: Source, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    read: Reader = record_from_openagenda if source.preset == "openagenda" else _record_from_calfeed
    return _events_from_document(data, source, taxonomy, read, charset)


def events_from_openagenda(data: bytes, source: Source, taxonomy: Taxonomy, charset: str | None = None) -> Parsed:
    """An OpenAgenda source: every page the API gave (see sources.openagenda), or an export saved to disk."""
    return _events_from_document(data, source, taxonomy, record_from_openagenda, charset)


def _events_from_document(data: bytes, source: Source, taxonomy: Taxonomy, read: Reader, charset: str | None) -> Parsed:
    text, decoding = decode_text(data, charset, source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(source.id, f"le contenu reçu n'est pas du JSON valide (ligne {exc.lineno}, colonne "
                                     f"{exc.colno}). Vérifiez l'adresse ou le type de la source.",
                          detail=f"début : « {text[:60].strip()} »") from None
    except RecursionError:  # arrays or objects nested thousands deep: no export is written so
        raise SourceError(source.id, "JSON trop imbriqué (des milliers de niveaux de [ ou de {) : refusé. "
                                     "Vérifiez l'adresse ou le type de la source.") from None
    items = document.get("events") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise SourceError(source.id, "le JSON doit être une liste d'événements ou un objet { \"events\": [...] }.")
    parsed = Parsed(warnings=[Rejected("contenu", warning) for warning in decoding])
    total = document.get("total") if isinstance(document, dict) else None
    if read is record_from_openagenda and isinstance(total, int) and len(items) < total and document.get("after"):
        # one page of the API saved as the agenda (its cursor says pages follow); an export edited by hand is not
        parsed.truncated = (f"le document annonce {total} événements (« total ») mais n'en contient que {len(items)} "
                            "et donne le curseur de la page suivante (« after ») : ce n'est qu'une page de l'agenda")
    reads, reading = [], Reading(source)
    for number, item in enumerate(items, start=1):
        reading.row()
        where = f"événement n° {number}"
        try:
            if not isinstance(item, dict):
                raise EventError("chaque événement doit être un objet JSON")
            if item.get("id") or item.get("uid"):  # named before reading, so that a rejection names it too
                where = f"{where} (id {item.get('id') or item.get('uid')})"
            if read is record_from_openagenda and (state := unpublished_state(item)):
                parsed.excluded.append(Rejected(where, f"{state} : exclu", _known_uid(item, source, read)))
                continue
            record, occurrences = read(item, source, where, parsed.warnings)
            events = build_events(record, occurrences, source, taxonomy, where, parsed.warnings)
        except EventError as exc:
            parsed.rejected.append(Rejected(where, str(exc), _known_uid(item, source, read)))
            continue
        except (TypeError, AttributeError, ValueError, KeyError) as exc:  # a field of another JSON type than its own
            parsed.rejected.append(Rejected(where, f"un champ n'a pas le type attendu (texte, nombre, liste ou objet "
                                                   f"selon le champ ; {type(exc).__name__} : {exc}) : événement non lu, "
                                                   "les autres le sont", _known_uid(item, source, read)))
            continue
        reads.append(Read(where, json.dumps(item, sort_keys=True, ensure_ascii=False), clean_text(record.get("id")),
                          events))
    settle_identities(reads, source, parsed)
    if parsed.excluded:
        parsed.warnings.append(Rejected("agenda", f"{len(parsed.excluded)} événement(s) non publié(s) sur OpenAgenda "
                                                  "(en attente de modération, refusés ou brouillons) exclu(s) : jamais "
                                                  "publiés, retirés des flux s'ils l'étaient"))
    return parsed


def _known_uid(item: object, source: Source, read: Reader) -> str:
    """The UID an item's event has when it can be read (its `id`, or OpenAgenda's `uid`), or ""."""
    if not isinstance(item, dict) or not isinstance(item.get("uid" if read is record_from_openagenda else "id"),
                                                    (str, int)):
        return ""
    if read is record_from_openagenda:
        return record_key(f"openagenda-{item['uid']}") if item.get("uid") else ""
    return record_key(item.get("id"))


def _record_from_calfeed(item: Item, source: Source, where: str, warnings: list[Rejected]) -> tuple[Record, list[Span]]:
    timezone = check_zone(clean_text(item.get("fuseau")) or source.timezone)
    spans = item.get("occurrences") or [{"debut": item.get("debut"), "fin": item.get("fin")}]
    if not isinstance(spans, list) or not all(isinstance(span, dict) for span in spans):
        raise EventError("« occurrences » doit être une liste d'objets, par exemple "
                         '[{"debut": "2026-11-16T14:00", "fin": "2026-11-16T16:00"}]')
    occurrences = [_span(span.get("debut"), span.get("fin"), timezone) for span in spans]
    location = item.get("lieu") or {}
    if isinstance(location, str):
        location = {"nom": location}
    record = {
        "id": item.get("id"),
        "title": item.get("titre"),
        "description": item.get("description"),
        "location": {
            "name": location.get("nom"), "address": location.get("adresse"), "city": location.get("ville"),
            "postal_code": location.get("code_postal"),
            "latitude": location.get("latitude"), "longitude": location.get("longitude"),
        },
        "online_url": item.get("lien_en_ligne"),
        **dimension_fields(item),
        "organiser": item.get("organisateur"),
        "url": item.get("lien"),
        "registration_url": item.get("inscription"),
        "status": item.get("statut"),
        "modified": optional_value(lambda text: as_moment(parse_moment(str(text), timezone), timezone),
                                   item.get("modifie_le"), where, warnings, "« modifie_le »"),
        "timezone": timezone,
    }
    return record, occurrences


def _span(start_text: object, end_text: object, timezone: str) -> Span:
    if not start_text:
        raise EventError("date de début manquante (« debut »)")
    start = parse_moment(str(start_text), timezone)
    if not end_text:
        end = start + dt.timedelta(days=1) if not isinstance(start, dt.datetime) else start
    else:
        end = parse_moment(str(end_text), timezone)
        if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            end = end + dt.timedelta(days=1)  # the schema's "fin" is the last day, inclusive
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        raise EventError("« debut » et « fin » doivent être tous deux des dates, ou tous deux des dates et heures")
    return start, end
