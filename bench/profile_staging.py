"""Where staging and delta time goes: runs the same statements as stage_batch / build_delta, one at a time, and
prints the slowest. Diagnostic for docs/performance.md, not a benchmark figure:

    python -m bench.profile_staging DB [orders|...] [--deltas]
(run it on a copy: it stages the batch for real)."""

from __future__ import annotations

import sys
import time

from woofort_assets.lib.sql import statements
from woofort_assets.lib.staging import _counts


def timed_file(con, path, params, out):
    for statement, used in statements(path, params):
        t0 = time.monotonic()
        con.execute(statement, used) if used else con.execute(statement)
        first = next((l for l in statement.splitlines() if l.strip() and not l.strip().startswith("--")), "")
        out.append((round(time.monotonic() - t0, 2), path, first.strip()[:100]))


def main(argv):
    import duckdb

    db, entity = argv[0], (argv[1] if len(argv) > 1 else "orders")
    con = duckdb.connect(db)
    out = []
    if "--deltas" in argv:
        from woofort_assets.defs.deltas.build import DELTAS, sql_params
        from woofort_assets.lib.buyers import register_buyer_numbers
        from woofort_assets.lib.fx_rates import register_rates
        from woofort_assets.lib.mapping import load_mapping, register_mapping
        from woofort_assets.lib.settings import mapping_path

        register_mapping(con, load_mapping(mapping_path()), "default", "2026-10-01")
        python_helpers = {"_buyers": lambda: register_buyer_numbers(con, None), "_rates": lambda: register_rates(con)}
        for f in ("_macros", *DELTAS["invoice_delta"], "invoice_delta"):
            if f in python_helpers:
                t0 = time.monotonic()
                python_helpers[f]()
                out.append((round(time.monotonic() - t0, 2), f"deltas/{f}", "(Python helper)"))
            else:
                timed_file(con, f"deltas/{f}.sql", sql_params(con, "default"), out)
    else:
        params = {"shop": "default", "run_id": "bench-b2", "entity": entity}
        con.execute("BEGIN TRANSACTION")
        timed_file(con, "staging/_macros.sql", params, out)
        timed_file(con, f"staging/{entity}.sql", params, out)
        timed_file(con, "staging/quarantine.sql", params, out)
        t0 = time.monotonic()
        _counts(con, entity, "default")
        out.append((round(time.monotonic() - t0, 2), "lib/staging.py", "_counts (reconciliation)"))
        con.execute("ROLLBACK")
    total = sum(t for t, *_ in out)
    for t, f, s in sorted(out, reverse=True)[:12]:
        print(f"{t:8.2f} s  {100 * t / total:5.1f} %  {f}: {s}")
    print(f"{total:8.2f} s  total")


if __name__ == "__main__":
    main(sys.argv[1:])
