"""Editions of the programme: the current one, the next one announced, the past ones (read from
`sources.yaml`'s « edition: »), and what the site says of them at a given moment."""

import datetime as dt
import re

from .config_schema import to_date
from .config_yaml import Reader
from .taxonomy import Edition


def series_of(name: str) -> str:
    """« Mois de l'innovation publique 2022 » → « Mois de l'innovation publique »: what stays right next year."""
    return re.sub(r"[\s,–—-]*\b(19|20)\d\d$", "", name).strip() or name


def read_editions(r: Reader, edition) -> tuple[Edition, Edition | None, list[Edition]]:
    """The current edition, the next one if announced, the past ones; their dates in order."""
    def read(entry, where: str) -> Edition:
        found = Edition(r.text(entry, "name", "Programme"), to_date(entry.get("start")), to_date(entry.get("end")))
        if found.start and found.end and found.end < found.start:
            r.fail(r.line(entry, "end"), f"« {where}.end » ({found.end}) précède « {where}.start » ({found.start}).")
        return found
    current = read(edition, "edition")
    following = read(edition["next"], "edition.next") if edition.get("next") else None
    if following is not None:
        if not r.text(edition["next"], "name"):
            r.fail(r.line(edition, "next"), "« edition.next » : indiquez le nom de la prochaine édition (name:).")
        if following.start and (current.end or current.start) and following.start <= (current.end or current.start):
            r.fail(r.line(edition["next"], "start"), f"« edition.next.start » ({following.start}) doit suivre la "
                                                      f"fin de l'édition en cours ({current.end or current.start}).")
    past = [read(entry, "edition.past") for entry in edition.get("past") or ()]
    return current, following, past


BEFORE, DURING, AFTER = "avant", "pendant", "apres"


def phase(edition: Edition, today: dt.date) -> str:
    """Where `today` (a date where the programme takes place) stands to the edition: before, during, after.
    An edition without dates is always under way."""
    if edition.start and today < edition.start:
        return BEFORE
    if edition.end and today > edition.end:
        return AFTER
    return DURING
