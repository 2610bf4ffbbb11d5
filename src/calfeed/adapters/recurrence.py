"""Recurrences of one source's events, through `recurring-ical-events`, within calfeed's bounds.

No rule more frequent than hourly, no rule whose filters match no day, a cap on occurrences per event and
per source, a time budget per source; each bound that cuts a rule says so in a warning.
"""

import datetime as dt
import time

import recurring_ical_events
from icalendar import Calendar
from icalendar.prop import vBroken

from .common import Rejected

# An unbounded rule is expanded this far after its first occurrence; an event never makes more than
# MAX_OCCURRENCES occurrences, a source never more than MAX_SOURCE_OCCURRENCES, and expanding a source's
# rules never takes longer than TIME_BUDGET seconds: enough for any programme, and the same on every run.
HORIZON = dt.timedelta(days=5 * 366)
MAX_OCCURRENCES = 1000
MAX_SOURCE_OCCURRENCES = 5000
TIME_BUDGET = 5.0
REFUSED_FREQUENCIES = ("SECONDLY", "MINUTELY")


class Budget:
    """What a source may still spend on recurrences: occurrences and seconds."""

    def __init__(self):
        self.deadline = time.monotonic() + TIME_BUDGET
        self.left = MAX_SOURCE_OCCURRENCES

    @property
    def spent(self) -> bool:
        return self.left <= 0 or time.monotonic() > self.deadline


def budget_reason(budget) -> str:
    if budget.left <= 0:
        return (f"non lu : la source dépasse {MAX_SOURCE_OCCURRENCES} occurrences au total ; "
                "réduisez les règles de répétition (RRULE)")
    return (f"non lu : le calcul des répétitions de la source dépasse {TIME_BUDGET:.0f} s ; "
            "simplifiez les règles de répétition (RRULE)")


def normalise_rules(component, start, where, warnings):
    rules = component.get("RRULE")
    if rules is None:
        return
    kept = []
    for rule in rules if isinstance(rules, list) else [rules]:
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
        count = rule.get("COUNT")
        if count and int(count[0]) <= 0:
            del rule["COUNT"]
            if not rule.get("UNTIL"):
                warnings.append(Rejected(where, f"COUNT={count[0]} invalide : seule la première date est publiée"))
                continue
            warnings.append(Rejected(where, f"COUNT={count[0]} invalide ignoré : la répétition suit UNTIL"))
        if not _can_match(rule, start):
            warnings.append(Rejected(where, f"la règle « {rule.to_ical().decode()} » ne tombe sur aucun jour dans "
                                            "les cinq ans qui suivent le début : seule la première date est publiée"))
            continue
        kept.append(rule)
    del component["RRULE"]
    for rule in kept:
        component.add("RRULE", rule)


def _can_match(rule, start) -> bool:
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


def _window(components):
    """The span expanded for one UID: from its earliest stated start, HORIZON long."""
    starts = []
    for component in components:
        for name in ("DTSTART", "RECURRENCE-ID"):
            if component.get(name) is not None:
                starts.append(component[name].dt)
        for entry in as_list(component.get("RDATE")):
            starts.extend(item.dt[0] if isinstance(item.dt, tuple) else item.dt for item in entry.dts)
    naive = [(s.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(s, dt.datetime)
              else dt.datetime.combine(s, dt.time())) for s in starts]
    first = min(naive) - dt.timedelta(days=1)
    return first, first + HORIZON


def occurrences(components, budget, where, warnings):
    """The occurrences of one UID's components, in order, within the bounds; warn when a bound cuts them."""
    if len(components) == 1 and not any(components[0].get(name) is not None
                                        for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
        # A single event (most events of most sources): its one occurrence, without a query, outside the budget.
        return [recurring_ical_events.Occurrence(recurring_ical_events.EventAdapter(components[0]))]
    calendar = Calendar()
    for component in components:
        calendar.add_component(component)
    query = recurring_ical_events.of(calendar)
    lo, end = _window(components)
    found, seen, span = [], set(), dt.timedelta(days=31)
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
            found = found[:limit]
            break
        if time.monotonic() > budget.deadline:
            warnings.append(Rejected(where, f"répétition coupée après {len(found)} occurrences : le calcul dépasse "
                                            f"le temps alloué à la source ({TIME_BUDGET:.0f} s)"))
            break
        lo, span = hi, span * 2
    budget.left -= len(found)
    return found


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def stamp(value) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def end_zones(components) -> dict:
    """The zone of each component's own DTEND (None: its master's), which may differ from its start's."""
    zones = {}
    for component in components:
        end = component.get("DTEND")
        zone = getattr(end.dt, "tzinfo", None) if end is not None else None
        rid = component.get("RECURRENCE-ID")
        zones[stamp(rid.dt) if rid is not None else None] = zone
    return zones
