"""State that lasts: a database created at every earlier schema version (migrations 1..k applied, representative
rows inserted) is opened with `lib.duckdb.connect()`, upgraded to the latest version, and keeps every row."""

from __future__ import annotations

import json
import duckdb
import pytest

from woofort_assets.lib.duckdb import _migration_version, connect, schema_version
from woofort_assets.lib.sql import load_sql, sql_files

MIGRATIONS = [(_migration_version(name), name) for name in sql_files("migrations")]
LATEST = max(v for v, _ in MIGRATIONS)
ORDER = {"id": 1001, "status": "completed", "billing": {"first_name": "Åsa", "email": "asa@example.se"},
         "line_items": [{"id": 20021, "name": "Kaffe", "quantity": 2, "total": "80.00"}]}


def _create_at(path, version: int) -> None:
    """A database exactly as a woofort of schema `version` left it (meta table and all)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta; CREATE TABLE IF NOT EXISTS meta.schema_migrations ("
                    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for v, name in MIGRATIONS:
            if v <= version:
                con.execute(load_sql(name))
                con.execute("INSERT INTO meta.schema_migrations (version, name) VALUES (?, ?)", [v, name])
    finally:
        con.close()


def _value(dtype: str, n: int):
    t = dtype.upper()
    if t.endswith("[]"):
        return f"[{_value(t[:-2], n)}]"
    if t.startswith(("VARCHAR", "TEXT")):
        return f"'v{n}'"
    if t.startswith(("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "UBIGINT")):
        return str(n)
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return f"{n}.25"
    if t == "BOOLEAN":
        return "true"
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP '2026-10-0%d 12:00:00'" % (n % 9 + 1)
    if t == "DATE":
        return "DATE '2026-10-01'"
    if t == "JSON":
        return "'{\"k\": %d}'" % n
    if t.startswith("STRUCT(") and t.endswith(")"):
        fields = [f.strip().split(" ", 1) for f in _top_level_split(dtype[7:-1])]
        return "{" + ", ".join(f"'{name}': {_value(ftype, n)}" for name, ftype in fields) + "}"
    raise AssertionError(f"no sample value for type {dtype}")


def _top_level_split(text: str) -> list[str]:
    """`a INTEGER, b DECIMAL(18,6)` -> its fields: commas inside parentheses do not split."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _tables(con) -> list[tuple[str, str]]:
    return con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
                       "AND schema_name <> 'meta' ORDER BY ALL").fetchall()


def _fill(path) -> dict[tuple[str, str], list]:
    """One generic row in every table (two where the key allows), plus a realistic raw order and ledger row."""
    con = duckdb.connect(str(path))
    try:
        for schema, table in _tables(con):
            cols = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND "
                               "table_name = ? ORDER BY column_index", [schema, table]).fetchall()
            for n in (1, 2):
                values = ", ".join(_value(t, n) for _, t in cols)
                con.execute(f"INSERT INTO {schema}.{table} ({', '.join(c for c, _ in cols)}) VALUES ({values})")
        if ("raw", "orders") in _tables(con):
            con.execute("INSERT INTO raw.orders (shop, fetched_at, run_id, payload) VALUES ('default', now(), 'run-1', ?)",
                        [json.dumps(ORDER)])
        if ("ledger", "documents") in _tables(con):
            con.execute("INSERT INTO ledger.documents (shop, entity, source_key, fortnox_number, payload_hash, status,"
                        " booked, attempts, order_id) VALUES ('default', 'invoice', '1001', '17', 'abc', 'synced',"
                        " true, 1, 1001)")
        snapshot = {}
        for schema, table in _tables(con):
            snapshot[(schema, table)] = sorted(map(repr, con.execute(f"SELECT * FROM {schema}.{table}").fetchall()))
        return snapshot
    finally:
        con.close()


@pytest.mark.parametrize("version", [v for v, _ in MIGRATIONS if v < LATEST] + [0])
def test_database_of_every_earlier_version_upgrades_and_keeps_its_rows(tmp_path, version):
    path = tmp_path / f"v{version}.duckdb"
    _create_at(path, version)
    before = _fill(path) if version else {}
    with connect(path) as con:   # the production entry point runs the missing migrations
        assert schema_version(con) == LATEST
        applied = [r[0] for r in con.execute("SELECT version FROM meta.schema_migrations ORDER BY 1").fetchall()]
        assert applied == [v for v, _ in MIGRATIONS]
        for (schema, table), rows in before.items():
            now = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
            assert now == len(rows), f"{schema}.{table} lost rows in the upgrade from version {version}"
        if version >= 1:
            payload = con.execute("SELECT payload FROM raw.orders WHERE run_id = 'run-1'").fetchone()[0]
            assert json.loads(payload) == ORDER
        if ("ledger", "documents") in before:
            row = con.execute("SELECT fortnox_number, status, booked FROM ledger.documents "
                              "WHERE entity = 'invoice' AND source_key = '1001'").fetchone()
            assert row == ("17", "synced", True)
    # a second open is a no-op (no migration runs twice)
    with connect(path) as con:
        assert con.execute("SELECT count(*) FROM meta.schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_failed_migration_leaves_the_previous_version_intact(tmp_path, monkeypatch):
    """Each migration is one transaction: a broken one rolls back completely and the database stays usable."""
    from woofort_assets.lib import duckdb as wdb

    path = tmp_path / "broken.duckdb"
    _create_at(path, LATEST)
    real_files = wdb.sql_files

    def with_broken(folder):
        return real_files(folder) + ([f"migrations/{LATEST + 1:03d}_broken.sql"] if folder == "migrations" else [])

    real_load = wdb.load_sql

    def load(name):
        if name.endswith("_broken.sql"):
            return "CREATE TABLE ledger.half_done (x INTEGER); SELECT * FROM no_such_table;"
        return real_load(name)

    monkeypatch.setattr(wdb, "sql_files", with_broken)
    monkeypatch.setattr(wdb, "load_sql", load)
    with pytest.raises(duckdb.Error):
        with connect(path):
            pass
    monkeypatch.undo()
    con = duckdb.connect(str(path))
    try:
        assert schema_version(con) == LATEST
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'").fetchone()[0] == 0
    finally:
        con.close()
