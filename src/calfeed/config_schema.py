"""The shape of `sources.yaml` as one JSON Schema, and its errors as French messages with a line (the
YAML is read by `config_yaml`, whose mappings and lists remember the line of every key and list item).

Every key `sources.yaml` may hold is declared here, once: adding a key to a section is one line in
the table below (then read it in `config.py`); a source's keys are declared by its type's module
(`calfeed.sources`) and given to `source_validator`. jsonschema does the checking; this module only turns
each error into a message that names the file, the line and the fix.
"""

import datetime as dt
import difflib
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema

from .taxonomy import DIMENSIONS

# Value shapes. A « text » may be written as a number in YAML (`name: 2022`), never as true/false/a list.
TEXT = {"type": ["string", "number", "null"]}
TEXTS = {"type": ["array", "string", "null"], "items": TEXT}  # `[a, b]` or a single `a`
FLAG = {"type": "boolean"}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
COUNT = {"type": "integer", "minimum": 0}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}  # a proportion, 0.3 for 30 %
DATE = {"type": ["date", "null"]}  # calendar date AAAA-MM-JJ that exists
MOMENT = {"type": ["moment", "null"]}  # date, or ISO date and time
TERM = {  # a vocabulary entry: `slug: Name` or `slug: {name:, description:, aliases:}`
    "type": ["string", "object"],
    "properties": {"name": TEXT, "description": TEXT, "aliases": TEXTS},
    "additionalProperties": False,
}
EDITION = {"type": ["object", "null"], "properties": {"name": TEXT, "start": DATE, "end": DATE},
           "additionalProperties": False}
VOCABULARY = {"type": ["object", "null"], "additionalProperties": TERM}

# The whole file: section → its keys. A key not listed here is an error.
SECTIONS = {
    # series: the programme's name without a year, which every calendar's name ends with; next: the edition
    # announced once this one is over; past: earlier editions, whose events keep their label
    "edition": {"name": TEXT, "start": DATE, "end": DATE, "series": TEXT, "next": EDITION,
                "past": {"type": ["array", "null"], "items": EDITION}},
    "publish": {"timezone": TEXT, "refresh_minutes": {"type": "number", "minimum": 1},
                "grace_days": {"type": "number", "minimum": 0}, "reference_time": MOMENT, "base_url": TEXT,
                "keep_past_days": {"type": ["number", "null"], "minimum": 0},
                # old feed address → the feed that replaces it; the service's new public address, and since when
                "renamed": {"type": ["object", "null"], "additionalProperties": TEXT},
                "moved_to": {"type": ["string", "null"], "pattern": r"^$|^https?://[^/\s]+",
                             "description": "une adresse qui commence par https://"}, "moved_on": DATE,
                "proxy_hops": {"type": "integer", "minimum": 0, "maximum": 5}},
    "store": {"path": TEXT},
    "site": {"brand": TEXTS, "service": TEXT, "operator": TEXT, "publication_director": TEXT, "host": TEXT,
             "contact_email": {"type": ["string", "null"], "pattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
                               "description": "une adresse électronique, par exemple agendas@exemple.gouv.fr"},
             "contact_url": {"type": ["string", "null"], "pattern": r"^$|^https?://[^/\s]+",
                             "description": "une adresse qui commence par https://"},
             "accessibility": {"enum": ["non conforme", "partiellement conforme", "totalement conforme"],
                               "description": "« non conforme » ou « partiellement conforme » (sans audit RGAA "
                                              "complet), « totalement conforme » après un audit"},
             "accessibility_note": TEXT, "legal_notice": TEXT},
    "alerts": {"after_minutes": {"type": "number", "minimum": 0}, "email": TEXTS, "sender": TEXT, "smtp_host": TEXT,
               "smtp_port": {"type": "integer", "minimum": 1, "maximum": 65535},
               "smtp_tls": {"enum": ["none", "starttls", "ssl"], "description": "none, starttls ou ssl"},
               "smtp_user": TEXT, "smtp_password_env": TEXT,
               "webhook": {"type": ["string", "null"], "pattern": r"^$|^https?://[^/\s]+",
                           "description": "une adresse qui commence par https://"}},
    "fetch": {"interval_minutes": {"type": "number", "minimum": 1}, "concurrency": {"type": "integer", "minimum": 1},
              "timeout": POSITIVE, "max_bytes": POSITIVE, "retries": COUNT, "max_drop": SHARE},
}
SCHEMA: dict[str, Any] = {  # `sources:` is added by source_validator, from the registry of source types
    "type": "object",
    "properties": {
        **{name: {"type": ["object", "null"], "properties": keys, "additionalProperties": False}
           for name, keys in SECTIONS.items()},
        **{row.section: VOCABULARY for row in DIMENSIONS if row.section},  # the terms of the vocabulary table
        "selections": {"type": ["object", "null"], "additionalProperties": {
            "type": "object",
            "properties": {"name": TEXT, "description": TEXT, "filter": {"type": "object", "additionalProperties": TEXTS}},
            "additionalProperties": False}},
    },
    "additionalProperties": False,
}

TYPE_NAMES = {"string": "un texte", "number": "un nombre", "integer": "un nombre entier", "boolean": "true ou false",
              "array": "une liste, par exemple [a, b]", "object": "une liste de clés (clé: valeur)",
              "date": "une date AAAA-MM-JJ qui existe", "moment": "une date AAAA-MM-JJ ou une date et heure ISO",
              "null": "vide"}


def _is_date(_checker, value) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.date.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


def _is_moment(checker, value) -> bool:
    if _is_date(checker, value):
        return True
    try:
        dt.datetime.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


def to_date(value) -> dt.date | None:
    """A value of type « date », checked by the schema, as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:  # a date that does not exist (2022-11-31): the schema reported it at its line; read on
        return None


def to_moment(value, timezone: str) -> dt.datetime | None:
    """A value of type « moment », checked by the schema, as an aware datetime (`timezone` if floating)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:  # reported at its line by the schema; the rest of the file is still read
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({"date": _is_date, "moment": _is_moment}))


def source_validator(source_keys: dict[str, dict[str, Any]]) -> Any:
    """The validator of the whole file, given the schema of each key a source may have."""
    sources = {"type": "array", "items": {"type": "object", "properties": source_keys, "additionalProperties": False}}
    return _Validator({**SCHEMA, "properties": {**SCHEMA["properties"], "sources": sources}})


def schema_problems(root: Any, validator: Any) -> list[tuple[int, str]]:
    """Every mistake of shape in the parsed `sources.yaml`: (line, French message), first line first."""
    found = [problem for error in validator.iter_errors(root) for problem in _describe(error, root)]
    return sorted(found, key=lambda item: item[0])


def _where(root, where) -> tuple[int, str]:
    """The line of the element at `where` (a jsonschema path) and its name as written (`sources[2].url`)."""
    node, line, names = root, getattr(root, "line", 0), []
    for part in where:
        if isinstance(part, int):
            source_id = node[part].get("id") if isinstance(node[part], dict) else None
            names.append(f"[{source_id}]" if isinstance(source_id, str) and source_id else f"[{part + 1}]")
            line = getattr(node, "item_lines", {}).get(part, line)
        else:
            names.append(f".{part}" if names else str(part))
            line = getattr(node, "key_lines", {}).get(part, line)
        node = node[part]
    return line, "".join(names)


def _describe(error, root):
    line, name = _where(root, error.absolute_path)
    label = f"« {name} »" if name else "le fichier"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(allowed), key=str):
            key_line = getattr(error.instance, "key_lines", {}).get(key, line)
            close = closest(key, allowed)
            hint = (did_you_mean(close) if close
                    else f"clés possibles{' dans ' + label if name else ''} : {', '.join(allowed)}.")
            yield key_line, f"{key} : clé inconnue{' dans ' + label if name else ''} ; {hint}"
    elif error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " ou ".join(TYPE_NAMES[kind] for kind in expected if kind != "null")
        quoted = " (mettez-la entre guillemets)" if isinstance(error.instance, bool) and "string" in expected else ""
        yield line, f"{label} doit être {wanted} (lu : {_shown(error.instance)}){quoted}."
    elif error.validator in ("minimum", "exclusiveMinimum", "maximum"):
        bound = {"minimum": "supérieur ou égal à", "exclusiveMinimum": "supérieur à",
                 "maximum": "inférieur ou égal à"}[error.validator]
        yield line, f"{label} doit être un nombre {bound} {error.validator_value} (lu : {_shown(error.instance)})."
    elif error.validator in ("enum", "pattern"):  # the key's schema says what it accepts
        accepted = error.schema.get("description") or ", ".join(f"« {v} »" for v in error.validator_value)
        yield line, f"{label} : valeur refusée (lu : {_shown(error.instance)}) ; attendu : {accepted}."
    else:  # a rule this table does not use yet: jsonschema's own words, still with the line
        yield line, f"{label} : {error.message}."


def closest(word, choices) -> str | None:
    """The choice `word` was most likely meant to be, if one is close enough. `choices` is a list, or a
    mapping of what may be written (a name, an alias) to what to suggest (its slug)."""
    targets = choices if isinstance(choices, dict) else {str(choice): str(choice) for choice in choices}
    close = difflib.get_close_matches(str(word), list(targets), n=1, cutoff=0.6)
    return targets[close[0]] if close else None


def did_you_mean(suggestion: str) -> str:
    """« vouliez-vous dire « x » ? » with French spacing: no-break spaces inside the quotes, a narrow one
    before « ? » (as the CLI's own texts write them)."""
    return f"vouliez-vous dire «\u00a0{suggestion}\u00a0»\u202f?"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "des clés"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, str):
        return f"« {value} »"
    return str(value)
