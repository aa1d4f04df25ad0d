"""The Fortnox rate limit across machines (issue #18 item 4): lib/ratelimit.py's shared window kept in PostgreSQL
(`WOOFORT_SHARED_STATE_URL`), for workers that share no disk.

The rules are lib/ratelimit.py's: a request holds its slot from admission until its answer, and is then dated by
the answer. Admission counts the window and inserts the slot in one transaction under the advisory lock of the
budget's key. Every stamp is the database server's clock (`clock_timestamp()`), so the workers' clocks need not
agree; a worker that dies leaves its slots in flight until `IN_FLIGHT_SECONDS` pass, as with the file."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from woofort_assets.lib.ratelimit import IN_FLIGHT_SECONDS, POLL_SECONDS, RateLimitTimeout
from woofort_assets.lib.shared_state import connect, ensure_table

TABLE = "woofort_fortnox_requests"
_NOW = "extract(epoch FROM clock_timestamp())::float8"


class PostgresRateLimiter:
    """`with slot():` as `SharedRateLimiter`'s, over a table every worker reaches. Never shows the URL."""

    def __init__(self, url: str, key: str, limit: int, window_seconds: float, margin_seconds: float):
        if limit < 1 or window_seconds <= 0:
            raise ValueError("rate limit and window must be positive")
        self._url, self.key, self.limit = url, key, limit
        self.window_seconds = window_seconds + margin_seconds
        self._local = threading.local()          # one connection per thread: psycopg2 serialises a connection

    def __repr__(self) -> str:
        return f"PostgresRateLimiter({self.limit}/{self.window_seconds}s, key={self.key!r})"

    def _connection(self):
        con = getattr(self._local, "con", None)
        if con is None or con.closed:
            con = self._local.con = connect(self._url)
            ensure_table(con, f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT NOT NULL, name TEXT NOT NULL, "
                              "stamp FLOAT8 NOT NULL, PRIMARY KEY (key, name))")
        return con

    @contextmanager
    def slot(self, timeout: float = 300.0) -> Iterator[float]:
        name = uuid.uuid4().hex
        start = time.monotonic()
        while (wait := self._admit(name)) is not None:
            waited = time.monotonic() - start
            if waited > timeout:
                raise RateLimitTimeout(f"no Fortnox request slot free within {timeout:.0f}s")
            time.sleep(min(wait, max(0.0, timeout - waited)) + random.uniform(0.0, 0.015))
        try:
            yield time.monotonic() - start
        finally:
            with self._connection() as con, con.cursor() as cur:
                cur.execute(f"UPDATE {TABLE} SET stamp = {_NOW} WHERE key = %s AND name = %s", [self.key, name])
                if cur.rowcount == 0:           # out longer than the horizon, and cleaned away meanwhile
                    cur.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, {_NOW})", [self.key, name])

    def _admit(self, name: str) -> float | None:
        """Takes a slot (dated IN_FLIGHT_SECONDS ahead until the answer); else the seconds until one may free."""
        with self._connection() as con, con.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{TABLE}:{self.key}"])
            cur.execute(f"SELECT {_NOW}")
            now = cur.fetchone()[0]
            cur.execute(f"SELECT stamp FROM {TABLE} WHERE key = %s AND stamp > %s ORDER BY stamp",
                        [self.key, now - self.window_seconds])
            stamps = [row[0] for row in cur.fetchall()]
            if len(stamps) < self.limit:
                cur.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", [self.key, name, now + IN_FLIGHT_SECONDS])
                cur.execute(f"DELETE FROM {TABLE} WHERE key = %s AND stamp <= %s",
                            [self.key, now - self.window_seconds])
                return None
            freeing = stamps[len(stamps) - self.limit]     # the slot whose leaving lets one more in
            return POLL_SECONDS if freeing > now else freeing + self.window_seconds - now
