"""Exact amounts from any store (issue 14, item 6): the extraction asks for dp=6, staging keeps 6 decimals.

A store set to show 0 decimals answers rounded totals and taxes unless asked for more; synced through woofort it
stages the same amounts, to the sixth decimal, and prices the same invoices as a store showing 2. A fifth or sixth
decimal stages; a seventh is quarantined with its reason."""
from __future__ import annotations

import json
from decimal import Decimal

import requests

from tests.conftest import SANDBOX_KEY, SANDBOX_SECRET, duckdb_rows, sync_range
from tests.staging.conftest import SHOP, example
from woofort_assets.defs.staging.checks import validate_table
from woofort_assets.lib.staging import StagingCounts, stage_batch

FIRST, LAST = "2026-10-01", "2026-10-10"
STAGED_SALES = ("orders", "order_lines", "order_tax_lines", "order_coupon_lines", "refunds", "refund_lines")


def _sync_and_read(first: str, last: str) -> dict[str, list]:
    """Extraction, staging and deltas of the days, then every staged sales row and every invoice priced."""
    assert sync_range(first, last, groups=["woocommerce", "staging", "deltas"]).success
    tables = {t: duckdb_rows(f"SELECT * FROM staging.{t} ORDER BY ALL") for t in STAGED_SALES}
    tables["invoice_delta"] = duckdb_rows("SELECT * FROM deltas.invoice_delta ORDER BY ALL")
    tables["quarantined"] = duckdb_rows("SELECT entity, record_key, reason FROM quarantine.records ORDER BY ALL")
    return tables


def test_a_zero_decimal_store_stages_and_invoices_the_same_amounts_as_a_two_decimal_one(
        woofort_env, woo_sandbox, tmp_path, monkeypatch):
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    two_decimals = _sync_and_read(FIRST, LAST)
    zero = WooCommerceSandbox(orders=60, seed=11, start_date="2026-10-01", days=10, tls=True, price_decimals=0,
                              consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET,
                              state_dir=tmp_path / "zero-ca").start()
    try:
        # the same orders, answered rounded when nobody asks for decimals
        shown = requests.get(f"{zero.api_url}/orders", params={"per_page": 100}, auth=(SANDBOX_KEY, SANDBOX_SECRET),
                             verify=zero.ca_path, timeout=30).json()
        assert shown and all("." not in order["total"] for order in shown)
        monkeypatch.setenv("WOOCOMMERCE_URL", zero.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(zero.ca_path))
        monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "zero-decimals"))
        zero_decimals = _sync_and_read(FIRST, LAST)
        landed = [json.loads(row[0]) for row in duckdb_rows("SELECT payload FROM raw.orders")]
    finally:
        zero.stop()

    for table, rows in two_decimals.items():
        assert zero_decimals[table] == rows, f"{table} differs between the 0- and the 2-decimal store"
    # woofort asked for 6 decimals: the raw payloads carry them, whatever the store shows
    assert landed and all(len(order["total"].split(".")[1]) == 6 for order in landed)
    assert all(len(line["total"].split(".")[1]) == 6 for order in landed for line in order["line_items"])
    assert two_decimals["quarantined"] == []
    assert len(two_decimals["orders"]) >= 10 and two_decimals["refunds"] and two_decimals["invoice_delta"]
    line_totals = [row[14] for row in two_decimals["order_lines"]]   # total: öre a 0-decimal answer would lose
    assert all(isinstance(total, Decimal) and total.as_tuple().exponent == -6 for total in line_totals)
    assert sum(total % 1 != 0 for total in line_totals) >= 5


def _order(order_id: int, **changes) -> dict:
    order = example("order.json")[0]
    order["id"] = order_id
    order.update(changes)
    return order


def test_five_and_six_decimals_stage_exactly(con, raw):
    """Amounts a store keeps unrounded (a line total "5.99999"), added up exactly: nothing is rounded or refused."""
    order = _order(9101, total="29.349996", total_tax="1.350006", cart_tax="1.350006")
    order["line_items"][0].update(total="5.99999", subtotal="5.99999", total_tax="0.450006", subtotal_tax="0.450006")
    order["tax_lines"][0]["tax_total"] = "1.350006"
    raw.add("orders", order, "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=1, staged=1, quarantined=0)
    assert con.execute("SELECT total, total_tax, cart_tax FROM staging.orders WHERE order_id = 9101").fetchone() == (
        Decimal("29.349996"), Decimal("1.350006"), Decimal("1.350006"))
    assert con.execute("SELECT subtotal, total, total_tax FROM staging.order_lines WHERE order_id = 9101 "
                       "AND line_id = 315").fetchone() == (Decimal("5.99999"), Decimal("5.99999"), Decimal("0.450006"))
    assert con.execute("SELECT tax_total FROM staging.order_tax_lines WHERE order_id = 9101").fetchone() == (
        Decimal("1.350006"),)
    contract = next(r for r in validate_table(con, "orders", SHOP) if r.check_name == "orders_contract")
    assert contract.passed


def test_a_seventh_decimal_is_quarantined_with_a_reason_naming_the_order_and_the_amount(con, raw):
    seventh = _order(9102)
    seventh["line_items"][1]["total"] = "12.0000001"
    refund = dict(example("refunds_list.json")[1], parent_id=723, id=9103, amount="9.0000001")
    raw.add("orders", [seventh, _order(9104)], "r1")
    raw.add("refunds", refund, "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=2, staged=1, quarantined=1)
    assert stage_batch(con, "refunds", SHOP, "r1") == StagingCounts(fetched=1, staged=0, quarantined=1)
    assert con.execute("SELECT entity, record_key, reason FROM quarantine.records ORDER BY record_key").fetchall() == [
        ("orders", "9102", "line_items[1].total: '12.0000001' has more than 6 decimals"),
        ("refunds", "9103", "amount: '9.0000001' has more than 6 decimals"),
    ]
    assert [r[0] for r in con.execute("SELECT order_id FROM staging.orders").fetchall()] == [9104]
