"""The `sources:` part of `sources.yaml`: the Source a configuration gives each source, and what of it the
registry of source types (`calfeed.sources`) decides: its type, its keys, where it is read from."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config_schema import closest, source_validator
from .config_yaml import Mapping, Reader, hint
from .model import DEFAULT_ZONE
from .sources import COMMON_KEYS, SOURCE_TYPES, SourceType, source_keys

# Every key a source may have, from the registry of source types: its shape is checked with the rest of the file.
SOURCE_VALIDATOR = source_validator({name: key.schema for name, key in source_keys().items()})


@dataclass(frozen=True)
class Source:
    id: str
    type: str
    url: str = ""
    path: Path | None = None
    category: str = ""
    themes: tuple[str, ...] = ()
    timezone: str = DEFAULT_ZONE
    organiser: str = ""
    event_type: str = ""
    attendance: str = ""
    region: str = ""
    preset: str = "calfeed"
    allow_empty: bool = False
    max_drop: float = 0.3  # share of its events a source may lose at once before it is held
    max_bytes: int = 10 * 1024 * 1024
    timeout: float = 20.0
    columns: tuple[tuple[str, str], ...] = ()  # csv, xlsx: calfeed column → the sheet's own header
    sheet: str = ""  # xlsx: the sheet to read (the first one by default)
    agenda: str = ""  # openagenda: the agenda's uid; `url` is the API's address (its default if none is given)
    key_env: str = ""  # openagenda: the environment variable holding the API key (never the key itself)
    year: int | None = None  # the edition's year (its start and end in one year): that of a date written without
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # defaults of the further dimensions (taxonomy.Dimension)

    @property
    def location(self) -> str:
        """Where the source is read from, safe to show (no credentials)."""
        if self.path is not None:
            return str(self.path)
        # Credentials may hide in the user part or the query string: show neither.
        return re.sub(r"//[^/@]*@", "//", self.url).split("?")[0].split("#")[0]


def source_type(r: Reader, entry: Mapping, source_id: str) -> SourceType:
    """The source's entry in the registry; an unknown type is an error listing the known ones."""
    name = r.text(entry, "type")
    if name not in SOURCE_TYPES:
        r.fail(r.line(entry, "type"), f"source « {source_id} » : type inconnu « {name} »"
                                      f"{hint(closest(name, list(SOURCE_TYPES)))} Types possibles : "
                                      f"{', '.join(SOURCE_TYPES)}.")
    return SOURCE_TYPES[name]


def own_keys(r: Reader, entry: Mapping, source_id: str, kind: SourceType) -> dict[str, Any]:
    """The keys of the source's type, read as its module says; a key of another type is an error."""
    for key in entry:
        if key not in COMMON_KEYS and key not in kind.keys:
            owners = [other.name for other in SOURCE_TYPES.values() if key in other.keys]
            if owners:  # unknown keys are the schema's to report
                r.note(r.line(entry, key), f"source « {source_id} » : « {key} » ne vaut que pour le type "
                                           f"{' ou '.join(owners)}, pas pour {kind.name} : enlevez cette clé, "
                                           "ou changez de type.")
    values: dict[str, Any] = {}
    for key, declared in kind.keys.items():
        value = declared.read(entry.get(key))
        if declared.choices and value not in declared.choices:
            r.note(r.line(entry, key), f"source « {source_id} » : {key} inconnu « {value} »"
                                       f"{hint(closest(value, declared.choices))} {key.capitalize()}s possibles : "
                                       f"{', '.join(declared.choices)}.")
        values[key] = value
    return values


def source_location(r: Reader, entry: Mapping, source_id: str, folder: Path,
                    kind: SourceType) -> tuple[str, Path | None]:
    """The source's `url:` (its type's default address when it has one and nothing is given), or its `path:`
    resolved and kept inside the configuration's folder."""
    url, raw_path = r.text(entry, "url"), r.text(entry, "path")
    if kind.location == "url" and raw_path:
        r.fail(r.line(entry, "path"), f"source « {source_id} » : le type {kind.name} se lit par son adresse : "
                                      "indiquez « url: » (http ou https), pas « path: ».")
    url = url or ("" if raw_path else kind.default_url)
    if bool(url) == bool(raw_path):
        r.fail(entry, f"source « {source_id} » : indiquez soit « url: » (http ou https), soit « path: » "
                      "(fichier relatif à sources.yaml), et un seul des deux.")
    if url and not re.match(r"^https?://[^/\s]+", url):
        r.fail(r.line(entry, "url"), f"source « {source_id} » : l'adresse « {url} » doit commencer par http:// ou https://.")
    problem = kind.check_url(url) if url and kind.check_url is not None else None
    if problem:
        r.fail(r.line(entry, "url"), f"source « {source_id} » : {problem}")
    if not raw_path:
        return url, None
    path = (folder / raw_path).resolve()
    if not path.is_relative_to(folder):
        r.fail(r.line(entry, "path"), f"source « {source_id} » : le chemin « {raw_path} » sort du dossier de "
                      f"sources.yaml ({folder}). Placez le fichier dans ce dossier.")
    return url, path
