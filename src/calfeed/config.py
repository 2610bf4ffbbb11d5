"""Load and validate `sources.yaml` into frozen dataclasses."""

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ConfigError
from .addresses import RESERVED_NAMES
from .selection import NAMED_CRITERIA, vocabulary_of
from .taxonomy import Taxonomy, Term, Vocabulary
from .text import slugify

SOURCE_TYPES = ("ics", "csv", "json")
JSON_PRESETS = ("calfeed", "openagenda")


@dataclass(frozen=True)
class Source:
    id: str
    type: str
    url: str = ""
    path: Path | None = None
    category: str = ""
    themes: tuple[str, ...] = ()
    timezone: str = "Europe/Paris"
    organiser: str = ""
    event_type: str = ""
    attendance: str = ""
    region: str = ""
    preset: str = "calfeed"
    allow_empty: bool = False
    max_bytes: int = 10 * 1024 * 1024
    timeout: float = 20.0

    @property
    def location(self) -> str:
        """Where the source is read from, safe to show (no credentials)."""
        if self.path is not None:
            return str(self.path)
        # Credentials may hide in the user part or the query string: show neither.
        return re.sub(r"//[^/@]*@", "//", self.url).split("?")[0].split("#")[0]


@dataclass(frozen=True)
class Selection:
    """A named feed defined in `sources.yaml` by a filter."""

    slug: str
    name: str
    description: str
    filters: dict[str, tuple[str, ...]]


ACCESSIBILITY_LEVELS = ("non conforme", "partiellement conforme", "totalement conforme")


@dataclass(frozen=True)
class SiteInfo:
    """Who publishes the agents' site and what its legal pages say (section `site:` of sources.yaml)."""

    brand: tuple[str, ...] = ("République", "française")
    service: str = ""
    operator: str = ""
    contact_email: str = ""
    contact_url: str = ""
    publication_director: str = ""
    host: str = ""
    accessibility: str = "non conforme"
    accessibility_note: str = ""
    legal_notice: str = ""


@dataclass(frozen=True)
class Config:
    path: Path
    edition_name: str
    edition_start: dt.date | None
    edition_end: dt.date | None
    timezone: str
    refresh: dt.timedelta
    reference_time: dt.datetime | None
    grace: dt.timedelta
    base_url: str
    store_path: Path
    fetch_interval: dt.timedelta
    concurrency: int
    retries: int
    sources: tuple[Source, ...]
    taxonomy: Taxonomy
    selections: tuple[Selection, ...] = field(default=())
    site: SiteInfo = field(default=SiteInfo())

    @property
    def folder(self) -> Path:
        return self.path.parent


class _LineLoader(yaml.SafeLoader):
    """A YAML loader whose mappings remember the line they start on."""


class _Mapping(dict):
    line = 0


def _construct_mapping(loader, node):
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Reads values out of the parsed YAML and reports mistakes with file and line."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, mapping, message: str):
        line = getattr(mapping, "line", 0)
        where = f"{self.path}, ligne {line}" if line else str(self.path)
        raise ConfigError(f"{where} : {message}")

    def mapping(self, parent, key, default=None):
        value = parent.get(key, default if default is not None else _Mapping())
        if not isinstance(value, dict):
            self.fail(parent, f"« {key} » doit être une liste de clés (clé: valeur).")
        return value

    def text(self, parent, key, default="") -> str:
        value = parent.get(key, default)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            self.fail(parent, f"« {key} » doit être un texte.")
        return str(value)

    def labels(self, parent, key) -> list[str]:
        value = parent.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.fail(parent, f"« {key} » doit être une liste de textes, par exemple [a, b].")
        return [str(v) for v in value]

    def number(self, parent, key, default, minimum=0):
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.fail(parent, f"« {key} » doit être un nombre supérieur ou égal à {minimum} (lu : {value!r}).")
        return value

    def flag(self, parent, key, default=False) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            self.fail(parent, f"« {key} » doit valoir true ou false (lu : {value!r}).")
        return value

    def timezone(self, parent, key, default) -> str:
        name = self.text(parent, key, default)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(parent, f"fuseau horaire inconnu « {name} » pour « {key} ». "
                              "Utilisez un nom IANA, par exemple Europe/Paris ou Indian/Reunion.")
        return name

    def date(self, parent, key) -> dt.date | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(parent, f"« {key} » doit être une date AAAA-MM-JJ (lu : {value!r}).")

    def moment(self, parent, key, timezone: str) -> dt.datetime | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(parent, f"« {key} » doit être une date AAAA-MM-JJ ou une date et heure ISO (lu : {value!r}).")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return moment

    def vocabulary(self, root, key) -> Vocabulary:
        entries = self.mapping(root, key)
        terms = []
        for slug, entry in entries.items():
            if slugify(str(slug)) != str(slug):
                self.fail(entries, f"l'identifiant « {slug} » de « {key} » doit être en minuscules sans accents "
                                   f"ni espaces, par exemple « {slugify(str(slug))} ».")
            term = _Mapping({"name": entry}) if isinstance(entry, str) else entry
            if not isinstance(term, dict):
                self.fail(entries, f"« {key}.{slug} » doit avoir un nom (name:).")
            terms.append(Term(str(slug), self.text(term, "name", str(slug)), self.text(term, "description"),
                              tuple(self.labels(term, "aliases"))))
        return Vocabulary(tuple(terms))


def load_config(path: str | Path) -> Config:
    """Read `sources.yaml`; raise ConfigError naming the file and line of any mistake."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path} : fichier introuvable. Indiquez le bon chemin avec --config.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} : lecture impossible ({exc}). Enregistrez le fichier en UTF-8.") from None
    try:
        root = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where} : YAML invalide ({problem}). "
                          "Vérifiez l'indentation et les deux-points.") from None
    return parse_config(root, path)


def parse_config(root, path: Path) -> Config:
    r = _Reader(path)
    if not isinstance(root, dict):
        r.fail(root, "le fichier doit contenir des clés « sources: », « categories: », « themes: ».")
    edition = r.mapping(root, "edition")
    publish = r.mapping(root, "publish")
    store = r.mapping(root, "store")
    fetch = r.mapping(root, "fetch")
    timezone = r.timezone(publish, "timezone", "Europe/Paris")
    taxonomy = Taxonomy(
        categories=r.vocabulary(root, "categories"),
        themes=r.vocabulary(root, "themes"),
        event_types=r.vocabulary(root, "event_types"),
    )
    if not taxonomy.categories.terms:
        r.fail(root, "aucune catégorie définie : ajoutez une section « categories: ».")
    store_path = Path(r.text(store, "path", ".calfeed/calfeed.sqlite"))
    config = Config(
        path=path,
        edition_name=r.text(edition, "name", "Programme"),
        edition_start=r.date(edition, "start"),
        edition_end=r.date(edition, "end"),
        timezone=timezone,
        refresh=dt.timedelta(minutes=r.number(publish, "refresh_minutes", 60, minimum=1)),
        reference_time=r.moment(publish, "reference_time", timezone),
        grace=dt.timedelta(days=r.number(publish, "grace_days", 30)),
        base_url=r.text(publish, "base_url").rstrip("/"),
        store_path=store_path if store_path.is_absolute() else path.parent / store_path,
        fetch_interval=dt.timedelta(minutes=r.number(fetch, "interval_minutes", 60, minimum=1)),
        concurrency=int(r.number(fetch, "concurrency", 20, minimum=1)),
        retries=int(r.number(fetch, "retries", 2)),
        sources=(),
        taxonomy=taxonomy,
    )
    sources = _parse_sources(r, root, config, fetch)
    selections = _parse_selections(r, root, config, sources)
    return dataclasses.replace(config, sources=sources, selections=selections, site=_parse_site(r, root, config))


def _parse_site(r: _Reader, root, config: Config) -> SiteInfo:
    """The `site:` section: brand block, operator, contact and legal texts; every key is optional."""
    entry = r.mapping(root, "site")
    brand = r.labels(entry, "brand") or list(SiteInfo.brand)
    level = r.text(entry, "accessibility", SiteInfo.accessibility).strip().lower()
    if level not in ACCESSIBILITY_LEVELS:
        r.fail(entry, f"« accessibility » vaut {', '.join(f'« {v} »' for v in ACCESSIBILITY_LEVELS)} (lu : {level!r}) ; "
                      "sans audit RGAA complet, indiquez « non conforme » ou « partiellement conforme ».")
    email = r.text(entry, "contact_email").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        r.fail(entry, f"« contact_email » n'est pas une adresse électronique (lu : {email!r}).")
    url = r.text(entry, "contact_url").strip()
    if url and not re.match(r"^https?://[^/\s]+", url):
        r.fail(entry, f"« contact_url » doit commencer par http:// ou https:// (lu : {url!r}).")
    return SiteInfo(brand=tuple(brand), service=r.text(entry, "service") or f"Agendas du {config.edition_name}",
                    operator=r.text(entry, "operator"), contact_email=email, contact_url=url,
                    publication_director=r.text(entry, "publication_director"), host=r.text(entry, "host"),
                    accessibility=level, accessibility_note=r.text(entry, "accessibility_note"),
                    legal_notice=r.text(entry, "legal_notice"))


def _parse_sources(r: _Reader, root, config: Config, fetch) -> tuple[Source, ...]:
    entries = root.get("sources")
    if not isinstance(entries, list) or not entries:
        r.fail(root, "aucune source : ajoutez une liste « sources: » (voir le README).")
    default_max = int(r.number(fetch, "max_bytes", 10 * 1024 * 1024, minimum=1))
    default_timeout = float(r.number(fetch, "timeout", 20, minimum=1))
    sources, seen = [], set()
    for entry in entries:
        if not isinstance(entry, dict):
            r.fail(root, "chaque source doit être une liste de clés (id:, type:, path: ou url:).")
        source_id = r.text(entry, "id")
        if not source_id or slugify(source_id) != source_id:
            r.fail(entry, f"chaque source a besoin d'un « id » en minuscules sans espaces (lu : {source_id!r}).")
        if source_id in seen:
            r.fail(entry, f"l'id de source « {source_id} » est déjà utilisé : chaque source a un id unique.")
        seen.add(source_id)
        kind = r.text(entry, "type")
        if kind not in SOURCE_TYPES:
            r.fail(entry, f"source « {source_id} » : type inconnu « {kind} ». Types possibles : "
                          f"{', '.join(SOURCE_TYPES)}.")
        url, raw_path = r.text(entry, "url"), r.text(entry, "path")
        if bool(url) == bool(raw_path):
            r.fail(entry, f"source « {source_id} » : indiquez soit « url: » (http ou https), soit « path: » "
                          "(fichier relatif à sources.yaml), et un seul des deux.")
        path = None
        if url and not re.match(r"^https?://[^/\s]+", url):
            r.fail(entry, f"source « {source_id} » : l'adresse « {url} » doit commencer par http:// ou https://.")
        if raw_path:
            path = (config.folder / raw_path).resolve()
            if not path.is_relative_to(config.folder):
                r.fail(entry, f"source « {source_id} » : le chemin « {raw_path} » sort du dossier de "
                              f"sources.yaml ({config.folder}). Placez le fichier dans ce dossier.")
        category = r.text(entry, "category")
        if category and category not in config.taxonomy.categories:
            r.fail(entry, f"source « {source_id} » : catégorie inconnue « {category} ». Catégories possibles : "
                          f"{', '.join(config.taxonomy.categories.slugs)}.")
        themes = r.labels(entry, "themes")
        for theme in themes:
            if theme not in config.taxonomy.themes:
                r.fail(entry, f"source « {source_id} » : thème inconnu « {theme} ». Thèmes possibles : "
                              f"{', '.join(config.taxonomy.themes.slugs)}.")
        attendance = r.text(entry, "format")
        if attendance and attendance not in config.taxonomy.formats:
            r.fail(entry, f"source « {source_id} » : format inconnu « {attendance} ». Formats possibles : "
                          f"{', '.join(config.taxonomy.formats.slugs)}.")
        region = r.text(entry, "region")
        if region and region not in config.taxonomy.regions:
            r.fail(entry, f"source « {source_id} » : région inconnue « {region} ». Régions possibles : "
                          f"{', '.join(config.taxonomy.regions.slugs)}.")
        preset = r.text(entry, "preset", "calfeed")
        if preset not in JSON_PRESETS:
            r.fail(entry, f"source « {source_id} » : preset inconnu « {preset} ». Presets possibles : "
                          f"{', '.join(JSON_PRESETS)}.")
        sources.append(Source(
            id=source_id, type=kind, url=url, path=path, category=category, themes=tuple(themes),
            timezone=r.timezone(entry, "timezone", config.timezone),
            organiser=r.text(entry, "organiser"), event_type=r.text(entry, "event_type"),
            attendance=attendance, region=region, preset=preset, allow_empty=r.flag(entry, "allow_empty"),
            max_bytes=int(r.number(entry, "max_bytes", default_max, minimum=1)),
            timeout=float(r.number(entry, "timeout", default_timeout, minimum=1)),
        ))
    return tuple(sources)


def _parse_selections(r: _Reader, root, config: Config, sources) -> tuple[Selection, ...]:
    entries = r.mapping(root, "selections")
    selections = []
    for key_in_yaml, entry in entries.items():
        slug = str(key_in_yaml)
        if slugify(slug) != slug:
            r.fail(entries, f"sélection « {slug} » : nom invalide ; utilisez des minuscules sans accents et des "
                            f"tirets, par exemple « {slugify(slug)} ».")
        if slug in RESERVED_NAMES:
            r.fail(entries, f"sélection « {slug} » : ce nom est déjà celui d'une adresse du site (/feeds/{slug}…) ; "
                            "choisissez-en un autre, par exemple « ma-selection ».")
        if not isinstance(entry, dict):
            r.fail(entries, f"sélection « {slug} » : indiquez « name: » et « filter: ».")
        filters_in = r.mapping(entry, "filter")
        if not filters_in:
            r.fail(entry, f"sélection « {slug} » : « filter: » est vide ; elle publierait tout le programme.")
        filters = {}
        for key in filters_in:
            if key not in NAMED_CRITERIA:
                r.fail(filters_in, f"sélection « {slug} » : critère inconnu « {key} ». Critères possibles : "
                                   f"{', '.join(NAMED_CRITERIA)}.")
            values = r.labels(filters_in, key)
            vocabulary = vocabulary_of(config.taxonomy, key)
            for value in values if vocabulary is not None else ():
                if value not in vocabulary:
                    r.fail(filters_in, f"sélection « {slug} » : valeur inconnue « {value} » pour « {key} ». "
                                       f"Valeurs possibles : {', '.join(vocabulary.slugs)}.")
            if key == "source":
                unknown = set(values) - {s.id for s in sources}
                if unknown:
                    r.fail(filters_in, f"sélection « {slug} » : source inconnue « {', '.join(sorted(unknown))} ».")
            filters[key] = tuple(values)
        selections.append(Selection(slug, r.text(entry, "name", slug), r.text(entry, "description"), filters))
    return tuple(selections)
