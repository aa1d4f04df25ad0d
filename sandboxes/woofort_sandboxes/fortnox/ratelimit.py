"""Per-tenant sliding-window rate limit: `limit` requests per `window` seconds -> 429.

Source: rate-limits page ("300 requests per minute per client-id and tenant ... sliding window ... 5 seconds,
so the actual limit is 25 requests per 5 seconds"). The 429 body `{"message":"Too Many Requests"}` and the
`Retry-After` header (seconds until a slot frees) are GUESS (undocumented, reference §2).
Only accepted requests occupy the window (GUESS); 429 answers do not extend the penalty.
"""
from __future__ import annotations

import math
import threading
from collections import defaultdict, deque


class SlidingWindow:
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


def too_many(wait: float):
    from .errors import RawError
    return RawError(429, {"message": "Too Many Requests"}, headers={"Retry-After": str(max(1, math.ceil(wait)))})
