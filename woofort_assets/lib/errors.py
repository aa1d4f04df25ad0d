"""The product's own errors for an operator: what went wrong and what to fix, in one to three lines, with the
exit code `woofort` ends with (2: configuration, credentials, permissions, a lock, a server that is not what it
should be; 1: an outage that outlived its retries).

`OperatorError` is a `dg.Failure`, so the same exception works in both places it can be raised:
- inside a run step (a resource, an asset) Dagster records it as the step's failure with its description and the
  metadata `woofort_exit`, and does not retry it (`allow_retries=False`); the CLI (cli/sync.py) maps that step
  failure to the exit code and prints the lines (`from_step_failure`);
- outside a run (cli/checks.py, the CLI's own commands) `woofort`'s `main` prints the lines and exits with the code.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from woofort_assets.lib.settings import duckdb_path

EXIT_METADATA_KEY = "woofort_exit"
EXIT_CONFIG, EXIT_OUTAGE = 2, 1


class OperatorError(dg.Failure):
    """A failure an operator can act on: `exit_code` and one to three lines naming the thing to fix."""

    def __init__(self, exit_code: int, lines: str | Iterable[str]):
        lines = [lines] if isinstance(lines, str) else list(lines)
        lines = [line.rstrip() for text in lines for line in str(text).splitlines() if line.strip()][:3]
        self.exit_code, self.lines = int(exit_code), lines or ["woofort failed"]
        super().__init__(description="\n".join(self.lines), metadata={EXIT_METADATA_KEY: self.exit_code},
                         allow_retries=False)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __reduce__(self):  # picklable across Dagster's process boundaries
        return (OperatorError, (self.exit_code, self.lines))


def _chain(error_info, depth: int = 0):
    """A SerializableErrorInfo and its causes and contexts."""
    if error_info is None or depth > 10:
        return
    yield error_info
    yield from _chain(getattr(error_info, "cause", None), depth + 1)
    yield from _chain(getattr(error_info, "context", None), depth + 1)


def from_step_failure(failure_data) -> OperatorError | None:
    """The OperatorError of a failed step (its `StepFailureData`): the one it raised, else one recognised in its
    error chain (a DuckDB write that failed on a full disk or a lock, where the write happened outside
    `lib/duckdb.connect`'s reach); None when the step failed otherwise."""
    user = getattr(failure_data, "user_failure_data", None)
    if user is not None and EXIT_METADATA_KEY in (user.metadata or {}):
        code = user.metadata[EXIT_METADATA_KEY]
        return OperatorError(int(getattr(code, "value", code)), user.description or "")
    if user is not None and "fortnox_error" in (user.metadata or {}) and "refused the credentials" in (
            user.description or ""):  # the sink engine's auth failure (defs/fortnox/engine/protocol.py)
        return OperatorError(EXIT_CONFIG, user.description or "")
    for info in _chain(getattr(failure_data, "error", None)):
        if info.cls_name and ("duckdb" in info.cls_name.lower() or info.cls_name.endswith(
                ("IOException", "TransactionException", "OSError", "PermissionError", "OperationalError"))):
            translated = operator_error(duckdb_path(), RuntimeError(info.message or ""))
            if translated is not None:
                return translated
    return None


_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)(?: by user (?P<user>\S+))?")
# DuckDB's and the OS's words, and SQLite's (the shared rate limiter's file beside the DuckDB file)
_DISK_FULL = ("no space left", "file too large", "disk quota", "could not write", "failed to write",
              "disk i/o error", "database or disk is full")


def _reason(text: str) -> str:
    """The last clause of an error's first line ("File too large", "No space left on device")."""
    first = (text.strip().splitlines() or [""])[0]
    return first.rsplit(": ", 1)[-1][:100] or first[:100]


def operator_error(path: Path, error: BaseException) -> OperatorError | None:
    """The OperatorError for a DuckDB or file-system failure an operator must fix, None for any other error:
    another process holding the file (named when DuckDB names it), a full disk or a file-size limit, a data
    directory that cannot be written."""
    text = str(error)
    lowered = text.lower()
    if "could not set lock" in lowered or "conflicting lock" in lowered:
        holder = _HOLDER.search(text)
        who = (f"{holder['program']} (PID {holder['pid']}{', user ' + holder['user'] if holder['user'] else ''})"
               if holder else "another process")
        return OperatorError(EXIT_CONFIG, [
            f"the DuckDB file {path} is locked by {who}",
            "stop that process (a notebook, a `dagster dev` run, another woofort) or wait for it, then run again",
        ])
    errno_ = getattr(error, "errno", None)
    if errno_ in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or any(marker in lowered for marker in _DISK_FULL):
        return OperatorError(EXIT_CONFIG, [
            f"cannot write {path}: disk full / file size limit ({_reason(text)})",
            f"free space in the data directory {path.parent} (WOOFORT_DATA_DIR) or point WOOFORT_DATA_DIR elsewhere",
        ])
    if isinstance(error, OSError) and errno_ in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR,
                                                 errno.EEXIST):
        return OperatorError(EXIT_CONFIG, [
            f"cannot write the data directory {path.parent} ({error.strerror or text})",
            "point WOOFORT_DATA_DIR at a directory woofort may write",
        ])
    return None


def host_of(url: str) -> str:
    """`host:port` of a URL (the port its scheme implies when none is given), for messages."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
