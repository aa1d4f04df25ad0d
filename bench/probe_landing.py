"""Diagnostic for docs/performance.md (not a benchmark figure): land() of 100-order pages into one growing file,
printing the time per page and the process's peak RSS every 100 pages.

    python -m bench.probe_landing [PAGES]      (needs B2's cached generator output; builds 20,000 orders if absent)"""

from __future__ import annotations

import json
import sys
import time

import pyarrow.parquet as pq

from bench.b2_data import build_source
from bench.common import WORK_DIR, maxrss_mb
from woofort_assets.defs.woocommerce.landing import land


def main(pages: int) -> None:
    src = build_source(20_000)
    rows = pq.read_table(src / "orders.parquet").column("payload").to_pylist()[:10_000]
    records = [json.loads(r) for r in rows]
    db = str(WORK_DIR / "probe_landing.duckdb")
    for suffix in ("", ".wal", ".lock"):
        (WORK_DIR / f"probe_landing.duckdb{suffix}").unlink(missing_ok=True)
    t0 = last = time.monotonic()
    for i in range(pages):
        land(db, "orders", "default", "probe", records[(i % 100) * 100:(i % 100) * 100 + 100])
        if i % 100 == 99:
            now = time.monotonic()
            print(f"{i + 1} pages: {1000 * (now - last) / 100:.0f} ms per page over the last 100, "
                  f"peak RSS {maxrss_mb():.0f} MB, {now - t0:.0f} s in all", flush=True)
            last = now


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
