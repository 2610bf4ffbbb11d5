"""Benchmark 2: throughput of `calfeed serve` (gunicorn, 2 workers) on loopback, side by side with
(a) a minimal Flask app on the same gunicorn settings returning the same bytes from memory and
(b) nginx serving the same files statically. Load from wrk, on this machine only.

    python bench/serve.py [--events 350] [--seconds 3] [--rounds 9] [--connections 16]

Three cases: the whole programme (tous.ics), an ad-hoc selection (/feeds/selection.ics?…) and a
conditional GET answered 304.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # synthetic.py, shared with the tests
from common import CALFEED, ROOT, env_with_src, fmt_ratio, load, run_measured
from synthetic import write_programme

SELECTION = "categorie=labs&categorie=collectivites&theme=transition-ecologique"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read(), dict(response.headers)
        except OSError:
            time.sleep(0.2)
    logs = "\n".join(Path(name).read_text(errors="replace")[-2000:] for name in LOGS)
    raise SystemExit(f"le serveur {url} ne répond pas\n{logs}")


# With two cores or more, the servers run on core 0 and the load generator on core 1, so that they do
# not take turns on the same cores (the figures are then far less noisy).
PIN = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
SERVER_CORE = ["taskset", "-c", "0"] if PIN else []
LOAD_CORE = ["taskset", "-c", "1"] if PIN else []


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and all its descendants still running
    (a gunicorn master and its workers, nginx and its workers), all threads included."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks
        pending.extend(int(child) for child in children)
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, seconds: int, connections: int, headers=(), server: int | None = None) -> tuple[float, str, float]:
    """(requests per second, errors, requests per CPU second of the server process tree `server`).

    The second figure holds on a machine shared with other work: it counts only the server's own
    CPU time, whatever share of the core it was given."""
    args = [*LOAD_CORE, "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    before = cpu_seconds(server) if server else 0.0
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    used = cpu_seconds(server) - before if server else 0.0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", output)
    return rate, errors.group(0) if errors else "", total / used if used else 0.0


LOGS = []


def start(args, env=None, cwd=None):
    log = tempfile.NamedTemporaryFile(prefix="calfeed-bench-", suffix=".log", delete=False)
    LOGS.append(log.name)
    return subprocess.Popen([*SERVER_CORE, *args], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)


def nginx_conf(folder: Path, root: Path, port: int) -> Path:
    conf = folder / "nginx.conf"
    conf.write_text(f"""
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ text/calendar ics; }}
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /feeds/ {{ }}
    }}
}}
""")
    return conf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=350)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=9, help="runs per server and case; the median is kept")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} est nécessaire : apt-get install wrk nginx-light")
    processes = []
    with tempfile.TemporaryDirectory(prefix="calfeed-serve-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's workers run as an unprivileged user and must read the files
        config = write_programme(tmp / "programme", args.events)
        static_root = tmp / "static"
        run_measured([*CALFEED, "build", "--config", str(config), "--output", str(static_root / "feeds")],
                     env=env_with_src())
        ports = {"calfeed": free_port(), "minimal": free_port(), "nginx": free_port()}
        try:
            processes.append(start([*CALFEED, "serve", "--config", str(config), "--workers", "2", "--port",
                                    str(ports["calfeed"]), "--no-refresh", "--quiet"], env=env_with_src()))
            base = f"http://127.0.0.1:{ports['calfeed']}"
            wait_for(f"{base}/feeds/tous.ics")
            selection, _ = wait_for(f"{base}/feeds/selection.ics?{SELECTION}")
            (static_root / "feeds" / "selection.ics").write_bytes(selection)
            env = {**env_with_src(), "BENCH_TOUS": str(static_root / "feeds" / "tous.ics"),
                   "BENCH_SELECTION": str(static_root / "feeds" / "selection.ics"),
                   "PYTHONPATH": str(ROOT / "bench") + os.pathsep + env_with_src()["PYTHONPATH"]}
            processes.append(start([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                                    "-b", f"127.0.0.1:{ports['minimal']}", "minimal_app:create()"], env=env))
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            processes.append(start([nginx, "-c", str(nginx_conf(tmp, static_root, ports["nginx"])), "-g",
                                    "daemon off;"]))
            urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            pids = {name: process.pid for name, process in zip(urls, processes, strict=True)}
            loads = []
            for url in urls.values():
                wait_for(f"{url}/feeds/tous.ics")
            results = {}
            for case, path in (("tous.ics", "/feeds/tous.ics"), ("sélection", f"/feeds/selection.ics?{SELECTION}"),
                               ("304", "/feeds/tous.ics")):
                runs = {name: [] for name in urls}
                for url in urls.values():  # warm-up, not counted
                    wrk(url + "/feeds/tous.ics", 2, args.connections)
                for round_number in range(args.rounds):
                    # Alternate the order each round so that drifts of the machine hit every server alike.
                    names = list(urls)[round_number % 3:] + list(urls)[:round_number % 3]
                    for name in names:
                        url = urls[name]
                        # The same request to every server (the others ignore the query string): what differs is
                        # what each does with it.
                        target = url + path
                        headers = ()
                        if case == "304":
                            _, response_headers = wait_for(target)
                            headers = (f"If-None-Match: {response_headers['ETag']}",)
                        runs[name].append(wrk(target, args.seconds, args.connections, headers, pids[name]))
                # Each round's calfeed / minimal ratio: the two passes of a round are seconds apart, so the
                # machine's drifts (other work, the host) cancel out better than between medians.
                paired = sorted(ours[0] / theirs[0] for ours, theirs in zip(runs["calfeed"], runs["minimal"],
                                                                             strict=True))
                results[case, "paired"] = (paired[len(paired) // 2], paired[0], paired[-1])
                for name, measured in runs.items():
                    rates = sorted(rate for rate, _, _ in measured)
                    per_cpu = sorted(efficiency for _, _, efficiency in measured)
                    results[case, name] = (rates[len(rates) // 2], "; ".join(e for _, e, _ in measured if e),
                                           per_cpu[len(per_cpu) // 2])
                loads.append(load())
                print(f"  {case} : fait (charge {loads[-1]})", file=sys.stderr)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)
    size = (tmp / "x").name and len(selection)
    where = "serveurs sur le cœur 0, wrk sur le cœur 1" if PIN else "cœurs partagés entre wrk et les serveurs"
    print(f"Programme de {args.events} événements ; wrk -t2 -c{args.connections} -d{args.seconds}s, médiane de "
          f"{args.rounds} passes alternées, même machine ({where}). Sélection : {size} octets.")
    print("| cas | calfeed serve (req/s) | (a) Flask minimal (req/s) | calfeed / (a) | (b) nginx statique (req/s) | "
          "calfeed / (b) | calfeed (req. par s de processeur) | (a) (req. par s de processeur) | calfeed / (a), "
          "processeur | calfeed / (a) passe par passe : médiane (min – max) | erreurs | charge |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for case, case_load in zip(("tous.ics", "sélection", "304"), loads, strict=True):
        ours, errors, ours_cpu = results[case, "calfeed"]
        minimal, _, minimal_cpu = results[case, "minimal"]
        static, _, _ = results[case, "nginx"]
        median, lowest, highest = results[case, "paired"]
        print(f"| {case} | {ours:.0f} | {minimal:.0f} | {fmt_ratio(ours / minimal)} | {static:.0f} | "
              f"{fmt_ratio(ours / static)} | {ours_cpu:.0f} | {minimal_cpu:.0f} | {fmt_ratio(ours_cpu / minimal_cpu)} | "
              f"{fmt_ratio(median)} ({fmt_ratio(lowest)} – {fmt_ratio(highest)}) | {errors or 'aucune'} | {case_load} |")


if __name__ == "__main__":
    main()
