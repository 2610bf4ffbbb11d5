"""Resident memory of `calfeed serve` (gunicorn, 2 workers) at 350, 10 000 and 100 000 events: after
start, then after every feed of the home page was asked for in both variants, plain and gzipped, and
after 50 different ad-hoc selections. The workers keep feed bodies within `--cache-mb` each.

    python bench/memory.py [--sizes 350 10000 100000] [--cache-mb 256]
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # synthetic.py, shared with the tests
from common import CALFEED, env_with_src, run_measured
from serve import free_port, wait_for
from synthetic import CATEGORIES, THEMES, write_programme


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def memory(pid: int) -> tuple[int, int]:
    """Current and peak resident memory of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def get(url: str, gzip: bool = False) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    with urllib.request.urlopen(request, timeout=600) as response:
        return len(response.read())


def measure(size: int, cache_mb: int, tmp: Path) -> dict:
    config = write_programme(tmp / f"programme-{size}", size)
    run_measured([*CALFEED, "fetch", "--config", str(config)], env=env_with_src())
    port = free_port()
    # The master process is the one started here (no taskset in front, so its pid is gunicorn's).
    server = subprocess.Popen([*CALFEED, "serve", "--config", str(config), "--workers", "2", "--port", str(port),
                               "--no-refresh", "--quiet", "--cache-mb", str(cache_mb)], env=env_with_src(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        home, _ = wait_for(f"{base}/feeds/", seconds=300)
        # The home page's links to feeds, absolute (/feeds/…) or relative to /feeds/, without the import variants.
        links = re.findall(r'href="(?:[^":]*?/feeds/)?([^"?:/][^"?:]*\.ics)"', home.decode())
        feeds = sorted({link for link in links if not link.startswith(("import/", "evenements/"))})
        if not feeds:
            raise SystemExit(f"aucun lien vers un agenda sur {base}/feeds/ : le motif de memory.py est à revoir")
        # Each worker loads the programme on its first request: ask enough for both to have done it.
        for _ in range(8):
            get(f"{base}/feeds/tous.ics?rappel=0")
        time.sleep(1)
        pids = workers_of(server.pid)
        started = [memory(pid)[0] for pid in pids]
        served = 0
        began = time.perf_counter()
        for path in feeds:
            for variant in ("", "import/"):
                for packed in (False, True):
                    for _ in range(2):  # both workers, most likely
                        served += get(f"{base}/feeds/{variant}{path}", packed)
        all_feeds = [memory(pid) for pid in pids]
        for n in range(50):
            query = f"categorie={CATEGORIES[n % 5]}&theme={THEMES[n % 7]}&theme={THEMES[(n // 7) % 7]}&rappel={n}"
            served += get(f"{base}/feeds/selection.ics?{query}")
        after = [memory(pid) for pid in pids]
        return {"size": size, "feeds": len(feeds), "started": max(started), "all_feeds": max(m[0] for m in all_feeds),
                "selections": max(m[0] for m in after), "peak": max(m[1] for m in after),
                "served_mb": served / 2**20, "seconds": time.perf_counter() - began}
    finally:
        server.terminate()
        server.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[350, 10_000, 100_000])
    parser.add_argument("--cache-mb", type=int, default=256)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="calfeed-memory-") as tmp:
        for size in args.sizes:
            rows.append(measure(size, args.cache_mb, Path(tmp)))
            print(f"  {size} événements : fait", file=sys.stderr)
    print(f"calfeed serve, 2 processus, --cache-mb {args.cache_mb} ; mémoire résidente du plus gros processus "
          "de travail (Mo).")
    print("| événements | agendas (×2 variantes) | au démarrage | après tous les agendas, simples et gzip "
          "| après 50 sélections | maximum | Mo servis | durée |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['size']} | {row['feeds']} | {row['started']} | {row['all_feeds']} | {row['selections']} | "
              f"{row['peak']} | {row['served_mb']:.0f} | {row['seconds']:.0f} s |")


if __name__ == "__main__":
    main()
