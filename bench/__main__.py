"""python -m bench [b1|b2|b3|b4|b5 ...] [--quick]  — runs the benchmarks and writes bench/results.json + results.md.

    python -m bench                 all four at the default sizes (B1 100,000 orders; B2 100,000 and 1,000,000;
                                    B3 300 paid orders, extrapolated to 2,000; B4 a 1,000-order batch against
                                    histories of 100,000 and 1,000,000; B5 10,000 orders over 30 days in
                                    daily-voucher mode, day by day, ~20 min at 25 requests / 5 s)
    python -m bench b2 --quick      one benchmark at smoke-test sizes (B1 2,000; B2 2,000; B3 50;
                                    B4 100 orders against 2,000; B5 600 orders)
    python -m bench b3 --b3-orders 2000    B3 at the full 2,000 orders (~25 min at 25 requests / 5 s)
    python -m bench --merge FILE    merge the JSON printed by `python -m bench.bN_... run` into results.json
    python -m bench --render        only re-render results.md from results.json

results.json keeps the latest result of each benchmark (a run of b2 leaves b1 and b3 as they were); every
result carries the machine it ran on (cores, memory, CPU model, load average) and the date."""

from __future__ import annotations

import argparse
import json
import sys

from bench.common import BENCH_DIR, log, machine
from bench.report import render

RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "results.md"


def _load() -> dict:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {}


def _save(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    RESULTS_MD.write_text(render(results))
    log(f"wrote {RESULTS_JSON} and {RESULTS_MD}")


def _sizes(text: str) -> list[int]:
    """--b2-sizes / --b4-sizes: a bad value is argparse's usage error, not a traceback mid-run."""
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of order counts") from None
    if any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: order counts are positive")
    return sizes


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", default=[], help="b1, b2, b3, b4 and/or b5 (default: all)")
    p.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    p.add_argument("--b1-orders", type=int)
    p.add_argument("--b2-sizes", type=_sizes, help="comma-separated order counts (default 100000,1000000)")
    p.add_argument("--b2-duckdb-timeout", type=float, default=3600, help="bound for each DuckDB step (s)")
    p.add_argument("--b2-no-pandas", metavar="REASON", help="skip the pandas sides, recording REASON")
    p.add_argument("--b3-orders", type=int, help="paid orders for B3 (default 300; --quick 50)")
    p.add_argument("--b4-sizes", type=_sizes, help="comma-separated history sizes in orders (default 100000,1000000)")
    p.add_argument("--b4-batch", type=int, help="changed orders in the batch (default 1000; --quick 100)")
    p.add_argument("--b5-orders", type=int, help="orders for B5 (default 10000; --quick 600)")
    p.add_argument("--merge", metavar="FILE", help="merge a result JSON printed by a benchmark module's `run`")
    p.add_argument("--render", action="store_true")
    a = p.parse_args(argv)
    if any(w not in ("b1", "b2", "b3", "b4", "b5") for w in a.which):
        p.error(f"unknown benchmark(s) {a.which}: choose from b1, b2, b3, b4, b5")
    results = _load()
    if a.render:
        _save(results)
        return 0
    if a.merge:
        data = json.loads(open(a.merge).read())
        key = {"B1 extraction": "b1", "B2 transformation": "b2", "B3 Fortnox": "b3",
               "B4 incremental": "b4", "B5 daily vouchers": "b5"}[data["benchmark"]]
        if key == "b2" and "b2" in results:   # sizes accumulate (100,000 and 1,000,000 may come from two runs)
            results["b2"]["sizes"].update(data["sizes"])
            results["b2"]["pandas_bound"] = data["pandas_bound"]
        elif key == "b4" and results.get("b4", {}).get("batch_orders") == data["batch_orders"]:
            results["b4"]["histories"].update(data["histories"])   # likewise, for the same batch size
        else:
            results[key] = data
        _save(results)
        return 0
    which = a.which or ["b1", "b2", "b3", "b4", "b5"]
    results["last_run_machine"] = machine()
    results["last_run_quick"] = a.quick
    for name in which:
        if name == "b1":
            from bench import b1_extraction

            results["b1"] = b1_extraction.run(a.quick, a.b1_orders)
        elif name == "b2":
            from bench import b2_transform

            results["b2"] = b2_transform.run(a.quick, a.b2_sizes, duckdb_timeout=a.b2_duckdb_timeout,
                                             no_pandas=a.b2_no_pandas)
        elif name == "b3":
            from bench import b3_fortnox

            results["b3"] = b3_fortnox.run(a.quick, a.b3_orders)
        elif name == "b4":
            from bench import b4_incremental

            results["b4"] = b4_incremental.run(a.quick, a.b4_sizes, a.b4_batch)
        elif name == "b5":
            from bench import b5_vouchers

            results["b5"] = b5_vouchers.run(a.quick, a.b5_orders)
        _save(results)   # after each benchmark, so a later failure keeps the earlier figures
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
