"""Appends fetched records to the raw tables, unchanged, one batch per connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from woofort_assets.lib.duckdb import connect

RAW_ENTITIES = frozenset({"orders", "refunds", "products", "variations", "customers", "tax_rates", "tax_classes"})


def land(database: str, entity: str, shop: str, run_id: str, records: list[dict[str, Any]]) -> int:
    """Writes a batch as one Arrow insert (not row by row) and returns how many records it held."""
    if entity not in RAW_ENTITIES:
        raise ValueError(f"unknown raw entity {entity!r}")
    if not records:
        return 0
    now = datetime.now(UTC)
    batch = pa.table(
        {
            "shop": pa.array([shop] * len(records)),
            "fetched_at": pa.array([now] * len(records), pa.timestamp("us", tz="UTC")),
            "run_id": pa.array([run_id] * len(records)),
            "payload": pa.array([json.dumps(record, ensure_ascii=False) for record in records]),
        }
    )
    with connect(database) as con:
        con.register("landing_batch", batch)
        con.execute(
            f"INSERT INTO raw.{entity} SELECT shop, fetched_at, run_id, payload::JSON FROM landing_batch"
        )
    return len(records)
