"""B1 extraction: WooCommerce sandbox (per-request latency) → raw.orders.

Each run is a child process against the same sandbox process and its own fresh database (migrated by the parent
beforehand, as a sync finds it, so the child's peak resident memory is that of the extraction). Every run makes
both crawls of the `woocommerce/orders` asset through `order_batches()` for one window covering every order
(status=any, orderby=id, per_page 100): by modification, landing every page, then by creation, landing what the
first did not (nothing here, so that crawl is listing only):
- woofort: the resource's client at the default concurrency (4) and at WOOCOMMERCE_CONCURRENCY=8;
- sequential: the same crawls and landing with a client that requests page 1, 2, … one at a time and lands each
  page before requesting the next (the peers' approach).
The runs alternate (sequential, 4, sequential, 8, sequential), so each concurrent run is compared with the
sequential runs just before and after it, under the same load. A child reports orders landed, listing requests,
seconds and its own ru_maxrss.

The refunds the asset also fetches (one `GET orders/{id}/refunds` per order that has refunds) are not in the
timed path; their request count is reported so the cost can be estimated."""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from datetime import UTC, datetime
from urllib.parse import urlparse

from bench.common import PYTHON, REPO, WORK_DIR, emit, log, machine, maxrss_mb, run_child

KEY, SECRET = "ck_sandbox", "cs_sandbox"
WINDOW = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
SCHEDULE = (("sequential", 1), ("woofort", 4), ("sequential", 1), ("woofort", 8), ("sequential", 1))


# ---------------------------------------------------------------------------------------------- child side
def _client(url: str, mode: str, concurrency: int):
    from woofort_assets.resources.woocommerce import WooCommerceClient, WooCommerceResource

    class OneAtATime(WooCommerceClient):
        """The baseline a naive crawler is: fetch a page, land it, fetch the next. `concurrency=1` is not that: its
        pool fetches page n+1 while page n lands."""

        def pages(self, path, params):
            number = 1
            while True:
                page = self.page(path, params, number)
                yield page
                if number >= page.total_pages:
                    return
                number += 1

    client = WooCommerceResource(url=url, consumer_key=KEY, consumer_secret=SECRET,
                                 concurrency=concurrency).get_client()
    if mode == "woofort":
        return client
    return OneAtATime(**{f.name: getattr(client, f.name) for f in fields(client)})


def _crawl_figures(stats) -> dict:
    return {"pages": stats.pages, "orders_fetched": stats.records, "distinct_orders": stats.distinct_records,
            "passes": stats.passes, "consistent": stats.consistent}


def child(mode: str, url: str, db: str, concurrency: int) -> None:
    from woofort_assets.defs.woocommerce.assets import order_batches
    from woofort_assets.defs.woocommerce.crawl import CrawlStats
    from woofort_assets.defs.woocommerce.landing import RawLanding
    from woofort_assets.lib.duckdb import connect

    client, run_id = _client(url, mode, concurrency), f"bench-{mode}-{concurrency}"
    modified, created = CrawlStats(), CrawlStats()
    started = time.monotonic()
    landed = 0
    with RawLanding(db, "default", run_id) as raw:
        for _, batch in order_batches(client, *WINDOW, modified, created):
            landed += raw.land("orders", batch)
    seconds = time.monotonic() - started
    peak_rss_mb = maxrss_mb()  # before the check below, which is not part of a sync
    with connect(db) as con:
        in_raw, distinct_ids = con.execute(
            "SELECT count(*), count(DISTINCT payload->>'id') FROM raw.orders WHERE run_id = ?", [run_id]).fetchone()
    requests = modified.pages + created.pages
    emit({"mode": mode, "concurrency": concurrency, "orders_landed": landed, "orders_in_raw": in_raw,
          "distinct_orders_in_raw": distinct_ids, "listing_requests": requests, "seconds": round(seconds, 2),
          "requests_per_s": round(requests / seconds, 1), "by_modification": _crawl_figures(modified),
          "by_creation": _crawl_figures(created), "peak_rss_mb": peak_rss_mb})


def probe(url: str, ca: str, n: int = 20) -> dict:
    """Cost of what Connection: close adds per request (TCP connect + TLS handshake), and the sandbox's own
    service time for one 100-order page measured without latency is reported by the parent."""
    host, port = urlparse(url).hostname, urlparse(url).port
    ctx = ssl.create_default_context(cafile=ca)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with socket.create_connection((host, port)) as raw, ctx.wrap_socket(raw, server_hostname=host):
            times.append(time.perf_counter() - t0)
    times.sort()
    return {"tls_connect_handshake_ms_median": round(1000 * times[len(times) // 2], 2)}


# --------------------------------------------------------------------------------------------- parent side
def _start_sandbox(orders: int, latency_ms: int, state_dir: str):
    proc = subprocess.Popen([PYTHON, "-m", "bench.woo_server", "--orders", str(orders), "--latency-ms",
                             str(latency_ms), "--state-dir", state_dir], cwd=REPO, stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    return proc, info


def _set_latency(url: str, ca: str, ms: int) -> None:
    import requests

    requests.post(f"{url}/__sandbox/faults", json={"latency_ms": ms}, verify=ca, timeout=10).raise_for_status()


def _page_service_ms(url: str, ca: str, n: int = 5) -> float:
    """Median time of one 100-order page request with the latency fault off (sandbox CPU + TLS + parsing)."""
    import requests

    times = []
    for i in range(n):
        t0 = time.perf_counter()
        r = requests.get(f"{url}/wp-json/wc/v3/orders", params={"per_page": 100, "page": 10 + i, "status": "any",
                                                                  "orderby": "id", "order": "asc"},
                         auth=(KEY, SECRET), verify=ca, timeout=60)
        r.json()
        times.append(time.perf_counter() - t0)
    times.sort()
    return round(1000 * times[n // 2], 1)


def _land_ms(url: str, ca: str, db: str, n: int = 20) -> float:
    """Median time of one land() of a 100-order page (Arrow insert through a fresh locked connection)."""
    import requests

    from woofort_assets.defs.woocommerce.landing import land

    records = requests.get(f"{url}/wp-json/wc/v3/orders", params={"per_page": 100, "status": "any"},
                           auth=(KEY, SECRET), verify=ca, timeout=60).json()
    land(db, "orders", "default", "probe", records)  # migrations
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        land(db, "orders", "default", "probe", records)
        times.append(time.perf_counter() - t0)
    times.sort()
    return round(1000 * times[n // 2], 1)


def _migrated(db: str) -> str:
    from woofort_assets.lib.duckdb import connect

    with connect(db):
        pass
    return db


def _compare(runs: list[dict], target: float) -> dict:
    """Each concurrent run against the mean of the sequential runs just before and after it (same work)."""
    out = {}
    for i, run in enumerate(runs):
        if run["mode"] != "woofort" or not run.get("finished"):
            continue
        around = [runs[j] for j in (i - 1, i + 1) if 0 <= j < len(runs) and runs[j].get("finished")]
        if not around:
            continue
        baseline = sum(r["seconds"] for r in around) / len(around)
        speedup = round(baseline / run["seconds"], 2)
        out[f"concurrency_{run['concurrency']}"] = {
            "seconds": run["seconds"], "sequential_seconds": [r["seconds"] for r in around],
            "speedup": speedup, "target_met": speedup >= target}
    return out


def run(quick: bool = False, orders: int | None = None, latency_ms: int = 150) -> dict:
    orders = orders or (2_000 if quick else 100_000)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="b1-", dir=WORK_DIR)
    log(f"B1: starting the WooCommerce sandbox with {orders} orders, latency {latency_ms} ms")
    proc, info = _start_sandbox(orders, latency_ms, tmp)
    url, ca = info["url"], info["ca_path"]
    env = {"REQUESTS_CA_BUNDLE": ca, "WOOFORT_DATA_DIR": tmp}
    result: dict = {"benchmark": "B1 extraction", "machine_before": machine(), "sandbox": info,
                    "latency_ms": latency_ms, "orders": orders, "default_concurrency": 4, "per_page": 100,
                    "target_speedup": 4.0, "target_peak_rss_mb": 300}
    try:
        _set_latency(url, ca, 0)
        result["page_service_ms_without_latency"] = _page_service_ms(url, ca)
        result.update(probe(url, ca))
        result["land_ms_per_page"] = _land_ms(url, ca, f"{tmp}/probe.duckdb")
        _set_latency(url, ca, latency_ms)
        runs = []
        for number, (mode, concurrency) in enumerate(SCHEDULE, 1):
            log(f"B1: run {number} of {len(SCHEDULE)}: {mode}, {concurrency} in flight")
            db = _migrated(f"{tmp}/run{number}-{mode}-{concurrency}.duckdb")
            runs.append({"mode": mode, "concurrency": concurrency, **run_child(
                "bench.b1_extraction", ["child", mode, url, db, "--concurrency", str(concurrency)],
                timeout_s=3600, env=env)})
            log(f"B1: {runs[-1]}")
        result["runs"] = runs
        result["comparisons"] = _compare(runs, result["target_speedup"])
        result["machine_after"] = machine()
    finally:
        proc.kill()
        proc.wait()
    return result


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.b1_extraction")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("child")
    c.add_argument("mode", choices=["woofort", "sequential"])
    c.add_argument("url")
    c.add_argument("db")
    c.add_argument("--concurrency", type=int, default=4)
    r = sub.add_parser("run")
    r.add_argument("--quick", action="store_true")
    r.add_argument("--orders", type=int)
    r.add_argument("--latency-ms", type=int, default=150)
    a = p.parse_args(argv)
    if a.cmd == "child":
        child(a.mode, a.url, a.db, a.concurrency)
    else:
        print(json.dumps(run(a.quick, a.orders, a.latency_ms), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
