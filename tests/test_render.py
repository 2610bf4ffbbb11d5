"""The renderer: what every client needs in the bytes, checked by parsing them back."""

import datetime as dt
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar, Event as VEvent, vText

from calfeed.feeds import feed_bytes
from calfeed.model import Event, Location
from calfeed.addresses import Feed, FeedRequest
from calfeed.render import TITLE_PREFIX, FeedHeader, Publication, render_calendar, render_event
from calfeed.selection import Item, Programme
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
                                                         "Transition écologique", "Mois de l'innovation publique 2022"]
    assert description.startswith("Mois de l'innovation publique 2022\n")  # the calendar's name has no year
    assert "Rennes" in str(event["LOCATION"]) and "Bretagne" in str(event["LOCATION"])
    assert event["SEQUENCE"] == 2
    assert event["DTSTAMP"].dt == STAMP.modified == event["LAST-MODIFIED"].dt


def test_location_says_each_part_of_the_address_once(project):
    # OpenAgenda's `address` usually holds the whole address: the place's name and the town are already in it.
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    arles = Location(name="Place de la République", address="Place de la République, 13200 Arles", city="Arles",
                     postal_code="13200", region="provence-alpes-cote-d-azur")
    rennes = Location(name="Lab", address="1 rue du Labrador", city="Rennes", postal_code="35000")
    body, _ = feed_of(config, [make_event(uid="a", location=arles, attendance="presentiel"),
                               make_event(uid="b", location=rennes, attendance="presentiel")])
    events = parse_feed(body)
    assert str(events["a"]["LOCATION"]) == "Place de la République, 13200 Arles, Provence-Alpes-Côte d'Azur"
    assert str(events["b"]["LOCATION"]) == "Lab, 1 rue du Labrador, 35000 Rennes"  # « Lab » is a name of its own


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


def test_an_event_at_one_instant_has_no_dtend(project):
    # A spreadsheet that gives only « 14h »: the event starts then and has no length; DTEND equal to DTSTART
    # breaks RFC 5545 (DTEND must be later), so it is left out, which means the same to every client.
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    start = dt.datetime(2022, 11, 25, 14, tzinfo=PARIS)
    body, _ = feed_of(config, [make_event(start=start, end=start)])
    event = parse_feed(body)["essai@calfeed"]
    assert event["DTSTART"].dt == start and "DTEND" not in event and "DURATION" not in event


def test_every_tzid_has_its_vtimezone(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    reunion = ZoneInfo("Indian/Reunion")
    events = [make_event(), make_event(uid="r@x", timezone="Indian/Reunion",
                                       start=dt.datetime(2022, 11, 15, 9, tzinfo=reunion),
                                       end=dt.datetime(2022, 11, 15, 12, tzinfo=reunion))]
    body, _ = feed_of(config, events)
    calendar = Calendar.from_ical(body)
    declared = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {e[name].params.get("TZID") for e in calendar.walk("VEVENT") for name in ("DTSTART", "DTEND")}
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


def test_reminders_skip_cancelled_events_and_ring_all_day_ones_at_nine_the_day_before(project):
    """`?rappel=30` on an all-day event would ring at 23:30 the evening before (its start is midnight):
    it rings at 9 h the day before; a cancelled or postponed event rings at no time."""
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    day = dt.date(2022, 11, 16)
    events = [make_event(uid="jour@calfeed", start=day, end=day + dt.timedelta(days=1)),
              make_event(uid="annule@calfeed", status="annule"), make_event(uid="reporte@calfeed", status="reporte"),
              make_event(uid="heure@calfeed")]
    for minutes, all_day_trigger in ((30, dt.timedelta(hours=-15)), (2 * 24 * 60, dt.timedelta(days=-2, hours=9))):
        body, items = feed_of(config, events, alarm=minutes)
        parsed = parse_feed(body)
        assert [a["TRIGGER"].dt for a in parsed["jour@calfeed"].walk("VALARM")] == [all_day_trigger]
        assert [a["TRIGGER"].dt for a in parsed["heure@calfeed"].walk("VALARM")] == [-dt.timedelta(minutes=minutes)]
        assert parsed["annule@calfeed"].walk("VALARM") == [] and parsed["reporte@calfeed"].walk("VALARM") == []
        reference = render_calendar(FeedHeader("x", "", "Europe/Paris", config.refresh),
                                    [(i.event, i.publication) for i in items], config.taxonomy, alarm_minutes=minutes)
        assert {uid: len(e.walk("VALARM")) for uid, e in parse_feed(reference).items()} == \
            {uid: len(e.walk("VALARM")) for uid, e in parsed.items()}


def many_events(project, config_path=None):
    """The sample sources, a synthetic programme and random titles full of characters that need care."""
    import random

    from calfeed.sources import parse_source
    from test_clients import SAMPLES
    from synthetic import write_programme

    path = project(SAMPLES, files=[s["path"] for s in SAMPLES])
    config, _ = open_project(path)
    events = []
    for source in config.sources:
        events += parse_source(source.path.read_bytes(), source, config.taxonomy).events
    events += load_synthetic(write_programme(path.parent / "synthetique", 300), write_programme)
    rng = random.Random(7)
    pieces = ["é", "🎉", "\\", "\\N", "^", ";", ",", ":", "\n", "«", "»", "a", " ", "ç" * 3, "x" * 70, "\\n"]
    for n in range(300):
        title = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 60))).strip() or "t"
        events.append(make_event(uid=f"u{n},x;y@z", title=title, description=title * rng.randrange(0, 4),
                                 location=Location(name=title[:40], city="Brest"),
                                 online_url=rng.choice(["", "https://v.example/a?x=1,2;3"])))
    return config, events


def written_zone(value):
    """The TZID a DTSTART or DTEND must carry: its own zone, none for a date or a UTC instant."""
    key = getattr(getattr(value, "tzinfo", None), "key", None)
    return None if key in (None, "UTC", "Etc/UTC") else key


def test_every_rendered_event_reads_back_as_its_model(project):
    """Every VEVENT, parsed back, says what the model says: texts to the character, each time in its
    own zone at the same instant, lines folded at 75 octets on UTF-8 boundaries; and twice the same bytes."""
    from calfeed.render import describe, effective_status, place

    config, events = many_events(project)
    assert len(events) > 600
    seen_zones = set()
    for number, event in enumerate(events):
        for publication in (STAMP, Publication(number, STAMP.modified, vanished=number % 5 == 0)):
            data = render_event(event, publication, config.taxonomy)
            assert data == render_event(event, publication, config.taxonomy)
            lines = data.split(b"\r\n")
            assert lines[0] == b"BEGIN:VEVENT" and lines[-2:] == [b"END:VEVENT", b""]
            assert all(len(line) <= 75 and line.decode("utf-8") for line in lines[:-1]), event.uid
            parsed = VEvent.from_ical(data)
            status = effective_status(event, publication)
            assert str(parsed["SUMMARY"]) == TITLE_PREFIX.get(status, "") + event.title, event.uid
            assert str(parsed["UID"]) == event.uid
            assert str(parsed.get("DESCRIPTION", "")) == describe(event, status, publication.vanished,
                                                                  config.taxonomy)
            assert str(parsed.get("LOCATION", "")) == place(event, config.taxonomy)
            assert parsed["SEQUENCE"] == publication.sequence
            if not event.all_day and event.end == event.start:
                assert "DTEND" not in parsed, event.uid  # an instant: RFC 5545 wants DTEND after DTSTART
            for name, value in (("DTSTART", event.start), ("DTEND", event.end)):
                if name not in parsed and event.end == event.start:
                    continue
                read = parsed[name].dt
                assert type(read) is type(value) and read == value, (event.uid, name)
                assert parsed[name].params.get("TZID") == written_zone(value), (event.uid, name)
                seen_zones.add(written_zone(value))
    assert {None, "Europe/Paris", "Indian/Reunion"} <= seen_zones


def test_icalendar_still_reads_backslash_n_as_a_line_break():
    """render._Text exists only because icalendar's own TEXT escaping turns a literal \\N into a line
    break. If this fails, icalendar writes TEXT right: drop _Text and write plain strings."""
    assert vText("C:\\New folder").to_ical() == b"C:\\new folder"
    event = VEvent()
    event.add("SUMMARY", "C:\\New folder")
    assert str(VEvent.from_ical(event.to_ical())["SUMMARY"]) == "C:" + "\n" + "ew folder"


def test_literal_backslash_n_stays_two_characters(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    text = "C:\\New folder, \\\\N et \\n"
    body, _ = feed_of(config, [make_event(title=text, description=text, location=Location(name=text))])
    assert b"SUMMARY:C:\\\\New folder\\, \\\\\\\\N et \\\\n\r\n" in body
    event = parse_feed(body)["essai@calfeed"]
    assert str(event["SUMMARY"]) == text
    assert str(event["DESCRIPTION"]).startswith(text + "\n\n")
    assert str(event["LOCATION"]) == text + " (et en ligne)"  # a hybrid event
    assert vobject.readOne(body.decode()).vevent.summary.value == text


def test_each_time_keeps_its_own_zone(project):
    """A trip from Paris to New York: DTEND in New York's zone, a VTIMEZONE for each, 9 hours long."""
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    new_york = ZoneInfo("America/New_York")
    trip = make_event(start=dt.datetime(2022, 11, 15, 10, tzinfo=PARIS),
                      end=dt.datetime(2022, 11, 15, 13, tzinfo=new_york))
    body, _ = feed_of(config, [trip])
    assert b"DTSTART;TZID=Europe/Paris:20221115T100000\r\n" in body
    assert b"DTEND;TZID=America/New_York:20221115T130000\r\n" in body
    calendar = Calendar.from_ical(body)
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"Europe/Paris", "America/New_York"}
    parsed = vobject.readOne(body.decode()).vevent  # zones built from the file's VTIMEZONEs
    assert parsed.dtend.value - parsed.dtstart.value == dt.timedelta(hours=9)
    assert parsed.dtend.value.astimezone(dt.UTC) == dt.datetime(2022, 11, 15, 18, tzinfo=dt.UTC)


def test_utc_and_fixed_offsets_are_written_as_utc_instants(project):
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    plus_two = dt.timezone(dt.timedelta(hours=2))
    event = make_event(start=dt.datetime(2022, 11, 15, 9, tzinfo=ZoneInfo("UTC")),
                       end=dt.datetime(2022, 11, 15, 13, tzinfo=plus_two))
    body, _ = feed_of(config, [event])
    assert b"DTSTART:20221115T090000Z\r\n" in body and b"DTEND:20221115T110000Z\r\n" in body
    calendar = Calendar.from_ical(body)
    assert calendar.walk("VTIMEZONE") == []  # no TZID written, none declared


def test_render_key_follows_the_renderer_and_the_taxonomy(project, tmp_path, monkeypatch):
    from calfeed import render
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    key = render.render_key(config.taxonomy)
    assert key == render.render_key(config.taxonomy)
    other, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}],
                                    categories={"labs": {"name": "Labos d'innovation"}}))
    assert render.render_key(other.taxonomy) != key
    edited = tmp_path / "vtimezone.py"
    edited.write_text(render.RENDERER_FILES[1].read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(render, "RENDERER_FILES", (render.RENDERER_FILES[0], edited))
    assert render.render_key(config.taxonomy) != key
    monkeypatch.undo()
    real = render.version
    monkeypatch.setattr(render, "version", lambda name: "99.0" if name == "icalendar" else real(name))
    assert render.render_key(config.taxonomy) != key


def test_a_renderer_change_renders_stored_events_again_without_a_new_sequence(project, tmp_path, monkeypatch):
    from calfeed import render
    from calfeed.publish import load_programme, publish_events
    from calfeed.refresh import refresh_sources

    (tmp_path / "agenda.csv").write_text("id;titre;date_debut;heure_debut;heure_fin;categorie\n"
                                         "a;Atelier A;15/11/2022;10:00;12:00;labs\n", encoding="utf-8")
    config, store = open_project(project([{"id": "s", "type": "csv", "path": "agenda.csv"}]))
    t0 = dt.datetime(2022, 11, 10, 8, tzinfo=dt.UTC)
    refresh_sources(config, store, now=t0)
    [before] = load_programme(store).items
    generation = store.generation()
    original = render.event_component

    def changed_renderer(*args):
        component = original(*args)
        component.add("X-CALFEED-ESSAI", "nouveau rendu")
        return component

    monkeypatch.setattr(render, "event_component", changed_renderer)
    report = publish_events(config, store, now=t0 + dt.timedelta(hours=1))
    assert report.rerendered == 0 and store.generation() == generation  # the key decides, and it is the same
    edited = tmp_path / "render.py"
    edited.write_text(render.RENDERER_FILES[0].read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(render, "RENDERER_FILES", (edited, render.RENDERER_FILES[1]))
    report = publish_events(config, store, now=t0 + dt.timedelta(hours=2))
    assert report.rerendered == 1 and store.generation() == generation + 1
    [after] = load_programme(store).items
    assert b"X-CALFEED-ESSAI:nouveau rendu" in after.vevent and b"X-CALFEED-ESSAI" not in before.vevent
    assert after.publication == before.publication  # same SEQUENCE, same LAST-MODIFIED: not a new version
    assert store.get_meta("render_key") == render.render_key(config.taxonomy)
    assert publish_events(config, store, now=t0 + dt.timedelta(hours=3)).rerendered == 0


def load_synthetic(sources_path, _):
    from calfeed.sources import parse_source
    config, _store = open_project(sources_path)
    source = config.sources[0]
    return parse_source(source.path.read_bytes(), source, config.taxonomy).events


def test_vtimezones_are_read_right_by_thunderbirds_parser(project, tmp_path):
    """Why vtimezone.py exists, checked: ical.js (Thunderbird's parser, which knows no zone but the file's)
    puts summer and winter events at the right instant with calfeed's RRULE observances, and gets some
    wrong with icalendar's own generator (one RDATE list per observance, of which it reads the first)."""
    from icalendar import Timezone

    from test_clients import icaljs
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    events = []
    for zone in (PARIS, ZoneInfo("America/New_York")):
        for year in range(2022, 2027):
            for month in (1, 4, 7, 11):
                start = dt.datetime(year, month, 14, 14, tzinfo=zone)
                events.append(make_event(uid=f"{zone.key}-{year}-{month}", start=start,
                                         end=start + dt.timedelta(hours=2)))
    ours, _ = feed_of(config, events)
    calendar = Calendar.from_ical(ours)
    calendar.subcomponents = [
        *(Timezone.from_tzid(key, first_date=dt.date(2022, 1, 1), last_date=dt.date(2027, 1, 1))
          for key in ("America/New_York", "Europe/Paris")),
        *(c for c in calendar.subcomponents if c.name != "VTIMEZONE")]
    theirs = calendar.to_ical()
    assert theirs.count(b"BEGIN:VTIMEZONE") == 2 and b"RDATE:" in theirs and b"RDATE" not in ours
    files = {}
    for name, body in (("calfeed", ours), ("icalendar", theirs)):
        files[name] = tmp_path / f"{name}.ics"
        files[name].write_bytes(body)
    read = icaljs(files.values())
    expected = {e.uid: e.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for e in events}
    got = {name: {e["uid"]: e["start"]["utc"] for e in read[str(path)]["events"]} for name, path in files.items()}
    assert got["calfeed"] == expected
    wrong = [uid for uid in expected if got["icalendar"][uid] != expected[uid]]
    assert wrong, "ical.js now reads icalendar's VTIMEZONEs: vtimezone.py could give way to them"


def test_an_event_with_a_start_time_only_has_no_dtend(project):
    """RFC 5545 wants DTEND after DTSTART; a timed event without an end is an instant: no DTEND at all."""
    config, _ = open_project(project([{"id": "s", "type": "ics", "path": "x.ics"}]))
    start = dt.datetime(2022, 11, 18, 14, tzinfo=PARIS)
    body, _ = feed_of(config, [make_event(start=start, end=start)])
    [event] = parse_feed(body).values()
    assert event.get("DTEND") is None and event.decoded("DTSTART") == start
