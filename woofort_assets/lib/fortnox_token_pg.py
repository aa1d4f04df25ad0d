"""The Fortnox tokens in PostgreSQL, for workers on several machines (issue #18 item 3), and the choice of store.

With `WOOFORT_SHARED_STATE_URL` set, every process of every machine keeps the shop's tokens in one row of
`woofort_fortnox_tokens` in that database (the Dagster instance's own database does), keyed by `WOOFORT_SHOP`;
unset, the token file of lib/fortnox_token.py. The rules of that module hold unchanged: a refresh token is
recorded as spent, durably, before it is presented, and the rotated one before the access token is handed out.

The lock is a session-level advisory lock on the shop's key, not a row lock (`SELECT … FOR UPDATE`): each of
those records must be committed while the lock is still held, and a row lock ends with its transaction. A worker
that dies holding it releases it with its connection."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from woofort_assets.lib.fortnox_token import FILE_VERSION, Sections, TokenStore, thread_lock
from woofort_assets.lib.settings import shop_key, value
from woofort_assets.lib.shared_state import connect, ensure_table

TABLE = "woofort_fortnox_tokens"
_CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, data JSONB NOT NULL, "
           "updated_at TIMESTAMPTZ NOT NULL DEFAULT now())")


def token_store(data_dir) -> Sections:
    """Where this installation keeps its Fortnox tokens."""
    url = value("WOOFORT_SHARED_STATE_URL")
    return PostgresTokenStore(url, shop_key()) if url else TokenStore(data_dir)


class PostgresTokenStore(Sections):
    """One shop's tokens in PostgreSQL; the same interface as `TokenStore`. Never shows the URL: it holds a password."""

    def __init__(self, url: str, key: str, lock_timeout_seconds: float = 120.0):
        self._url, self.key, self.lock_timeout_seconds = url, key, lock_timeout_seconds
        self._tlock = thread_lock(f"postgresql#{key}")
        self._held: Any = None          # the connection holding the lock, while `locked()` runs
        self._holder: int | None = None

    def __repr__(self) -> str:
        return f"PostgresTokenStore(key={self.key!r})"

    def location(self) -> str:
        url = urlparse(self._url)
        return f"PostgreSQL {url.hostname}:{url.port or 5432}{url.path}, table {TABLE}, key {self.key!r}"

    def _connect(self):
        con = connect(self._url)
        con.autocommit = True           # every write is committed, durably, before the caller goes on
        return con

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self._held is not None and self._holder == threading.get_ident():
            with self._held.cursor() as cur:
                yield cur
            return
        con = self._connect()
        try:
            with con.cursor() as cur:
                yield cur
        finally:
            con.close()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """This process's threads first, then every process: the advisory lock of the shop's key."""
        with self._tlock:
            if self._holder == threading.get_ident():       # re-entered by the holder
                yield
                return
            con = self._connect()
            try:
                with con.cursor() as cur:
                    cur.execute("SET lock_timeout = %s", [f"{int(self.lock_timeout_seconds * 1000)}ms"])
                    cur.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"{TABLE}:{self.key}"])
                ensure_table(con, _CREATE)
                self._held, self._holder = con, threading.get_ident()
                try:
                    yield
                finally:
                    self._held = self._holder = None
            finally:
                con.close()                 # ends the session: the advisory lock goes with it

    def read(self) -> dict[str, Any]:
        import psycopg2.errors

        with self._cursor() as cur:
            try:
                cur.execute(f"SELECT data FROM {TABLE} WHERE key = %s", [self.key])
            except psycopg2.errors.UndefinedTable:
                return {"version": FILE_VERSION}
            row = cur.fetchone()
        return dict(row[0]) if row else {"version": FILE_VERSION}

    def write(self, data: dict[str, Any]) -> None:
        from psycopg2.extras import Json

        with self._cursor() as cur:
            cur.execute(f"INSERT INTO {TABLE} (key, data) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                        "SET data = excluded.data, updated_at = now()", [self.key, Json({**data, "version": FILE_VERSION})])

    def exists(self) -> bool:
        return self.read() != {"version": FILE_VERSION}
