"""Small text helpers shared by the domain: slugs, accent-free matching keys, French hours and zones, a
description as HTML."""

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from babel.dates import get_timezone_location
from markupsafe import Markup, escape

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


@lru_cache(maxsize=8192)  # labels repeat across thousands of events
def fold(text: str) -> str:
    """Lower-case `text` and strip its accents: « Écologie » → « ecologie »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def slugify(text: str) -> str:
    """An URL-safe, accent-free slug: « Transition écologique » → « transition-ecologique »."""
    return _NON_ALNUM.sub("-", fold(text).replace("'", " ").replace("’", " ")).strip("-")


def split_list(value: str) -> list[str]:
    """Split a cell holding several labels (« a, b | c ; d ») into clean items."""
    return [part.strip() for part in re.split(r"[,;|]", value) if part.strip()]


# Web addresses in a description, made links; a trailing punctuation mark ends the sentence, not the address.
_ADDRESS = re.compile(r"https?://[^\s<>\"«»]+[^\s<>\"«».,;:!?)\]']")


def paragraphs(text: str | None) -> Markup:
    """A description as HTML: blank lines make paragraphs, a line break stays one, web addresses become links;
    everything else is escaped (a source may write anything). Written here because the one job is this small
    (the maintained sanitisers, such as bleach, are deprecated)."""
    if not text:
        return Markup("")
    blocks = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        pieces, last = [], 0
        for found in _ADDRESS.finditer(block):
            pieces.append(escape(block[last:found.start()]))
            address = escape(found[0])
            pieces.append(Markup(f'<a href="{address}" rel="noopener nofollow">{address}</a>'))
            last = found.end()
        pieces.append(escape(block[last:]))
        html = Markup("").join(pieces)
        blocks.append(Markup("<p>") + Markup("<br>\n").join(html.split("\n")) + Markup("</p>"))
    return Markup("\n").join(blocks)


def french_time(moment: dt.datetime) -> str:
    """« 9 h », « 14 h 30 »: the hour as French text writes it, without a leading zero nor « 00 »."""
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def french_every(delta: dt.timedelta) -> str:
    """« chaque heure », « toutes les 2 heures », « toutes les 30 minutes »."""
    minutes = int(delta.total_seconds() // 60)
    if minutes == 60:
        return "chaque heure"
    return f"toutes les {minutes // 60} heures" if minutes % 60 == 0 else f"toutes les {minutes} minutes"


def zone_name(moment: dt.datetime, timezone: str) -> str:
    """« heure de Cayenne (UTC−3) »: the zone's city as CLDR names it in French, and its offset that day."""
    city = get_timezone_location(timezone, locale="fr", return_city=True)
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"zone_name needs an aware moment, not {moment!r}")
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    shown = ("−" if minutes < 0 else "+") + str(hours) + (f":{rest:02d}" if rest else "") if minutes else ""
    return f"heure de {city} (UTC{shown})"
