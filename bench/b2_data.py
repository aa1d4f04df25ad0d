"""B2 input: raw WooCommerce JSON built in-process with the sandbox's own generator (no HTTP).

`build_source(n)` builds n distinct orders (and their refunds) with the sandbox Store/OrderBuilder (seed 7, 30
days from 2026-10-01), plus the catalogue (products, variations, customers, tax rates, tax classes), and caches
them as Parquet under WORK_DIR/b2-src-<n>/ (generation is not what B2 measures). Orders are built in 2 worker
processes (the builder costs ~0.4 ms per order).

`load_raw(db, src, replicas)` inserts them into raw.* with one Arrow insert per chunk (50,000 records). With
replicas > 1 (1,000,000 orders from 100,000 distinct ones) each further copy gets order ids and refund ids shifted
by r × 10,000,000 (refund `parent_id` too) through json_merge_patch in DuckDB: the same amounts, lines, customers
and dates, different keys. This is stated in the results."""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import WORK_DIR, log

SEED, START, DAYS = 7, "2026-10-01", 30
CHUNK = 50_000
ID_SHIFT = 10_000_000
RUN_ID = "bench-b2"


def _store(n: int):
    from woofort_sandboxes.woocommerce.store import Store

    return Store(orders=n, seed=SEED, start_date=START, days=DAYS)


def _build_range(args: tuple[int, int, int]) -> tuple[list[str], list[str]]:
    n, lo, hi = args
    store = _store(n)
    orders, refunds = [], []
    for i in range(lo, hi):
        key = (int(store.ids[i]), int(store.created[i]), int(store.mod0[i]), int(store.mod[i]),
               int(store.status[i]), int(store.customer[i]), store._plans(i))
        order, order_refunds = store.builder.build(*key)
        orders.append(json.dumps(order, ensure_ascii=False))
        for ref in order_refunds:
            ref = dict(ref)
            parent = ref.pop("_parent_id", key[0])
            refunds.append(json.dumps({"id": ref["id"], "parent_id": parent,
                                       **{k: v for k, v in ref.items() if k != "id"}}, ensure_ascii=False))
    return orders, refunds


def source_dir(n: int) -> Path:
    return WORK_DIR / f"b2-src-{n}"


def build_source(n: int, workers: int = 2) -> Path:
    out = source_dir(n)
    if (out / "done").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log(f"B2: generating {n} orders with the sandbox generator ({workers} processes; cached in {out})")
    step = 10_000
    ranges = [(n, lo, min(n, lo + step)) for lo in range(0, n, step)]
    writers = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for orders, refunds in pool.map(_build_range, ranges):
            for name, rows in (("orders", orders), ("refunds", refunds)):
                table = pa.table({"payload": pa.array(rows, pa.string())})
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
    for w in writers.values():
        w.close()
    store = _store(n)
    cat = store.catalog
    catalog = {
        "products": list(cat.products.values()),
        "variations": [{**v, "parent_id": v.get("parent_id") or cat.var_parent[vid]} for vid, v in cat.variations.items()],
        "customers": list(cat.customers.values()),
        "tax_rates": list(cat.tax_rates),
        "tax_classes": list(cat.tax_classes),
    }
    (out / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False))
    (out / "done").write_text(f"{time.monotonic() - started:.1f}")
    log(f"B2: generated {n} orders in {time.monotonic() - started:.0f} s")
    return out


def load_raw(db: str, src: Path, replicas: int = 1) -> dict:
    """Fresh database with raw.* filled (one Arrow insert per chunk); returns counts."""
    from woofort_assets.defs.woocommerce.landing import land
    from woofort_assets.lib.duckdb import connect

    catalog = json.loads((src / "catalog.json").read_text())
    for entity, records in catalog.items():
        land(db, entity, "default", RUN_ID, records)
    with connect(db) as con:
        for entity in ("orders", "refunds"):
            pf = pq.ParquetFile(src / f"{entity}.parquet")
            for batch in pf.iter_batches(batch_size=CHUNK):
                n = batch.num_rows
                chunk = pa.table({
                    "shop": pa.array(["default"] * n),
                    "fetched_at": pa.array([time.time_ns() // 1000] * n, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                    "run_id": pa.array([RUN_ID] * n),
                    "payload": batch.column("payload"),
                })
                con.register("chunk", chunk)
                con.execute(f"INSERT INTO raw.{entity} (shop, fetched_at, run_id, payload) "
                            "SELECT shop, fetched_at, run_id, payload::JSON FROM chunk")
                con.unregister("chunk")
            for r in range(1, replicas):
                shift = r * ID_SHIFT
                patch = ("json_object('id', CAST(payload->>'$.id' AS BIGINT) + {s}, 'number', "
                         "CAST(CAST(payload->>'$.id' AS BIGINT) + {s} AS VARCHAR))" if entity == "orders" else
                         "json_object('id', CAST(payload->>'$.id' AS BIGINT) + {s}, "
                         "'parent_id', CAST(payload->>'$.parent_id' AS BIGINT) + {s})").format(s=shift)
                con.execute(f"INSERT INTO raw.{entity} (shop, fetched_at, run_id, payload) "
                            f"SELECT shop, fetched_at, run_id, json_merge_patch(payload, {patch}) FROM raw.{entity} "
                            f"WHERE run_id = '{RUN_ID}' AND CAST(payload->>'$.id' AS BIGINT) < {ID_SHIFT}")
        counts = {e: con.execute(f"SELECT count(*) FROM raw.{e}").fetchone()[0]
                  for e in ("orders", "refunds", "products", "variations", "customers", "tax_rates", "tax_classes")}
    return counts
