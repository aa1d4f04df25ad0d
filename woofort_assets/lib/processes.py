"""Whether a process recorded earlier (a run's, a sandbox's) still lives: the CLI frees what a dead one held."""

from __future__ import annotations

import os


def process_alive(pid: int, since: float | None = None) -> bool:
    """Whether `pid` is a live process that started no later than `since` (a reused pid is a new process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            fields = stat_file.read().rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return False
        with open("/proc/stat") as boot_file:
            boot = next(float(line.split()[1]) for line in boot_file if line.startswith("btime "))
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return since is None or started <= since + 2
    except (OSError, ValueError, IndexError, StopIteration):
        return True  # no /proc: trust os.kill
