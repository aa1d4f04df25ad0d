"""Durable, shared store for Fortnox OAuth tokens: `<data_dir>/fortnox_token.json` (mode 0600).

One JSON file holds one section per mode, so switching modes never overwrites the other mode's secret:

```json
{"version": 1,
 "refresh": {"client_id": "...", "refresh_token": "...", "refresh_issued_at": 1.7e9,
             "access_token": "...", "access_expires_at": 1.7e9, "scope": "...",
             "spent": ["<sha256 of every refresh token ever presented to Fortnox>", ...],
             "needs_connect": null | "why"},
 "service": {"client_id": "...", "tenant_id": "...", "access_token": "...", "access_expires_at": 1.7e9}}
```

Writes are atomic and durable: a temporary file (created 0600) is written and fsync'ed, then
`os.replace`d over the token file and the directory is fsync'ed, so a crash leaves either the old
or the new file, never a torn one. Cross-process mutual exclusion is a `filelock.FileLock` on
`fortnox_token.json.lock`; within a process a `threading.RLock` per token file serialises threads
before they reach the file lock (cheap, and keeps one process's threads from polling the lock file).
Both are held by `TokenStore.locked()`; callers re-read the file after taking them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock

TOKEN_FILENAME = "fortnox_token.json"
REFRESH_TOKEN_LIFETIME_SECONDS = 45 * 24 * 3600  # Fortnox: refresh tokens live 45 days, single use
FILE_VERSION = 1
_SPENT_KEEP = 50  # remembered hashes of presented refresh tokens (enough to recognise any recent one)

_thread_locks: dict[str, threading.RLock] = {}
_thread_locks_guard = threading.Lock()


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def thread_lock(path: Path | str) -> threading.RLock:
    key = str(path)
    with _thread_locks_guard:
        lock = _thread_locks.get(key)
        if lock is None:
            lock = _thread_locks[key] = threading.RLock()
        return lock


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write `data` to `path` atomically and durably with mode 0600 (temp file, fsync, replace, fsync dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Sections:
    """One section per mode in a store's JSON document, over the store's `read` and `write`."""

    def read(self) -> dict[str, Any]:
        raise NotImplementedError

    def write(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def section(self, mode: str) -> dict[str, Any]:
        return dict(self.read().get(mode) or {})

    def update_section(self, mode: str, section: dict[str, Any]) -> None:
        """Replace one mode's section, keeping the other (call inside `locked()`)."""
        data = self.read()
        data[mode] = section
        self.write(data)


class TokenStore(Sections):
    """The token file plus its locks. Every method that reads for a decision must run inside `locked()`."""

    def __init__(self, data_dir: str | os.PathLike[str], lock_timeout_seconds: float = 120.0):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / TOKEN_FILENAME
        self.lock_path = self.data_dir / (TOKEN_FILENAME + ".lock")
        self.lock_timeout_seconds = lock_timeout_seconds
        self._tlock = thread_lock(self.path)

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Thread lock, then the cross-process file lock (0600 lock file next to the token file)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._tlock:
            flock = filelock.FileLock(str(self.lock_path), timeout=self.lock_timeout_seconds, mode=0o600)
            with flock:
                yield

    def read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": FILE_VERSION}
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a JSON object")
        return data

    def write(self, data: dict[str, Any]) -> None:
        data = dict(data)
        data["version"] = FILE_VERSION
        data["updated_at"] = time.time()
        write_json_atomic(self.path, data)

    def exists(self) -> bool:
        return self.path.exists()

    def location(self) -> str:
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o600
        return f"{self.path} (mode {oct(mode)})"


def remember_spent(section: dict[str, Any], refresh_token: str) -> None:
    spent = [h for h in section.get("spent", []) if isinstance(h, str)]
    spent.append(token_sha256(refresh_token))
    section["spent"] = spent[-_SPENT_KEEP:]


def forget_spent(section: dict[str, Any], refresh_token: str) -> None:
    digest = token_sha256(refresh_token)
    section["spent"] = [h for h in section.get("spent", []) if h != digest]


def is_spent(section: dict[str, Any], refresh_token: str) -> bool:
    return token_sha256(refresh_token) in section.get("spent", [])


def describe(data: dict[str, Any], now: float | None = None) -> list[str]:
    """Human-readable status lines without any secret (for `woofort fortnox status`)."""
    now = time.time() if now is None else now
    lines: list[str] = []

    def life(expires_at: float | None) -> str:
        if not expires_at:
            return "none cached"
        left = expires_at - now
        return f"expired {_duration(-left)} ago" if left <= 0 else f"valid for {_duration(left)}"

    refresh = data.get("refresh") or {}
    service = data.get("service") or {}
    if not refresh and not service:
        return ["no Fortnox token stored: run `woofort fortnox connect` (or set FORTNOX_TENANT_ID for a service account)"]
    if refresh:
        lines.append("mode: refresh-token (OAuth authorization code, rotating refresh token)")
        lines.append(f"  client id: {refresh.get('client_id', '?')}")
        if refresh.get("needs_connect"):
            lines.append(f"  NOT CONNECTED: {refresh['needs_connect']}")
            lines.append("  run `woofort fortnox connect` to authorize woofort again")
        if refresh.get("refresh_token") and refresh.get("refresh_issued_at"):
            issued = float(refresh["refresh_issued_at"])
            expires = issued + REFRESH_TOKEN_LIFETIME_SECONDS
            left = expires - now
            lines.append(f"  refresh token issued {_duration(now - issued)} ago; "
                         + (f"remaining life {_duration(left)} (45 days, renewed on every refresh)" if left > 0
                            else "EXPIRED: run `woofort fortnox connect`"))
        elif not refresh.get("needs_connect"):
            lines.append("  no refresh token stored")
        lines.append(f"  access token: {life(refresh.get('access_expires_at'))}")
        if refresh.get("scope"):
            lines.append(f"  scopes: {refresh['scope']}")
    if service:
        lines.append("mode: service account (client credentials, no refresh token)")
        lines.append(f"  client id: {service.get('client_id', '?')}; tenant id: {service.get('tenant_id', '?')}")
        lines.append(f"  access token: {life(service.get('access_expires_at'))}")
    return lines


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
