"""Editions of the programme: the current one, the next one announced, the past ones (read from
`sources.yaml`'s « edition: »), and what the site says of them at a given moment."""

import datetime as dt
import re
from dataclasses import dataclass
from collections.abc import Collection
from typing import Any

from .config_schema import to_date
from .config_yaml import Reader
from .taxonomy import Edition


@dataclass(frozen=True)
class Editions:
    """sources.yaml's « edition: »: the current edition, the next one if announced, the past ones."""

    current: Edition = Edition("Programme")
    next: Edition | None = None
    past: tuple[Edition, ...] = ()
    series: str = "Programme"  # the programme's name without a year: it ends every calendar's name

    @property
    def all(self) -> tuple[Edition, ...]:
        return tuple(edition for edition in (self.current, self.next, *self.past) if edition)


@dataclass(frozen=True)
class Moves:
    """Addresses that changed: old feed addresses answered by another feed, the service's new address."""

    renamed: tuple[tuple[str, str], ...] = ()  # (old address, the configured feed that answers it)
    to: str = ""  # the service's new public address: every feed carries a notice from `on`
    on: dt.date | None = None


def series_of(name: str) -> str:
    """« Mois de l'innovation publique 2022 » → « Mois de l'innovation publique »: what stays right next year."""
    return re.sub(r"[\s,–—-]*\b(19|20)\d\d$", "", name).strip() or name


def read_editions(r: Reader, edition: dict[Any, Any]) -> Editions:
    """The current edition, the next one if announced, the past ones; their dates in order."""
    def read(entry: dict[Any, Any], where: str) -> Edition:
        found = Edition(r.text(entry, "name", "Programme"), to_date(entry.get("start")), to_date(entry.get("end")))
        if found.start and found.end and found.end < found.start:
            r.note(r.line(entry, "end"), f"« {where}.end » ({found.end}) précède « {where}.start » ({found.start}).")
        return found
    current = read(edition, "edition")
    following = read(edition["next"], "edition.next") if edition.get("next") else None
    if following is not None:
        if not r.text(edition["next"], "name"):
            r.note(r.line(edition, "next"), "« edition.next » : indiquez le nom de la prochaine édition (name:).")
        current_last = current.end or current.start
        if following.start and current_last and following.start <= current_last:
            r.note(r.line(edition["next"], "start"), f"« edition.next.start » ({following.start}) doit suivre la "
                                                      f"fin de l'édition en cours ({current_last}).")
    past = tuple(read(entry, "edition.past") for entry in edition.get("past") or ())
    return Editions(current, following, past, r.text(edition, "series") or series_of(current.name))


BEFORE, DURING, AFTER = "avant", "pendant", "apres"


def phase(edition: Edition, today: dt.date) -> str:
    """Where `today` (a date where the programme takes place) stands to the edition: before, during, after.
    An edition without dates is always under way."""
    if edition.start and today < edition.start:
        return BEFORE
    if edition.end and today > edition.end:
        return AFTER
    return DURING


def read_moves(r: Reader, publish: dict[Any, Any], configured: Collection[str]) -> Moves:
    """`publish.renamed` and `publish.moved_to`/`moved_on` of sources.yaml, checked against the addresses of
    the configured feeds (each mistake names its line)."""
    renamed = r.mapping(publish, "renamed")
    pairs: list[tuple[str, str]] = []
    for old in renamed:
        new, where = r.text(renamed, old), r.line(renamed, old)
        if old in configured:
            r.note(where, f"« publish.renamed » : /feeds/{old} est l'adresse d'un agenda publié ; seule une "
                          "ancienne adresse, qu'aucun agenda n'a plus, peut être renvoyée vers un autre agenda.")
        elif not str(old).endswith(".ics") or new not in configured:
            r.note(where, f"« publish.renamed » : écrivez « ancienne-adresse.ics: nouvelle-adresse.ics », la "
                          f"nouvelle étant un agenda publié (lu : {old} → {new}), par exemple "
                          "« tables-rondes-ditp.ics: tables-rondes.ics » ou « categorie/laboratoires.ics: "
                          "categorie/labs.ics ».")
        else:
            pairs.append((str(old), new))
    moved_to = r.text(publish, "moved_to").rstrip("/")
    moved_on = publish.get("moved_on")
    if moved_to and not moved_on:
        r.note(r.line(publish, "moved_to"), "« publish.moved_to » : indiquez aussi « moved_on: » (AAAA-MM-JJ), le "
                                            "jour du déménagement, daté dans l'avis ajouté à chaque agenda.")
    return Moves(tuple(pairs), moved_to, to_date(moved_on) if moved_to else None)
