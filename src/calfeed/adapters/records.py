"""What the adapters of record-based sources share: the bounds of reading a body, the identity of its
records (one UID each, no record lost silently), optional values read without costing their event."""

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import EventError, SourceError
from ..model import Event, stable_uid
from .common import Parsed, Rejected, clean_text, record_key

# A source never makes calfeed read more than MAX_ROWS rows, items or VEVENTs, nor read for longer than its
# `timeout`: a body within `max_bytes` can still hold a million empty rows (an Excel sheet declares them).
MAX_ROWS = 50_000
T = TypeVar("T")


class Reading:
    """The bounds of reading one source's body: how many rows (items, events) and how long."""

    def __init__(self, source: Any) -> None:
        self.source, self.rows, self.empty = source, 0, 0
        self.deadline = time.monotonic() + source.timeout

    def row(self, empty: bool = False) -> None:
        """Count one more row (an empty one only against the clock); raise SourceError once a bound is
        passed (the last good version stays published)."""
        self.rows += 1
        self.empty += empty
        if self.rows - self.empty > MAX_ROWS:
            raise SourceError(self.source.id, f"plus de {MAX_ROWS} lignes ou événements : lecture arrêtée (limite "
                                              "de calfeed). Scindez la source en plusieurs fichiers.")
        if self.rows % 64 == 0 and time.monotonic() > self.deadline:
            raise SourceError(self.source.id, f"lecture arrêtée après {self.source.timeout:g} s (« timeout » de la "
                                              f"source) à la ligne ou l'événement {self.rows} : allégez la source "
                                              "ou relevez « timeout ».")


@dataclass
class Read:
    """One record of a tabular or JSON source as read: where it is, its raw text (to tell a repeated
    record from a different one), the source's own id for it ("" if none) and the events it gave."""

    where: str
    text: str
    record_id: str
    events: list[Event]


def settle_identities(reads: list[Read], source: Any, parsed: Parsed) -> None:
    """Add the events of `reads` to `parsed`, every natural key once, no record lost silently.

    Records sharing a key under one id of the source: one repeated word for word is read once (with a
    warning naming both); different ones are all rejected, each naming the others, as no rule can tell which
    one the id names (published events under that id keep their last good version). Records without an id
    that agree on title and start (parallel sessions, or one row written twice: the source states two) are
    kept apart, each under a key derived from its own content, so that each keeps its UID read after read."""
    skipped, rejected, renamed = set(), set(), {}
    for members in _linked(reads):
        wheres = ", ".join(reads[i].where for i in members[:5]) + \
            (f" et {len(members) - 5} autre(s)" if len(members) > 5 else "")  # one message per row: kept short
        ids = sorted({reads[i].record_id for i in members if reads[i].record_id})
        if not ids:
            copies: dict[str, int] = {}
            for i in members:  # identical rows are interchangeable: numbering them is stable
                copies[reads[i].text] = copies.get(reads[i].text, 0) + 1
                digest = stable_uid(reads[i].text, str(copies[reads[i].text]))[:12]
                renamed[i] = {event.uid: stable_uid(event.uid, digest, domain=event.uid.partition("@")[2])
                              for event in reads[i].events}
            parsed.warnings.append(Rejected(wheres, "même titre et même début, sans identifiant : publiés comme "
                                                    "des événements distincts (ajoutez une colonne « id » pour des "
                                                    "identifiants stables)"))
            continue
        firsts: dict[str, int] = {}
        for i in members:
            first = firsts.setdefault(reads[i].text, i)
            if first != i:
                skipped.add(i)
                parsed.warnings.append(Rejected(reads[i].where, f"répète à l'identique {reads[first].where} : lu une "
                                                                "seule fois"))
        rest = [i for i in members if i not in skipped]
        shown_ids = " », « ".join(ids[:5]) + (f" » et {len(ids) - 5} autre(s) « …" if len(ids) > 5 else "")
        for i in rest if len(rest) > 1 else ():
            rejected.add(i)
            parsed.rejected.append(Rejected(
                reads[i].where, f"identifiant « {shown_ids} » en double ({wheres}) : chaque événement doit avoir "
                                "son propre identifiant ; corrigez l'un d'eux", record_key(reads[i].record_id or ids[0])))
    for index, read in enumerate(reads):
        if index in skipped or index in rejected:
            continue
        names = renamed.get(index, {})
        parsed.events.extend(dataclasses.replace(event, uid=names[event.uid]) if event.uid in names else event
                             for event in read.events)


def _linked(reads: list[Read]) -> list[list[int]]:
    """The records (by index) that share a UID with another, in groups: linked by any shared UID."""
    owners: dict[str, list[int]] = {}
    for index, read in enumerate(reads):
        for uid in dict.fromkeys(event.uid for event in read.events):
            owners.setdefault(uid, []).append(index)
    group_of = list(range(len(reads)))  # union-find: records linked by any shared UID form one group

    def root(i: int) -> int:
        while group_of[i] != i:
            group_of[i] = group_of[group_of[i]]
            i = group_of[i]
        return i

    for indices in owners.values():
        for other in indices[1:]:
            group_of[root(other)] = root(indices[0])
    groups: dict[int, list[int]] = {}
    for index in range(len(reads)):
        groups.setdefault(root(index), []).append(index)
    return [members for members in groups.values() if len(members) > 1]


def optional_value(read: Callable[[Any], T], value: object, where: str, warnings: list[Rejected],
                   name: str) -> T | None:
    """`read(value)` for an optional cell or field; None with a warning when it cannot be read."""
    if not clean_text(value):
        return None
    try:
        return read(value)
    except EventError as exc:
        warnings.append(Rejected(where, f"{name} : {exc} ; ignoré, l'événement est publié sans lui"))
        return None
