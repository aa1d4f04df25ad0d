"""Every WooCommerce docs example of a staged shape parses into staging with the right types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.staging.conftest import SHOP, example
from woofort_assets.lib.staging import StagingCounts, stage_batch


def rows(con, sql, params=None):
    cur = con.execute(sql, params or {})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_orders_list_and_order(con, raw):
    raw.add("orders", example("orders_list.json") + example("order.json"), "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=2, staged=2, quarantined=0)

    orders = {o["order_id"]: o for o in rows(con, "SELECT * FROM staging.orders")}
    assert set(orders) == {723, 727}
    o = orders[727]
    assert o["total"] == Decimal("29.35") and isinstance(o["total"], Decimal)
    assert o["total_tax"] == Decimal("1.35") and o["cart_tax"] == Decimal("1.35")
    assert o["shipping_total"] == Decimal("10.00")
    assert o["date_created_gmt"] == dt.datetime(2017, 3, 22, 19, 28, 2)
    assert o["date_paid_gmt"] == dt.datetime(2017, 3, 22, 19, 28, 8)
    assert o["date_completed_gmt"] is None
    assert o["status"] == "processing" and o["currency"] == "USD" and o["prices_include_tax"] is False
    assert o["customer_id"] == 0 and o["billing_email"] == "john.doe@example.com"
    assert o["currency_rate"] is None

    lines = {l["line_id"]: l for l in rows(con, "SELECT * FROM staging.order_lines WHERE order_id = 727")}
    assert set(lines) == {315, 316, 317}
    assert lines[315]["line_type"] == "line_item" and lines[315]["price"] == Decimal("3.000000")
    assert lines[315]["quantity"] == Decimal("2") and lines[315]["tax_rate_ids"] == [75]
    assert lines[315]["sku"] is None  # "" -> NULL
    assert lines[316]["sku"] == "Bar3" and lines[316]["variation_id"] == 23 and lines[316]["price"] == Decimal("12")
    assert lines[317]["line_type"] == "shipping" and lines[317]["method_id"] == "flat_rate"
    assert lines[317]["quantity"] == Decimal("1") and lines[317]["total"] == Decimal("10.00")
    assert lines[317]["name"] == "Flat Rate" and lines[317]["price"] is None

    tax = rows(con, "SELECT * FROM staging.order_tax_lines")
    assert [(t["order_id"], t["line_id"], t["rate_id"], t["tax_total"]) for t in tax] == [(727, 318, 75, Decimal("1.35"))]
    # 723: two line items and a shipping line "flat_rate:25" (older data)
    assert con.execute("SELECT count(*) FROM staging.order_lines WHERE order_id = 723").fetchone()[0] == 3


def test_orders_batch_response(con, raw):
    data = example("orders_batch_response.json")[0]
    raw.add("orders", data["create"] + data["update"] + data["delete"], "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=4, staged=4, quarantined=0)
    assert con.execute("SELECT status FROM staging.orders WHERE order_id = 727").fetchone()[0] == "completed"
    coupon_free = con.execute("SELECT count(*) FROM staging.order_coupon_lines").fetchone()[0]
    assert coupon_free == 0


def test_line_price_float_artefact_parsed_from_text(con, raw):
    order = example("order.json")[0]
    order["line_items"][0]["price"] = 14.309999999999999
    order["line_items"][1]["price"] = 0.30000000000000004
    raw.add("orders", order, "r1")
    stage_batch(con, "orders", SHOP, "r1")
    prices = dict(con.execute("SELECT line_id, price FROM staging.order_lines WHERE line_type = 'line_item'").fetchall())
    assert prices[315] == Decimal("14.310000") and str(prices[315]) == "14.310000"
    assert prices[316] == Decimal("0.300000")
    assert con.execute("SELECT typeof(price) FROM staging.order_lines LIMIT 1").fetchone()[0] == "DECIMAL(18,6)"


def test_line_taxes_per_rate(con, raw):
    """taxes[].total per rate id (migration 028): a shipping line a split-tax plugin taxed at two rates keeps both;
    an entry without a number is left out."""
    order = example("order.json")[0]
    shipping = order["shipping_lines"][0]
    shipping["taxes"] = [{"id": 75, "total": "1.8", "subtotal": ""}, {"id": 76, "total": "0.126000", "subtotal": ""},
                         {"id": 77, "total": "", "subtotal": ""}]
    raw.add("orders", order, "r1")
    stage_batch(con, "orders", SHOP, "r1")
    taxes = dict(con.execute("SELECT line_id, tax_totals FROM staging.order_lines").fetchall())
    assert taxes[315] == [{"rate_id": 75, "total": Decimal("0.45")}]
    assert taxes[shipping["id"]] == [{"rate_id": 75, "total": Decimal("1.8")}, {"rate_id": 76, "total": Decimal("0.126")}]


@pytest.mark.parametrize("price", [True, False, "", None, "abc", {"x": 1}])
def test_line_price_quirks_are_tolerated(con, raw, price):
    order = example("order.json")[0]
    order["line_items"][0]["price"] = price
    order["line_items"][0]["sku"] = False
    raw.add("orders", order, "r1")
    assert stage_batch(con, "orders", SHOP, "r1").staged == 1
    assert con.execute("SELECT price, sku FROM staging.order_lines WHERE line_id = 315").fetchone() == (None, None)


def test_meta_currency_rate(con, raw):
    order = example("order.json")[0]
    order["meta_data"] = [
        {"id": 4, "key": "_base_currency_exchange_rate", "value": "0.0912345"},
        {"id": 5, "key": "list", "value": [1, 2]},
    ]
    raw.add("orders", order, "r1")
    stage_batch(con, "orders", SHOP, "r1")
    assert con.execute("SELECT currency_rate FROM staging.orders").fetchone() == (Decimal("0.091235"),)


def test_meta_currency_rate_fallback(con, raw):
    order = example("order.json")[0]
    order["meta_data"] = [{"id": 3, "key": "_wcpbc_base_exchange_rate", "value": 10.5}]
    raw.add("orders", order, "r1")
    stage_batch(con, "orders", SHOP, "r1")
    assert con.execute("SELECT currency_rate FROM staging.orders").fetchone() == (Decimal("10.5"),)


def test_refunds_with_negative_line_item(con, raw):
    refunds = [dict(r, parent_id=723) for r in example("refunds_list.json") + example("refund.json")]
    raw.add("refunds", refunds, "r1")
    assert stage_batch(con, "refunds", SHOP, "r1") == StagingCounts(fetched=2, staged=2, quarantined=0)
    got = {r["refund_id"]: r for r in rows(con, "SELECT * FROM staging.refunds")}
    assert got[724]["amount"] == Decimal("9.00") and got[724]["order_id"] == 723
    assert got[726]["date_created_gmt"] == dt.datetime(2017, 3, 21, 20, 7, 11)
    (line,) = rows(con, "SELECT * FROM staging.refund_lines")
    assert (line["refund_id"], line["order_id"], line["line_id"], line["line_type"]) == (724, 723, 314, "line_item")
    assert line["quantity"] == Decimal("-1") and line["subtotal"] == Decimal("-9.00") and line["total"] == Decimal("-9")
    assert line["refunded_item_id"] == 311 and line["product_id"] == 87


def test_products(con, raw):
    raw.add("products", example("products_list.json") + example("product_simple.json")
            + example("product_variable.json"), "r1")
    assert stage_batch(con, "products", SHOP, "r1") == StagingCounts(fetched=2, staged=2, quarantined=0)
    got = {r["product_id"]: r for r in rows(con, "SELECT * FROM staging.products")}
    assert got[794]["price"] == Decimal("21.99") and got[794]["type"] == "simple" and got[794]["tax_class"] == ""
    assert got[799]["price"] is None and got[799]["type"] == "variable" and got[799]["variation_ids"] == []
    assert got[794]["is_virtual"] is False and got[794]["manage_stock"] is False


def test_variations(con, raw):
    raw.add("variations", [dict(v, parent_id=22) for v in example("variations_list.json") + example("variation.json")], "r1")
    assert stage_batch(con, "variations", SHOP, "r1") == StagingCounts(fetched=2, staged=2, quarantined=0)
    got = {r["variation_id"]: r for r in rows(con, "SELECT * FROM staging.variations")}
    assert got[732]["price"] == Decimal("9.00") and got[732]["product_id"] == 22
    assert got[732]["sale_price"] is None and got[732]["manage_stock"] == "false"


def test_customers(con, raw):
    raw.add("customers", example("customers_list.json") + example("customer.json"), "r1")
    assert stage_batch(con, "customers", SHOP, "r1") == StagingCounts(fetched=2, staged=2, quarantined=0)
    got = {r["customer_id"]: r for r in rows(con, "SELECT * FROM staging.customers")}
    assert got[25]["email"] == "john.doe@example.com" and got[26]["first_name"] == "João"
    assert got[25]["date_modified_gmt"] == dt.datetime(2017, 3, 21, 19, 9, 30)


def test_tax_rates_and_classes(con, raw):
    raw.add("tax_rates", example("tax_rates.json") + example("tax_rate.json"), "r1")
    raw.add("tax_classes", example("tax_classes.json"), "r1")
    assert stage_batch(con, "tax_rates", SHOP, "r1") == StagingCounts(fetched=10, staged=10, quarantined=0)
    assert stage_batch(con, "tax_classes", SHOP, "r1") == StagingCounts(fetched=3, staged=3, quarantined=0)
    rate = rows(con, "SELECT * FROM staging.tax_rates WHERE tax_rate_id = 72")[0]
    assert rate["rate"] == Decimal("4.0000") and rate["tax_class"] == "standard" and rate["state"] == "AL"
    assert rate["priority"] == 0 and rate["compound"] is False
    assert sorted(r[0] for r in con.execute("SELECT slug FROM staging.tax_classes").fetchall()) == [
        "reduced-rate", "standard", "zero-rate"]


def test_money_columns_are_decimal_in_arrow(con, raw):
    raw.add("orders", example("order.json"), "r1")
    stage_batch(con, "orders", SHOP, "r1")
    frame = con.execute("SELECT orders.total, price FROM staging.orders JOIN staging.order_lines USING (shop, order_id)"
                        " WHERE line_type = 'line_item'").fetch_arrow_table().to_pandas()
    assert all(isinstance(v, Decimal) for v in frame["total"]) and all(isinstance(v, Decimal) for v in frame["price"])
