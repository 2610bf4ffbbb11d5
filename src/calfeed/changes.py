"""What changed between two versions of an event, and how its description says it to subscribers.

Outlook and Thunderbird do not highlight an updated event: its description ends with the date and
nature of the last change (« Mis à jour le 12 novembre 2026 : nouvel horaire »). publish names the
natures, render writes the line.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .text import MONTHS

# Each nature of change: the event's fields it compares, and the words the description uses.
NATURES = (
    ("horaire", ("start", "end", "timezone"), "nouvel horaire"),
    ("lieu", ("location",), "nouveau lieu"),
    ("titre", ("title",), "nouveau titre"),
    ("statut", ("status",), "nouveau statut"),
    ("acces", ("online_url", "attendance", "registration_url"), "nouvelles modalités d'accès"),
    ("description", ("description",), "description modifiée"),
)
OTHER, BACK = "details", "retour"  # another field changed; an event cancelled by mistake is back
WORDS = {nature: words for nature, _, words in NATURES} | {OTHER: "précisions modifiées",
                                                          BACK: "de nouveau au programme"}
# The last change subscribers are told of: (its date, its natures), or () when the event never changed.
Change = tuple[dt.date, tuple[str, ...]] | tuple[()]


def change_natures(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What changed between two versions of an event (their JSON dicts)."""
    found = [nature for nature, names, _ in NATURES if any(before.get(n) != after.get(n) for n in names)]
    return found or [OTHER]


def change_line(change: Change) -> str:
    """« Mis à jour le 12 novembre 2026 : nouvel horaire, nouveau lieu » for a change (date, natures);
    "" when the event never changed."""
    if not change:
        return ""
    day, natures = change
    words = ", ".join(WORDS.get(nature, nature) for nature in natures)
    first = "1er" if day.day == 1 else str(day.day)
    return f"Mis à jour le {first} {MONTHS[day.month - 1]} {day.year} : {words}"
