"""B4 incremental cost: what one small batch of changed orders costs in DuckDB against a large history — the work
every run after the first does (issue #16). No Fortnox, no HTTP.

Prep (not measured, one child): a fresh file with B2's history raw-loaded (bench/b2_data.py: 100,000 distinct
generated orders, replicated for 1,000,000), every entity staged, all deltas built and the reconciliation built
once: the steady state. It also writes the batch: `batch` orders drawn from the first 100,000 (the same ids at every
history size), each a new version (date_modified one day later, the status moved on — pending/on-hold → processing
→ completed — or, for the others, a changed customer note) plus their refunds as they stand.
Then one child per step, in this order, each timing its own connection (open, work, close with its checkpoint) and
reporting its own CPU seconds and peak RSS, as a Dagster step process would pay them:
  land             RawLanding.land of the batch with a new run_id (reported, not in the total)
  staging          stage_batch 'orders' and 'refunds' for that run_id
  deltas           build_deltas for all seven deltas (what the deltas multi-asset runs)
  reconciliation   build_reconciliation (the tables reconciliation/books builds; not its checks' queries)
Total = staging + deltas + reconciliation, the figure of the targets. Every DuckDB step runs at B2's memory limit."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta

from bench.b2_transform import DUCKDB_MEMORY_LIMIT, START_DATE, STAGE_ORDER
from bench.common import WORK_DIR, cpu_s, emit, log, machine, maxrss_mb, run_child

BATCH_RUN_ID = "bench-b4-batch"
STEPS = ("land", "staging", "deltas", "reconciliation")
TOTAL = ("staging", "deltas", "reconciliation")
NEXT_STATUS = {"pending": "processing", "on-hold": "processing", "processing": "completed"}
TARGET_S, TARGET_RATIO = 1.5, 1.5


def _later(stamp: str | None) -> str | None:
    return (datetime.fromisoformat(stamp) + timedelta(days=1)).isoformat() if stamp else stamp


def _changed(order: dict) -> dict:
    """A new version of the order, as the shop would list it after an edit."""
    order = {**order, "date_modified": _later(order.get("date_modified")),
             "date_modified_gmt": _later(order.get("date_modified_gmt"))}
    if order["status"] in NEXT_STATUS:
        order["status"] = NEXT_STATUS[order["status"]]
    else:
        order["customer_note"] = (order.get("customer_note") or "") + " (ändrad)"
    return order


def _write_batch(con, size: int, path: str) -> dict:
    from bench.b2_data import ID_SHIFT

    ids = [r[0] for r in con.execute(
        "SELECT order_id FROM staging.orders WHERE order_id < ? ORDER BY hash(order_id) LIMIT ?",
        [ID_SHIFT, size]).fetchall()]
    orders = [_changed(json.loads(p)) for (p,) in con.execute(
        "SELECT payload FROM raw.orders WHERE CAST(payload->>'$.id' AS BIGINT) IN (SELECT unnest(?))", [ids]
    ).fetchall()]
    refunds = [json.loads(p) for (p,) in con.execute(
        "SELECT payload FROM raw.refunds WHERE CAST(payload->>'$.parent_id' AS BIGINT) IN (SELECT unnest(?))", [ids]
    ).fetchall()]
    with open(path, "w") as f:
        json.dump({"orders": orders, "refunds": refunds}, f, ensure_ascii=False)
    return {"orders": len(orders), "refunds": len(refunds),
            "statuses": dict(con.execute("SELECT status, count(*) FROM staging.orders WHERE order_id IN "
                                         "(SELECT unnest(?)) GROUP BY ALL ORDER BY 2 DESC", [ids]).fetchall())}


# ---------------------------------------------------------------------------------------------- children
def child_prep(db: str, n_src: int, replicas: int, batch: int, batch_file: str) -> None:
    from bench.b2_data import RUN_ID, load_raw, source_dir
    from bench.b2_transform import _mapping
    from woofort_assets.defs.deltas.build import DELTAS, build_deltas
    from woofort_assets.defs.reconciliation.build import build_reconciliation
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.staging import stage_batch

    for suffix in ("", ".wal", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    out, t0 = {}, time.monotonic()
    out["raw_counts"] = load_raw(db, source_dir(n_src), replicas)
    out["raw_s"] = round(time.monotonic() - t0, 1)
    mapping = _mapping()
    with connect(db) as con:
        for name, work in (
                ("staging_s", lambda: [stage_batch(con, e, shop="default", run_id=RUN_ID) for e in STAGE_ORDER]),
                ("deltas_s", lambda: build_deltas(con, list(DELTAS), mapping, "default", START_DATE)),
                ("reconciliation_s", lambda: build_reconciliation(con, mapping, "default", START_DATE))):
            t = time.monotonic()
            work()
            out[name] = round(time.monotonic() - t, 1)
        out["batch"] = _write_batch(con, batch, batch_file)
    out.update(seconds=round(time.monotonic() - t0, 1), db_mb=round(os.path.getsize(db) / 2**20),
               peak_rss_mb=maxrss_mb())
    emit(out)


def child_step(step: str, db: str, batch_file: str) -> None:
    from bench.b2_transform import _mapping
    from woofort_assets.defs.deltas.build import DELTAS, build_deltas
    from woofort_assets.defs.reconciliation.build import build_reconciliation
    from woofort_assets.defs.woocommerce.landing import RawLanding
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.staging import stage_batch

    mapping = _mapping()
    batch = json.load(open(batch_file)) if step == "land" else None
    out: dict = {"rss_before_mb": maxrss_mb()}    # the interpreter and woofort's imports, before any DuckDB work
    t0, c0 = time.monotonic(), cpu_s()
    if step == "land":
        with RawLanding(db, "default", BATCH_RUN_ID) as raw:
            out["landed"] = {e: raw.land(e, batch[e]) for e in ("orders", "refunds")}
    else:
        with connect(db) as con:
            if step == "staging":
                out["counts"] = {e: stage_batch(con, e, shop="default", run_id=BATCH_RUN_ID).as_metadata()
                                 for e in ("orders", "refunds")}
            elif step == "deltas":
                out["rows"] = build_deltas(con, list(DELTAS), mapping, "default", START_DATE)
                out["orders_priced"], out["full_build"] = con.execute(   # defs/deltas/scope.py
                    "SELECT orders_priced, full_build FROM deltas.delta_builds WHERE shop = 'default'").fetchone()
            else:
                scope = build_reconciliation(con, mapping, "default", START_DATE)   # defs/reconciliation/scope.py
                out["orders_reconciled"], out["full_build"] = scope.orders(), scope.full
            out["work_s"] = round(time.monotonic() - t0, 2)   # the rest of `seconds` is close + checkpoint
    out.update(seconds=round(time.monotonic() - t0, 2), cpu_s=round(cpu_s() - c0, 2), peak_rss_mb=maxrss_mb())
    emit(out)


# ---------------------------------------------------------------------------------------------- parent side
def run_history(n: int, n_src: int, batch: int, timeout_s: float) -> dict:
    from bench.b2_data import build_source

    build_source(n_src)
    db, batch_file = str(WORK_DIR / f"b4-{n}.duckdb"), str(WORK_DIR / f"b4-{n}-batch.json")
    env = {"WOOFORT_START_DATE": START_DATE, "WOOFORT_DATA_DIR": str(WORK_DIR / "data"),
           "WOOFORT_DUCKDB_MEMORY_LIMIT": DUCKDB_MEMORY_LIMIT}
    replicas = max(1, n // n_src)
    res: dict = {"orders": n, "distinct_generated_orders": n_src, "replicas": replicas, "machine_before": machine()}
    log(f"B4 {n}: prep (raw load, staging, deltas, reconciliation; {replicas} replica(s) of {n_src})")
    res["prep"] = run_child("bench.b4_incremental", ["prep", db, str(n_src), str(replicas), str(batch), batch_file],
                            timeout_s=timeout_s, env=env)
    log(f"B4 {n}: prep {json.dumps(res['prep'])[:400]}")
    res["steps"] = {}
    for step in STEPS:
        if not all(s.get("finished") for s in (res["prep"], *res["steps"].values())):
            res["steps"][step] = {"finished": False, "reason": "not run: an earlier step did not finish"}
            continue
        res["steps"][step] = run_child("bench.b4_incremental", [step, db, batch_file], timeout_s=timeout_s, env=env)
        log(f"B4 {n}: {step} {json.dumps(res['steps'][step])[:400]}")
    done = [res["steps"][s] for s in TOTAL]
    if all(s.get("finished") for s in done):
        res["seconds"] = round(sum(s["seconds"] for s in done), 2)
        res["cpu_s"] = round(sum(s["cpu_s"] for s in done), 2)
        res["peak_rss_mb"] = max(s["peak_rss_mb"] for s in done)
    res["machine_after"] = machine()
    for path in (db, db + ".wal", db + ".lock", batch_file):
        if os.path.exists(path):
            os.remove(path)
    return res


def run(quick: bool = False, sizes: list[int] | None = None, batch: int | None = None,
        timeout_s: float = 3600) -> dict:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    sizes = sizes or ([2_000] if quick else [100_000, 1_000_000])
    batch = batch or (100 if quick else 1_000)
    n_src = min(min(sizes), 100_000)
    result = {"benchmark": "B4 incremental", "batch_orders": batch, "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT,
              "target_seconds": TARGET_S, "target_ratio": TARGET_RATIO, "histories": {}}
    for n in sizes:
        result["histories"][str(n)] = run_history(n, min(n, n_src), batch, timeout_s)
    return result


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.b4_incremental")
    p.add_argument("cmd", help="prep | land | staging | deltas | reconciliation (children) | run")
    p.add_argument("args", nargs="*")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes")
    p.add_argument("--batch", type=int)
    a = p.parse_args(argv)
    if a.cmd == "prep":
        db, n_src, replicas, batch, batch_file = a.args
        child_prep(db, int(n_src), int(replicas), int(batch), batch_file)
    elif a.cmd in STEPS:
        child_step(a.cmd, *a.args)
    elif a.cmd == "run":
        sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else None
        print(json.dumps(run(a.quick, sizes, a.batch), indent=2, default=str))
    else:
        raise SystemExit(f"unknown command {a.cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
