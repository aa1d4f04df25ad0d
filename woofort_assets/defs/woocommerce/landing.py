"""Appends fetched records to the raw tables, unchanged, one Arrow insert per page.

Closing a DuckDB connection checkpoints the file, which costs more than the insert itself once the
file is large, so a `RawLanding` keeps its connection for a few seconds across pages; other
processes wait at most that long for the file lock.

That connection is bounded to `LANDING_MEMORY_LIMIT` and one thread. At DuckDB's default memory limit (80 % of
RAM) nothing makes it let go of what it has written until the close, so the process grew by up to 750 MB between
closes and a crawl of 92,119 orders peaked at 934–983 MB resident (docs/performance.md, B1); appending a page
needs neither that memory nor a second thread. The bound is set after `connect()` has run the migrations, which
may need more, and lasts as long as the connection: the file lock keeps every other connection of the process
out, so none shares the setting."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from woofort_assets.lib.duckdb import HeldConnection

RAW_ENTITIES = frozenset({"orders", "refunds", "products", "variations", "customers", "tax_rates", "tax_classes"})
LANDING_MEMORY_LIMIT = "32MB"
LANDING_CHUNK_RECORDS = 200


def bound_for_appending(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"SET memory_limit = '{LANDING_MEMORY_LIMIT}'")
    con.execute("SET threads = 1")


class RawLanding:
    def __init__(self, database: str, shop: str, run_id: str, hold_seconds: float = 5.0):
        self.shop, self.run_id = shop, run_id
        self._connection = HeldConnection(database, hold_seconds, after_open=bound_for_appending)

    def __enter__(self) -> RawLanding:
        return self

    def __exit__(self, *exc) -> None:
        self._connection.release()

    def land(self, entity: str, records: list[dict[str, Any]]) -> int:
        """Writes a batch as one Arrow insert (not row by row) and returns how many records it held."""
        if entity not in RAW_ENTITIES:
            raise ValueError(f"unknown raw entity {entity!r}")
        if not records:
            return 0
        now = datetime.now(UTC)
        batch = pa.table(
            {
                "shop": pa.array([self.shop] * len(records)),
                "fetched_at": pa.array([now] * len(records), pa.timestamp("us", tz="UTC")),
                "run_id": pa.array([self.run_id] * len(records)),
                "payload": pa.array([json.dumps(record, ensure_ascii=False) for record in records]),
            }
        )
        con = self._connection.get()
        # a crawl's page is at most 100 records; an operator tool or a test may land thousands at once, which in one
        # insert outgrow the connection's memory bound
        for chunk in batch.to_batches(max_chunksize=LANDING_CHUNK_RECORDS):
            con.register("landing_batch", pa.Table.from_batches([chunk]))
            con.execute(f"INSERT INTO raw.{entity} (shop, fetched_at, run_id, payload) "
                        "SELECT shop, fetched_at, run_id, payload::JSON FROM landing_batch")
            con.unregister("landing_batch")
        return len(records)


def land(database: str, entity: str, shop: str, run_id: str, records: list[dict[str, Any]]) -> int:
    """One batch through its own short connection (operator tools that land a single record)."""
    with RawLanding(database, shop, run_id) as raw:
        return raw.land(entity, records)
