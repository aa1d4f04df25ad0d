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

from collections.abc import Iterable
from urllib.parse import urlsplit

import dagster as dg

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
    from woofort_assets.lib.duckdb import operator_error  # lib/duckdb imports this module
    from woofort_assets.lib.settings import duckdb_path

    for info in _chain(getattr(failure_data, "error", None)):
        if info.cls_name and ("duckdb" in info.cls_name.lower() or info.cls_name.endswith(
                ("IOException", "TransactionException", "OSError", "PermissionError", "OperationalError"))):
            translated = operator_error(duckdb_path(), RuntimeError(info.message or ""))
            if translated is not None:
                return translated
    return None


def host_of(url: str) -> str:
    """`host:port` of a URL (the port its scheme implies when none is given), for messages."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
