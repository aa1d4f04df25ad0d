"""Extraction and staging end to end: the sandbox over HTTPS → raw → staging, per daily partition."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from tests.conftest import EXTRACT_AND_STAGE, SANDBOX_KEY, SANDBOX_SECRET, duckdb_rows, sync_range
from woofort_assets.resources.woocommerce import WooCommerceResource

STOCKHOLM = ZoneInfo("Europe/Stockholm")
GMT = "%Y-%m-%dT%H:%M:%S"


def day_window_gmt(day: str) -> tuple[str, str]:
    start = datetime.fromisoformat(day).replace(tzinfo=STOCKHOLM)
    end = start + timedelta(days=1)
    utc = ZoneInfo("UTC")
    return start.astimezone(utc).strftime(GMT), end.astimezone(utc).strftime(GMT)


def all_orders(sandbox) -> list[dict]:
    """Every order the store lists, independently of the extraction code (status any, no window)."""
    client = WooCommerceResource(url=sandbox.url, consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET).get_client()
    return [order for page in client.pages("orders", {"status": "any", "orderby": "id", "order": "asc"})
            for order in page.records]


def ids_modified_on(sandbox, day: str) -> set[int]:
    low, high = day_window_gmt(day)
    return {order["id"] for order in all_orders(sandbox) if low <= order["date_modified_gmt"] < high}


def ids_created_on(sandbox, day: str) -> set[int]:
    low, high = day_window_gmt(day)
    return {order["id"] for order in all_orders(sandbox) if low <= order["date_created_gmt"] < high}


def ids_of_days(sandbox, *days: str) -> set[int]:
    """What a sync of these days extracts: the orders modified on them and those created on them."""
    return set().union(*(ids_modified_on(sandbox, day) | ids_created_on(sandbox, day) for day in days))


def staged_order_ids() -> set[int]:
    return {row[0] for row in duckdb_rows("SELECT order_id FROM staging.orders")}


def metadata(result, asset: str) -> dict:
    events = [e for e in result.all_events if e.is_step_materialization
              and "/".join(e.step_materialization_data.materialization.asset_key.path) == asset]
    return {k: v.value for k, v in events[-1].step_materialization_data.materialization.metadata.items()}


def test_a_range_of_days_is_extracted_and_staged_in_one_run(woofort_env, woo_sandbox):
    expected = ids_of_days(woo_sandbox, "2026-10-02", "2026-10-03")
    result = sync_range("2026-10-02", "2026-10-03", groups=EXTRACT_AND_STAGE)
    assert result.success
    partitions = {e.step_materialization_data.materialization.partition for e in result.all_events
                  if e.is_step_materialization and e.asset_key == dg.AssetKey(["woocommerce", "orders"])}
    assert partitions == {"2026-10-02", "2026-10-03"}  # both days, one run
    assert staged_order_ids() == expected and expected
    staged = metadata(result, "staging/orders")
    assert staged["fetched"] == staged["staged"] + staged["quarantined"] == len(expected)
    money_types = duckdb_rows(
        "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = 'staging'"
        " AND column_name IN ('total', 'total_tax', 'subtotal', 'amount', 'price')")
    assert {row[0] for row in money_types} == {"DECIMAL(18,6)"}


def test_running_a_partition_again_leaves_staging_unchanged(woofort_env, woo_sandbox):
    snapshot = "SELECT * FROM staging.{} ORDER BY ALL"
    tables = ("orders", "order_lines", "order_tax_lines", "refunds", "refund_lines", "products")
    assert sync_range("2026-10-04", "2026-10-04", groups=EXTRACT_AND_STAGE).success
    before = {t: duckdb_rows(snapshot.format(t)) for t in tables}
    raw_before = duckdb_rows("SELECT count(*) FROM raw.orders")[0][0]
    assert sync_range("2026-10-04", "2026-10-04", groups=EXTRACT_AND_STAGE).success
    assert {t: duckdb_rows(snapshot.format(t)) for t in tables} == before
    assert duckdb_rows("SELECT count(*) FROM raw.orders")[0][0] == 2 * raw_before  # every fetch is kept


def test_a_record_modified_twice_lands_once_with_its_latest_state(woofort_env, woo_sandbox):
    order_id = min(ids_modified_on(woo_sandbox, "2026-10-03"))
    woo_sandbox.store.modify_order(order_id, "2026-10-05T08:00:00", status="on-hold", fields={"customer_note": "first"})
    assert sync_range("2026-10-05", "2026-10-05", groups=EXTRACT_AND_STAGE).success
    woo_sandbox.store.modify_order(order_id, "2026-10-06T09:00:00", status="completed", fields={"customer_note": "second"})
    assert sync_range("2026-10-05", "2026-10-06", groups=EXTRACT_AND_STAGE).success
    rows = duckdb_rows("SELECT status, customer_note, date_modified_gmt FROM staging.orders WHERE order_id = ?", [order_id])
    assert rows == [("completed", "second", datetime(2026, 10, 6, 9, 0))]
    versions = duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload->>'id' = ?", [str(order_id)])[0][0]
    assert versions >= 2


def test_a_record_modified_exactly_at_local_midnight_lands_in_exactly_one_partition(woofort_env, woo_sandbox):
    midnight_gmt, _ = day_window_gmt("2026-10-12")  # 2026-10-12 00:00 in Stockholm
    order_id = min(ids_modified_on(woo_sandbox, "2026-10-02"))
    woo_sandbox.store.modify_order(order_id, midnight_gmt, fields={"customer_note": "midnight"})
    fetched_by_day = {}
    for day in ("2026-10-11", "2026-10-12"):
        before = duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload->>'customer_note' = 'midnight'")[0][0] \
            if fetched_by_day else 0
        assert sync_range(day, day, selection=["woocommerce/orders"]).success
        after = duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload->>'customer_note' = 'midnight'")[0][0]
        fetched_by_day[day] = after - before
    assert fetched_by_day == {"2026-10-11": 0, "2026-10-12": 1}


@pytest.mark.parametrize("count, pages", [(100, 1), (101, 2), (0, 1)])
def test_paging_edges_exactly_100_101_and_empty(woofort_env, tmp_path, monkeypatch, count, pages):
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    sandbox = WooCommerceSandbox(orders=150, seed=5, days=5, tls=True, consumer_key=SANDBOX_KEY,
                                 consumer_secret=SANDBOX_SECRET, state_dir=tmp_path / "ca150").start()
    try:
        monkeypatch.setenv("WOOCOMMERCE_URL", sandbox.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox.ca_path))
        for order in all_orders(sandbox)[:count]:
            sandbox.store.modify_order(order["id"], "2026-10-20T10:00:00")
        result = sync_range("2026-10-20", "2026-10-20", selection=["woocommerce/orders"])
        assert result.success
        extracted = metadata(result, "woocommerce/orders")
        assert (extracted["fetched"], extracted["pages"], extracted["crawl_consistent"]) == (count, pages, True)
    finally:
        sandbox.stop()


def test_a_crawl_during_which_records_change_still_returns_each_record(woofort_env, woo_sandbox):
    from woofort_assets.defs.woocommerce.assets import woocommerce_orders
    from woofort_assets.resources import build_resources

    day = max((f"2026-10-{d:02d}" for d in range(1, 11)), key=lambda d: len(ids_modified_on(woo_sandbox, d)))
    expected = ids_modified_on(woo_sandbox, day)
    assert len(expected) >= 6
    woo_sandbox.faults.set(modify_during_crawl={"after_page": 1, "count": 2, "entity": "orders"})
    resources = {**build_resources(), "woocommerce": WooCommerceResource(
        url=woo_sandbox.url, consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET, per_page=2, concurrency=1)}
    result = dg.materialize([woocommerce_orders], resources=resources, partition_key=day)
    assert result.success
    moved = set(woo_sandbox.faults.state()["counts"]["modified_ids"])
    assert moved and moved <= expected
    fetched = {int(row[0]) for row in duckdb_rows("SELECT DISTINCT payload->>'id' FROM raw.orders")}
    assert expected <= fetched
    assert metadata(result, "woocommerce/orders")["crawl_passes"] >= 2


def test_a_bad_record_is_quarantined_with_its_reason_and_the_rest_proceeds(woofort_env, woo_sandbox):
    good = ids_of_days(woo_sandbox, "2026-10-02")
    template = dict(next(o for o in all_orders(woo_sandbox) if o["id"] in ids_modified_on(woo_sandbox, "2026-10-02")))
    bad = {**template, "id": 990001, "total": "12,50 kr", "date_modified_gmt": "2026-10-02T12:00:00"}
    woo_sandbox.store.inject("orders", [bad])
    result = sync_range("2026-10-02", "2026-10-02", selection=["woocommerce/orders", "staging/orders"])
    assert result.success
    quarantined = duckdb_rows("SELECT record_key, reason FROM quarantine.records WHERE entity = 'orders'")
    assert len(quarantined) == 1 and quarantined[0][0] == "990001"
    assert "total" in quarantined[0][1] and "12,50 kr" in quarantined[0][1]
    assert staged_order_ids() == good
    staged = metadata(result, "staging/orders")
    assert (staged["fetched"], staged["staged"], staged["quarantined"]) == (len(good) + 1, len(good), 1)


def test_landing_more_than_the_connections_memory_bound_in_one_call(tmp_path):
    """The landing connection is bounded to LANDING_MEMORY_LIMIT (32MB); an operator tool or a benchmark may land
    thousands of records at once: 2,000 records of 20 KB each are about 40 MB, more than one insert can hold."""
    from woofort_assets.defs.woocommerce.landing import land
    from woofort_assets.lib.duckdb import connect

    db = str(tmp_path / "woofort.duckdb")
    records = [{"id": n, "customer_note": "x" * 20_000} for n in range(2_000)]
    assert land(db, "orders", "default", "run-1", records) == 2_000
    with connect(db) as con:
        assert con.execute("SELECT count(*), count(DISTINCT payload->>'$.id') FROM raw.orders").fetchone() == (
            2_000, 2_000)
