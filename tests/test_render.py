"""The renderer: what every client needs in the bytes, checked by parsing them back."""

import datetime as dt
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar

from calfeed.feeds import feed_bytes
from calfeed.model import Event, Location
from calfeed.addresses import Feed, FeedRequest
from calfeed.selection import Item, Programme
from calfeed.render import FeedHeader, Publication, render_calendar, render_event
from calfeed.vtimezone import vtimezone
from helpers import open_project, parse_feed

PARIS = ZoneInfo("Europe/Paris")
STAMP = Publication(2, dt.datetime(2022, 11, 8, 9, 30, tzinfo=dt.UTC))


def make_event(**changes):
    values = dict(uid="essai@calfeed", title="Atelier", start=dt.datetime(2022, 6, 14, 14, tzinfo=PARIS),
                  end=dt.datetime(2022, 6, 14, 16, tzinfo=PARIS), source="s", category="labs",
                  themes=("transition-ecologique",), attendance="hybride", event_type="atelier",
                  location=Location(name="Lab", city="Rennes", postal_code="35000", region="bretagne"),
                  online_url="https://visio.example/a", url="https://lab.example/a",
                  registration_url="https://lab.example/inscription", organiser="Ti Lab")
    values.update(changes)
    return Event(**values)


def feed_of(config, events, publication=STAMP, **options):
    items = [Item(e, publication, render_event(e, publication, config.taxonomy)) for e in events]
    feed = Feed("essai.ics", "tous", "essai", "Essai, avec; des « signes »", "Description\nsur deux lignes")
    programme = Programme(0, tuple(items), STAMP.modified)
    request = FeedRequest(feed, options.get("subscription", True), options.get("alarm", 0))
    return feed_bytes(config, programme, request), items


def test_vtimezone_uses_rrule_observances_sorted():
    text = vtimezone("Europe/Paris", 2022).to_ical().decode()
    assert "RDATE" not in text
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3") == 1
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10") == 1
    assert text.index("BEGIN:DAYLIGHT") < text.index("BEGIN:STANDARD")  # sorted by onset
    assert vtimezone("Indian/Reunion", 2022).to_ical().decode().count("TZOFFSETTO:+0400") == 1


def test_summer_event_is_at_the_right_hour_for_a_vtimezone_reader(project):
    """vobject builds its zone from the file's VTIMEZONE, as Thunderbird does."""
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    body, _ = feed_of(config, [make_event()])
    parsed = vobject.readOne(body.decode())
    start = parsed.vevent.dtstart.value
    assert start.astimezone(dt.UTC) == dt.datetime(2022, 6, 14, 12, tzinfo=dt.UTC)


def test_text_is_escaped_folded_and_crlf(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    title = "Titre\r\nEND:VEVENT\r\nBEGIN:VEVENT; avec, virgules \\ et « émojis » 🎉🇫🇷 " + "é" * 80
    body, _ = feed_of(config, [make_event(title=title, description="ligne 1\nligne 2; a, b \\ c")])
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # a fold never splits a UTF-8 character
    assert lines.count(b"BEGIN:VEVENT") == 1 and lines.count(b"END:VEVENT") == 1
    event = parse_feed(body)["essai@calfeed"]
    assert str(event["SUMMARY"]) == title.replace("\r\n", "\n")
    assert str(event["DESCRIPTION"]).startswith("ligne 1\nligne 2; a, b \\ c")
    calendar = Calendar.from_ical(body)
    # icalendar leaves X- properties escaped when reading; unescape them as clients do
    name = str(calendar["X-WR-CALNAME"]).replace("\\,", ",").replace("\\;", ";")
    assert name == "Essai, avec; des « signes »"
    assert b"X-WR-CALNAME:Essai\\, avec\\; des" in body


def test_links_reach_outlook_through_the_description(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    body, _ = feed_of(config, [make_event()])
    event = parse_feed(body)["essai@calfeed"]
    description = str(event["DESCRIPTION"])
    for link in ("https://visio.example/a", "https://lab.example/a", "https://lab.example/inscription"):
        assert link in description
    assert str(event["CONFERENCE"]) == "https://visio.example/a"
    assert event["CONFERENCE"].params["FEATURE"] == "VIDEO"
    assert str(event["URL"]) == "https://lab.example/a"
    assert str(event["TRANSP"]) == "TRANSPARENT" and str(event["X-MICROSOFT-CDO-BUSYSTATUS"]) == "FREE"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Laboratoires d'innovation territoriale",
                                                         "Transition écologique"]
    assert "Rennes" in str(event["LOCATION"]) and "Bretagne" in str(event["LOCATION"])
    assert event["SEQUENCE"] == 2
    assert event["DTSTAMP"].dt == STAMP.modified == event["LAST-MODIFIED"].dt


def test_status_prefixes_and_cancellation(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    statuses = {"annule": ("ANNULÉ – ", "CANCELLED"), "reporte": ("REPORTÉ – ", "TENTATIVE"),
                "en-ligne": ("EN LIGNE – ", "CONFIRMED"), "complet": ("COMPLET – ", "CONFIRMED")}
    for status, (prefix, ical_status) in statuses.items():
        body, _ = feed_of(config, [make_event(status=status)])
        event = parse_feed(body)["essai@calfeed"]
        assert str(event["SUMMARY"]) == prefix + "Atelier"
        assert str(event["STATUS"]) == ical_status
    vanished = Publication(3, STAMP.modified, vanished=True)
    body, _ = feed_of(config, [make_event()], publication=vanished)
    event = parse_feed(body)["essai@calfeed"]
    assert str(event["SUMMARY"]).startswith("ANNULÉ – ") and str(event["STATUS"]) == "CANCELLED"
    assert "retiré du programme" in str(event["DESCRIPTION"])
    assert "CONFERENCE" not in event  # nobody should join a cancelled event


def test_all_day_events_use_value_date_with_exclusive_end(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    event = make_event(start=dt.date(2022, 11, 24), end=dt.date(2022, 11, 26))
    body, _ = feed_of(config, [event])
    assert b"DTSTART;VALUE=DATE:20221124\r\n" in body and b"DTEND;VALUE=DATE:20221126\r\n" in body
    assert b"BEGIN:VTIMEZONE" not in body  # no TZID used, none declared


def test_every_tzid_has_its_vtimezone(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    reunion = ZoneInfo("Indian/Reunion")
    events = [make_event(), make_event(uid="r@x", timezone="Indian/Reunion",
                                       start=dt.datetime(2022, 11, 15, 9, tzinfo=reunion),
                                       end=dt.datetime(2022, 11, 15, 12, tzinfo=reunion))]
    body, _ = feed_of(config, events)
    calendar = Calendar.from_ical(body)
    declared = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {e["DTSTART"].params.get("TZID") for e in calendar.walk("VEVENT")}
    assert declared == used == {"Europe/Paris", "Indian/Reunion"}


def test_assembled_feed_equals_the_plain_renderer(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    events = [make_event(), make_event(uid="b@x", status="annule", start=dt.date(2022, 11, 3),
                                       end=dt.date(2022, 11, 4))]
    for subscription in (True, False):
        for alarm in (0, 30):
            body, items = feed_of(config, events, subscription=subscription, alarm=alarm)
            header = FeedHeader("Essai, avec; des « signes »", "Description\nsur deux lignes", config.timezone,
                                config.refresh, "", subscription)
            plain = render_calendar(header, [(i.event, i.publication) for i in items], config.taxonomy,
                                    alarm_minutes=alarm)
            assert body == plain


def test_import_variant_has_no_calendar_name_nor_refresh(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    subscribed, _ = feed_of(config, [make_event()])
    imported, _ = feed_of(config, [make_event()], subscription=False)
    for prop in (b"X-WR-CALNAME", b"REFRESH-INTERVAL", b"X-PUBLISHED-TTL", b"\r\nNAME:"):
        assert prop in subscribed and prop not in imported
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in subscribed and b"X-PUBLISHED-TTL:PT1H\r\n" in subscribed
    assert parse_feed(imported).keys() == parse_feed(subscribed).keys()


def test_alarm_variant_adds_a_valarm(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    body, _ = feed_of(config, [make_event()], alarm=30)
    alarms = parse_feed(body)["essai@calfeed"].walk("VALARM")
    assert len(alarms) == 1 and alarms[0]["TRIGGER"].dt == -dt.timedelta(minutes=30)


def test_fast_renderer_writes_what_icalendar_writes(project):
    """render_event writes VEVENTs directly; they must be icalendar's bytes, to the octet."""
    import random
    import sys
    from pathlib import Path

    from calfeed.adapters import parse_source
    from calfeed.render import event_component
    from test_clients import SAMPLES
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from synthetic import write_programme

    path = project(SAMPLES, files=[s["path"] for s in SAMPLES])
    config, _ = open_project(path)
    events = []
    for source in config.sources:
        events += parse_source(source.path.read_bytes(), source, config.taxonomy).events
    synthetic = load_synthetic(write_programme(path.parent / "synthetique", 300), write_programme)
    events += synthetic
    rng = random.Random(7)
    pieces = ["é", "🎉", "\\", "\\N", "^", ";", ",", ":", "\n", "«", "»", "a", " ", "ç" * 3, "x" * 70, "\\n"]
    for n in range(300):
        title = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 60))).strip() or "t"
        events.append(make_event(uid=f"u{n},x;y@z", title=title, description=title * rng.randrange(0, 4),
                                 location=Location(name=title[:40], city="Brest"),
                                 online_url=rng.choice(["", "https://v.example/a?x=1,2;3"])))
    assert len(events) > 600
    for number, event in enumerate(events):
        for publication in (STAMP, Publication(number, STAMP.modified, vanished=number % 5 == 0)):
            assert render_event(event, publication, config.taxonomy) == \
                event_component(event, publication, config.taxonomy).to_ical(), event.uid


def load_synthetic(sources_path, _):
    from calfeed.adapters import parse_source
    config, _store = open_project(sources_path)
    source = config.sources[0]
    return parse_source(source.path.read_bytes(), source, config.taxonomy).events
