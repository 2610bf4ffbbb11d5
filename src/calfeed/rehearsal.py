"""Look before publishing: read the sources into a copy of the store, publish there with the one
pipeline (refresh, publish), and compare what each feed holds before and after — `calfeed check` and
`calfeed diff`. The real store, the output folder and what the live service answers are never touched."""

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .addresses import Feed, catalogue, feed_catalogue
from .alert_settings import AlertSettings
from .model import Event
from .publish import load_programme
from .refresh import SourceReport, ensure_published, refresh_sources
from .selection import Item, Programme
from .store import Store
from .store.backup import backup_store
from .taxonomy import DIMENSIONS
from .views import when

# How the team reads a changed field (Event's fields; `uid`, `source` and `modified` are not what
# subscribers see).
FIELD_NAMES = {
    "title": "titre", "start": "début", "end": "fin", "timezone": "fuseau", "description": "description",
    "location": "lieu", "online_url": "lien en ligne", "attendance": "format", "organiser": "organisateur",
    "category": "catégorie", "themes": "thèmes", "event_type": "type", "url": "lien",
    "registration_url": "inscription", "status": "statut",
}


@dataclass
class Rehearsal:
    """The store as it is, and a copy of it after reading the sources now."""

    before: Programme
    after: Programme
    copy: Store  # the rehearsed store: its source states are what `check` shows
    reports: list[SourceReport] = field(default_factory=list)  # empty when the sources were not read


@contextmanager
def rehearse(config, store: Store, *, now: dt.datetime, fetch: bool = True) -> Iterator[Rehearsal]:
    """Refresh (or, without `fetch`, only complete) a copy of `store` as `fetch`/`build` would, and
    yield both programmes; the copy is deleted on leaving."""
    config = dataclasses.replace(config, alerts=AlertSettings())  # a rehearsal alerts nobody
    with tempfile.TemporaryDirectory(prefix="calfeed-repetition-") as folder:
        copy = Store(backup_store(store, Path(folder) / "copie.sqlite"))  # SQLite's online backup
        try:
            before = load_programme(copy)
            if fetch:
                reports = refresh_sources(config, copy, now=now)
            else:
                reports = []
                ensure_published(config, copy, now=now)
            yield Rehearsal(before, load_programme(copy), copy, reports)
        finally:
            copy.close()


@dataclass
class FeedChanges:
    """What the subscribers of one feed would see change."""

    feed: Feed
    added: list[Item] = field(default_factory=list)
    changed: list[tuple[Item, list[str]]] = field(default_factory=list)  # with the fields that changed
    cancelled: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)  # leave the feed without a cancellation
    held: list[Item] = field(default_factory=list)  # kept at their last good version

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.cancelled) + len(self.removed)


def changed_fields(old: Event, new: Event, zone: str) -> list[str]:
    """The fields of an event that a subscriber would see differ, in French (times in the programme's `zone`)."""
    fields = [name for key, name in FIELD_NAMES.items() if getattr(old, key) != getattr(new, key)]
    fields += [row.legend.lower() for row in DIMENSIONS if not row.event_field and old.facet(row.key) != new.facet(row.key)]
    before = {"titre": f"« {old.title} »", "début": when(old, zone)}  # what subscribers had, where it is short
    return [f"{name} (avant : {before[name]})" if name in before else name for name in fields]


def _held_uids(config, rehearsal: Rehearsal) -> set[str]:
    """The UIDs of the published events their source holds at their last good version."""
    messages = [line for source in config.sources for line in rehearsal.copy.source_state(source.id).held]
    if not messages:
        return set()
    return {item.event.uid for item in rehearsal.after.items
            if any(f"({item.event.uid})" in line for line in messages)}


def feed_changes(config, rehearsal: Rehearsal) -> list[FeedChanges]:
    """Feed by feed (every configured one in the catalogue's order, then every retired address), what would change."""
    held = _held_uids(config, rehearsal)
    found = []
    configured = feed_catalogue(config)
    paths = {feed.path for feed in configured} | {old for old, _new in config.moves.renamed}  # renamed: mirrors
    retired = [feed for path, feed in catalogue(config, rehearsal.after).items() if path not in paths]
    for feed in configured + retired:
        before = {item.event.uid: item for item in rehearsal.before.select(feed.filters)}
        changes = FeedChanges(feed)
        for item in rehearsal.after.select(feed.filters):
            old = before.pop(item.event.uid, None)
            if item.event.uid in held:
                changes.held.append(item)
            if old is None:
                (changes.cancelled if item.status == "annule" else changes.added).append(item)
            elif item.status == "annule" and old.status != "annule":
                changes.cancelled.append(item)
            elif old.vevent != item.vevent:
                fields = changed_fields(old.event, item.event, config.timezone)
                if old.status == "annule" and item.status != "annule" and "statut" not in fields:
                    fields.append("statut")  # back in the programme
                changes.changed.append((item, fields or ["présentation"]))
        changes.removed.extend(before.values())
        found.append(changes)
    return found


def feed_notes(config, rehearsal: Rehearsal) -> list[str]:
    """What changes in the feeds themselves, against the addresses the store remembers: a new address, a new
    name (that clients which took the old one at subscription will not show), an address left sources.yaml."""
    known = {feed.path: feed for feed in rehearsal.before.feeds}
    if not known:
        return []  # a store that never remembered its addresses: nothing to compare with
    latest = max(feed.last_configured for feed in known.values())
    configured = {feed.path: feed for feed in feed_catalogue(config)}
    renamed = dict(config.moves.renamed)
    notes = []
    for path, feed in configured.items():
        old = known.get(path)
        if old is None:
            notes.append(f"nouvel agenda : « {feed.name} » (/feeds/{path})")
        elif old.name != feed.name:
            notes.append(f"/feeds/{path} : nouveau nom « {feed.name} » (avant : « {old.name} ») ; Outlook garde "
                         "le nom pris à l'abonnement")
    for path, old in known.items():
        if path in configured or old.last_configured != latest:
            continue  # configured, or retired before the last publication
        if path in renamed:
            notes.append(f"/feeds/{path} : renommé, répondra avec les événements de /feeds/{renamed[path]}")
        else:
            notes.append(f"/feeds/{path} (« {old.name} ») n'est plus dans sources.yaml : l'adresse répondra avec "
                         "ses événements encore sélectionnés et un avis « Cet agenda n'est plus mis à jour »")
    return notes


def old_addresses(config, programme: Programme) -> list[str]:
    """The addresses no longer configured that still answer (`addresses.catalogue`), for `calfeed check`."""
    configured = {feed.path for feed in feed_catalogue(config)}
    renamed = dict(config.moves.renamed)
    return [f"/feeds/{path} → /feeds/{renamed[path]}" if path in renamed else
            f"/feeds/{path} (« {feed.name} ») : ses événements encore sélectionnés et un avis « {feed.notice.title} »"
            for path, feed in catalogue(config, programme).items() if path not in configured]


def unreadable(report: SourceReport) -> bool:
    """A source that could not be read at all (fetch or parse failed); one read but held at its last good
    snapshot (a mass change, a file cut short: « l'instantané précédent reste publié », refresh._refusal)
    is not: what it would change is known, and waits for `calfeed accept`."""
    return not report.ok and "reste publié" not in report.error


def source_messages(rehearsal: Rehearsal) -> list[tuple[str, str]]:
    """(source, what keeps it from being published as read) for each failing or held source."""
    lines = []
    for report in rehearsal.reports:
        if not report.ok:
            lines.append((report.source_id, report.error))
        lines.extend((report.source_id, held) for held in report.held)
    return lines


def _event_line(mark: str, item: Item, zone: str, fields=()) -> str:
    line = f"    {mark} « {item.event.title} » ({when(item.event, zone)})"
    return line + (f" — {', '.join(fields)}" if fields else "")


def _counts(changes: FeedChanges) -> str:
    parts = [f"{len(found)} {word}{'s' if len(found) > 1 else ''}" for found, word in (
        (changes.added, "ajouté"), (changes.changed, "modifié"), (changes.cancelled, "annulé"),
        (changes.removed, "retiré"), (changes.held, "retenu")) if found]
    return ", ".join(parts)


def format_changes(config, rehearsal: Rehearsal) -> tuple[list[str], int]:
    """`calfeed diff`'s report, and how many changes subscribers would see (held events not counted)."""
    lines, total, unchanged, feeds = [], 0, 0, 0
    for changes in feed_changes(config, rehearsal):
        if not changes.count and not changes.held:
            unchanged += 1
            continue
        total += changes.count
        feeds += 1 if changes.count else 0
        lines.append(f"{changes.feed.name} (/feeds/{changes.feed.path}) : {_counts(changes)}")
        zone = config.timezone
        lines.extend(_event_line("+ ajouté :", item, zone) for item in changes.added)
        lines.extend(_event_line("~ modifié :", item, zone, fields) for item, fields in changes.changed)
        lines.extend(_event_line("× annulé :", item, zone) for item in changes.cancelled)
        lines.extend(_event_line("- retiré (sans annulation) :", item, zone) for item in changes.removed)
        lines.extend(_event_line("= retenu à sa dernière version :", item, zone) for item in changes.held)
    notes = feed_notes(config, rehearsal)
    if notes:
        lines.append("Adresses et noms des agendas :")
        lines.extend(f"    {note}" for note in notes)
    messages = source_messages(rehearsal)
    if messages:
        lines.append("Sources à voir :")
        lines.extend(f"    {source_id} : {message}" for source_id, message in messages)
    lines.append(f"Agendas inchangés : {unchanged}." if total or notes or messages else
                 f"Rien ne changerait pour les abonnés ({unchanged} agendas inchangés).")
    if total:
        lines.append(f"En tout : {total} changement(s) d'événement dans {feeds} agenda(s).")
    total += len(notes)
    return lines, total
