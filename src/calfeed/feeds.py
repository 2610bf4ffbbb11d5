"""A feed's bytes: a calendar header, then the pre-rendered events its selection holds.

The live app and the static build both answer a `FeedRequest` through `feed_chunks`: one path.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import Protocol

from .addresses import FeedRequest, Notice
from .model import SILENT_STATUSES, Event
from .render import (FeedHeader, Publication, alarm_component, assemble_chunks, render_event, render_header,
                     with_alarm, zones_needed)
from .selection import Item, Programme
from .taxonomy import Taxonomy

NOTICE_DAYS = dt.timedelta(days=7)


class Config(Protocol):
    """What a feed's bytes take from the configuration (config.Config, of a higher layer)."""

    @property
    def base_url(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def refresh(self) -> dt.timedelta: ...
    @property
    def edition_start(self) -> dt.date | None: ...
    @property
    def taxonomy(self) -> Taxonomy: ...

ZONES_KEPT = 256


@lru_cache(maxsize=512)
def _header_bytes(header: FeedHeader, zones: tuple[tuple[str, int], ...]) -> bytes:
    return render_header(header, dict(zones))


@lru_cache(maxsize=32)
def _alarm_bytes(minutes: int, all_day: bool) -> bytes:
    return alarm_component(minutes, all_day).to_ical()


def _reminded(selected: Iterable[Item], minutes: int) -> Iterator[bytes]:
    """The events with their reminder, where one should ring (never for model.SILENT_STATUSES)."""
    for item in selected:
        silent = item.status in SILENT_STATUSES
        yield item.vevent if silent else with_alarm(item.vevent, _alarm_bytes(minutes, item.event.all_day))


def _zones(programme: Programme, selected: Sequence[Item]) -> tuple[tuple[str, int], ...]:
    """The VTIMEZONEs a selection needs, found once per selection of this programme version (both
    variants of a feed, and every request for it, hold the same events)."""
    memo = programme.memo.setdefault("zones", {})
    found = memo.get(id(selected))
    if found is None or found[0] is not selected:  # an id is only reused once its selection is gone
        if len(memo) >= ZONES_KEPT:
            memo.clear()  # ad-hoc selections are unbounded; memory must not be
        found = memo[id(selected)] = (selected, tuple(sorted(zones_needed(item.event for item in selected).items())))
    return found[1]


def feed_header(config: Config, request: FeedRequest) -> FeedHeader:
    feed = request.feed
    url = f"{config.base_url}/feeds/{feed.path}" if config.base_url else ""
    return FeedHeader(feed.name, feed.description, config.timezone, config.refresh, url, request.subscription)


def notice_bytes(config: Config, notice: Notice) -> bytes:
    """The VEVENT of a notice: an all-day event of a week, rendered like any event (deterministic: dated
    by the notice's day, never by the clock)."""
    event = Event(uid=notice.uid, title=notice.title, start=notice.day, end=notice.day + NOTICE_DAYS,
                  source="calfeed", timezone=config.timezone, description=notice.text, url=notice.url,
                  category="Avis aux abonnés")
    stamp = dt.datetime.combine(notice.day, dt.time(), dt.UTC)
    return render_event(event, Publication(0, stamp), config.taxonomy)


def feed_chunks(config: Config, programme: Programme, request: FeedRequest) -> Iterator[bytes]:
    """The feed's bytes, piece by piece: a header, then the pre-rendered VEVENTs it selects (and the
    feed's notice, if its address is no longer the one to use)."""
    selected = programme.select(request.feed.filters)
    zones = _zones(programme, selected)
    if not selected:
        # RFC 5545 wants at least one component in a calendar: an empty feed carries its zone. Every
        # client clientcheck runs (8 parsers and Thunderbird) reads such a calendar without error.
        zones = ((config.timezone, config.edition_start.year if config.edition_start else 2000),)
    head = _header_bytes(feed_header(config, request), zones)
    vevents = _reminded(selected, request.alarm) if request.alarm else (item.vevent for item in selected)
    if request.feed.notice:  # a notice (the feed moved) rings no reminder
        vevents = chain((notice_bytes(config, request.feed.notice),), vevents)
    return assemble_chunks(head, vevents)


def feed_bytes(config: Config, programme: Programme, request: FeedRequest) -> bytes:
    """The feed's bytes, whole."""
    return b"".join(feed_chunks(config, programme, request))


# Google Calendar stops reading a subscribed calendar at about 1 MB: `check` warns from this size on.
FEED_SIZE_WARNING = 900 * 1024


def large_feeds(config: Config, programme: Programme,
                static_feeds: Iterable[tuple[str, FeedRequest]]) -> list[tuple[str, int]]:
    """The subscribed feeds (path, size in bytes) that near the size Google Calendar stops reading."""
    found: list[tuple[str, int]] = []
    for path, request in static_feeds:
        if request.subscription:
            size = sum(len(chunk) for chunk in feed_chunks(config, programme, request))
            if size >= FEED_SIZE_WARNING:
                found.append((path, size))
    return found
