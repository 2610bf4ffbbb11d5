"""Dates as people write them in sources: French day-first dates, month names, weekdays, years left out."""

import datetime as dt
import re

from ..errors import EventError

MONTHS = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12, "décembre": 12,
    # the usual abbreviations (« 21 nov. 2022 »), read once their dot is dropped by `without_month_dots`
    "janv": 1, "fevr": 2, "févr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12, "déc": 12,
}
_MONTH_DOT = re.compile(r"\b(janv|f[eé]vr|avr|juil|sept|oct|nov|d[eé]c)\.")


def without_month_dots(text: str) -> str:
    """« 21 nov. 2022 » → « 21 nov 2022 »: an abbreviated month loses its dot."""
    return _MONTH_DOT.sub(r"\1", text)


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_FRENCH = re.compile(r"^(?:[a-zéû]+\s+)?(\d{1,2})(?:er)?\s+([a-zéû]+)(?:\s+(\d{4}))?$")
WEEKDAYS = {"lundi": 0, "lun": 0, "mardi": 1, "mar": 1, "mercredi": 2, "mer": 2, "jeudi": 3, "jeu": 3,
            "vendredi": 4, "ven": 4, "samedi": 5, "sam": 5, "dimanche": 6, "dim": 6}
_WEEKDAY = re.compile(r"^([a-zé]+)\.?,?\s+(?=\d)")
_WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def parse_date(value: str, year: int | None = None) -> dt.date:
    """A date as French users write it: 18/11/2022, 18-11-22, 2022-11-18, 18 novembre 2022, with or without
    its weekday (« mardi 15/11/2022 », « mar. 15 nov. 2022 »: checked against the date). Without its year
    (« 15/11 », « mardi 15 novembre »), the date takes `year` (the edition's), or is refused."""
    text = without_month_dots(" ".join(str(value or "").split()).lower())
    weekday = None
    if (m := _WEEKDAY.match(text)) and m.group(1) in WEEKDAYS:
        weekday, text = WEEKDAYS[m.group(1)], text[m.end():]
    found: int | None
    if m := _ISO_DATE.match(text):
        found, month, day = map(int, m.groups())
    elif m := _DAY_FIRST.match(text):
        day, month = int(m.group(1)), int(m.group(2))
        found = int(m.group(3)) if m.group(3) else None
        if found is not None and found < 100:
            found += 2000
    elif (m := _FRENCH.match(text)) and m.group(2) in MONTHS:
        day, month = int(m.group(1)), MONTHS[m.group(2)]
        found = int(m.group(3)) if m.group(3) else None
    else:
        raise EventError(f"date illisible « {value} » (attendu : JJ/MM/AAAA ou AAAA-MM-JJ)")
    if found is None:
        if year is None:
            raise EventError(f"date sans année « {value} » : écrivez l'année (JJ/MM/AAAA), ou indiquez les dates "
                             "de l'édition (« edition: start/end » dans sources.yaml, la même année)")
        found = year
    try:
        date = dt.date(found, month, day)
    except ValueError:
        raise EventError(f"date impossible « {value} »") from None
    if weekday is not None and date.weekday() != weekday:
        raise EventError(f"« {value} » : le {date:%d/%m/%Y} est un {_WEEKDAY_NAMES[date.weekday()]}, pas un "
                         f"{_WEEKDAY_NAMES[weekday]} ; corrigez le jour ou la date")
    return date
