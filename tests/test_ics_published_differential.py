"""The peer corpus end to end, as a subscriber sees it (issue 19): each test calendar that ships with the
installed `recurring-ical-events` and `icalendar` packages goes through `calfeed fetch` and `calfeed build`,
and the start instants of the published `tous.ics` are compared with the reference expander's.

tests/test_ics_differential.py compares the ICS reader alone; this one also catches what happens after it
(the store, the renderer, the VTIMEZONE writer, the selection of the feed). Both sides use the same window:
two years from the calendar's first start, start included, end excluded. At least 97 % must agree.
"""

import datetime as dt
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import yaml

from test_ics_differential import EXPLAINED, left_out_by_policy

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [Path(recurring_ical_events.__file__).parent / "test" / "calendars",
           Path(icalendar.__file__).parent / "tests" / "calendars"]
WINDOW = dt.timedelta(days=2 * 365)
TARGET = 0.97
SAMPLE_EVERY = 12  # the sample `make test` runs


def calendars() -> list[Path]:
    return [path for folder in FOLDERS for path in sorted(folder.glob("*.ics"))]


def _key(value, zone: str) -> str:
    """A start as an instant in UTC (a floating time read in the calendar's zone), or a day for a date."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _inside(key: str, low: dt.datetime, high: dt.datetime) -> bool:
    """The window test, the same on both sides: low <= start < high (a day compared as its UTC midnight)."""
    moment = dt.datetime.fromisoformat(key.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return low <= moment < high


def reference(data: bytes):
    """The reference's start keys in the window, the window and the zone; None if the reference cannot tell."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
        starts = [c["DTSTART"].dt for c in calendar.walk("VEVENT")
                  if c.get("DTSTART") is not None and hasattr(c["DTSTART"], "dt")]
        if not starts:
            return None
        zone = str(calendar.get("X-WR-TIMEZONE") or "Europe/Paris")
        ZoneInfo(zone)
        first = min(dt.datetime.fromisoformat(_key(s, zone).replace("Z", "+00:00")).replace(tzinfo=dt.UTC)
                    if isinstance(s, dt.datetime) else dt.datetime.combine(s, dt.time(), dt.UTC) for s in starts)
        low, high = first, first + WINDOW
        # asked a day wider on each side, then filtered by the same test as calfeed's side
        occurrences = recurring_ical_events.of(calendar).between(
            (low - dt.timedelta(days=1)).replace(tzinfo=None), (high + dt.timedelta(days=1)).replace(tzinfo=None))
        if not occurrences:
            return None
        keys = sorted(key for key in (_key(c["DTSTART"].dt, zone) for c in occurrences
                                      if not left_out_by_policy(c)) if _inside(key, low, high))
    except Exception:  # a calendar the reference itself cannot expand says nothing about calfeed
        return None
    return keys, low, high, zone


def published(path: Path, folder: Path) -> list[str] | None:
    """The start keys of `tous.ics` after `calfeed fetch` and `calfeed build` of a project holding only `path`."""
    from click.testing import CliRunner

    from calfeed.cli import cli

    folder.mkdir(parents=True)
    shutil.copy(path, folder / "source.ics")
    document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
    document["store"] = {"path": "store/calfeed.sqlite"}
    document["sources"] = [{"id": "pair", "type": "ics", "path": "source.ics", "category": "labs"}]
    config = folder / "sources.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    runner = CliRunner()
    runner.invoke(cli, ["fetch", "--config", str(config)])  # a source that fails publishes nothing: compared so
    answer = runner.invoke(cli, ["build", "--no-fetch", "--no-event-pages", "--config", str(config),
                                 "--output", str(folder / "feeds")])
    feed = folder / "feeds" / "tous.ics"
    if answer.exit_code != 0 or not feed.exists():
        return None  # the build failed: nothing reaches a subscriber
    return [_key(c.decoded("DTSTART"), "UTC") for c in icalendar.Calendar.from_ical(feed.read_bytes()).walk("VEVENT")]


def compare(path: Path, folder: Path) -> tuple[str, str, list, list] | None:
    """(name, verdict, missing, extra) of one calendar, or None when the reference cannot expand it."""
    found = reference(path.read_bytes())
    if not found:
        return None
    theirs, low, high, _ = found
    keys = published(path, folder)
    if keys is None:
        return path.name, "build", theirs[:3], []
    ours = sorted(key for key in keys if _inside(key, low, high))
    if ours == theirs:
        return path.name, "agree", [], []
    missing = sorted(set(theirs) - set(ours)) or [k for k in theirs if theirs.count(k) > ours.count(k)]
    extra = sorted(set(ours) - set(theirs)) or [k for k in ours if ours.count(k) > theirs.count(k)]
    return path.name, "differ", missing[:3], extra[:3]


def _compare_in_child(arguments):
    path, folder = arguments
    return compare(Path(path), Path(folder))


def compare_all(tmp_path: Path, workers: int = 2) -> list[tuple]:
    jobs = [(str(path), str(tmp_path / f"{number:03d}-{path.stem}")) for number, path in enumerate(calendars())]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [result for result in pool.map(_compare_in_child, jobs) if result is not None]


@pytest.mark.filterwarnings("ignore::UserWarning")  # icalendar warns when it guesses a vendor-prefixed TZID
def test_a_sample_of_published_feeds_agrees_with_the_reference_expander(tmp_path):
    """Every twelfth calendar, in this process (`make test`): each one the reference can expand is published as it
    expands it, but for the differences tests/test_ics_differential.py explains by a policy. The whole corpus, with
    its 97 % target, is the slow test below."""
    results = [compare(path, tmp_path / f"{number:03d}-{path.stem}")
               for number, path in enumerate(calendars()[::SAMPLE_EVERY])]
    results = [result for result in results if result is not None]
    assert len(results) >= 10, "are the packages' test calendars installed?"
    differ = {name: (verdict, missing, extra) for name, verdict, missing, extra in results
              if verdict != "agree" and name not in EXPLAINED}
    assert not differ, f"differences without a policy (verdict, missing, extra): {differ}"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # icalendar warns when it guesses a vendor-prefixed TZID
def test_published_feeds_agree_with_the_reference_expander(tmp_path):
    results = compare_all(tmp_path)
    assert len(results) >= 140, f"only {len(results)} reference calendars: are the packages' test calendars installed?"
    agree = [name for name, verdict, _, _ in results if verdict == "agree"]
    broken = {name: missing for name, verdict, missing, _ in results if verdict == "build"}
    assert not broken, f"the build failed for {broken}"
    differ = {name: (missing, extra) for name, verdict, missing, extra in results if verdict == "differ"}
    assert len(agree) / len(results) >= TARGET, \
        f"{len(agree)}/{len(results)} agree; differ (missing, extra): {differ}"


if __name__ == "__main__":  # python tests/test_ics_published_differential.py: the figure and every difference
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        results = compare_all(Path(scratch), workers=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    for name, verdict, missing, extra in results:
        if verdict != "agree":
            print(f"{verdict:6} {name}: missing {missing} extra {extra}")
    agreeing = sum(1 for result in results if result[1] == "agree")
    print(f"{agreeing}/{len(results)} agree ({agreeing / len(results):.1%})")
