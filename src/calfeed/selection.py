"""Which events a feed holds: the criteria table, and the published programme indexed by it.

The criteria table says, for each criterion (categorie, theme, region…), how an event is read, which
vocabulary its values come from and how pages name it. Config validation, the programme's index, the
page contexts and the page's JavaScript (given the table as data) all read it from here; `addresses`
says which address names which selection.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .model import Event
from .taxonomy import DIMENSIONS, Dimension, Taxonomy, Vocabulary
from .text import fold

SELECTIONS_KEPT = 256  # filters whose result a programme version remembers (each a tuple of references)
Filters = Mapping[str, Sequence[str]]  # criterion → the values wanted (any of them)


def event_key(uid: str) -> str:
    """A short, stable, URL-safe key of an event (its page, its place in a personal programme)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Criterion:
    """One way to select events: a row of the vocabulary table (taxonomy.DIMENSIONS), or a free one."""

    key: str  # the filter's name, in sources.yaml's `filter:` and in query strings
    legend: str  # how pages name it
    values: Callable[[Event], tuple[str, ...]]  # event → the values under which the event is selected
    field: str  # where the JSON export (README) carries the event's value, for the page's JavaScript
    public: bool = True  # offered in ad-hoc selections (/feeds/selection.ics?…) and the builder
    folded: bool = False  # values compared without accents nor case (organisers are free text)
    dimension: Dimension | None = None  # its row of the vocabulary table, whose terms it takes

    def normalise(self, value: str) -> str:
        return fold(value) if self.folded else value

    def accepts(self, value: str) -> tuple[str, ...]:
        """The event values a wanted `value` selects: itself, or more (a hybrid event is « en ligne » too)."""
        return dict(self.dimension.accepts).get(value, (value,)) if self.dimension else (value,)


def _dimension_criterion(row: Dimension) -> Criterion:
    if not row.accepts:
        return Criterion(row.key, row.legend, row.slugs, row.json_field, dimension=row)
    selecting: dict[str, tuple[str, ...]] = {}  # an event's value → the wanted values that select it
    for value, accepted in row.accepts:
        for slug in accepted:
            selecting[slug] = (*selecting.get(slug, ()), value)

    def selected(event: Event) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value for slug in row.slugs(event) for value in selecting.get(slug, ())))
    return Criterion(row.key, row.legend, selected, row.json_field, dimension=row)


CRITERIA = {c.key: c for c in (
    *(_dimension_criterion(row) for row in DIMENSIONS),
    Criterion("organisateur", "Organisateur (nom)", lambda e: (fold(e.organiser),), "organisateur",
              public=False, folded=True),
    Criterion("source", "Source", lambda e: (e.source,), "", public=False),
    Criterion("evenement", "Événement", lambda e: (event_key(e.uid),), "uid", public=False),
)}
PUBLIC_CRITERIA = tuple(key for key, criterion in CRITERIA.items() if criterion.public)
NAMED_CRITERIA = tuple(key for key in CRITERIA if key != "evenement")  # usable in sources.yaml's selections
# Offered by the builder and the event list: every public criterion, so that an address the live builder
# accepts is one the static builder (its script reads this table) shows and selects alike.
BUILDER_CRITERIA = PUBLIC_CRITERIA


def vocabulary_of(taxonomy: Taxonomy, key: str) -> Vocabulary | None:
    """The terms of criterion `key`, or None for a criterion of free values (organisateur, source)."""
    return taxonomy.vocabulary(key) if CRITERIA[key].dimension else None


def matches(event: Event, filters: Filters) -> bool:
    """Values of one criterion are alternatives (OR); criteria combine (AND)."""
    for key, wanted in filters.items():
        criterion = CRITERIA[key]
        have = criterion.values(event)
        if not any(criterion.normalise(value) in have for value in wanted):
            return False
    return True


def index_keys(event: Event) -> Iterable[tuple[str, str]]:
    """Every (criterion, value) under which `matches` selects `event`."""
    for key, criterion in CRITERIA.items():
        for value in criterion.values(event):
            yield key, value


def criteria_data(taxonomy: Taxonomy, keys: Iterable[str] = BUILDER_CRITERIA) -> list[dict[str, Any]]:
    """The builder's criteria (`keys`, those a page offers) as plain data, for the page's JavaScript: the
    same rules as `matches`."""
    table = []
    for key in keys:
        criterion, vocabulary = CRITERIA[key], taxonomy.vocabulary(key)
        table.append({
            "key": key, "legend": criterion.legend, "field": criterion.field,
            "values": [{"value": term.slug, "label": term.name, "accepts": list(criterion.accepts(term.slug))}
                       for term in vocabulary.terms],
        })
    return table


# -- the published programme, indexed by criteria ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    event: Event
    publication: Any  # render.Publication (a higher layer)
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
    published_at: dt.datetime  # when the published events last changed (NEVER_PUBLISHED if never)
    feeds: tuple[Any, ...] = ()  # every feed address once published (store.feeds.RememberedFeed), for addresses.catalogue

    @cached_property
    def _index(self) -> dict[tuple[str, str], list[int]]:
        """(criterion, value) → positions of the matching items, in programme order."""
        index: dict[tuple[str, str], list[int]] = {}
        for position, item in enumerate(self.items):
            for key in index_keys(item.event):
                index.setdefault(key, []).append(position)
        return index

    @cached_property
    def _selections(self) -> dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[Item, ...]]:
        return {}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Work derived from this programme version (pre-serialised JSON…), dropped with it."""
        return {}

    @cached_property
    def by_key(self) -> dict[str, Item]:
        """Each item under its short key (`event_key`), for event pages."""
        return {event_key(item.event.uid): item for item in self.items}

    def select(self, filters: Filters) -> tuple[Item, ...]:
        """The items a filter keeps (the same as `matches`, through the index), once per version."""
        key = tuple(sorted((name, tuple(sorted(values))) for name, values in filters.items()))
        found = self._selections.get(key)
        if found is None:
            found = self.items if not filters else self._lookup(filters)
            if len(self._selections) >= SELECTIONS_KEPT:
                self._selections.clear()  # ad-hoc selections are unbounded; the index makes any cheap again
            self._selections[key] = found
        return found

    def _lookup(self, filters: Filters) -> tuple[Item, ...]:
        chosen: set[int] | None = None
        for name, values in filters.items():
            criterion = CRITERIA[name]
            positions: set[int] = set()
            for value in values:
                positions.update(self._index.get((name, criterion.normalise(value)), ()))
            chosen = positions if chosen is None else chosen & positions
        return tuple(self.items[position] for position in sorted(chosen or ()))
