"""Recurrences of one source's events, through `recurring-ical-events`, within calfeed's bounds.

No rule more frequent than hourly (nor more than 24 times a day through BYHOUR, BYMINUTE, BYSECOND), no
INTERVAL below 1, no rule whose filters match no day, a cap on occurrences per event and per source, on the
dates an event lists (RDATE, EXDATE), and a clock on each expansion *while it runs* (`interrupt.deadline`): each bound
that cuts a rule says so in a warning; an event whose expansion overruns its time is rejected alone.
"""

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from typing import TypeAlias, TypeVar

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.prop import vBroken, vRecur

from ..errors import EventError
from ..model import LATEST
from .common import Rejected
from .interrupt import Overrun, deadline

# An unbounded rule is expanded this far after its first occurrence; an event never makes more than
# MAX_OCCURRENCES occurrences, a source never more than MAX_SOURCE_OCCURRENCES, and expanding a source's
# rules never takes longer than TIME_BUDGET seconds: enough for any programme, and the same on every run.
HORIZON = dt.timedelta(days=5 * 366)
MAX_OCCURRENCES = 1000
MAX_SOURCE_OCCURRENCES = 5000
TIME_BUDGET = 5.0
# One event's expansion never runs longer than this (wall clock), whatever the library does inside.
EVENT_TIME_LIMIT = 2.0
# An event listing more dates than this (RDATE and EXDATE values together) is not read.
MAX_LISTED_DATES = 10 * MAX_OCCURRENCES
MAX_PER_DAY = 24
MAX_RULES = 10
REFUSED_FREQUENCIES = ("SECONDLY", "MINUTELY")
# One occurrence as recurring-ical-events gives it (a library without type hints).
Occurrence: TypeAlias = recurring_ical_events.Occurrence
Value = TypeVar("Value")


class Budget:
    """What a source may still spend on recurrences: occurrences and seconds."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_BUDGET
        self.left = MAX_SOURCE_OCCURRENCES

    @property
    def spent(self) -> bool:
        return self.left <= 0 or time.monotonic() > self.deadline


def budget_reason(budget: Budget) -> str:
    if budget.left <= 0:
        return (f"non lu : la source dépasse {MAX_SOURCE_OCCURRENCES} occurrences au total ; "
                "réduisez les règles de répétition (RRULE)")
    return (f"non lu : le calcul des répétitions de la source dépasse {TIME_BUDGET:.0f} s ; "
            "simplifiez les règles de répétition (RRULE)")


def normalise_rules(component: Component, start: dt.date, where: str, warnings: list[Rejected]) -> None:
    rules = component.get("RRULE")
    if rules is None:
        return
    rules = rules if isinstance(rules, list) else [rules]
    if len(rules) > MAX_RULES:  # RFC 5545 wants one; each may give MAX_PER_DAY occurrences a day
        raise EventError(f"{len(rules)} règles de répétition (RRULE), plus que la borne de calfeed ({MAX_RULES} par "
                         "événement) : fusionnez-les ou découpez l'événement")
    kept = []
    for rule in rules:
        if isinstance(rule, vBroken):
            warnings.append(Rejected(where, f"règle de répétition illisible « {rule} » ignorée : "
                                            "seule la première date est publiée"))
            continue
        if not rule or not rule.get("FREQ"):
            continue  # an empty RRULE line (some providers write one): a single event
        frequency = str(rule["FREQ"][0]).upper()
        if frequency in REFUSED_FREQUENCIES:
            warnings.append(Rejected(where, f"répétition trop fréquente (FREQ={frequency}) refusée : seule la "
                                            "première date est publiée"))
            continue
        invalid = _invalid_value(rule)
        if invalid:
            warnings.append(Rejected(where, f"{invalid} : seule la première date est publiée ; corrigez la règle RRULE"))
            continue
        per_day = _per_day(rule, frequency)
        if per_day > MAX_PER_DAY:
            warnings.append(Rejected(where, f"répétition trop fréquente ({per_day} fois par jour par BYHOUR, BYMINUTE "
                                            f"et BYSECOND ; calfeed en accepte {MAX_PER_DAY} au plus) refusée : seule "
                                            "la première date est publiée"))
            continue
        count = rule.get("COUNT")
        if count and int(count[0]) <= 0:
            del rule["COUNT"]
            if not rule.get("UNTIL"):
                warnings.append(Rejected(where, f"COUNT={count[0]} invalide : seule la première date est publiée"))
                continue
            warnings.append(Rejected(where, f"COUNT={count[0]} invalide ignoré : la répétition suit UNTIL"))
        if not _can_match(rule, start) or not _can_select(rule, frequency):
            warnings.append(Rejected(where, f"la règle « {rule.to_ical().decode()} » ne tombe sur aucun jour dans "
                                            "les cinq ans qui suivent le début : seule la première date est publiée"))
            continue
        kept.append(rule)
    del component["RRULE"]
    for rule in kept:
        component.add("RRULE", rule)


def _invalid_value(rule: vRecur) -> str | None:
    """A value RFC 5545 does not allow, that dateutil mishandles: INTERVAL=0 repeats the first date forever
    (a negative one is refused), BYSETPOS=0 is refused with an unrelated message (« UNTIL parameter is missing »)."""
    interval = rule.get("INTERVAL")
    if interval and int(interval[0]) < 1:
        return f"INTERVAL={interval[0]} invalide (RFC 5545 : un entier à partir de 1)"
    if 0 in [int(position) for position in rule.get("BYSETPOS") or ()]:
        return "BYSETPOS=0 invalide (RFC 5545 : de 1 à 366, ou de -366 à -1)"
    return None


def _per_day(rule: vRecur, frequency: str) -> int:
    """How many times a day the rule may occur at most: its hours × its minutes × its seconds."""
    minutes_seconds = len(rule.get("BYMINUTE") or [0]) * len(rule.get("BYSECOND") or [0])
    if frequency == "HOURLY":
        interval = int((rule.get("INTERVAL") or [1])[0])
        hours = len(rule.get("BYHOUR") or ()) or -(-24 // interval)
        # Two times in one hour are closer than hourly, whatever the day count
        return minutes_seconds * hours if minutes_seconds == 1 else max(minutes_seconds * hours, MAX_PER_DAY + 1)
    return len(rule.get("BYHOUR") or [0]) * minutes_seconds


def _can_select(rule: vRecur, frequency: str) -> bool:
    """Whether some BYSETPOS value may select an occurrence: the set of one period holds at most this many.

    dateutil, asked for a position past every period's set (BYSETPOS=10 with BYDAY=MO in a month), searches
    until the year 9999 before answering, as for day filters no day passes.
    """
    positions = [abs(int(p)) for p in rule.get("BYSETPOS") or ()]
    if not positions:
        return True
    months, weekdays = len(rule.get("BYMONTH") or ()), len(rule.get("BYDAY") or ())
    days = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7}.get(frequency, 1)
    caps = [days]
    if weekdays and frequency in ("YEARLY", "MONTHLY"):
        caps.append(5 * weekdays * (months or 12) if frequency == "YEARLY" and months else
                    (53 if frequency == "YEARLY" else 5) * weekdays)
    if weekdays and frequency == "WEEKLY":
        caps.append(weekdays)
    if rule.get("BYMONTHDAY") and frequency in ("YEARLY", "MONTHLY"):
        caps.append(len(rule["BYMONTHDAY"]) * ((months or 12) if frequency == "YEARLY" else 1))
    if rule.get("BYYEARDAY") and frequency == "YEARLY":
        caps.append(len(rule["BYYEARDAY"]))
    times = len(rule.get("BYMINUTE") or [0]) * len(rule.get("BYSECOND") or [0])
    if frequency != "HOURLY":
        times *= len(rule.get("BYHOUR") or [0])
    return min(positions) <= min(caps) * times


def check_listed_dates(component: Component, title: str) -> None:
    """Refuse an event that lists more dates than calfeed reads (a flood of RDATE or EXDATE values)."""
    listed = sum(len(entry.dts) for name in ("RDATE", "EXDATE") for entry in as_list(component.get(name))
                 if not isinstance(entry, vBroken))
    if listed > MAX_LISTED_DATES:
        raise EventError(f"« {title} » : {listed} dates listées (RDATE, EXDATE), plus que la borne de calfeed "
                         f"({MAX_LISTED_DATES} par événement) ; découpez l'événement ou réduisez ses dates")


def _can_match(rule: vRecur, start: dt.date) -> bool:
    """Whether any day of the horizon passes the rule's day filters (a superset of the rule's days).

    Written here because dateutil, asked for a rule whose filters no day passes (BYMONTH=2;BYMONTHDAY=30),
    searches until the year 9999 before answering: seconds of CPU for nothing.
    """
    months = {int(m) for m in rule.get("BYMONTH") or ()}
    month_days = {int(d) for d in rule.get("BYMONTHDAY") or ()}
    year_days = {int(d) for d in rule.get("BYYEARDAY") or ()}
    weekdays = {str(d)[-2:].upper() for d in rule.get("BYDAY") or ()}
    if not (months or month_days or year_days or weekdays):
        return True
    names = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    day = start if not isinstance(start, dt.datetime) else start.date()
    for _ in range(HORIZON.days + 1):
        if (not months or day.month in months) and (not weekdays or names[day.weekday()] in weekdays):
            month_length = ((day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day
            year_length = 366 if (day.year % 4 == 0 and day.year % 100 != 0) or day.year % 400 == 0 else 365
            yday = day.timetuple().tm_yday
            if (not month_days or day.day in month_days or day.day - month_length - 1 in month_days) and \
                    (not year_days or yday in year_days or yday - year_length - 1 in year_days):
                return True
        day += dt.timedelta(days=1)
    return False


def _window(components: Iterable[Component]) -> tuple[dt.datetime, dt.datetime]:
    """The span expanded for one UID: from its earliest stated start, HORIZON long."""
    starts: list[dt.date] = []
    for component in components:
        for name in ("DTSTART", "RECURRENCE-ID"):
            if (prop := component.get(name)) is not None:
                starts.append(prop.dt)
        for entry in as_list(component.get("RDATE")):
            starts.extend(item.dt[0] if isinstance(item.dt, tuple) else item.dt for item in entry.dts)
    naive = [(s.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(s, dt.datetime)
              else dt.datetime.combine(s, dt.time())) for s in starts]
    first = min(naive) - dt.timedelta(days=1)
    return first, first + min(HORIZON, LATEST.replace(tzinfo=None) - first)


def occurrences(components: Sequence[Component], budget: Budget, where: str, warnings: list[Rejected],
                title: str = "") -> list[Occurrence]:
    """The occurrences of one UID's components, in order, within the bounds; warn when a bound cuts them.

    The expansion runs under `deadline`: EVENT_TIME_LIMIT, or what is left of the source's budget. An event
    whose expansion overruns raises EventError (the event is rejected, the source's other events publish).
    """
    if len(components) == 1 and not any(components[0].get(name) is not None
                                        for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
        # A single event (most events of most sources): its one occurrence, without a query, outside the budget.
        return [recurring_ical_events.Occurrence(recurring_ical_events.EventAdapter(components[0]))]
    limit = max(0.0, min(EVENT_TIME_LIMIT, budget.deadline - time.monotonic()))
    try:
        with deadline(limit):
            found = _expand(components, budget, where, warnings)
    except Overrun:
        name = f"« {title} » : " if title else ""
        raise EventError(f"{name}le calcul des répétitions dépasse {_seconds(limit)} s (borne de calfeed : "
                         f"{_seconds(EVENT_TIME_LIMIT)} s par événement, {TIME_BUDGET:.0f} s par source) : événement "
                         "non publié ; simplifiez sa règle RRULE") from None
    budget.left -= len(found)
    return found


def _seconds(value: float) -> str:
    """Seconds as a French reader writes them: 2, 0,3."""
    return f"{round(value, 1):g}".replace(".", ",") if value >= 0.1 else f"{value:.2f}".replace(".", ",")


def _expand(components: Sequence[Component], budget: Budget, where: str,
            warnings: list[Rejected]) -> list[Occurrence]:
    calendar = Calendar()
    for component in components:
        calendar.add_component(component)
    query = recurring_ical_events.of(calendar)
    lo, end = _window(components)
    found: list[Occurrence] = []
    seen: set[object] = set()
    span = dt.timedelta(days=31)
    while lo < end:
        hi = min(lo + span, end)
        for series in query.series:
            for occurrence in sorted(series.between(lo, hi)):
                if occurrence.id in seen:
                    continue
                seen.add(occurrence.id)
                found.append(occurrence)
        if len(found) > MAX_OCCURRENCES or len(found) > budget.left:
            limit = min(MAX_OCCURRENCES, budget.left)
            warnings.append(Rejected(where, f"répétition coupée après {limit} occurrences (plafond de calfeed : "
                                            f"{MAX_OCCURRENCES} par événement, {MAX_SOURCE_OCCURRENCES} par source)"))
            return found[:limit]
        # No rule gives more than MAX_PER_DAY a day: a window never holds more than span × MAX_PER_DAY each
        lo = hi
        if len(found) < MAX_OCCURRENCES // 4:
            span *= 2
    if end < LATEST.replace(tzinfo=None) and any(any(True for _ in series.between(end, end + dt.timedelta(days=366)))
                                                 for series in query.series):
        warnings.append(Rejected(where, f"répétition publiée jusqu'au {end:%d/%m/%Y} seulement : la règle continue "
                                        "au-delà (plafond de calfeed : cinq ans à partir de la première date)"))
    return found


def as_list(value: Value | list[Value] | None) -> list[Value]:
    """A property written once or several times (icalendar gives a list then), as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def stamp(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def end_zones(components: Iterable[Component]) -> dict[str | None, dt.tzinfo | None]:
    """The zone of each component's own DTEND (None: its master's), which may differ from its start's."""
    zones: dict[str | None, dt.tzinfo | None] = {}
    for component in components:
        end = component.get("DTEND")
        zone = getattr(end.dt, "tzinfo", None) if end is not None else None
        rid = component.get("RECURRENCE-ID")
        zones[stamp(rid.dt) if rid is not None else None] = zone
    return zones
