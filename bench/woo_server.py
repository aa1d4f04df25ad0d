"""Runs the WooCommerce sandbox in its own process for B1 (so its CPU and GIL are not the extractor's).

    python -m bench.woo_server --orders 100000 --latency-ms 150 --state-dir DIR
prints one JSON line {"url", "ca_path", "orders", "build_s"} once it listens, then serves until killed.

Every order of this store is one the `woocommerce/orders` asset lists: the generator puts about 8 % of orders in
trash and checkout-draft, which `status=any` leaves out as WooCommerce does (they are the vanished-orders check's
business, not extraction's), so B1 crawled 92,119 of 100,000. Here those become completed and pending orders, so
that B1's crawl covers every order it generates."""

from __future__ import annotations

import argparse
import json
import time

from woofort_sandboxes.woocommerce import WooCommerceSandbox
from woofort_sandboxes.woocommerce.generator import S


def list_every_order(store) -> None:
    """Before the first request (the store builds orders from these arrays on demand): trash → completed,
    checkout-draft → pending; neither status has refunds in the generator, so the refunds stay as they were."""
    store.status[store.status == S["trash"]] = S["completed"]
    store.status[store.status == S["checkout-draft"]] = S["pending"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--latency-ms", type=int, default=150)
    p.add_argument("--state-dir", required=True)
    a = p.parse_args()
    t0 = time.monotonic()
    sb = WooCommerceSandbox(orders=a.orders, seed=7, tls=True, state_dir=a.state_dir, port=0)
    sb._make()
    list_every_order(sb.store)
    sb.set_faults(latency_ms=a.latency_ms)
    print(json.dumps({"url": sb.url, "ca_path": sb.ca_path, "orders": sb.store.info()["orders"],
                      "refunds": sb.store.info()["refunds"],
                      "orders_with_refunds": int(len(set(sb.store.r_order.tolist()))),
                      "build_s": round(time.monotonic() - t0, 2)}), flush=True)
    sb.serve_forever()


if __name__ == "__main__":
    main()
