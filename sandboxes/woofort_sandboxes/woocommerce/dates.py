"""Date helpers: UTC epoch seconds <-> WooCommerce's naive local/GMT strings (DST-correct)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

FMT = "%Y-%m-%dT%H:%M:%S"
# WordPress rest_parse_date(): RFC 3339-ish, the zone part is accepted but (GUESS, reference §5.4) not honoured.
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$")


def gmt_str(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime(FMT)


def parse_naive(value: str) -> int | None:
    """Parse a date param as a naive wall-clock time; returns 'naive epoch' seconds or None if invalid."""
    m = _DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    try:
        dt = datetime(*(int(g) for g in m.groups()[:6]), tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(dt.timestamp())


def naive_of(s) -> int | None:
    """Naive epoch seconds of a served date string (used for injected records); None if not parseable."""
    if not isinstance(s, str):
        return None
    return parse_naive(s)


class Clock:
    """Store timezone: vectorised UTC -> local offsets via an hourly offset table."""

    def __init__(self, tz: str, start_ts: int, end_ts: int):
        self.tz = ZoneInfo(tz)
        self.name = tz
        self.t0 = (start_ts // 3600) * 3600 - 400 * 86400
        hours = int((end_ts + 800 * 86400 - self.t0) // 3600) + 1
        hs = self.t0 + 3600 * np.arange(hours, dtype=np.int64)
        # compute the offset once per day and refine on days where it changes
        days = hs[::24]
        day_off = np.array([self._off(int(t)) for t in days], dtype=np.int64)
        off = np.repeat(day_off, 24)[:hours]
        change = np.nonzero(np.diff(day_off))[0]
        for d in change:
            for h in range(d * 24, min((d + 2) * 24, hours)):
                off[h] = self._off(int(hs[h]))
        self.table = off

    def _off(self, ts: int) -> int:
        return int(datetime.fromtimestamp(ts, self.tz).utcoffset().total_seconds())

    def offsets(self, ts: np.ndarray) -> np.ndarray:
        idx = (ts - self.t0) // 3600
        ok = (idx >= 0) & (idx < len(self.table))
        if ok.all():
            return self.table[idx]
        out = np.empty(len(ts), dtype=np.int64)
        out[ok] = self.table[idx[ok]]
        for i in np.nonzero(~ok)[0]:
            out[i] = self._off(int(ts[i]))
        return out

    def to_local(self, ts: np.ndarray) -> np.ndarray:
        """UTC epoch seconds -> 'naive local epoch' seconds (wall clock read as if UTC)."""
        return ts + self.offsets(ts)

    def local_str(self, ts: int) -> str:
        return datetime.fromtimestamp(int(ts), self.tz).strftime(FMT)

    def pair(self, ts) -> tuple[str | None, str | None]:
        if ts is None:
            return None, None
        return self.local_str(ts), gmt_str(ts)

    def local_to_utc(self, naive: int) -> int:
        dt = datetime.fromtimestamp(naive, timezone.utc).replace(tzinfo=None).replace(tzinfo=self.tz)
        return int(dt.timestamp())

    def gmt_offset_hours(self, ts: int) -> float:
        return self._off(ts) / 3600


def start_ts(start_date: str, tz: str) -> int:
    d = datetime.strptime(start_date[:10], "%Y-%m-%d").replace(tzinfo=ZoneInfo(tz))
    return int(d.timestamp())


def now_ts() -> int:
    return int(datetime.now(timezone.utc).timestamp())


def days(n: float) -> int:
    return int(timedelta(days=n).total_seconds())
