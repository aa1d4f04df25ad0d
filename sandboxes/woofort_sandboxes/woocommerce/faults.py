"""Fault injection: latency, slow pages, 5xx, dropped connections, records modified during a crawl.

All randomness comes from a seeded RNG so tests are deterministic; every fault can carry a limit
("fail the next 3 requests": error_rate=1, error_limit=3).
"""
from __future__ import annotations

import random
import threading

WP_CRITICAL = ('<p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/'
               'documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p>')
BODIES = {
    500: ("application/json; charset=UTF-8",
          {"code": "internal_server_error", "message": WP_CRITICAL, "data": {"status": 500}, "additional_errors": []}),
    502: ("text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                       "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
    503: ("text/html", "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>"
                       "<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request "
                       "due to maintenance downtime or capacity problems. Please try again later.</p></body></html>"),
    429: ("text/html", "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1>"
                       "</body></html>"),
}

DEFAULTS = {
    "latency_ms": 0,            # added to every wc/v3 request
    "slow_pages": [],           # page numbers (1-based, derived from page/offset) that get slow_page_ms extra
    "slow_page_ms": 0,
    "error_rate": 0.0,          # probability of a 5xx instead of the real answer
    "error_statuses": [500, 502, 503],
    "error_limit": None,        # at most this many injected errors (None = unlimited)
    "drop_rate": 0.0,           # probability of closing the socket without any response
    "drop_limit": None,
    "modify_during_crawl": None,  # {"after_page": k, "count": N, "entity": "orders", "date_modified_gmt": None,
                                  #  "times": 1}
    "paths": None,              # optional substring filter: faults only for request paths containing it
    "seed": 0,
}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.cfg = dict(DEFAULTS)
            self.rng = random.Random(0)
            self.counts = {"errors": 0, "drops": 0, "crawl_modifications": 0, "modified_ids": []}

    def set(self, **kw) -> dict:
        unknown = set(kw) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self.cfg.update(kw)
            if "seed" in kw:
                self.rng = random.Random(kw["seed"])
            if any(k.startswith("error_") for k in kw):
                self.counts["errors"] = 0
            if any(k.startswith("drop_") for k in kw):
                self.counts["drops"] = 0
            if "modify_during_crawl" in kw:
                self.counts.update({"crawl_modifications": 0, "modified_ids": []})
        return self.state()

    def state(self) -> dict:
        with self._lock:
            return {"config": dict(self.cfg), "counts": dict(self.counts)}

    def _applies(self, path: str) -> bool:
        p = self.cfg.get("paths")
        return not p or p in path

    def delay_ms(self, path: str, page: int | None) -> int:
        if not self._applies(path):
            return 0
        ms = int(self.cfg["latency_ms"] or 0)
        if page is not None and page in (self.cfg["slow_pages"] or []):
            ms += int(self.cfg["slow_page_ms"] or 0)
        return ms

    def should_drop(self, path: str) -> bool:
        with self._lock:
            if not self._applies(path) or not self.cfg["drop_rate"]:
                return False
            lim = self.cfg["drop_limit"]
            if lim is not None and self.counts["drops"] >= lim:
                return False
            if self.rng.random() < float(self.cfg["drop_rate"]):
                self.counts["drops"] += 1
                return True
            return False

    def error_status(self, path: str) -> int | None:
        with self._lock:
            if not self._applies(path) or not self.cfg["error_rate"]:
                return None
            lim = self.cfg["error_limit"]
            if lim is not None and self.counts["errors"] >= lim:
                return None
            if self.rng.random() < float(self.cfg["error_rate"]):
                self.counts["errors"] += 1
                return int(self.rng.choice(self.cfg["error_statuses"]))
            return None

    def crawl_targets(self, entity: str, page: int, ids: list) -> tuple[list, object]:
        """After serving `page` of a listing of `entity`: which ids to bump (and to what time)."""
        with self._lock:
            mdc = self.cfg.get("modify_during_crawl")
            if not mdc or mdc.get("entity", "orders") != entity or int(mdc.get("after_page", 1)) != page:
                return [], None
            if self.counts["crawl_modifications"] >= int(mdc.get("times", 1)):
                return [], None
            n = min(int(mdc.get("count", 1)), len(ids))
            chosen = sorted(self.rng.sample(list(ids), n)) if n else []
            self.counts["crawl_modifications"] += 1
            self.counts["modified_ids"] = self.counts["modified_ids"] + chosen
            return chosen, mdc.get("date_modified_gmt")
