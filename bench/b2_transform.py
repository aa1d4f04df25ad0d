"""B2 transformation: raw JSON in DuckDB → typed staging (stage_batch), and staging → all deltas (the delta SQL),
each against a pandas implementation of the same transformation (bench/pandas_impl.py) in the same run.

Every step is its own child process on the same DuckDB file, in this order (each reports seconds and its own
ru_maxrss; the parent also polls VmRSS and kills a side that passes the time or memory bound):
  prep            fresh file, raw.* filled from the cached generator output (not a measured figure)
  duckdb_stage    stage_batch for every entity (the orders figure is staging.orders + its line/coupon/tax tables)
  duckdb_deltas   build_deltas: the seven deltas in one pass, as the deltas multi-asset runs them
  duckdb_invoice  build_deltas(['invoice_delta']) alone: the like-for-like partner of pandas_invoice
  pandas_invoice  staging.* → invoice delta in pandas
  pandas_stage    raw.orders → orders + order lines in pandas
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from bench.common import WORK_DIR, cpu_s, emit, log, machine, maxrss_mb, run_child

START_DATE = "2026-10-01"
# the DuckDB steps run with DuckDB's buffer memory bounded (WOOFORT_DUCKDB_MEMORY_LIMIT, spilling beyond it), as a
# user sets it for a large history; DuckDB's own default (80 % of RAM) lets a 1,000,000-order batch grow past 8 GB
DUCKDB_MEMORY_LIMIT = "1GB"
# at 1,000,000 orders the deltas also run at this limit, which keeps the process's resident size within 1 GB
LOW_MEMORY_LIMIT = "500MB"
STAGE_ORDER = ("tax_classes", "tax_rates", "customers", "products", "variations", "orders", "refunds")


# ---------------------------------------------------------------------------------------------- children
def child_prep(db: str, n_src: int, replicas: int) -> None:
    from bench.b2_data import load_raw, source_dir

    for suffix in ("", ".wal", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    t0 = time.monotonic()
    counts = load_raw(db, source_dir(n_src), replicas)
    emit({"seconds": round(time.monotonic() - t0, 2), "raw_counts": counts,
          "db_mb": round(os.path.getsize(db) / 2**20), "peak_rss_mb": maxrss_mb()})


def child_stage_replicated(db: str, n_src: int, replicas: int) -> None:
    """Fallback state for the deltas when staging n orders did not finish within its bound: stage n_src orders
    for real, then copy the staged rows replicas-1 times with order/refund ids (and order numbers) shifted by
    r × ID_SHIFT, straight in the staging tables. Not a measured figure."""
    from bench.b2_data import ID_SHIFT, RUN_ID, load_raw, source_dir
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.staging import stage_batch

    for suffix in ("", ".wal", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    t0 = time.monotonic()
    load_raw(db, source_dir(n_src), 1)
    shifted = {"orders": {"order_id", "number"}, "order_lines": {"order_id"}, "order_coupon_lines": {"order_id"},
               "order_tax_lines": {"order_id"}, "refunds": {"refund_id", "order_id"},
               "refund_lines": {"refund_id", "order_id"}}
    with connect(db) as con:
        for entity in STAGE_ORDER:
            stage_batch(con, entity, shop="default", run_id=RUN_ID)
        for table, cols in shifted.items():
            names = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging' "
                "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
            for r in range(1, replicas):
                select = ", ".join(
                    (f"CAST(CAST({c} AS BIGINT) + {r * ID_SHIFT} AS VARCHAR)" if c == "number" else
                     f"{c} + {r * ID_SHIFT}") if c in cols else c for c in names)
                con.execute(f"INSERT INTO staging.{table} SELECT {select} FROM staging.{table} "
                            f"WHERE order_id < {ID_SHIFT}")
        counts = {t: con.execute(f"SELECT count(*) FROM staging.{t}").fetchone()[0] for t in shifted}
    emit({"seconds": round(time.monotonic() - t0, 1), "staged_rows": counts, "peak_rss_mb": maxrss_mb()})


def child_duckdb_stage(db: str) -> None:
    from bench.b2_data import RUN_ID
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.staging import stage_batch

    out: dict = {"per_entity_s": {}, "counts": {}}
    with connect(db) as con:
        t_all, c_all = time.monotonic(), cpu_s()
        for entity in STAGE_ORDER:
            t0, c0 = time.monotonic(), cpu_s()
            counts = stage_batch(con, entity, shop="default", run_id=RUN_ID)
            out["per_entity_s"][entity] = round(time.monotonic() - t0, 2)
            if entity == "orders":
                out["orders_cpu_s"] = round(cpu_s() - c0, 2)
            out["counts"][entity] = counts.as_metadata()
        out["seconds"] = round(time.monotonic() - t_all, 2)
        out["cpu_s"] = round(cpu_s() - c_all, 2)
        out["orders_seconds"] = out["per_entity_s"]["orders"]
        out["staged_rows"] = {t: con.execute(f"SELECT count(*) FROM staging.{t}").fetchone()[0]
                              for t in ("orders", "order_lines", "refunds", "refund_lines", "customers")}
    out["peak_rss_mb"] = maxrss_mb()
    emit(out)


def _mapping():
    from woofort_assets.lib.mapping import load_mapping
    from woofort_assets.lib.settings import mapping_path

    return load_mapping(mapping_path())


def child_duckdb_deltas(db: str, only: str | None) -> None:
    from woofort_assets.defs.deltas.build import DELTAS, build_deltas
    from woofort_assets.lib.duckdb import connect

    mapping = _mapping()
    out: dict = {}
    with connect(db) as con:
        t_all, c_all = time.monotonic(), cpu_s()
        out["rows"] = build_deltas(con, [only] if only else list(DELTAS), mapping, "default", START_DATE)
        out["seconds"] = round(time.monotonic() - t_all, 2)
        out["cpu_s"] = round(cpu_s() - c_all, 2)
        out["exclusions"] = dict(con.execute("SELECT reason, count(*) FROM deltas.invoice_exclusions GROUP BY ALL")
                                 .fetchall())
    out["peak_rss_mb"] = maxrss_mb()
    emit(out)


def child_pandas_invoice(db: str) -> None:
    from bench.pandas_impl import invoice_delta
    from woofort_assets.lib.duckdb import connect

    mapping = _mapping()
    with connect(db) as con:
        t0, c0 = time.monotonic(), cpu_s()
        counts = invoice_delta(con, mapping, START_DATE)
        seconds, cpu = time.monotonic() - t0, cpu_s() - c0
        same = con.execute(
            "SELECT count(*) FILTER (WHERE p.order_id IS NULL), count(*) FILTER (WHERE d.order_id IS NULL), "
            "count(*) FILTER (WHERE p.order_id IS NOT NULL AND d.order_id IS NOT NULL AND "
            "  CAST(p.payload->'$.Invoice.InvoiceRows' AS VARCHAR) <> '' AND "
            "  json_array_length(p.payload->'$.Invoice.InvoiceRows') = json_array_length(d.payload->'$.Invoice.InvoiceRows') AND "
            "  (p.payload->>'$.Invoice.CustomerNumber') = (d.payload->>'$.Invoice.CustomerNumber')), "
            "count(*) FILTER (WHERE p.order_id IS NOT NULL AND d.order_id IS NOT NULL AND "
            "  round(list_sum(list_transform(CAST(p.payload->'$.Invoice.InvoiceRows[*]' AS JSON[]), r -> "
            "    CAST(r->>'Price' AS DOUBLE) * CAST(r->>'DeliveredQuantity' AS DOUBLE) - CAST(r->>'Discount' AS DOUBLE))), 2)"
            " = round(list_sum(list_transform(CAST(d.payload->'$.Invoice.InvoiceRows[*]' AS JSON[]), r -> "
            "    CAST(r->>'Price' AS DOUBLE) * CAST(r->>'DeliveredQuantity' AS DOUBLE) - CAST(r->>'Discount' AS DOUBLE))), 2)) "
            "FROM deltas.invoice_delta d FULL JOIN pd_invoice_delta p USING (order_id)").fetchone()
    emit({"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), **counts, "check": {
        "only_in_sql": same[0], "only_in_pandas": same[1], "same_customer_and_row_count": same[2],
        "same_invoice_total": same[3]},
        "peak_rss_mb": maxrss_mb()})


def child_pandas_stage(db: str) -> None:
    from bench.pandas_impl import stage_orders
    from woofort_assets.lib.duckdb import connect

    with connect(db) as con:
        t0, c0 = time.monotonic(), cpu_s()
        counts = stage_orders(con)
        seconds, cpu = time.monotonic() - t0, cpu_s() - c0
        check = con.execute("SELECT (SELECT count(*) FROM staging.orders), (SELECT count(*) FROM staging.order_lines), "
                            "(SELECT count(*) FROM staging.order_lines s JOIN pd_staging_order_lines p "
                            " USING (order_id, line_id) WHERE s.total = p.total AND s.subtotal_tax = p.subtotal_tax)"
                            ).fetchone()
    emit({"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), **counts,
          "check": {"staging_orders": check[0], "staging_order_lines": check[1], "lines_equal_amounts": check[2]},
          "peak_rss_mb": maxrss_mb()})


# ---------------------------------------------------------------------------------------------- parent side
def _ratio(pandas_side: dict, duck_side: dict, duck_key: str = "seconds"):
    if pandas_side.get("finished") and duck_side.get("finished"):
        return round(pandas_side["seconds"] / max(duck_side[duck_key], 1e-9), 1)
    if duck_side.get("finished"):
        return f"> {pandas_side.get('reason', 'not finished')}"
    return None


def run_size(n: int, n_src: int, pandas_timeout: float, pandas_mem_mb: float, keep_db: bool = False,
             duckdb_timeout: float = 3600, no_pandas: str | None = None) -> dict:
    from bench.b2_data import build_source

    build_source(n_src)
    replicas = max(1, n // n_src)
    db = str(WORK_DIR / f"b2-{n}.duckdb")
    env = {"WOOFORT_START_DATE": START_DATE, "WOOFORT_DATA_DIR": str(WORK_DIR / "data")}
    res: dict = {"orders": n, "distinct_generated_orders": n_src, "replicas": replicas, "machine_before": machine()}
    log(f"B2 {n}: prep (raw load, {replicas} replica(s) of {n_src})")
    res["prep"] = run_child("bench.b2_transform", ["prep", db, str(n_src), str(replicas)], timeout_s=3600, env=env)
    log(f"B2 {n}: prep {res['prep']}")
    steps = [("duckdb_stage", ["duckdb_stage", db], duckdb_timeout, pandas_mem_mb),
             ("duckdb_deltas", ["duckdb_deltas", db], duckdb_timeout, pandas_mem_mb),
             ("duckdb_invoice", ["duckdb_deltas", db, "--only", "invoice_delta"], duckdb_timeout, pandas_mem_mb),
             ("pandas_invoice", ["pandas_invoice", db], pandas_timeout, pandas_mem_mb),
             ("pandas_stage", ["pandas_stage", db], pandas_timeout, pandas_mem_mb)]
    res["duckdb_bound_s"] = duckdb_timeout
    for name, args, timeout, mem in steps:
        if no_pandas and name.startswith("pandas"):
            res[name] = {"finished": False, "reason": f"not run: {no_pandas}"}
            continue
        needs = {"duckdb_deltas": "duckdb_stage", "duckdb_invoice": "duckdb_stage", "pandas_invoice": "duckdb_stage"}
        if name in needs and not res[needs[name]].get("finished"):
            res[name] = {"finished": False, "reason": f"not run: {needs[name]} did not finish"}
            continue
        if name == "duckdb_invoice" and not res["duckdb_deltas"].get("finished"):
            res[name] = {"finished": False, "reason": "not run: duckdb_deltas did not finish within its bound, "
                                                      "and the invoice delta is one of its seven parts"}
            continue
        log(f"B2 {n}: {name}")
        duck = args[0].startswith("duckdb")
        step_env = {**env, "WOOFORT_DUCKDB_MEMORY_LIMIT": DUCKDB_MEMORY_LIMIT} if duck else env
        res[name] = run_child("bench.b2_transform", args, timeout_s=timeout, max_rss_mb=mem, env=step_env)
        if duck:
            res[name]["duckdb_memory_limit"] = DUCKDB_MEMORY_LIMIT
        log(f"B2 {n}: {name} {json.dumps(res[name])[:600]}")
    if not res["duckdb_stage"].get("finished") and replicas > 1:
        log(f"B2 {n}: staging did not finish; building the staged state by replicating {n_src} staged orders")
        res["replicated_staging"] = run_child("bench.b2_transform", ["stage_replicated", db, str(n_src), str(replicas)],
                                              timeout_s=3600, env=env)
        log(f"B2 {n}: replicated staging {res['replicated_staging']}")
        if res["replicated_staging"].get("finished"):
            res["duckdb_deltas"] = run_child("bench.b2_transform", ["duckdb_deltas", db], timeout_s=duckdb_timeout,
                                             max_rss_mb=pandas_mem_mb,
                                             env={**env, "WOOFORT_DUCKDB_MEMORY_LIMIT": DUCKDB_MEMORY_LIMIT})
            res["duckdb_deltas"]["on_replicated_staging"] = True
            res["duckdb_deltas"]["duckdb_memory_limit"] = DUCKDB_MEMORY_LIMIT
            log(f"B2 {n}: duckdb_deltas {res['duckdb_deltas']}")
    if n >= 1_000_000 and res["duckdb_deltas"].get("finished"):
        log(f"B2 {n}: duckdb_deltas at memory_limit {LOW_MEMORY_LIMIT}")
        res["duckdb_deltas_low_memory"] = run_child(
            "bench.b2_transform", ["duckdb_deltas", db], timeout_s=duckdb_timeout, max_rss_mb=pandas_mem_mb,
            env={**env, "WOOFORT_DUCKDB_MEMORY_LIMIT": LOW_MEMORY_LIMIT})
        res["duckdb_deltas_low_memory"]["duckdb_memory_limit"] = LOW_MEMORY_LIMIT
        log(f"B2 {n}: duckdb_deltas_low_memory {res['duckdb_deltas_low_memory']}")
    res["staging_orders_ratio_pandas_over_duckdb"] = _ratio(res["pandas_stage"], res["duckdb_stage"], "orders_seconds")
    res["invoice_delta_ratio_pandas_over_duckdb"] = _ratio(res["pandas_invoice"], res["duckdb_invoice"])
    res["machine_after"] = machine()
    if not keep_db:
        for suffix in ("", ".wal", ".lock"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    return res


def run(quick: bool = False, sizes: list[int] | None = None, pandas_timeout: float = 300,
        pandas_mem_gb: float = 8, duckdb_timeout: float = 3600, no_pandas: str | None = None) -> dict:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    sizes = sizes or ([2_000] if quick else [100_000, 1_000_000])
    n_src = min(min(sizes), 100_000) if quick else 100_000
    result = {"benchmark": "B2 transformation", "pandas_bound": {"seconds": pandas_timeout, "rss_gb": pandas_mem_gb},
              "sizes": {}}
    for n in sizes:
        result["sizes"][str(n)] = run_size(n, min(n, n_src), pandas_timeout, pandas_mem_gb * 1024,
                                           duckdb_timeout=duckdb_timeout, no_pandas=no_pandas)
    return result


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.b2_transform")
    p.add_argument("cmd")
    p.add_argument("db", nargs="?")
    p.add_argument("n_src", nargs="?", type=int)
    p.add_argument("replicas", nargs="?", type=int)
    p.add_argument("--only")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes")
    p.add_argument("--duckdb-timeout", type=float, default=3600)
    p.add_argument("--no-pandas", help="skip the pandas sides, recording this reason")
    a = p.parse_args(argv)
    if a.cmd == "prep":
        child_prep(a.db, a.n_src, a.replicas)
    elif a.cmd == "stage_replicated":
        child_stage_replicated(a.db, a.n_src, a.replicas)
    elif a.cmd == "duckdb_stage":
        child_duckdb_stage(a.db)
    elif a.cmd == "duckdb_deltas":
        child_duckdb_deltas(a.db, a.only)
    elif a.cmd == "pandas_invoice":
        child_pandas_invoice(a.db)
    elif a.cmd == "pandas_stage":
        child_pandas_stage(a.db)
    elif a.cmd == "run":
        sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else None
        print(json.dumps(run(a.quick, sizes, duckdb_timeout=a.duckdb_timeout, no_pandas=a.no_pandas),
                         indent=2, default=str))
    else:
        raise SystemExit(f"unknown command {a.cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
