"""B1 extraction: WooCommerce sandbox (per-request latency) → raw.orders.

Two sides, each in its own child process against the same sandbox process:
- woofort: `crawl()` + `RawLanding.land()` exactly as the `woocommerce/orders` asset calls them, for one window covering
  every order (status=any, orderby=id), per_page 100, with the resource's default concurrency (4) and again with
  WOOCOMMERCE_CONCURRENCY=8 (4 requests in flight cannot be more than 4x one at a time);
- sequential: the same client and the same landing, page=1,2,… one request at a time (the peers' approach).
The child reports orders landed, seconds and its own ru_maxrss. The sequential side may run on a stated subset of
pages and is then extrapolated linearly (its cost is per page: one request + one landing).

The refunds the asset also fetches (one `GET orders/{id}/refunds` per order that has refunds) are not in the
timed path; their request count is reported so the cost can be estimated."""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from bench.common import PYTHON, REPO, WORK_DIR, emit, log, machine, maxrss_mb, run_child

KEY, SECRET = "ck_sandbox", "cs_sandbox"
WINDOW = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------- child side
def _client(url: str, concurrency: int = 4):
    from woofort_assets.resources.woocommerce import WooCommerceResource

    return WooCommerceResource(url=url, consumer_key=KEY, consumer_secret=SECRET, concurrency=concurrency).get_client()


def _params():
    from woofort_assets.defs.woocommerce.assets import window_params

    return {**window_params(*WINDOW, "modified_after", "modified_before"), "status": "any"}


def child(mode: str, url: str, db: str, max_pages: int | None, concurrency: int = 4) -> None:
    from woofort_assets.defs.woocommerce.assets import inside
    from woofort_assets.defs.woocommerce.crawl import CrawlStats, crawl
    from woofort_assets.defs.woocommerce.landing import RawLanding
    from woofort_assets.lib.duckdb import connect

    with connect(db):  # migrations run here, outside the timed part
        pass
    client, params, run_id = _client(url, concurrency), _params(), f"bench-{mode}-{concurrency}"
    keep = inside(*WINDOW, "date_modified_gmt")
    started = time.monotonic()
    orders = pages = 0
    total_pages = None
    with RawLanding(db, "default", run_id) as raw:
        if mode == "woofort":
            stats = CrawlStats()
            for batch in crawl(client, "orders", params, keep, stats):
                orders += raw.land("orders", batch)
            pages, consistent = stats.pages, stats.consistent
            total_pages = pages
        else:
            consistent = None
            number = 1
            while True:
                page = client.page("orders", params, number)
                total_pages = page.total_pages
                kept = [r for r in page.records if keep(r)]
                orders += raw.land("orders", kept)
                pages += 1
                if number >= page.total_pages or not page.records or (max_pages and pages >= max_pages):
                    break
                number += 1
    seconds = time.monotonic() - started
    with connect(db) as con:
        in_raw = con.execute("SELECT count(*) FROM raw.orders WHERE run_id = ?", [run_id]).fetchone()[0]
    emit({"mode": mode, "concurrency": concurrency, "orders": orders, "orders_in_raw": in_raw, "pages": pages, "total_pages": total_pages,
          "seconds": round(seconds, 2), "orders_per_s": round(orders / seconds, 1), "crawl_consistent": consistent,
          "peak_rss_mb": maxrss_mb()})


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


def run(quick: bool = False, orders: int | None = None, latency_ms: int = 150, seq_pages: int | None = None) -> dict:
    orders = orders or (2_000 if quick else 100_000)
    seq_pages = seq_pages if seq_pages is not None else (None if quick else 250)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="b1-", dir=WORK_DIR)
    log(f"B1: starting the WooCommerce sandbox with {orders} orders, latency {latency_ms} ms")
    proc, info = _start_sandbox(orders, latency_ms, tmp)
    url, ca = info["url"], info["ca_path"]
    env = {"REQUESTS_CA_BUNDLE": ca, "WOOFORT_DATA_DIR": tmp}
    result: dict = {"benchmark": "B1 extraction", "machine_before": machine(), "sandbox": info,
                    "latency_ms": latency_ms, "orders": orders, "concurrency": 4, "per_page": 100}
    try:
        _set_latency(url, ca, 0)
        result["page_service_ms_without_latency"] = _page_service_ms(url, ca)
        result.update(probe(url, ca))
        result["land_ms_per_page"] = _land_ms(url, ca, f"{tmp}/probe.duckdb")
        _set_latency(url, ca, latency_ms)
        for key, concurrency in (("woofort", 4), ("woofort_c8", 8)):
            log(f"B1: woofort side (crawl + land, concurrency {concurrency})")
            result[key] = run_child("bench.b1_extraction", ["child", "woofort", url, f"{tmp}/{key}.duckdb",
                                                            "--concurrency", str(concurrency)], timeout_s=3600, env=env)
            log(f"B1: {key} {result[key]}")
        log(f"B1: sequential side ({'all pages' if not seq_pages else f'first {seq_pages} pages'})")
        args = ["child", "sequential", url, f"{tmp}/sequential.duckdb"] + (["--max-pages", str(seq_pages)] if seq_pages else [])
        seq = run_child("bench.b1_extraction", args, timeout_s=3600, env=env)
        result["sequential"] = seq
        log(f"B1: sequential {seq}")
        if seq.get("finished") and result["woofort"].get("finished"):
            w = result["woofort"]
            seq_rate = seq["orders_per_s"]
            extrapolated = seq["pages"] < seq["total_pages"]
            result["sequential_extrapolated"] = extrapolated
            result["sequential_seconds_for_all"] = round(w["orders"] / seq_rate, 1)
            result["speedup"] = round(w["orders_per_s"] / seq_rate, 2)
            if result["woofort_c8"].get("finished"):
                result["speedup_c8"] = round(result["woofort_c8"]["orders_per_s"] / seq_rate, 2)
            result["target_speedup"] = 4.0
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
    c.add_argument("--max-pages", type=int, default=None)
    c.add_argument("--concurrency", type=int, default=4)
    r = sub.add_parser("run")
    r.add_argument("--quick", action="store_true")
    r.add_argument("--orders", type=int)
    r.add_argument("--latency-ms", type=int, default=150)
    r.add_argument("--seq-pages", type=int)
    a = p.parse_args(argv)
    if a.cmd == "child":
        child(a.mode, a.url, a.db, a.max_pages, a.concurrency)
    else:
        print(json.dumps(run(a.quick, a.orders, a.latency_ms, a.seq_pages), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
