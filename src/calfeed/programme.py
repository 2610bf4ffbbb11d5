"""The published programme as feeds read it: events in order, each with its version and its bytes."""

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property

from .model import Event, event_from_dict
from .render import Publication

SELECTIONS_KEPT = 256  # filters whose result is remembered per version (each a tuple of references)


@dataclass(frozen=True, slots=True)
class Item:
    event: Event
    publication: Publication
    vevent: bytes  # the rendered VEVENT, assembled as is into every feed that selects it

    @property
    def status(self) -> str:
        return "annule" if self.publication.vanished else self.event.status


@dataclass(frozen=True)
class Programme:
    generation: int
    items: tuple[Item, ...]
    published_at: dt.datetime  # when the published events last changed

    @cached_property
    def _index(self) -> dict[tuple[str, str], list[int]]:
        """(criterion, value) → positions of the matching items, in programme order."""
        from .feeds import index_keys
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
        """Each item under its short key (feeds.event_key), for event pages."""
        from .feeds import event_key
        return {event_key(item.event.uid): item for item in self.items}

    def select(self, filters) -> tuple[Item, ...]:
        """The items a filter keeps (see feeds.matches), computed once per programme version."""
        from .feeds import index_value
        key = tuple(sorted((name, tuple(sorted(values))) for name, values in filters.items()))
        found = self._selections.get(key)
        if found is None:
            if not filters:
                found = self.items
            else:
                chosen = None
                for name, values in filters.items():
                    positions = set()
                    for value in values:
                        positions.update(self._index.get((name, index_value(name, value)), ()))
                    chosen = positions if chosen is None else chosen & positions
                found = tuple(self.items[position] for position in sorted(chosen))
            if len(self._selections) >= SELECTIONS_KEPT:
                self._selections.clear()  # ad-hoc selections are unbounded; the index makes any cheap again
            self._selections[key] = found
        return found


def load_programme(store) -> Programme:
    """Read every published event, sorted by start, in one consistent snapshot of the store."""
    db = store.db
    db.execute("BEGIN")  # one read transaction: the generation and the rows belong together
    try:
        generation = store.generation()
        published_at = store.published_at() or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        items = tuple(
            Item(event_from_dict(json.loads(row.event_json)),
                 Publication(row.sequence, dt.datetime.fromisoformat(row.modified),
                             vanished=row.vanished_at is not None),
                 row.vevent)
            for row in store.published()
        )
    finally:
        db.execute("COMMIT")
    return Programme(generation, items, published_at)
