"""Client-side sliding-window limiter shared by every process and thread of one Fortnox tenant.

Fortnox allows 25 requests per 5 s per client id and tenant (sliding window, HTTP 429 beyond). Every
woofort process that talks to one tenant (Dagster's multiprocess executor, sensors, the CLI) shares
one budget through a SQLite file in `data_dir`, via pyrate-limiter (`SQLiteBucket` with
`use_file_lock=True`: the count-then-insert runs under a `filelock` lock, so it is atomic across
processes; the algorithm is pyrate-limiter's `SlidingWindowLog`, the same shape as Fortnox's window).

We drive the bucket ourselves (`put_decision` under the bucket's file lock, then sleep the returned
`retry_after_ms`) instead of pyrate-limiter's `Limiter`, for two reasons: (1) its blocking wait stamps
a waiting item with `timestamp += slept_ms` rather than the clock at admission, so under lock
contention the stamp lags the real send time and the window opens early; (2) in pyrate-limiter 4.5
its non-blocking path calls `FileLock.acquire(False)`, which filelock 4 rejects (timeout must be a
number).

A request holds its slot from admission until its answer is in, and is then dated by the answer
(`slot()`). Fortnox counts a request when it *arrives*, which we cannot see, but it lies between our
send and our answer: counting the next request's window from the answer is safe whatever the network
jitter, where a stamp taken at the send is only safe while the jitter stays under a fixed margin. Measured
against the sandbox's strict mode (docs/fortnox-client.md): the send-to-arrival delay is 0.6-2.7 ms on
loopback, so the earlier send stamp + 0.15 s margin never saw a 429 there, but with 0.2 s of jitter it
saw 3 × 429 in 300 sequential requests (0 with the answer's date). While in flight the slot's stamp is
`IN_FLIGHT_SECONDS` in the future, so it counts in every window until the answer re-dates it (or, if the
process dies, until the horizon passes). `margin_seconds` is now only for clock slew (NTP may slew the
wall clock by 0.5 ms/s, 2.5 ms per window) and millisecond stamps.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from pyrate_limiter import Duration, Rate, RateItem, SQLiteBucket

from woofort_assets.lib.settings import value

DEFAULT_MARGIN_SECONDS = 0.01
IN_FLIGHT_SECONDS = 60.0  # a request out longer than this (timeouts are 30 s) is dated as if answered then
POLL_SECONDS = 0.25  # re-check this often while every counted slot is still in flight


class RateLimitTimeout(TimeoutError):
    """No slot became free within the caller's timeout."""


class RequestSlots(Protocol):
    """A shared window of requests: this module's file, or PostgreSQL's (lib/ratelimit_pg.py)."""

    def slot(self, timeout: float = 300.0) -> AbstractContextManager[float]: ...


class SharedRateLimiter:
    """`with slot():` blocks until one more request fits in the shared window and holds it until the answer."""

    def __init__(
        self,
        state_file: str | os.PathLike[str],
        limit: int,
        window_seconds: float,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
    ):
        if limit < 1 or window_seconds <= 0:
            raise ValueError("rate limit and window must be positive")
        self.state_file = Path(state_file)
        self.limit = limit
        self.window_seconds = window_seconds
        self.margin_seconds = margin_seconds
        interval_ms = int(round((window_seconds + margin_seconds) * Duration.SECOND))
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        bucket = SQLiteBucket.init_from_file(
            [Rate(limit, interval_ms)],
            table="fortnox_requests",
            db_path=str(self.state_file),
            create_new_table=True,
            use_file_lock=True,
        )
        for suffix in ("", ".lock", "-wal", "-shm"):
            p = Path(str(self.state_file) + suffix)
            if p.exists():
                try:
                    os.chmod(p, 0o600)
                except OSError:
                    pass
        self._bucket = bucket
        self._interval_ms = interval_ms
        self._thread_lock = threading.Lock()
        self._puts = 0

    def __repr__(self) -> str:
        return f"SharedRateLimiter({self.limit}/{self.window_seconds}s+{self.margin_seconds}s, {str(self.state_file)!r})"

    @contextmanager
    def slot(self, timeout: float = 300.0) -> Iterator[float]:
        """Hold one slot while the request is out; yields the seconds waited for it. On exit (answer, error
        or exception alike) the slot is dated now: the request arrived at Fortnox at the latest then."""
        name = f"fortnox:{uuid.uuid4().hex}"
        waited = self._admit(name, timeout)
        try:
            yield waited
        finally:
            self._redate(name, self._bucket.now())

    def _admit(self, name: str, timeout: float) -> float:
        """Take one slot, dated IN_FLIGHT_SECONDS ahead until `_redate`; returns the seconds waited."""
        start = time.monotonic()
        bucket = self._bucket
        while True:
            with self._thread_lock, bucket.lock:  # threads, then processes (filelock on the SQLite file)
                item = RateItem(name, bucket.now())
                decision = bucket.put_decision(item)  # count in window + insert: one transaction
                if decision.allowed:
                    self._redate_locked(name, item.timestamp + int(IN_FLIGHT_SECONDS * 1000))
                self._puts += 1
                if self._puts % 100 == 0:
                    bucket.leak(item.timestamp)  # drop entries older than the window
            if decision.allowed:
                return time.monotonic() - start
            waited = time.monotonic() - start
            if waited > timeout:
                raise RateLimitTimeout(f"no Fortnox request slot free within {timeout:.0f}s")
            wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else 20
            if wait_ms > self._interval_ms + 1:  # the next slot to free is still in flight: its answer re-dates it
                wait_ms = POLL_SECONDS * 1000
            # A little jitter so that waiting threads/processes do not all wake on the same millisecond.
            time.sleep(min(wait_ms / 1000, max(0.0, timeout - waited)) + random.uniform(0.0, 0.015))

    def _redate(self, name: str, timestamp_ms: int) -> None:
        with self._thread_lock, self._bucket.lock:
            self._redate_locked(name, timestamp_ms)

    def _redate_locked(self, name: str, timestamp_ms: int) -> None:
        """Set the slot's stamp (an UPDATE on pyrate-limiter's table: its API only inserts); re-insert it if it
        was already leaked (a request out for longer than the in-flight horizon)."""
        conn, table = self._bucket.conn, self._bucket.table.replace('"', '""')
        updated = conn.execute(f'UPDATE "{table}" SET item_timestamp = ? WHERE name = ?', (timestamp_ms, name))
        if updated.rowcount == 0:
            conn.execute(f'INSERT INTO "{table}" (name, item_timestamp) VALUES (?, ?)', (name, timestamp_ms))
        conn.commit()


_cache: dict[tuple, RequestSlots] = {}
_cache_guard = threading.Lock()


def shared_limiter(
    data_dir: str | os.PathLike[str],
    key: str,
    limit: int,
    window_seconds: float,
    margin_seconds: float = DEFAULT_MARGIN_SECONDS,
) -> RequestSlots:
    """One limiter per (state file, settings) per process (re-created after fork: SQLite connections
    must not cross a fork). `key` names the budget (e.g. api url + client id + tenant). With
    `WOOFORT_SHARED_STATE_URL` the window is kept in PostgreSQL instead (lib/ratelimit_pg.py)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    shared = value("WOOFORT_SHARED_STATE_URL")
    if shared:
        from woofort_assets.lib.ratelimit_pg import PostgresRateLimiter

        cache_key = (os.getpid(), shared, digest, limit, window_seconds, margin_seconds)
        with _cache_guard:
            if cache_key not in _cache:
                _cache[cache_key] = PostgresRateLimiter(shared, digest, limit, window_seconds, margin_seconds)
            return _cache[cache_key]
    state_file = Path(data_dir) / f"fortnox_ratelimit_{digest}.sqlite"
    cache_key = (os.getpid(), str(state_file), limit, window_seconds, margin_seconds)
    with _cache_guard:
        limiter = _cache.get(cache_key)
        if limiter is None:
            limiter = _cache[cache_key] = SharedRateLimiter(state_file, limit, window_seconds, margin_seconds)
        return limiter
