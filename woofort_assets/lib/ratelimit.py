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
number). Stamping `now()` inside the lock, right before the request is sent, is what matters.

The window used is `window_seconds + margin_seconds`: the server stamps a request when it *arrives*,
we stamp it when we *admit* it, and the gap (scheduling, connection set-up) varies from request to
request, so a request admitted exactly `window` after another can arrive inside the server's window.
The margin covers that jitter; see docs/fortnox-client.md for the measurement.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from pathlib import Path

from pyrate_limiter import Duration, Rate, RateItem, SQLiteBucket

DEFAULT_MARGIN_SECONDS = 0.15


class RateLimitTimeout(TimeoutError):
    """No slot became free within the caller's timeout."""


class SharedRateLimiter:
    """`acquire()` blocks until one more request fits in the shared window."""

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
        self._thread_lock = threading.Lock()
        self._puts = 0

    def __repr__(self) -> str:
        return f"SharedRateLimiter({self.limit}/{self.window_seconds}s+{self.margin_seconds}s, {str(self.state_file)!r})"

    def acquire(self, timeout: float = 300.0) -> float:
        """Take one slot; returns the seconds waited. Raises RateLimitTimeout after `timeout`."""
        start = time.monotonic()
        bucket = self._bucket
        while True:
            with self._thread_lock, bucket.lock:  # threads, then processes (filelock on the SQLite file)
                item = RateItem("fortnox", bucket.now())
                decision = bucket.put_decision(item)  # count in window + insert: one transaction
                self._puts += 1
                if self._puts % 100 == 0:
                    bucket.leak(item.timestamp)  # drop entries older than the window
            if decision.allowed:
                return time.monotonic() - start
            waited = time.monotonic() - start
            if waited > timeout:
                raise RateLimitTimeout(f"no Fortnox request slot free within {timeout:.0f}s")
            wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else 20
            # A little jitter so that waiting threads/processes do not all wake on the same millisecond.
            time.sleep(min(wait_ms / 1000, max(0.0, timeout - waited)) + random.uniform(0.0, 0.015))


_cache: dict[tuple, SharedRateLimiter] = {}
_cache_guard = threading.Lock()


def shared_limiter(
    data_dir: str | os.PathLike[str],
    key: str,
    limit: int,
    window_seconds: float,
    margin_seconds: float = DEFAULT_MARGIN_SECONDS,
) -> SharedRateLimiter:
    """One limiter per (state file, settings) per process (re-created after fork: SQLite connections
    must not cross a fork). `key` names the budget (e.g. api url + client id + tenant)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    state_file = Path(data_dir) / f"fortnox_ratelimit_{digest}.sqlite"
    cache_key = (os.getpid(), str(state_file), limit, window_seconds, margin_seconds)
    with _cache_guard:
        limiter = _cache.get(cache_key)
        if limiter is None:
            limiter = _cache[cache_key] = SharedRateLimiter(state_file, limit, window_seconds, margin_seconds)
        return limiter
