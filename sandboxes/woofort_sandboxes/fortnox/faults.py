"""Fault injection (sandbox-only; not Fortnox behaviour).

A fault rule: {"kind": ..., "pattern": "/3/invoices*", "methods": ["POST"], "count": N|None,
"probability": 1.0, "skip": 0, ...}. `pattern` is an fnmatch glob on the request path (trailing slash stripped);
`count` = how many times it fires (None = unlimited); `skip` = matching requests to let through first;
`probability` draws from a seeded RNG (seed via configure(seed=...)).
Kinds:
- "latency": sleep `latency_ms` then continue normally.
- "error": answer `status` (500/502/503) with a small body, nothing committed.
- "rate_limit": answer 429 (same body as the real limiter); `count` consecutive requests = a 429 storm.
- "commit_then_drop": run the request (the write is committed), then close the connection without a response.
- "drop": close the connection before handling (nothing committed).
"""
from __future__ import annotations

import fnmatch
import itertools
import random
import threading

KINDS = {"latency", "error", "rate_limit", "commit_then_drop", "drop"}


class Faults:
    def __init__(self, seed: int = 0):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.rules: list[dict] = []
        self.ids = itertools.count(1)

    def configure(self, seed: int | None = None, clear: bool = False) -> None:
        with self.lock:
            if seed is not None:
                self.rng = random.Random(seed)
            if clear:
                self.rules = []

    def add(self, kind: str, pattern: str = "*", methods=None, count: int | None = None, probability: float = 1.0,
            skip: int = 0, status: int = 503, latency_ms: int = 0) -> dict:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        if kind == "error" and status not in (500, 502, 503, 504):
            raise ValueError("error status must be 500/502/503/504")
        rule = {"id": next(self.ids), "kind": kind, "pattern": pattern,
                "methods": [m.upper() for m in methods] if methods else None, "count": count,
                "probability": float(probability), "skip": int(skip), "status": int(status),
                "latency_ms": int(latency_ms), "fired": 0, "seen": 0}
        with self.lock:
            self.rules.append(rule)
        return dict(rule)

    def clear(self) -> None:
        with self.lock:
            self.rules = []

    def match(self, method: str, path: str) -> list[dict]:
        """Rules firing for this request (counts updated)."""
        fired = []
        with self.lock:
            for r in self.rules:
                if r["methods"] and method.upper() not in r["methods"]:
                    continue
                if not fnmatch.fnmatchcase(path, r["pattern"]):
                    continue
                if r["count"] is not None and r["fired"] >= r["count"]:
                    continue
                r["seen"] += 1
                if r["seen"] <= r["skip"]:
                    continue
                if r["probability"] < 1.0 and self.rng.random() >= r["probability"]:
                    continue
                r["fired"] += 1
                fired.append(dict(r))
        return fired

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.rules]
