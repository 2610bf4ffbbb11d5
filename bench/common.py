"""Helpers shared by the benchmark scripts: run calfeed in a child process and measure it."""

import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALFEED = [sys.executable, "-m", "calfeed.cli"]


# Runs the measured command as its own child and writes that child's peak resident memory and CPU time to
# the file named first. Measuring through this small process matters: a process started straight from the
# benchmark (vfork and exec) inherits the benchmark's own high-water mark in ru_maxrss, which after a
# baseline at 100,000 events is gigabytes the command never used.
_MEASURE = """
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(status)
"""


def run_timed(args, **kwargs) -> tuple[float, float, int, str]:
    """Run a command; return its wall time, its own CPU time (user and system), its own peak resident
    memory (bytes) and its output. The CPU time holds better than the wall time on a loaded machine."""
    with tempfile.TemporaryFile() as output, tempfile.NamedTemporaryFile("r") as usage:
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-c", _MEASURE, usage.name, *map(str, args)], stdout=output,
                                 stderr=subprocess.STDOUT, check=False, **kwargs)
        elapsed = time.perf_counter() - started
        output.seek(0)
        text = output.read().decode(errors="replace")
        if process.returncode != 0:
            raise SystemExit(f"échec de {' '.join(map(str, args))} :\n{text}")
        peak_kb, cpu = usage.read().split()
    return elapsed, float(cpu), int(peak_kb) * 1024, text  # ru_maxrss is in kB on Linux


def run_measured(args, **kwargs) -> tuple[float, int, str]:
    """Run a command; return its wall time, its own peak resident memory (bytes) and its output."""
    elapsed, _, peak, text = run_timed(args, **kwargs)
    return elapsed, peak, text


def load() -> str:
    """The machine's load average over the last minute, to print beside a figure."""
    return f"{os.getloadavg()[0]:.1f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def env_with_src() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


class LocalServer:
    """A threaded HTTP server on loopback: `answer(path)` gives (body, content type), after `delay` s."""

    def __init__(self, answer, delay: float = 0.0):
        self.delay = delay
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(owner.delay)
                body, content_type = answer(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
