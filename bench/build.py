"""Benchmark 1 and 3: the static build against serialising every event once, and its growth.

    python bench/build.py [--sizes 350,10000,100000] [--naive-up-to 10000]

For each size, in one run, side by side:
- baseline: serialise every event of the programme once with the plain renderer (one icalendar
  object holding every event, `render.render_calendar`), in this process;
- `calfeed build --no-event-pages` of all feeds (both variants) and the site's pages from a fresh
  store, in a child process (wall time and peak resident memory);
- the full `calfeed build`, which also writes one page and one .ics per event, from a fresh store;
- naive: every feed rendered with the plain renderer, as a server rendering each feed would;
- rebuild: the same `calfeed build --no-event-pages` again, nothing changed in the sources: its time
  and how many published files it rewrote (modification time or inode changed, file added or
  removed; the folder's `.calfeed-build` marker, rewritten by every build, is not a published file).
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CALFEED, env_with_src, fmt_ratio, run_measured  # noqa: E402
from synthetic import write_programme  # noqa: E402


def baseline_and_naive(config_path: Path, naive: bool):
    from calfeed.config import load_config
    from calfeed.feeds import feed_header
    from calfeed.publish import load_programme
    from calfeed.addresses import FeedRequest, feed_catalogue
    from calfeed.render import render_calendar
    from calfeed.store import Store
    config = load_config(config_path)
    programme = load_programme(Store(config.store_path))
    items = [(item.event, item.publication) for item in programme.items]
    started = time.perf_counter()
    render_calendar(feed_header(config, FeedRequest(feed_catalogue(config, programme)[0])), items, config.taxonomy)
    baseline = time.perf_counter() - started
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="350,10000,100000")
    parser.add_argument("--naive-up-to", type=int, default=10000, help="naive rendering only up to this size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="calfeed-bench-") as tmp:
        for size in sizes:
            folder = Path(tmp) / str(size)
            config = write_programme(folder, size)
            full_time, full_peak, _ = run_measured([*CALFEED, "build", "--config", str(config), "--output",
                                                    str(folder / "complet")], env=env_with_src())
            shutil.rmtree(folder / "store")
            build_time, peak, _ = run_measured([*CALFEED, "build", "--no-event-pages", "--config", str(config),
                                                "--output", str(folder / "site")], env=env_with_src())
            before = file_states(folder / "site")
            rebuild_time, _, _ = run_measured([*CALFEED, "build", "--no-event-pages", "--config", str(config),
                                               "--output", str(folder / "site")], env=env_with_src())
            after = file_states(folder / "site")
            rewritten = sum(1 for path in before.keys() | after.keys() if before.get(path) != after.get(path))
            baseline, naive, count = baseline_and_naive(config, size <= args.naive_up_to)
            files = sum(1 for p in (folder / "site").rglob("*.ics"))
            rows.append((size, count, files, baseline, build_time, naive, peak, full_time, full_peak,
                         rebuild_time, f"{rewritten} sur {len(after)}"))
            shutil.rmtree(folder)
            print(f"  {size} événements : fait", file=sys.stderr)
    print("| événements | agendas .ics | sérialisation unique (réf.) | build des agendas | build / réf. | "
          "rendu naïf par flux | naïf / réf. | µs par événement (build) | mémoire max (build) | "
          "build complet (+ page et .ics par événement) | mémoire max (complet) | "
          "rebuild sans changement | fichiers réécrits |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for _, count, files, baseline, build_time, naive, peak, full_time, full_peak, rebuild_time, rewritten in rows:
        naive_text = f"{naive:.2f} s | {fmt_ratio(naive / baseline)}" if naive else "— | —"
        print(f"| {count} | {files} | {baseline:.2f} s | {build_time:.2f} s | {fmt_ratio(build_time / baseline)} | "
              f"{naive_text} | {build_time / count * 1e6:.0f} | {peak / 2**20:.0f} Mo | {full_time:.2f} s | "
              f"{full_peak / 2**20:.0f} Mo | {rebuild_time:.2f} s | {rewritten} |")


if __name__ == "__main__":
    main()
