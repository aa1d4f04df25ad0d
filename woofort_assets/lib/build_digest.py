"""The digest of what every order of an incremental build may read: when it differs from the last complete
build's, the build covers every order again. The deltas (defs/deltas/scope.py) and the reconciliation
(defs/reconciliation/scope.py) each take their own, over their own SQL, code and inputs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from woofort_assets.lib.sql import load_sql, sql_dir, sql_files


def shared_digest(con, shop: str, sql_folder: str, code: Iterable[Path], files: Iterable[Path] = ()) -> str:
    """DuckDB's version, the SQL files of `sql_folder`, the `code` and other `files` it depends on, the mapping
    tables (TEMP map_*) and the rows of `<sql_folder>/_shared_inputs.sql`."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for name in sql_files(sql_folder):
        digest.update((sql_dir() / name).read_bytes())
    for path in (*code, *files):
        digest.update(path.read_bytes())
    mapping = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'map_') "
        "ORDER BY table_name").fetchall()]
    for table in mapping:
        digest.update(repr((table, con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone())).encode())
    digest.update(repr(con.execute(load_sql(f"{sql_folder}/_shared_inputs.sql"), {"shop": shop}).fetchall()).encode())
    return digest.hexdigest()


def starts_over(con, shop: str, schema: str, builds_table: str, tables: Iterable[str], shared: str) -> bool:
    """Whether this build must cover every order: the shared digest differs from the last complete build's, or
    one of its `tables` is missing. Either way the last build's record is dropped first, so that a build which
    fails half-way leaves no table claiming to be complete and the next one covers every order."""
    built = con.execute(f"SELECT shared_digest FROM {schema}.{builds_table} WHERE shop = ?", [shop]).fetchone()
    existing = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [schema]).fetchall()}
    con.execute(f"DELETE FROM {schema}.{builds_table} WHERE shop = ?", [shop])
    return built is None or built[0] != shared or not set(tables) <= existing
