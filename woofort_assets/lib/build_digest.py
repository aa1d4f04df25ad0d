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
