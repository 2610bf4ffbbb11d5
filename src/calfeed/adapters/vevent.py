"""One VEVENT's own properties, read leniently: a value written twice gives its first, an unreadable
optional one is dropped with a warning, privacy markers are found wherever servers write them, and one
UID reused by different VEVENTs gives distinct events."""

from collections.abc import Callable
from typing import Any, TypeVar, overload

from icalendar import Component
from icalendar.prop import vBroken

from .common import clean_text, safe_url
from .html import html_to_text
from .parsed import Rejected
from .recurrence import as_list, stamp
from .zones import time_of

# Markers of an event not meant for the public: CLASS (RFC 5545, which says an unknown value is to be
# treated as PRIVATE) and Apple's X-CALENDARSERVER-ACCESS (PRIVATE, CONFIDENTIAL, RESTRICTED; written on
# the VCALENDAR by Apple's Calendar Server and iCloud, on the event by others). Either one, on the event
# or on its calendar, keeps the event out of every feed unless it says PUBLIC.
PRIVACY_MARKERS = ("CLASS", "X-CALENDARSERVER-ACCESS")
Value = TypeVar("Value")


class Properties:
    """The properties of one VEVENT as calfeed reads them, each problem said once in `warnings`."""

    def __init__(self, component: Component, where: str, warnings: list[Rejected]) -> None:
        self.component, self.where, self.warnings = component, where, warnings

    def one(self, name: str) -> Any:
        """A property written once, as RFC 5545 wants; written several times, its first value, said."""
        values = as_list(self.component.get(name))
        if len(values) > 1 and len({raw(value) for value in values}) > 1:
            self.warnings.append(Rejected(self.where, f"{name} écrit {len(values)} fois avec des valeurs différentes : "
                                                      f"la première est gardée (« {raw(values[0])} »)"))
        return values[0] if values else None

    @overload
    def optional(self, name: str, read: Callable[[Any], Value]) -> Value | None: ...
    @overload
    def optional(self, name: str, read: Callable[[Any], Value], default: Value) -> Value: ...
    def optional(self, name: str, read: Callable[[Any], Value], default: Value | None = None) -> Value | None:
        """`read(prop)` for an optional property; `default` with a warning when it cannot be read: one broken
        GEO or LAST-MODIFIED never costs the whole event."""
        prop = self.one(name)
        if prop is None:
            return default
        try:
            if isinstance(prop, vBroken):
                raise ValueError(str(prop))
            return read(prop)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError):
            self.warnings.append(Rejected(self.where, f"{name} illisible ou non publiable « {raw(prop)} » : "
                                                      "propriété ignorée, l'événement est publié sans elle"))
            return default


def private_marker(component: Component) -> str:
    """« CLASS:PRIVATE », « X-CALENDARSERVER-ACCESS:CONFIDENTIAL »… when `component` (an event or its
    calendar) is not public; "" when it is, or says nothing."""
    for name in PRIVACY_MARKERS:
        for value in as_list(component.get(name)):
            to_ical = getattr(value, "to_ical", None)
            text = clean_text(to_ical().decode("utf-8", "replace") if to_ical else value)
            if text and text.upper() != "PUBLIC":
                return f"{name}:{text.upper()[:30]}"
    return ""


def raw(prop: object) -> str:
    """A property's value as the source wrote it (shortened), for a message."""
    value = prop[0] if isinstance(prop, list) else prop
    to_ical = None if isinstance(value, vBroken) else getattr(value, "to_ical", None)
    try:
        text = to_ical() if to_ical else str(value)
    except (ValueError, TypeError, AttributeError):
        text = str(value)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return clean_text(text)[:60]


def geo_of(latitude: float | str, longitude: float | str) -> tuple[float, float]:
    """GEO as calfeed keeps it: both coordinates within bounds, or a ValueError."""
    if not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
        raise ValueError("coordonnées hors limites")
    return float(latitude), float(longitude)


def link_of(text: str) -> str:
    """A web link of the event, or a ValueError when it is not one calfeed may publish."""
    if clean_text(text) and not safe_url(text):
        raise ValueError(text)
    return text


def description_of(component: Component, description: object) -> str:
    """The description as readable text: Outlook's HTML version (X-ALT-DESC) keeps links, so it comes first."""
    for alternative in as_list(component.get("X-ALT-DESC")):
        if "html" in str(getattr(alternative, "params", {}).get("FMTTYPE", "")).lower():
            text = html_to_text(str(alternative))
            if text:
                return text
    return html_to_text(str(description or ""))


def split_reused_uids(groups: dict[str, list[Component]], warnings: list[Rejected]) -> None:
    """Several different VEVENTs under one UID, none of them an override (RECURRENCE-ID) nor a newer
    version (a higher SEQUENCE) of the others: a producer that numbers a series' dates with one UID. Each is
    its own event, under `<UID>-<start>` as an occurrence of a series would be; a VEVENT written twice
    word for word is one. Left to the recurrence library, all but one were dropped without a word."""
    for uid, components in list(groups.items()):
        if len(components) < 2 or any(c.get("RECURRENCE-ID") is not None for c in components):
            continue
        top = max(_sequence(c) for c in components)
        latest = list({c.to_ical(): c for c in components if _sequence(c) == top}.values())
        if len(latest) < 2:
            groups[uid] = latest
            continue
        del groups[uid]
        for component in latest:
            key = f"{uid}-{stamp(time_of(component, 'DTSTART'))}"
            key = key if key not in groups else f"{key}-{sum(k.startswith(key) for k in groups) + 1}"
            groups[key] = [component]
        warnings.append(Rejected(f"VEVENT UID {uid}", f"UID porté par {len(latest)} VEVENT différents (ni "
                                                      "RECURRENCE-ID ni SEQUENCE pour les départager) : publiés comme "
                                                      "autant d'événements distincts"))


def _sequence(component: Component) -> int:
    try:
        return int(component.get("SEQUENCE") or 0)
    except (TypeError, ValueError):
        return 0
