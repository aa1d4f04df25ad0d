"""Shared helpers: machine description, child processes with a time/memory bound, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable
WORK_DIR = Path(os.environ.get("WOOFORT_BENCH_DIR", "/tmp/woofort-bench"))


def machine() -> dict:
    """Cores, memory, CPU model, load at the time of the call, date."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": mem_gb,
        "cpu_model": model,
        "python": platform.python_version(),
        "os": platform.platform(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def maxrss_mb() -> float:
    """Peak resident set size of this process, MB (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (all its threads, DuckDB's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _cpu_of(pid: int) -> float:
    """utime + stime of a running process, seconds (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_child(module: str, args: list[str], timeout_s: float | None = None, max_rss_mb: float | None = None,
              env: dict | None = None) -> dict:
    """Runs `python -m <module> <args>` and returns the JSON object it prints on its last stdout line.

    The child is killed when it exceeds `timeout_s` seconds or `max_rss_mb` resident memory (polled every
    0.2 s); the result then says so ({"finished": false, "reason": ...}) instead of raising."""
    started = time.monotonic()
    proc = subprocess.Popen([PYTHON, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    peak, reason, cpu = 0.0, None, 0.0
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    t_out = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    t_err = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    t_out.start(), t_err.start()
    while proc.poll() is None:
        peak = max(peak, _rss_mb(proc.pid))
        cpu = max(cpu, _cpu_of(proc.pid))
        elapsed = time.monotonic() - started
        if timeout_s is not None and elapsed > timeout_s:
            reason = f"did not finish within {timeout_s:.0f} s (killed)"
        elif max_rss_mb is not None and peak > max_rss_mb:
            reason = f"exceeded {max_rss_mb:.0f} MB resident memory (killed at {elapsed:.0f} s)"
        if reason:
            proc.kill()
            proc.wait()
            break
        time.sleep(0.2)
    t_out.join(5), t_err.join(5)
    wall = round(time.monotonic() - started, 2)
    stdout, stderr = "".join(out_chunks), "".join(err_chunks)
    if reason:
        return {"finished": False, "reason": reason, "child_wall_s": wall, "polled_peak_rss_mb": round(peak, 1),
                "cpu_s_when_killed": round(cpu, 1)}
    if proc.returncode != 0:
        return {"finished": False, "reason": f"exit code {proc.returncode}: {_last_error(stderr)}",
                "child_wall_s": wall}
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    result = json.loads(lines[-1])
    result.setdefault("finished", True)
    result["child_wall_s"] = wall
    return result


def emit(result: dict) -> None:
    """Child side: print the result as the last stdout line."""
    print(json.dumps(result, default=str), flush=True)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC).strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _last_error(stderr: str) -> str:
    """The exception line of a child's traceback (the table shows one line; the log keeps the rest)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith((" ", "Traceback"))]
    return (errors[0] if errors else lines[-1] if lines else "no output")[:300]
