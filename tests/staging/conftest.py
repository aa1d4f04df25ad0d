"""Fixtures for the raw -> staging tests: a migrated DuckDB file and a writer of raw rows."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

# The shared reference sits beside the checkout: ../shared/ from the repository root.
EXAMPLES = (Path(__file__).resolve().parents[2] / ".." / "shared" / "woocommerce" / "examples").resolve()
SHOP = "default"


def example(name: str) -> list[dict]:
    """An example file as a list of records (lists are split into records)."""
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return copy.deepcopy(data if isinstance(data, list) else [data])


class Raw:
    """Appends raw rows as the extraction does: (shop, fetched_at, run_id, payload)."""

    def __init__(self, con):
        self.con = con
        self._tick = 0

    def add(self, entity: str, records, run_id: str, fetched_at: str | None = None, shop: str = SHOP) -> None:
        for record in records if isinstance(records, list) else [records]:
            self._tick += 1
            ts = fetched_at or f"2026-11-01 00:00:{self._tick % 60:02d}+00"
            payload = record if isinstance(record, str) else json.dumps(record)
            self.con.execute(f"INSERT INTO raw.{entity} (shop, fetched_at, run_id, payload) "
                             "VALUES (?, ?::TIMESTAMPTZ, ?, ?)", [shop, ts, run_id, payload])


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated database file per session; each test works on a copy (migrating takes ~0.4 s)."""
    import duckdb

    from woofort_assets.lib.duckdb import migrate

    path = tmp_path_factory.mktemp("staging-template") / "template.duckdb"
    connection = duckdb.connect(str(path))
    migrate(connection)
    connection.close()
    return path


@pytest.fixture
def con(tmp_path, migrated_template):
    """A fresh migrated DuckDB (test_versions also covers woofort_assets.lib.duckdb.connect(path))."""
    import duckdb

    path = tmp_path / "woofort.duckdb"
    shutil.copyfile(migrated_template, path)
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()


@pytest.fixture
def raw(con):
    return Raw(con)


def snapshot(con) -> dict[str, str]:
    """A digest of every staging table and of the quarantine, to compare states byte for byte."""
    tables = [r[0] for r in con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('staging', 'quarantine') ORDER BY 1").fetchall()]
    out = {}
    for table in tables:
        out[table] = con.execute(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::VARCHAR, '\n' ORDER BY t::VARCHAR)), '') FROM {table} t"
        ).fetchone()[0]
    return out
