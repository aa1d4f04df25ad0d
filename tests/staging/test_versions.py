"""Latest version per natural key, idempotent re-runs, reference-data replacement, shop isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.staging.conftest import SHOP, example, snapshot
from woofort_assets.lib.staging import ENTITIES, StagingCounts, StagingError, stage_batch


def _all_examples(raw, run_id):
    batch = example("orders_batch_response.json")[0]
    raw.add("orders", example("orders_list.json") + batch["create"], run_id)
    raw.add("refunds", [dict(r, parent_id=723) for r in example("refunds_list.json")], run_id)
    raw.add("products", example("products_list.json"), run_id)
    raw.add("variations", [dict(v, parent_id=22) for v in example("variations_list.json")], run_id)
    raw.add("customers", example("customers_list.json"), run_id)
    raw.add("tax_rates", example("tax_rates.json"), run_id)
    raw.add("tax_classes", example("tax_classes.json"), run_id)
    bad = example("order.json")[0]
    bad.update(id=9999, total="oops")
    raw.add("orders", bad, run_id)


def test_rerunning_batches_leaves_staging_byte_identical(con, raw):
    _all_examples(raw, "r1")
    first = {e: stage_batch(con, e, SHOP, "r1") for e in ENTITIES}
    assert first["orders"] == StagingCounts(fetched=5, staged=4, quarantined=1)
    before = snapshot(con)
    assert before["staging.orders"].startswith("4:") and before["quarantine.records"].startswith("1:")
    again = {e: stage_batch(con, e, SHOP, "r1") for e in ENTITIES}
    assert again == first
    assert snapshot(con) == before


def test_record_fetched_twice_lands_once_with_latest_state(con, raw):
    old = example("order.json")[0]  # 727 processing, modified 19:28:08
    new = example("orders_batch_response.json")[0]["update"][0]  # 727 completed, modified 19:30:35
    assert old["id"] == new["id"] == 727
    raw.add("orders", old, "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    raw.add("orders", new, "r2", fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r2") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT count(*), max(status) FROM staging.orders").fetchone() == (1, "completed")
    state = snapshot(con)

    # the older version fetched again later (a lagging page) does not win
    raw.add("orders", old, "r3", fetched_at="2026-11-03 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r3") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT status FROM staging.orders").fetchone()[0] == "completed"
    # nor does re-running the first batch
    stage_batch(con, "orders", SHOP, "r1")
    assert snapshot(con) == state


def test_versions_are_ranked_on_keys_parsed_once_including_rows_landed_before_the_keys_existed(con, raw):
    """Raw rows landed before migration 038 have no parsed key; the first staging fills them, and the latest
    version is chosen across those and new rows alike. A filled row's key and version stay as first parsed."""
    old = example("order.json")[0]  # 727 processing, modified 19:28:08
    new = example("orders_batch_response.json")[0]["update"][0]  # 727 completed, modified 19:30:35
    raw.add("orders", new, "r1", fetched_at="2026-11-01 10:00:00+00")
    raw.add("orders", old, "r2", fetched_at="2026-11-02 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    keyed = "SELECT run_id, record_key, record_id, version_date::VARCHAR, digest IS NOT NULL FROM raw.orders ORDER BY 1"
    assert con.execute(keyed).fetchall() == [("r1", "727", 727, "2017-03-22 19:30:35", True),
                                            ("r2", "727", 727, "2017-03-22 19:28:08", True)]
    con.execute("UPDATE raw.orders SET record_key = NULL, record_id = NULL, version_date = NULL, digest = NULL")

    assert stage_batch(con, "orders", SHOP, "r2") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT status FROM staging.orders").fetchone()[0] == "completed"
    assert con.execute("SELECT count(*) FROM raw.orders WHERE record_key IS NULL").fetchone()[0] == 0


def test_two_versions_in_one_batch(con, raw):
    new = example("orders_batch_response.json")[0]["update"][0]
    old = example("order.json")[0]
    raw.add("orders", [new, old], "r1")  # the older version fetched last within the run
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT status FROM staging.orders").fetchone()[0] == "completed"


def test_same_modified_date_later_fetch_wins(con, raw):
    a = example("order.json")[0]
    b = example("order.json")[0]
    b["customer_note"] = "second fetch"
    raw.add("orders", a, "r1", fetched_at="2026-11-01 10:00:00+00")
    raw.add("orders", b, "r2", fetched_at="2026-11-01 11:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    assert con.execute("SELECT customer_note FROM staging.orders").fetchone()[0] == "second fetch"


def test_lines_removed_from_an_order_disappear(con, raw):
    order = example("order.json")[0]
    free_gift = dict(order["line_items"][0], id=999, subtotal="0.00", subtotal_tax="0.00", total="0.00",
                     total_tax="0.00", taxes=[])
    order["line_items"].append(free_gift)
    raw.add("orders", order, "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    before = {r[0] for r in con.execute("SELECT line_id FROM staging.order_lines").fetchall()}
    order = example("order.json")[0]  # the gift removed, the money unchanged
    order["date_modified_gmt"] = "2017-03-23T00:00:00"
    raw.add("orders", order, "r2", fetched_at="2026-11-02 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r2")
    after = {r[0] for r in con.execute("SELECT line_id FROM staging.order_lines").fetchall()}
    assert 999 in before and after == before - {999}


def test_refund_versions_by_date_created_then_fetched_at(con, raw):
    refund = dict(example("refund.json")[0], parent_id=723)
    raw.add("refunds", refund, "r1", fetched_at="2026-11-01 10:00:00+00")
    raw.add("refunds", dict(refund, reason="fetched later"), "r2", fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "refunds", SHOP, "r1") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT reason, amount FROM staging.refunds").fetchone() == ("fetched later", Decimal("10.00"))


def test_reference_data_is_replaced_by_the_latest_run(con, raw):
    classes = example("tax_classes.json")
    raw.add("tax_classes", classes, "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "tax_classes", SHOP, "r1")
    raw.add("tax_classes", classes[:2], "r2", fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "tax_classes", SHOP, "r2") == StagingCounts(2, 2, 0)
    slugs = sorted(r[0] for r in con.execute("SELECT slug FROM staging.tax_classes").fetchall())
    assert slugs == ["reduced-rate", "standard"]

    rates = example("tax_rates.json")
    raw.add("tax_rates", rates, "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "tax_rates", SHOP, "r1")
    raw.add("tax_rates", rates[:3], "r2", fetched_at="2026-11-02 10:00:00+00")
    stage_batch(con, "tax_rates", SHOP, "r2")
    assert con.execute("SELECT count(*) FROM staging.tax_rates").fetchone()[0] == 3
    # re-running the older run does not delete anything (it is not the latest run)
    stage_batch(con, "tax_rates", SHOP, "r1")
    assert con.execute("SELECT count(*) FROM staging.tax_rates").fetchone()[0] >= 3

    customers = example("customers_list.json")
    raw.add("customers", customers, "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "customers", SHOP, "r1")
    raw.add("customers", customers[:1], "r2", fetched_at="2026-11-02 10:00:00+00")
    stage_batch(con, "customers", SHOP, "r2")
    assert con.execute("SELECT count(*) FROM staging.customers").fetchone()[0] == 1


def test_shops_are_isolated(con, raw):
    raw.add("orders", example("order.json"), "r1", shop="other")
    raw.add("orders", example("orders_list.json"), "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(2, 2, 0)
    assert stage_batch(con, "orders", "other", "r1") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT shop, count(*) FROM staging.orders GROUP BY 1 ORDER BY 1").fetchall() == [
        ("default", 2), ("other", 1)]


def test_empty_batch(con):
    assert stage_batch(con, "orders", SHOP, "nothing") == StagingCounts(0, 0, 0)
    assert stage_batch(con, "tax_classes", SHOP, "nothing") == StagingCounts(0, 0, 0)


def test_unknown_entity(con):
    with pytest.raises(ValueError, match="unknown entity"):
        stage_batch(con, "coupons", SHOP, "r1")


def test_reconciliation_failure_raises_and_rolls_back(con, raw, monkeypatch):
    import woofort_assets.lib.staging as staging

    raw.add("orders", example("order.json"), "r1")
    monkeypatch.setitem(staging.STAGING_KEYS, "orders", ("staging.refunds", "refund_id", "BIGINT"))
    with pytest.raises(StagingError, match=r"fetched 1 != staged 0 \+ quarantined 0"):
        stage_batch(con, "orders", SHOP, "r1")
    assert con.execute("SELECT count(*) FROM staging.orders").fetchone()[0] == 0


def test_with_connect_on_a_file(tmp_path):
    """The production path: woofort_assets.lib.duckdb.connect(path) runs the migrations."""
    import json

    from woofort_assets.lib.duckdb import connect

    with connect(tmp_path / "file.duckdb") as con:
        con.execute("INSERT INTO raw.orders (shop, fetched_at, run_id, payload) VALUES ('default', now(), 'r1', ?)", [json.dumps(example("order.json")[0])])
        assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(1, 1, 0)
    with connect(tmp_path / "file.duckdb") as con:
        assert con.execute("SELECT total FROM staging.orders").fetchone()[0] == Decimal("29.35")
