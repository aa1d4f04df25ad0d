"""B5 daily vouchers: a 30-day shop in invoicing.mode daily_vouchers, synced one day at a time against the Fortnox
sandbox at its real limit (25 requests / 5 s, strict, with jitter as in B3).

State: paid Swedish SEK orders (processing/completed) of four payment methods (klarna_payments, stripe, swish,
invoice), built with the WooCommerce sandbox generator with their refunds, landed and staged one day at a time
(each order on the day it was created, each refund on its own day). Each day has two syncs, at 02:30 (which books
the day before: vouchers.book_after is 02:00) and at noon, after the day's orders landed (the day is not over, so
it books nothing); a sync is the deltas (build_all, with the store's clock at that time), then fortnox/preflight
and fortnox/daily_vouchers, each its own dg.materialize, with the sandbox's request counters read before and after
each. Reported per day: every Fortnox call of its two syncs, the preflight's and the voucher sink's (the voucher,
its file upload and its file connection; a correction voucher on a day a refund or a late change touches).

Then the same 30 days again on a fresh sandbox and database with half the voucher POSTs answered by a dropped
connection after Fortnox committed (commit_then_drop), and one clean sync after: no Description twice, the same
per day and account totals as the clean run, the reconciliation check daily_vouchers_match passing, and a rerun
writing nothing."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import yaml

from bench.common import WORK_DIR, emit, log, machine, maxrss_mb, run_child

CLIENT_ID, CLIENT_SECRET, TENANT = "bench-client", "bench-secret", "1234567"
START, DAYS, SEED = "2026-10-01", 30, 11
RATE, WINDOW, RATE_MODE, JITTER_S, JITTER_SEED = 25, 5.0, "strict", 0.2, 16
METHODS = ("klarna_payments", "stripe", "swish", "invoice")
BOOK_RUN, DAY_RUN = timedelta(hours=2, minutes=30), timedelta(hours=12)   # vouchers.book_after is 02:00


def _shop(n_wanted: int) -> tuple[dict[str, list[dict]], dict[str, list[dict]], dict]:
    """Per day (YYYY-MM-DD): the orders created on it and the refunds made on it; and the catalogue."""
    from woofort_sandboxes.woocommerce.store import Store

    total = int(n_wanted * 1.7) + 200
    store = Store(orders=total, seed=SEED, start_date=START, days=DAYS)
    orders: dict[str, list[dict]] = defaultdict(list)
    refunds: dict[str, list[dict]] = defaultdict(list)
    kept = 0
    for i in range(total):
        key = (int(store.ids[i]), int(store.created[i]), int(store.mod0[i]), int(store.mod[i]), int(store.status[i]),
               int(store.customer[i]), store._plans(i))
        order, order_refunds = store.builder.build(*key)
        if (order["payment_method"] in METHODS and order["billing"]["country"] == "SE" and order["currency"] == "SEK"
                and order["status"] in ("processing", "completed") and order.get("date_paid_gmt")):
            orders[order["date_created"][:10]].append(order)
            for refund in order_refunds:
                refund = dict(refund)
                parent = refund.pop("_parent_id", key[0])
                refunds[refund["date_created"][:10]].append({"parent_id": parent, **refund})
            kept += 1
            if kept == n_wanted:
                break
    cat = store.catalog
    catalog = {"products": list(cat.products.values()),
               "variations": [{**v, "parent_id": v.get("parent_id") or cat.var_parent[vid]}
                              for vid, v in cat.variations.items()],
               "customers": list(cat.customers.values()), "tax_rates": list(cat.tax_rates),
               "tax_classes": list(cat.tax_classes)}
    return orders, refunds, catalog


def _mapping_file(workdir: str) -> str:
    """The shipped mapping in daily-voucher mode for a shop that sells in SEK only (so the preflight reads no
    currency register), with the generator's `invoice` method (a paid invoice-payment provider) on 1580."""
    from woofort_assets.lib.mapping import load_mapping
    from woofort_assets.lib.settings import mapping_path

    mapping = load_mapping(mapping_path()).model_dump(mode="json", by_alias=True, exclude_none=True)
    mapping["invoicing"]["mode"] = "daily_vouchers"
    mapping["invoicing"]["allowed_currencies"] = ["SEK"]
    mapping["vouchers"] = {"series": "W", "vat_accounts": {25: 2611, 12: 2621, 6: 2631}}
    mapping["payments"]["methods"]["invoice"] = {"mode_of_payment": "KLARNA", "account": 1580,
                                                 "terms_of_payment": "0"}
    path = os.path.join(workdir, "mapping.yaml")
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(mapping, f, sort_keys=False, allow_unicode=True)
    return path


def _sync_month(workdir: str, label: str, shop, faults: bool) -> dict:
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from woofort_assets.defs.deltas.build import build_all
    from woofort_assets.defs.fortnox.assets import fortnox_daily_vouchers, sink_assets
    from woofort_assets.defs.fortnox.preflight import fortnox_preflight
    from woofort_assets.defs.reconciliation.build import build_reconciliation, evaluate
    from woofort_assets.defs.woocommerce.landing import land
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.mapping import load_mapping
    from woofort_assets.lib.staging import stage_batch
    from woofort_sandboxes.fortnox import FortnoxSandbox

    orders, refunds, catalog = shop
    mapping = load_mapping(os.environ["WOOFORT_MAPPING"])
    db = os.path.join(workdir, f"{label}.duckdb")
    for entity, records in catalog.items():
        land(db, entity, "default", f"{label}-catalog", records)
    with connect(db) as con:
        for entity in ("tax_classes", "tax_rates", "customers", "products", "variations"):
            stage_batch(con, entity, shop="default", run_id=f"{label}-catalog")
    sb = FortnoxSandbox(port=0, rate_limit=RATE, rate_window_seconds=WINDOW, clients={CLIENT_ID: CLIENT_SECRET},
                        tenant_id=TENANT, rate_mode=RATE_MODE, rate_jitter_seconds=JITTER_S,
                        rate_jitter_seed=JITTER_SEED).start()
    with sb.state.lock:
        sb.state.seed_reference({"voucherseries": [{"Code": "W", "Description": "woofort"}]})
    if faults:
        sb.faults.configure(seed=5)
        sb.add_fault("commit_then_drop", "/3/vouchers", methods=["POST"], probability=0.5)
    from woofort_assets.resources.fortnox import FortnoxResource
    resources = {"duckdb": DuckDBResource(database=db),
                 "fortnox": FortnoxResource(api_url=sb.api_url, auth_url=sb.auth_url, client_id=CLIENT_ID,
                                            client_secret=CLIENT_SECRET, tenant_id=TENANT,
                                            data_dir=os.path.join(workdir, f"{label}-fortnox"), rate_limit=RATE,
                                            rate_window_seconds=WINDOW)}

    def calls() -> int:
        return sum(v for k, v in sb.counters_snapshot().items()
                   if k.split(" ", 1)[0] in ("GET", "POST", "PUT", "DELETE") and " /3/" in k)

    def sync(now: datetime | None = None) -> tuple[int, int]:
        with connect(db) as con:
            build_all(con, mapping, "default", START, now=now)
        before = calls()
        dg.materialize([fortnox_preflight], resources=resources, raise_on_error=False)
        middle = calls()
        result = dg.materialize([fortnox_daily_vouchers], resources=resources, raise_on_error=False)
        if not result.success:
            raise SystemExit(f"{label}: fortnox/daily_vouchers failed")
        return middle - before, calls() - middle

    # the catalogue once, before the month, as a shop's first sync does: articles and prices are not the vouchers'
    before = calls()
    with connect(db) as con:
        build_all(con, mapping, "default", START)
    if not dg.materialize([fortnox_preflight, *sink_assets], resources=resources, raise_on_error=False).success:
        raise SystemExit(f"{label}: the catalogue's sync failed")
    setup_calls = calls() - before
    per_day, started = {}, time.monotonic()
    first = date.fromisoformat(START)
    for i in range(DAYS + 13):          # refunds run on past the month; the last day is booked the day after
        day = first + timedelta(days=i)
        key = day.isoformat()
        night = sync(datetime.combine(day, datetime.min.time()) + BOOK_RUN)   # books the day before
        if orders.get(key) or refunds.get(key):
            land(db, "orders", "default", f"{label}-{key}", orders.get(key, []))
            if refunds.get(key):
                land(db, "refunds", "default", f"{label}-{key}", refunds[key])
            with connect(db) as con:
                for entity in ("orders", "refunds"):
                    stage_batch(con, entity, shop="default", run_id=f"{label}-{key}")
        noon = sync(datetime.combine(day, datetime.min.time()) + DAY_RUN)        # the day is not over: books nothing
        per_day[key] = {"orders": len(orders.get(key, [])), "refunds": len(refunds.get(key, [])),
                        "preflight_calls": night[0] + noon[0], "voucher_calls": night[1] + noon[1],
                        "calls": sum(night) + sum(noon), "calls_before_the_day_is_over": sum(noon)}
    wall = time.monotonic() - started
    too_many = sb.counters_snapshot().get("429_sent", 0)
    sb.clear_faults()
    dropped = sb.counters_snapshot().get("dropped_after_commit", 0)
    settle = sync()                         # what stayed pending is looked up
    writes_before = sum(v for k, v in sb.counters_snapshot().items() if k.startswith(("POST", "PUT", "DELETE")))
    sync()
    rerun_writes = sum(v for k, v in sb.counters_snapshot().items()
                       if k.startswith(("POST", "PUT", "DELETE"))) - writes_before
    with sb.state.lock:
        vouchers = [dict(v) for (s, _, _), v in sb.state.docs["vouchers"].items() if s == "W"]
        connections = len(sb.state.docs["voucherfileconnections"])
    sb.stop()
    descriptions = Counter(v["Description"] for v in vouchers)
    sums: Counter = Counter()
    for v in vouchers:
        for r in v["VoucherRows"]:
            sums[(v["TransactionDate"], r["Account"])] += round((float(r["Debit"]) - float(r["Credit"])) * 100)
    totals = {f"{d} {a}": c for (d, a), c in sorted(sums.items()) if c}
    with connect(db) as con:
        build_reconciliation(con, mapping, "default", START)
        check = next(o for o in evaluate(con, "default") if o.name == "daily_vouchers_match")
        members = con.execute("SELECT count(DISTINCT member) FROM deltas.voucher_lines").fetchone()[0]
    unbalanced = [v["Description"] for v in vouchers
                  if sum(float(r["Debit"]) - float(r["Credit"]) for r in v["VoucherRows"]) > 0.005]
    return {"days": per_day, "wall_s": round(wall, 1), "catalogue_calls": setup_calls,
            "orders": sum(len(o) for o in orders.values()),
            "refunds": sum(len(r) for r in refunds.values()), "voucher_members": members,
            "vouchers": len(vouchers), "file_connections": connections, "unbalanced_vouchers": unbalanced,
            "descriptions_twice": [d for d, n in descriptions.items() if n > 1], "dropped_after_commit": dropped,
            "settle_calls": list(settle), "rerun_writes": rerun_writes, "reconciliation_passed": check.passed,
            "reconciliation_differences": check.count, "totals": totals, "429s": too_many}


def child(n: int, workdir: str) -> None:
    warnings.filterwarnings("ignore")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    os.environ["WOOFORT_MAPPING"] = _mapping_file(workdir)
    t0 = time.monotonic()
    shop = _shop(n)
    setup_s = time.monotonic() - t0
    clean = _sync_month(workdir, "clean", shop, faults=False)
    fault = _sync_month(workdir, "fault", shop, faults=True)
    days = clean["days"].values()
    emit({"orders": clean["orders"], "refunds": clean["refunds"], "methods": list(METHODS), "rate_mode": RATE_MODE,
          "setup_s": round(setup_s, 1), "days_synced": len(clean["days"]),
          "calls_per_day_max": max(d["calls"] for d in days),
          "calls_per_day_mean": round(sum(d["calls"] for d in days) / len(clean["days"]), 2),
          "voucher_calls_per_day_max": max(d["voucher_calls"] for d in days),
          "preflight_calls_per_day_max": max(d["preflight_calls"] for d in days),
          "calls_before_the_day_is_over_max": max(d["calls_before_the_day_is_over"] for d in days),
          "orders_per_day_max": max(d["orders"] for d in days),
          "clean": {k: v for k, v in clean.items() if k != "totals"},
          "fault": {k: v for k, v in fault.items() if k != "totals"},
          "fault_books_as_clean": fault["totals"] == clean["totals"], "peak_rss_mb": maxrss_mb()})


def run(quick: bool = False, orders: int | None = None) -> dict:
    n = orders or (600 if quick else 10_000)
    workdir = str(WORK_DIR / f"b5-{n}")
    env = {"WOOFORT_START_DATE": START, "WOOFORT_DATA_DIR": str(WORK_DIR / f"b5-{n}-data")}
    log(f"B5: {n} paid Swedish orders over {DAYS} days in daily_vouchers mode, day by day, against the Fortnox "
        f"sandbox at {RATE}/{WINDOW:.0f} s")
    res = {"benchmark": "B5 daily vouchers", "machine_before": machine()}
    res.update(run_child("bench.b5_vouchers", ["child", str(n), workdir], timeout_s=4 * 3600, env=env))
    res["machine_after"] = machine()
    log(f"B5: {json.dumps(res)[:1500]}")
    return res


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.b5_vouchers")
    p.add_argument("cmd", choices=["child", "run"])
    p.add_argument("n", nargs="?", type=int)
    p.add_argument("workdir", nargs="?")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.cmd == "child":
        child(a.n, a.workdir)
    else:
        print(json.dumps(run(a.quick, a.n), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
