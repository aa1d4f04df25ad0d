"""One DuckDB file per installation, opened only through short-lived connections.

DuckDB lets a single process hold the file for writing and refuses every other process, readers
included. Every path that opens the file (assets, checks, sensors, the CLI) therefore goes through
`connect()`, which takes a cross-process file lock first; runs are also put in a Dagster pool of 1.
Schema migrations in `sql/migrations/` run on the first connection of each process."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock

from woofort_assets.lib.errors import operator_error
from woofort_assets.lib.settings import duckdb_config
from woofort_assets.lib.sql import load_sql, sql_files

_MIGRATED: set[Path] = set()
LOCK_TIMEOUT_SECONDS = 600


def _migration_version(name: str) -> int:
    match = re.match(r"migrations/(\d+)_", name)
    if not match:
        raise ValueError(f"migration file {name} must be named NNN_description.sql")
    return int(match.group(1))


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements commit together or not at all (one WAL commit)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Applies the migrations this database has not seen yet, each in its own transaction."""
    con.execute(
        "CREATE SCHEMA IF NOT EXISTS meta;"
        "CREATE TABLE IF NOT EXISTS meta.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    applied = {row[0] for row in con.execute("SELECT version FROM meta.schema_migrations").fetchall()}
    newly_applied = []
    for name in sql_files("migrations"):
        version = _migration_version(name)
        if version in applied:
            continue
        with transaction(con):
            con.execute(load_sql(name))
            con.execute("INSERT INTO meta.schema_migrations (version, name) VALUES (?, ?)", [version, name])
        newly_applied.append(version)
    return newly_applied


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table exists: tables a delta build creates are missing until the first build."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(version), 0) FROM meta.schema_migrations").fetchone()[0]


@contextmanager
def connect(database: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held under the installation's file lock, closed on exit. A lock held by a process outside
    woofort (DuckDB's own lock), a full disk or an unwritable data directory is an `OperatorError` naming it."""
    path = Path(database)
    with ExitStack() as stack:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS))
            con = duckdb.connect(str(path), read_only=read_only and path.exists(), config=duckdb_config())
        except (duckdb.Error, OSError) as error:
            translated = operator_error(path, error)
            if translated is None:
                raise
            raise translated from error
        try:
            if not read_only and path not in _MIGRATED:
                try:
                    migrate(con)
                except (duckdb.Error, OSError) as error:
                    translated = operator_error(path, error)
                    if translated is None:
                        raise
                    raise translated from error
                _MIGRATED.add(path)
            try:
                yield con
            except (duckdb.Error, OSError) as error:  # a write of the caller's: a full disk shows here
                translated = operator_error(path, error)
                if translated is None:
                    raise
                raise translated from error
        finally:
            con.close()


class HeldConnection:
    """A `connect()` kept open across many small writes for at most `hold_seconds`, then closed and reopened.

    Closing checkpoints the file, which costs more than a small write once the file is large; holding the
    connection briefly amortises that while other processes wait at most `hold_seconds` for the lock.
    `after_open(con)` runs after every open (e.g. to bound the connection's memory: migrations have run by then);
    `before_close(con)` runs before every close (e.g. to commit writes that were deferred)."""

    def __init__(self, database: Path | str, hold_seconds: float, before_close=None, after_open=None):
        self.database, self.hold_seconds = database, hold_seconds
        self.before_close, self.after_open = before_close, after_open
        self._stack: ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened_at = 0.0

    def get(self) -> duckdb.DuckDBPyConnection:
        if self._con is not None and time.monotonic() - self._opened_at > self.hold_seconds:
            self.release()
        if self._con is None:
            self._stack = ExitStack()
            self._con = self._stack.enter_context(connect(self.database))
            self._opened_at = time.monotonic()
            if self.after_open is not None:
                self.after_open(self._con)
        return self._con

    def release(self) -> None:
        try:
            if self._con is not None and self.before_close is not None:
                self.before_close(self._con)
        finally:
            if self._stack is not None:
                self._stack.close()
            self._stack, self._con = None, None
