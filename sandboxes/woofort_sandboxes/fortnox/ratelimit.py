"""Per-tenant sliding-window rate limit: `limit` requests per `window` seconds -> 429.

Source: rate-limits page ("300 requests per minute per client-id and tenant ... sliding window ... 5 seconds,
so the actual limit is 25 requests per 5 seconds"). The 429 body `{"message":"Too Many Requests"}` and the
`Retry-After` header (seconds until a slot frees) are GUESS (undocumented, reference §2).
Only accepted requests occupy the window (GUESS); 429 answers do not extend the penalty.

Two modes (`FortnoxSandbox(rate_mode=...)`):
- "sliding" (default): `SlidingWindow`, a request is stamped when it is authorised (after any fault latency).
- "strict": `ArrivalWindow`, a request is stamped when it *arrives* (before faults and handling), and no closed
  interval of `window` seconds may hold more than `limit` accepted requests, also when stamps reach the check
  out of order (threads). Modelled on an independent server counting a strict window, which saw 1 × 429 in
  ~1,900 requests from woofort's limiter where this sandbox, then without jitter, saw none (issue #16 item 5).
`Jitter` is the simulated network: a seeded random delay, uniform in [0, max], before a request arrives, so
that requests sent `window` apart may arrive closer than that. It applies in both modes, and it is what made
the difference: the limiter of the time drew 429s from either mode with 0.2 s of jitter, none without.
"""
from __future__ import annotations

import bisect
import math
import random
import threading
import time
from collections import defaultdict, deque

RATE_MODES = ("sliding", "strict")


class SlidingWindow:
    at_arrival = False  # stamped with the clock at the check

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.hits: dict[str, deque] = defaultdict(deque)

    def check(self, key: str, now: float) -> float | None:
        """Record a request; return None if allowed, else seconds to wait."""
        with self.lock:
            q = self.hits[key]
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.0, q[0] + self.window - now)
            q.append(now)
            return None

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()


class ArrivalWindow:
    """The "strict" mode: any closed `window`-second interval holds at most `limit` accepted arrivals."""

    at_arrival = True  # stamped with the request's arrival time (server.py records it first thing)

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.hits: dict[str, list[float]] = defaultdict(list)

    def check(self, key: str, arrived: float) -> float | None:
        """Record an arrival; return None if allowed, else seconds until it would have fitted."""
        with self.lock:
            stamps = self.hits[key]
            # keep two windows: an arrival checked late (its thread was slow) still sees its neighbours
            del stamps[:bisect.bisect_left(stamps, arrived - 2 * self.window)]
            pos = bisect.bisect_right(stamps, arrived)
            trial = stamps[:pos] + [arrived] + stamps[pos:]
            for i in range(max(0, pos - self.limit), pos + 1):
                j = i + self.limit  # trial[i..j] are limit + 1 arrivals: they must span more than `window`
                if j < len(trial) and trial[j] - trial[i] <= self.window:
                    return max(0.0, trial[i] + self.window - arrived)
            stamps.insert(pos, arrived)
            return None

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()


def make_window(mode: str, limit: int, window: float) -> SlidingWindow | ArrivalWindow:
    if mode not in RATE_MODES:
        raise ValueError(f"rate_mode must be one of {RATE_MODES}, not {mode!r}")
    return (ArrivalWindow if mode == "strict" else SlidingWindow)(limit, window)


class Jitter:
    """Simulated one-way network delay before a request arrives: uniform in [0, max_seconds], seeded."""

    def __init__(self, max_seconds: float = 0.0, seed: int = 0):
        if max_seconds < 0:
            raise ValueError("rate_jitter_seconds must be >= 0")
        self.max_seconds = float(max_seconds)
        self.seed = seed
        self.lock = threading.Lock()
        self.rng = random.Random(seed)

    def draw(self) -> float:
        if self.max_seconds <= 0:
            return 0.0
        with self.lock:
            return self.rng.uniform(0.0, self.max_seconds)

    def arrive(self) -> float:
        """Sleep a drawn delay; return the arrival time (time.monotonic())."""
        delay = self.draw()
        if delay:
            time.sleep(delay)
        return time.monotonic()

    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(self.seed)


def too_many(wait: float):
    from .errors import RawError
    return RawError(429, {"message": "Too Many Requests"}, headers={"Retry-After": str(max(1, math.ceil(wait)))})
