"""Helpers shared by the benchmark scripts: run calfeed in a child process and measure it."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALFEED = [sys.executable, "-m", "calfeed.cli"]


def run_measured(args, **kwargs) -> tuple[float, int, str]:
    """Run a command; return its wall time, its own peak resident memory (bytes) and its output."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, **kwargs)
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this child alone
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"échec de {' '.join(map(str, args))} :\n{text}")
    return elapsed, usage.ru_maxrss * 1024, text  # ru_maxrss is in kB on Linux


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def env_with_src() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env
