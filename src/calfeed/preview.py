"""What calfeed would read from one source, before it is published: events, rejections, warnings.

Reads the source (file or HTTP) and its adapter only: no store, no feeds are touched.
"""

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, Source
from .errors import CalfeedError, ConfigError, SourceError
from .fetch import fetch_source
from .model import Event
from .taxonomy import DIMENSIONS
from .sources import SOURCE_TYPES, guess_type as guess_from_bytes, type_of_address

HEADINGS = ("Date", "Heures", "Titre", "Catégorie", "Thèmes", "Région", "Format", "Statut")
TITLE_WIDTH = 48


@dataclass
class Preview:
    source: Source
    rows: list[tuple[str, ...]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    headings: tuple[str, ...] = HEADINGS  # and a column per further dimension its events fill (public visé…)


def source_for_preview(config: Config, source_id: str | None = None, *, url: str = "", path: str = "",
                       kind: str = "", **options: Any) -> Source:
    """The source named in sources.yaml, or one described on the command line (address or file, type)."""
    if source_id:
        for source in config.sources:
            if source.id == source_id:
                return source
        if Path(source_id).is_file() and not path and not url:  # `calfeed preview fichier.csv`
            return source_for_preview(config, path=source_id, kind=kind, **options)
        raise ConfigError(f"source inconnue « {source_id} ». Sources de {config.path.name} : "
                          f"{', '.join(s.id for s in config.sources)}.")
    if path and not kind and Path(path).is_file():
        kind = guess_type(Path(path))
    kind = kind or type_of_address(url)
    if kind in SOURCE_TYPES and not path:
        url = url or SOURCE_TYPES[kind].default_url
    if bool(url) == bool(path) or kind not in SOURCE_TYPES:
        raise ConfigError(f"indiquez l'id d'une source de {config.path.name}, ou bien --url ou --path avec --type "
                          f"({', '.join(SOURCE_TYPES)}).")
    if url and not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"l'adresse « {url} » doit commencer par http:// ou https://.")
    fields = {f.name for f in dataclasses.fields(Source)}
    extra = {k: v for k, v in options.items() if k in fields and v not in (None, "", ())}
    if "category" in extra:  # checked as in sources.yaml; a name or an alias is taken for its identifier
        category = config.taxonomy.categories.lookup(extra["category"])
        if category is None:
            raise ConfigError(f"catégorie inconnue « {extra['category']} ». Catégories possibles : "
                              f"{', '.join(config.taxonomy.categories.slugs)}.")
        extra["category"] = category
    return Source(id="apercu", type=kind, url=url, path=Path(path).resolve() if path else None,
                  timezone=config.timezone, **extra)


def guess_type(path: Path) -> str:
    """The source type of a local file, from its first bytes, else its name (see sources.guess_type)."""
    try:
        with path.open("rb") as file:
            head = file.read(1 << 20)
    except OSError as exc:
        raise ConfigError(f"{path} : lecture impossible ({exc.strerror}).") from None
    return guess_from_bytes(head, path.name)


def preview_source(config: Config, source: Source, session: Any = None) -> Preview:
    """Fetch and read `source` as a refresh would, and describe each event in French."""
    preview = Preview(source)
    try:
        fetched = fetch_source(source, session, retries=0)
        parsed = SOURCE_TYPES[source.type].read(fetched.body or b"", source, config.taxonomy, fetched.charset)
    except CalfeedError as exc:
        preview.error = exc.reason if isinstance(exc, SourceError) else str(exc)
        if detail := getattr(exc, "detail", ""):  # the operator's terminal: what the source sent may be shown
            preview.error += f" — reçu : {detail}"
        return preview
    taxonomy = config.taxonomy
    further = [row for row in DIMENSIONS if not row.event_field and any(row.slugs(e) for e in parsed.events)]
    preview.headings = (*HEADINGS[:-1], *(row.legend for row in further), HEADINGS[-1])
    for event in sorted(parsed.events, key=lambda e: e.sort_key()):
        preview.rows.append((
            _date(event), _hours(event, config.timezone), _short(event.title),
            taxonomy.categories.name(event.category) if event.category else "—",
            ", ".join(taxonomy.themes.name(t) for t in event.themes) or "—",
            taxonomy.regions.name(event.location.region) if event.location.region else "—",
            taxonomy.formats.name(event.attendance) if event.attendance else "—",
            *(", ".join(taxonomy.names(row, event)) or "—" for row in further),
            taxonomy.statuses.name(event.status),
        ))
    preview.rejected = [str(r) for r in parsed.rejected]
    preview.warnings = [str(w) for w in parsed.warnings]
    if parsed.truncated:
        preview.error = (f"{parsed.truncated} : la source serait retenue (son dernier état valide resterait "
                         "publié) ; corrigez le fichier, ou « calfeed accept » une fois la source déclarée.")
    elif parsed.rejected and not parsed.events:
        preview.error = "aucun événement lisible : la source serait en échec et rien ne serait publié."
    return preview


def format_preview(preview: Preview) -> list[str]:
    """The preview as lines of French text: a table, then rejections and warnings."""
    source = preview.source
    lines = [f"Aperçu de la source « {source.id} » ({source.type}, {source.location}) — rien n'est publié."]
    if preview.rows:
        rows = [preview.headings, *preview.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(preview.headings))]
        lines.append("")
        lines.extend("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    lines.append("")
    lines.append(f"{len(preview.rows)} événement(s) lu(s), {len(preview.rejected)} rejeté(s), "
                 f"{len(preview.warnings)} avertissement(s).")
    lines.extend(f"  rejeté — {line}" for line in preview.rejected)
    lines.extend(f"  avertissement — {line}" for line in preview.warnings)
    if preview.error:
        lines.append(f"Échec : {preview.error}")
    return lines


def _date(event: Event) -> str:
    if event.all_day:
        last = event.end.toordinal() - 1
        if last == event.start.toordinal():
            return f"{event.start:%d/%m/%Y}"
        return f"{event.start:%d/%m/%Y} → {type(event.start).fromordinal(last):%d/%m/%Y}"
    return f"{event.start:%d/%m/%Y}"


def _hours(event: Event, zone: str) -> str:
    """The hours of `event` in its own zone, named when it is not the programme's `zone`."""
    if event.all_day:
        return "toute la journée"
    start, end = event.start, event.end
    named = "" if event.timezone == zone else f" ({event.timezone})"
    if end == start:
        return f"{start:%H:%M}{named}"
    if not isinstance(end, dt.datetime) or not isinstance(start, dt.datetime) or end.date() != start.date():
        return f"{start:%H:%M} → {end:%d/%m %H:%M}{named}"
    return f"{start:%H:%M}–{end:%H:%M}{named}"


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_WIDTH else title[:TITLE_WIDTH - 1] + "…"
