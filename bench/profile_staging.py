"""Where staging, delta and reconciliation time goes: runs the same statements as stage_batch / build_deltas /
build_reconciliation, one at a time, and prints the slowest. Diagnostic for docs/performance.md, not a benchmark
figure:

    python -m bench.profile_staging DB [orders|...] [--deltas | --reconciliation] [--run-id RUN]

Staging rolls back; the deltas and the reconciliation are rebuilt for real, so run it on a copy. RUN: the batch
to stage (default bench-b2, B2's whole history; B4's changed orders are bench-b4-batch)."""

from __future__ import annotations

import argparse
import sys
import time

from woofort_assets.lib.sql import statements
from woofort_assets.lib.staging import _counts, record_keys_fill


def timed_file(con, path, params, out):
    for statement, used in statements(path, params):
        t0 = time.monotonic()
        con.execute(statement, used) if used else con.execute(statement)
        first = next((l for l in statement.splitlines() if l.strip() and not l.strip().startswith("--")), "")
        out.append((round(time.monotonic() - t0, 2), path, first.strip()[:100]))


def main(argv):
    import duckdb

    p = argparse.ArgumentParser(prog="python -m bench.profile_staging")
    p.add_argument("db")
    p.add_argument("entity", nargs="?", default="orders")
    p.add_argument("--deltas", action="store_true")
    p.add_argument("--reconciliation", action="store_true")
    p.add_argument("--run-id", default="bench-b2")
    a = p.parse_args(argv)
    con = duckdb.connect(a.db)
    out = []
    if a.deltas or a.reconciliation:
        from woofort_assets.lib.mapping import load_mapping, register_mapping
        from woofort_assets.lib.settings import mapping_path

        register_mapping(con, load_mapping(mapping_path()), "default", "2026-10-01")
    if a.deltas:     # the seven deltas in build_deltas' order, its Python helpers timed as one step each
        from woofort_assets.defs.deltas.build import DELTAS, sql_params
        from woofort_assets.defs.deltas.scope import price_every_order
        from woofort_assets.lib.buyers import register_buyer_numbers
        from woofort_assets.lib.fx_rates import register_rates

        params = sql_params(con, con.execute("SELECT count(*) FROM staging.orders").fetchone()[0])
        python_helpers = {"_buyers": register_buyer_numbers, "_rates": register_rates}
        timed_file(con, "deltas/_macros.sql", params, out)
        price_every_order(con)
        for helper in dict.fromkeys(h for needed in DELTAS.values() for h in needed):
            if helper in python_helpers:
                t0 = time.monotonic()
                python_helpers[helper](con)
                out.append((round(time.monotonic() - t0, 2), "lib", helper))
            else:
                timed_file(con, f"deltas/{helper}.sql", params, out)
        for name in DELTAS:
            timed_file(con, f"deltas/{name}.sql", params, out)
    elif a.reconciliation:   # build_reconciliation's steps; the scope as the tables on the copy make it
        from woofort_assets.defs.reconciliation.build import HELPERS
        from woofort_assets.defs.reconciliation.scope import Scope

        timed_file(con, "reconciliation/_macros.sql", {}, out)
        t0 = time.monotonic()
        scope = Scope.choose(con, "default", full=False)
        out.append((round(time.monotonic() - t0, 2), "reconciliation/scope.py", f"Scope.choose: {scope.orders()} "
                    f"order(s), full {scope.full}"))
        params = {"full": scope.full, "shop": "default"}
        for path in HELPERS:
            timed_file(con, path, params, out)
        t0 = time.monotonic()
        scope.merge_orders()
        out.append((round(time.monotonic() - t0, 2), "reconciliation/scope.py", "merge_orders"))
        timed_file(con, "reconciliation/_days.sql", params, out)
        scope.merge_days()
        timed_file(con, "reconciliation/oss.sql", params, out)
        scope.record()
    else:
        params = {"shop": "default", "run_id": a.run_id, "entity": a.entity}
        con.execute("BEGIN TRANSACTION")
        timed_file(con, "staging/_macros.sql", params, out)
        fill = record_keys_fill(a.entity, "default")
        if fill is not None:
            t0 = time.monotonic()
            con.execute(*fill)
            out.append((round(time.monotonic() - t0, 2), "staging/_fill_record_keys.sql", f"raw.{a.entity}"))
        timed_file(con, f"staging/{a.entity}.sql", params, out)
        timed_file(con, "staging/quarantine.sql", params, out)
        t0 = time.monotonic()
        _counts(con, a.entity, "default")
        out.append((round(time.monotonic() - t0, 2), "lib/staging.py", "_counts (reconciliation)"))
        con.execute("ROLLBACK")
    total = sum(t for t, *_ in out)
    for t, f, s in sorted(out, reverse=True)[:12]:
        print(f"{t:8.2f} s  {100 * t / total:5.1f} %  {f}: {s}")
    print(f"{total:8.2f} s  total")


if __name__ == "__main__":
    main(sys.argv[1:])
