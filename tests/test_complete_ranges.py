"""Complete ranges (issue 13, item 6): a sync of days A..B books every order created in A..B, whenever it was last
modified, and the check `woocommerce/orders:orders_created_per_day` compares WooCommerce's own count of the orders
created per day with the orders staged for it, so a gap cannot hide."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from tests.conftest import duckdb_rows, sync_range
from tests.test_extraction import all_orders

STOCKHOLM, UTC = ZoneInfo("Europe/Stockholm"), ZoneInfo("UTC")
GMT = "%Y-%m-%dT%H:%M:%S"
CHECK = dg.AssetCheckKey(dg.AssetKey(["woocommerce", "orders"]), "orders_created_per_day")
LATE_ORDER = 990_101


def store_time(text: str) -> tuple[str, str]:
    """(local, GMT) WooCommerce date strings of a store-time moment."""
    local = datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)
    return local.strftime(GMT), local.astimezone(UTC).strftime(GMT)


def inject_late_order(sandbox) -> dict:
    """An order created at 23:59:59 (store time) on 2026-10-03 and completed two minutes later, on 2026-10-04."""
    template = next(o for o in all_orders(sandbox) if o["status"] == "completed" and not o.get("refunds"))
    created, created_gmt = store_time("2026-10-03T23:59:59")
    completed, completed_gmt = store_time("2026-10-04T00:01:59")
    order = {**template, "id": LATE_ORDER, "number": str(LATE_ORDER), "order_key": f"wc_order_late{LATE_ORDER}",
             "status": "completed", "refunds": [],
             "date_created": created, "date_created_gmt": created_gmt,
             "date_paid": created, "date_paid_gmt": created_gmt,
             "date_modified": completed, "date_modified_gmt": completed_gmt,
             "date_completed": completed, "date_completed_gmt": completed_gmt}
    sandbox.store.inject("orders", [order])
    return order


def check_evaluation(result) -> dg.AssetCheckEvaluation:
    evaluations = [e for e in result.get_asset_check_evaluations() if e.asset_check_key == CHECK]
    assert len(evaluations) == 1, evaluations
    return evaluations[0]


def run_check_only(first: str, last: str):
    """The count check alone over a range of days, after the staging it reads has been changed by hand."""
    from woofort_assets.definitions import build_definitions

    defs = build_definitions()
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(CHECK),
                              partitions_def=defs.resolve_job_def("sync").partitions_def)
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("check_only").execute_in_process(
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def test_an_order_created_on_the_last_evening_and_completed_the_next_day_is_invoiced(woofort_env, woo_sandbox):
    order = inject_late_order(woo_sandbox)
    created_on_range = {o["id"] for o in all_orders(woo_sandbox)
                        if store_time("2026-10-02T00:00:00")[1] <= o["date_created_gmt"] < order["date_modified_gmt"]}
    assert LATE_ORDER in created_on_range

    result = sync_range("2026-10-02", "2026-10-03")
    assert result.success

    staged = {row[0] for row in duckdb_rows("SELECT order_id FROM staging.orders")}
    assert created_on_range <= staged  # every order created in the range, whenever it was last modified
    assert duckdb_rows("SELECT status FROM staging.orders WHERE order_id = ?", [LATE_ORDER]) == [("completed",)]
    invoices = duckdb_rows("SELECT status, fortnox_number FROM ledger.documents WHERE entity = 'invoice' "
                           "AND source_key = ?", [str(LATE_ORDER)])
    assert len(invoices) == 1 and invoices[0][0] == "synced" and invoices[0][1]

    extracted = next(e.step_materialization_data.materialization.metadata for e in result.all_events
                     if e.is_step_materialization and e.asset_key == dg.AssetKey(["woocommerce", "orders"]))
    assert extracted["by_creation/landed"].value >= 1  # the late order came in through the creation crawl
    assert extracted["by_creation/pages"].value >= 1
    assert extracted["requests/by_creation"].value >= extracted["by_creation/pages"].value

    evaluation = check_evaluation(result)
    assert evaluation.passed, evaluation.metadata
    assert evaluation.metadata["day"].value == "2026-10-02..2026-10-03"
    counted = evaluation.metadata["woocommerce_count"].value
    assert counted == evaluation.metadata["staged_count"].value > 0


def test_the_count_check_fails_naming_the_day_and_the_counts_when_an_order_is_missing(woofort_env, woo_sandbox):
    inject_late_order(woo_sandbox)
    assert sync_range("2026-10-03", "2026-10-03", groups=["woocommerce", "staging"]).success
    complete = check_evaluation(run_check_only("2026-10-03", "2026-10-03"))
    assert complete.passed and complete.metadata["day"].value == "2026-10-03"
    woo_count = complete.metadata["woocommerce_count"].value

    duckdb_rows("DELETE FROM staging.orders WHERE order_id = ?", [LATE_ORDER])
    result = run_check_only("2026-10-03", "2026-10-03")
    assert result.success  # not blocking: the check fails, the run does not
    gap = check_evaluation(result)
    assert not gap.passed and gap.severity == dg.AssetCheckSeverity.ERROR
    assert gap.metadata["day"].value == "2026-10-03"
    assert (gap.metadata["woocommerce_count"].value, gap.metadata["staged_count"].value) == (woo_count, woo_count - 1)
    assert f"2026-10-03: WooCommerce {woo_count} created, staged {woo_count - 1}" in gap.metadata["gaps"].value


def test_the_count_check_warns_when_staging_holds_an_order_the_shop_no_longer_counts(woofort_env, woo_sandbox):
    inject_late_order(woo_sandbox)
    assert sync_range("2026-10-03", "2026-10-03", groups=["woocommerce", "staging"]).success
    woo_sandbox.store.trash_order(LATE_ORDER, store_time("2026-10-05T10:00:00")[1])
    surplus = check_evaluation(run_check_only("2026-10-03", "2026-10-03"))
    assert not surplus.passed and surplus.severity == dg.AssetCheckSeverity.WARN
    assert surplus.metadata["staged_count"].value == surplus.metadata["woocommerce_count"].value + 1
    assert "2026-10-03" in surplus.metadata["surplus"].value
