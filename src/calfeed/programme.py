"""The published programme as feeds read it: events in order, each with its version and its bytes."""

import datetime as dt
import json
from dataclasses import dataclass

from .model import Event, event_from_dict
from .render import Publication


@dataclass(frozen=True)
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

    @property
    def last_modified(self) -> dt.datetime | None:
        return max((item.publication.modified for item in self.items), default=None)


def load_programme(store) -> Programme:
    """Read every published event, sorted by start, in one consistent snapshot of the store."""
    db = store.db
    db.execute("BEGIN")  # one read transaction: the generation and the rows belong together
    try:
        generation = store.generation()
        published_at = store.published_at() or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        rows = store.published()
    finally:
        db.execute("COMMIT")
    items = tuple(
        Item(event_from_dict(json.loads(row.event_json)),
             Publication(row.sequence, dt.datetime.fromisoformat(row.modified), vanished=row.vanished_at is not None),
             row.vevent)
        for row in rows
    )
    return Programme(generation, items, published_at)
