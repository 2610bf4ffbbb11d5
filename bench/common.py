"""Helpers shared by the benchmark scripts: run calfeed in a child process and measure it."""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALFEED = [sys.executable, "-m", "calfeed.cli"]


def run_measured(args, **kwargs) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run a command; return its wall time, its peak resident memory (bytes) and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"échec de {' '.join(map(str, args))} :\n{result.stdout}\n{result.stderr}")
    # ru_maxrss of children is the largest child so far (kB on Linux): measure the biggest run last
    return elapsed, max(peak, before) * 1024, result


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def env_with_src() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env
