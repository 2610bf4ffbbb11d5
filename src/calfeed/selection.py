"""Which events a feed holds: the criteria table, and the published programme indexed by it.

The criteria table says, for each criterion (categorie, theme, region…), how an event is read, which
vocabulary its values come from and how pages name it. Config validation, the programme's index, the
page contexts and the page's JavaScript (given the table as data) all read it from here; `addresses`
says which address names which selection.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .text import fold

SELECTIONS_KEPT = 256  # filters whose result a programme version remembers (each a tuple of references)


def event_key(uid: str) -> str:
    """A short, stable, URL-safe key of an event (its page, its place in a personal programme)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:12]


# A hybrid event can be attended both ways, so it belongs to both formats.
FORMAT_ACCEPTS = {"presentiel": ("presentiel", "hybride"), "en-ligne": ("en-ligne", "hybride"),
                  "hybride": ("hybride",)}


@dataclass(frozen=True)
class Criterion:
    """One way to select events."""

    key: str  # the filter's name, in sources.yaml's `filter:` and in query strings
    legend: str  # how pages name it
    vocabulary: str  # the Taxonomy attribute its values come from, or "" for free values
    values: Callable  # event → the values under which the event is selected
    field: str  # where the JSON export (README) carries the event's value, for the page's JavaScript
    public: bool = True  # offered in ad-hoc selections (/feeds/selection.ics?…) and the builder
    folded: bool = False  # values compared without accents nor case (organisers are free text)
    accepts: dict = field(default_factory=dict)  # value → event values it accepts, when not only itself

    def normalise(self, value: str) -> str:
        return fold(value) if self.folded else value


CRITERIA = {c.key: c for c in (
    Criterion("categorie", "Organisateur", "categories", lambda e: (e.category,), "categorie"),
    Criterion("theme", "Thème", "themes", lambda e: e.themes, "themes"),
    Criterion("region", "Région", "regions",
              lambda e: (e.location.region,) if e.location.region else (), "lieu.region"),
    Criterion("format", "Format", "formats",
              lambda e: tuple(name for name, accepted in FORMAT_ACCEPTS.items() if e.attendance in accepted),
              "format", accepts=FORMAT_ACCEPTS),
    Criterion("type", "Type d'événement", "event_types", lambda e: (e.event_type,) if e.event_type else (), "type"),
    Criterion("organisateur", "Organisateur (nom)", "", lambda e: (fold(e.organiser),), "organisateur",
              public=False, folded=True),
    Criterion("source", "Source", "", lambda e: (e.source,), "", public=False),
    Criterion("evenement", "Événement", "", lambda e: (event_key(e.uid),), "uid", public=False),
)}
PUBLIC_CRITERIA = tuple(key for key, criterion in CRITERIA.items() if criterion.public)
NAMED_CRITERIA = tuple(key for key in CRITERIA if key != "evenement")  # usable in sources.yaml's selections
# Offered by the builder and the event list: every public criterion, so that an address the live builder
# accepts is one the static builder (its script reads this table) shows and selects alike.
BUILDER_CRITERIA = PUBLIC_CRITERIA


def vocabulary_of(taxonomy, key: str):
    name = CRITERIA[key].vocabulary
    return getattr(taxonomy, name) if name else None


def matches(event, filters) -> bool:
    """Values of one criterion are alternatives (OR); criteria combine (AND)."""
    for key, wanted in filters.items():
        criterion = CRITERIA[key]
        have = criterion.values(event)
        if not any(criterion.normalise(value) in have for value in wanted):
            return False
    return True


def index_keys(event) -> Iterable[tuple[str, str]]:
    """Every (criterion, value) under which `matches` selects `event`."""
    for key, criterion in CRITERIA.items():
        for value in criterion.values(event):
            yield key, value


def criteria_data(taxonomy) -> list[dict]:
    """The builder's criteria as plain data, for the page's JavaScript: the same rules as `matches`."""
    table = []
    for key in BUILDER_CRITERIA:
        criterion = CRITERIA[key]
        table.append({
            "key": key, "legend": criterion.legend, "field": criterion.field,
            "values": [{"value": term.slug, "label": term.name,
                        "accepts": list(criterion.accepts.get(term.slug, (term.slug,)))}
                       for term in vocabulary_of(taxonomy, key).terms],
        })
    return table


# -- the published programme, indexed by criteria ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    event: object  # model.Event
    publication: object  # render.Publication
    vevent: bytes  # the rendered VEVENT, assembled as is into every feed that selects it

    @property
    def status(self) -> str:
        return "annule" if self.publication.vanished else self.event.status


# When a store that never published anything last changed: HTTP needs a date for Last-Modified, and the
# pages say « jamais » rather than show it.
NEVER_PUBLISHED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Programme:
    """The published events of one version of the store, in programme order."""

    generation: int
    items: tuple[Item, ...]
    published_at: object  # datetime: when the published events last changed (NEVER_PUBLISHED if never)
    feeds: tuple = ()  # every feed address once published (store.feeds.RememberedFeed), for addresses.catalogue

    @cached_property
    def _index(self) -> dict[tuple[str, str], list[int]]:
        """(criterion, value) → positions of the matching items, in programme order."""
        index: dict[tuple[str, str], list[int]] = {}
        for position, item in enumerate(self.items):
            for key in index_keys(item.event):
                index.setdefault(key, []).append(position)
        return index

    @cached_property
    def _selections(self) -> dict:
        return {}

    @cached_property
    def memo(self) -> dict:
        """Work derived from this programme version (pre-serialised JSON…), dropped with it."""
        return {}

    @cached_property
    def by_key(self) -> dict[str, Item]:
        """Each item under its short key (`event_key`), for event pages."""
        return {event_key(item.event.uid): item for item in self.items}

    def select(self, filters) -> tuple[Item, ...]:
        """The items a filter keeps (the same as `matches`, through the index), once per version."""
        key = tuple(sorted((name, tuple(sorted(values))) for name, values in filters.items()))
        found = self._selections.get(key)
        if found is None:
            found = self.items if not filters else self._lookup(filters)
            if len(self._selections) >= SELECTIONS_KEPT:
                self._selections.clear()  # ad-hoc selections are unbounded; the index makes any cheap again
            self._selections[key] = found
        return found

    def _lookup(self, filters) -> tuple[Item, ...]:
        chosen = None
        for name, values in filters.items():
            criterion = CRITERIA[name]
            positions = set()
            for value in values:
                positions.update(self._index.get((name, criterion.normalise(value)), ()))
            chosen = positions if chosen is None else chosen & positions
        return tuple(self.items[position] for position in sorted(chosen))
