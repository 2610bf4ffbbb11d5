"""Load and validate `sources.yaml` into frozen dataclasses."""

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config_schema import closest, schema_problems, to_moment
from .config_yaml import Mapping, Reader, closest_term, hint, read_document
from .errors import ConfigError
from .model import DEFAULT_ZONE
from .addresses import RESERVED_NAMES, feed_catalogue, free_selection_name
from .selection import NAMED_CRITERIA, vocabulary_of
from .site_info import SiteInfo, read_site
from .editions import Editions, Moves, read_editions, read_moves
from .alert_settings import AlertSettings, read_alerts
from .config_vocabulary import read_taxonomy, source_defaults
from .taxonomy import Taxonomy
from .text import slugify
from .config_sources import SOURCE_VALIDATOR, Source, own_keys, source_location, source_type
STORE_FOLDER = ".calfeed"
LEGACY_STORE_NAME = "calfeed.sqlite"


def default_store_path(config_path: Path) -> Path:
    """Where a configuration's store is when « store: path: » does not say: named after the file
    (sources.yaml → .calfeed/sources.sqlite), so a scratch essai.yaml next to it gets its own."""
    return Path(config_path).parent / STORE_FOLDER / f"{Path(config_path).stem}.sqlite"


@dataclass(frozen=True)
class Selection:
    """A named feed defined in `sources.yaml` by a filter."""
    slug: str
    name: str
    description: str
    filters: dict[str, tuple[str, ...]]


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
    # The default store before stores were named after their configuration, kept if it is this one's (store.open_store).
    legacy_store_path: Path | None = None
    site: SiteInfo = field(default=SiteInfo())
    editions: Editions = field(default=Editions())  # current (also in edition_name…), next, past; the series
    moves: Moves = field(default=Moves())  # renamed feed addresses, the service's move
    alerts: AlertSettings = field(default=AlertSettings())
    keep_past: dt.timedelta | None = None  # publish.keep_past_days: how long past events stay (None: for good)
    proxy_hops: int = 0  # proxies the team declares (publish.proxy_hops): ProxyFix trusts their X-Forwarded-*

    @property
    def folder(self) -> Path:
        return self.path.parent


def load_config(path: str | Path) -> Config:
    """Read `sources.yaml`; raise ConfigError naming the file and line of every mistake, first line first."""
    path = Path(path).resolve()
    return parse_config(read_document(path), path)


def parse_config(root: object, path: Path) -> Config:
    """The configuration of a parsed `sources.yaml` (`path` names it in messages); ConfigError listing every
    mistake."""
    r = Reader(path)
    if not isinstance(root, Mapping):  # every YAML mapping is read as one (config_yaml)
        r.fail(root, "le fichier doit contenir des clés « sources: », « categories: », « themes: ».")
    r.problems.extend(schema_problems(root, SOURCE_VALIDATOR))
    config = r.attempt(_read_config, r, root, path)
    if r.problems or config is None:  # None only after a recorded mistake
        raise ConfigError(r.report())
    return config


def _read_config(r: Reader, root: Mapping, path: Path) -> Config:
    edition = r.mapping(root, "edition")
    publish = r.mapping(root, "publish")
    store = r.mapping(root, "store")
    fetch = r.mapping(root, "fetch")
    timezone = r.timezone(publish, "timezone", DEFAULT_ZONE)
    editions = read_editions(r, edition)
    taxonomy = read_taxonomy(r, root, editions.all)
    # A store belongs to one configuration: by default it is named after the configuration file.
    # An explicit path is relative to the configuration's folder (an absolute one stays as it is).
    store_path = path.parent / r.text(store, "path") if r.text(store, "path") else default_store_path(path)
    legacy_store = None if r.text(store, "path") else path.parent / STORE_FOLDER / LEGACY_STORE_NAME
    config = Config(
        path=path,
        edition_name=editions.current.name, edition_start=editions.current.start, edition_end=editions.current.end,
        timezone=timezone,
        refresh=dt.timedelta(minutes=publish.get("refresh_minutes", 60)),
        reference_time=to_moment(publish.get("reference_time"), timezone),
        grace=dt.timedelta(days=publish.get("grace_days", 30)),
        keep_past=dt.timedelta(days=publish["keep_past_days"]) if publish.get("keep_past_days") is not None else None,
        base_url=r.text(publish, "base_url").rstrip("/"), proxy_hops=publish.get("proxy_hops", 0),
        store_path=store_path,
        legacy_store_path=legacy_store,
        fetch_interval=dt.timedelta(minutes=fetch.get("interval_minutes", 60)),
        concurrency=fetch.get("concurrency", 20), retries=fetch.get("retries", 2),
        sources=(),
        taxonomy=taxonomy,
    )
    sources = _parse_sources(r, root, config, fetch)
    selections = _parse_selections(r, root, config, sources)
    config = dataclasses.replace(config, sources=sources, selections=selections, editions=editions,
                                 site=read_site(root.get("site") or {}, config.edition_name),
                                 alerts=read_alerts(root.get("alerts") or {}))
    configured = {feed.path for feed in feed_catalogue(config)}
    return dataclasses.replace(config, moves=read_moves(r, publish, configured))


def _parse_sources(r: Reader, root: Mapping, config: Config, fetch: Mapping) -> tuple[Source, ...]:
    entries = root.get("sources") or []
    if not entries:
        r.fail(root, "aucune source : ajoutez une liste « sources: » (voir le README).")
    sources, seen = [], set()
    for entry in entries:
        if (source := r.attempt(_parse_source, r, entry, config, fetch)) is None:
            continue
        if source.id in seen:
            r.note(r.line(entry, "id"), f"l'id de source « {source.id} » est déjà utilisé : chaque source a un id unique.")
        seen.add(source.id)
        sources.append(source)
    return tuple(sources)


def _parse_source(r: Reader, entry: Mapping, config: Config, fetch: Mapping) -> Source:
    source_id = r.text(entry, "id")
    if not source_id or slugify(source_id) != source_id:
        r.note(r.line(entry, "id"), f"chaque source a besoin d'un « id » en minuscules sans espaces (lu : « {source_id} »).")
    kind = source_type(r, entry, source_id)
    url, path = source_location(r, entry, source_id, config.folder, kind)
    return Source(
        id=source_id, type=kind.name, url=url, path=path, **source_defaults(r, entry, source_id, config.taxonomy),
        timezone=r.timezone(entry, "timezone", config.timezone), organiser=r.text(entry, "organiser"),
        allow_empty=entry.get("allow_empty", False),
        max_drop=float(entry.get("max_drop", fetch.get("max_drop", 0.3))),
        max_bytes=int(entry.get("max_bytes", fetch.get("max_bytes", 10 * 1024 * 1024))),
        timeout=float(entry.get("timeout", fetch.get("timeout", 20))),
        year=s.year if (s := config.edition_start) and s.year == getattr(config.edition_end, "year", 0) else None,
        **own_keys(r, entry, source_id, kind),
    )


def _parse_selections(r: Reader, root: Mapping, config: Config,
                      sources: Sequence[Source]) -> tuple[Selection, ...]:
    entries = r.mapping(root, "selections")
    read = (r.attempt(_parse_selection, r, entries, key, entry, config, sources) for key, entry in entries.items())
    return tuple(selection for selection in read if selection is not None)


def _parse_selection(r: Reader, entries: Mapping, key_in_yaml: object, entry: Mapping, config: Config,
                     sources: Sequence[Source]) -> Selection:
    slug = str(key_in_yaml)
    where = getattr(entries, "key_lines", {}).get(key_in_yaml, getattr(entries, "line", 0))
    others = {str(other) for other in entries if other != key_in_yaml}
    if slugify(slug) != slug:
        r.note(where, f"sélection « {slug} » : nom invalide ; utilisez des minuscules sans accents et des "
                      f"tirets, par exemple « {free_selection_name(slugify(slug), others)} ».")
    if slug in RESERVED_NAMES:
        r.note(where, f"sélection « {slug} » : ce nom est déjà celui d'une adresse du site (/feeds/{slug}…) ; "
                      f"choisissez-en un autre, par exemple « {free_selection_name(slug, others)} ».")
    filters_in = r.mapping(entry, "filter")
    if not filters_in:
        r.fail(r.line(entry, "filter"), f"sélection « {slug} » : « filter: » est vide ; elle publierait tout "
                                        "le programme.")
    filters: dict[str, tuple[str, ...]] = {}
    for key in filters_in:
        if key not in NAMED_CRITERIA:
            r.fail(r.line(filters_in, key), f"sélection « {slug} » : critère inconnu « {key} »"
                                            f"{hint(closest(key, NAMED_CRITERIA))} Critères possibles : "
                                            f"{', '.join(NAMED_CRITERIA)}.")
        values = r.labels(filters_in, key)
        vocabulary = vocabulary_of(config.taxonomy, key)
        for value, line in values:
            if vocabulary is not None and value not in vocabulary:
                r.note(line, f"sélection « {slug} » : valeur inconnue « {value} » pour « {key} »"
                             f"{hint(closest_term(value, vocabulary))} "
                             f"Valeurs possibles : {', '.join(vocabulary.slugs)}.")
        if key == "source":
            source_ids = [s.id for s in sources]
            for value, line in values:
                if value not in source_ids:
                    r.note(line, f"sélection « {slug} » : source inconnue « {value} »{hint(closest(value, source_ids))} "
                                 f"Sources possibles : {', '.join(source_ids)}.")
        filters[key] = tuple(value for value, _line in values)
    return Selection(slug, r.text(entry, "name", slug), r.text(entry, "description"), filters)
