"""Reading feeds back in tests: parse what was rendered, never compare to hand-written strings."""

import datetime as dt

from icalendar import Calendar

from calfeed.config import load_config
from calfeed.store import Store


def open_project(path):
    config = load_config(path)
    return config, Store(config.store_path)


def parse_feed(data: bytes) -> dict:
    """UID → VEVENT component of a rendered feed, parsed with icalendar."""
    calendar = Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def utc(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value
