"""Benchmark 1 and 3: the static build against serialising every event once, and its growth.

    python bench/build.py [--sizes 350,10000,100000] [--naive-up-to 10000] [--full-up-to 100000] [--rounds 2]

For each size, in one run, side by side:
- the full `calfeed build`, which also writes one page and one .ics per event, from a fresh store;
- `--rounds` times, alternated: `calfeed build --no-event-pages` of all feeds (both variants) and the
  site's pages from a fresh store and an empty folder, in a child process (wall time, CPU time, peak
  resident memory), then the baseline: serialise every event of the programme once with the plain
  renderer (one icalendar object holding every event, `render.render_calendar`), in this process.
  The fastest round of each is kept (the machine is shared: the slower rounds are the disturbed ones);
- naive: every feed rendered with the plain renderer, as a server rendering each feed would;
- rebuild: the same `calfeed build --no-event-pages` again, nothing changed in the sources: its time
  and how many published files it rewrote (modification time or inode changed, file added or
  removed; the folder's `.calfeed-build` marker, rewritten by every build, is not a published file).
The machine's load average is printed with each size.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # synthetic.py, shared with the tests
from common import CALFEED, env_with_src, fmt_ratio, load, run_timed
from synthetic import write_programme


def baseline_and_naive(config_path: Path, naive: bool):
    """(wall time, CPU time) of one serialisation of the whole programme; wall time of the naive
    rendering (None if not asked); how many events."""
    from calfeed.addresses import FeedRequest, feed_catalogue
    from calfeed.config import load_config
    from calfeed.feeds import feed_header
    from calfeed.publish import load_programme
    from calfeed.render import render_calendar
    from calfeed.store import Store
    config = load_config(config_path)
    store = Store(config.store_path)
    programme = load_programme(store)
    store.close()
    items = [(item.event, item.publication) for item in programme.items]
    started, cpu = time.perf_counter(), time.process_time()
    render_calendar(feed_header(config, FeedRequest(feed_catalogue(config, programme)[0])), items, config.taxonomy)
    baseline = (time.perf_counter() - started, time.process_time() - cpu)
    naive_time = None
    if naive:
        started = time.perf_counter()
        for feed in feed_catalogue(config, programme):
            selected = [(item.event, item.publication) for item in programme.select(feed.filters)]
            for subscription in (True, False):
                render_calendar(feed_header(config, FeedRequest(feed, subscription)), selected, config.taxonomy)
        naive_time = time.perf_counter() - started
    return baseline, naive_time, len(items)


def file_states(folder: Path) -> dict:
    from calfeed.build import MARKER
    return {path: (stat.st_mtime_ns, stat.st_ino) for path in folder.rglob("*")
            if path.is_file() and path.name != MARKER for stat in [path.stat()]}


def build_args(config: Path, output: Path, *more) -> list:
    return [*CALFEED, "build", *more, "--config", str(config), "--output", str(output)]


def measure(folder: Path, size: int, rounds: int, naive_up_to: int, full_up_to: int) -> dict:
    config = write_programme(folder, size)
    full_time = full_peak = None
    if size <= full_up_to:
        full_time, _, full_peak, _ = run_timed(build_args(config, folder / "complet"), env=env_with_src())
    builds, baselines, naive = [], [], None
    for _ in range(rounds):
        shutil.rmtree(folder / "store", ignore_errors=True)
        shutil.rmtree(folder / "site", ignore_errors=True)
        builds.append(run_timed(build_args(config, folder / "site", "--no-event-pages"), env=env_with_src()))
        first = not baselines  # the naive rendering (long) once, after the first baseline
        baseline, naive_time, count = baseline_and_naive(config, first and size <= naive_up_to)
        baselines.append(baseline)
        naive = naive_time if first else naive
    before = file_states(folder / "site")
    rebuild_time, _, _, _ = run_timed(build_args(config, folder / "site", "--no-event-pages"), env=env_with_src())
    after = file_states(folder / "site")
    return {
        "count": count, "files": sum(1 for _ in (folder / "site").rglob("*.ics")),
        "build": min(b[0] for b in builds), "build_cpu": min(b[1] for b in builds),
        "peak": max(b[2] for b in builds), "baseline": min(b[0] for b in baselines),
        "baseline_cpu": min(b[1] for b in baselines), "naive": naive, "full": full_time, "full_peak": full_peak,
        "rebuild": rebuild_time, "load": load(),
        "rewritten": sum(1 for path in before.keys() | after.keys() if before.get(path) != after.get(path)),
        "published": len(after),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="350,10000,100000")
    parser.add_argument("--naive-up-to", type=int, default=10000, help="naive rendering only up to this size")
    parser.add_argument("--full-up-to", type=int, default=100000, help="full build only up to this size")
    parser.add_argument("--rounds", type=int, default=2, help="alternated builds and baselines; the fastest kept")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="calfeed-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(measure(Path(tmp) / str(size), size, args.rounds, args.naive_up_to, args.full_up_to))
            shutil.rmtree(Path(tmp) / str(size))
            print(f"  {size} événements : fait (charge {rows[-1]['load']})", file=sys.stderr)
    print("| événements | agendas .ics | sérialisation unique (réf.) | build des agendas | build / réf. | "
          "temps processeur build / réf. | rendu naïf par flux | naïf / réf. | µs par événement (build) | "
          "mémoire max (build) | build complet (+ page et .ics par événement) | mémoire max (complet) | "
          "rebuild sans changement | fichiers réécrits | charge |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        naive = f"{row['naive']:.2f} s | {fmt_ratio(row['naive'] / row['baseline'])}" if row["naive"] else "— | —"
        full = f"{row['full']:.2f} s | {row['full_peak'] / 2**20:.0f} Mo" if row["full"] else "— | —"
        print(f"| {row['count']} | {row['files']} | {row['baseline']:.2f} s | {row['build']:.2f} s | "
              f"{fmt_ratio(row['build'] / row['baseline'])} | {row['build_cpu']:.2f} s / {row['baseline_cpu']:.2f} s "
              f"= {fmt_ratio(row['build_cpu'] / row['baseline_cpu'])} | {naive} | "
              f"{row['build'] / row['count'] * 1e6:.0f} | {row['peak'] / 2**20:.0f} Mo | {full} | "
              f"{row['rebuild']:.2f} s | {row['rewritten']} sur "
              f"{row['published']} | {row['load']} |")
    by_size = {row["count"]: row for row in rows}
    if 10000 in by_size and 100000 in by_size:
        small, large = by_size[10000], by_size[100000]
        print(f"\nCoût par événement à 100 000 / à 10 000 : "
              f"{fmt_ratio((large['build'] / 100000) / (small['build'] / 10000))} (temps réel), "
              f"{fmt_ratio((large['build_cpu'] / 100000) / (small['build_cpu'] / 10000))} (temps processeur)")


if __name__ == "__main__":
    main()
