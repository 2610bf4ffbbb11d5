"""Benchmark 4: refreshing 20 sources that each answer after 300 ms, side by side with the same
sources answering at once (the processing time) and with one request at a time.

    python bench/refresh.py [--sources 20] [--delay 0.3] [--events 50]
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
from common import LocalServer


def calendar(source: int, events: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//FR"]
    for n in range(events):
        day = 2 + (n % 28)
        lines += ["BEGIN:VEVENT", f"UID:s{source}-e{n}@bench", "DTSTAMP:20221001T000000Z",
                  f"DTSTART;TZID=Europe/Paris:202211{day:02d}T100000", f"DTEND;TZID=Europe/Paris:202211{day:02d}T120000",
                  f"SUMMARY:Atelier {n} de la source {source}", "CATEGORIES:Labs,Innovation territoriale",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    from calfeed.config import load_config
    from calfeed.refresh import refresh_sources
    from calfeed.store import Store

    bodies = {f"/s{n}.ics": calendar(n, args.events) for n in range(args.sources)}
    server = LocalServer(lambda path: (bodies[path], "text/calendar"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="calfeed-refresh-") as tmp:
        document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
        document["sources"] = [{"id": f"s{n}", "type": "ics", "url": f"{server.url}/s{n}.ics", "category": "labs"}
                               for n in range(args.sources)]
        for label, delay, concurrency in (("échauffement (non compté)", 0.0, args.sources),
                                          ("réponse immédiate (traitement seul)", 0.0, args.sources),
                                          (f"réponse après {args.delay * 1000:.0f} ms, en parallèle", args.delay,
                                           args.sources),
                                          (f"réponse après {args.delay * 1000:.0f} ms, une à la fois", args.delay, 1)):
            folder = Path(tmp) / str(len(rows))
            folder.mkdir()
            document["fetch"] = {"concurrency": concurrency, "retries": 0}
            document["store"] = {"path": "store.sqlite"}
            (folder / "sources.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
            config = load_config(folder / "sources.yaml")
            server.delay = delay
            started = time.perf_counter()
            reports = refresh_sources(config, Store(config.store_path))
            elapsed = time.perf_counter() - started
            assert all(r.ok for r in reports), [r.error for r in reports if not r.ok]
            rows.append((label, concurrency, elapsed))
            shutil.rmtree(folder)
    rows = rows[1:]
    processing = rows[0][2]
    print(f"{args.sources} sources ICS de {args.events} événements chacune, servies en local.")
    print("| cas | requêtes simultanées | durée | (durée − traitement) / délai |")
    print("|---|---:|---:|---:|")
    for label, concurrency, elapsed in rows:
        waiting = (elapsed - processing) / args.delay if args.delay else 0
        print(f"| {label} | {concurrency} | {elapsed:.2f} s | {waiting:.2f} |")
    print(f"Objectif : en parallèle ≤ 1,5 × {args.delay * 1000:.0f} ms + traitement "
          f"= {1.5 * args.delay + processing:.2f} s ; mesuré {rows[1][2]:.2f} s.")


if __name__ == "__main__":
    main()
