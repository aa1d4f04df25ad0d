"""The delta rules of a living shop (docs/accounting.md §14): booked invoices frozen by what they sold, account
drift listed, operator re-issues, cancellations after refunds, paid orders cancelled before the first sync, manual
refunds."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import build, fortnox_totals, rows
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.lib.mapping import parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

MAPPING_TEXT = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")


def connect_shop():
    """A migrated in-memory database with the tax rates and one product (MUG-01, product 100)."""
    c = f.connect_memory()
    f.insert_tax_rates(c)
    c.execute(
        "INSERT INTO staging.products (shop, product_id, name, type, status, sku, price, regular_price, tax_status, "
        "tax_class, manage_stock, stock_quantity, is_virtual, downloadable, date_modified, date_modified_gmt) VALUES "
        "('default', 100, 'Kaffekopp', 'simple', 'publish', 'MUG-01', 125, 125, 'taxable', '', false, NULL, false, "
        "false, now(), now())")
    return c


@pytest.fixture
def con():
    c = connect_shop()
    yield c
    c.close()


def order(order_id: int, **kw) -> f.Order:
    return f.Order(order_id, [f.item(1, D("100.00"), 2, D(25), False, product_id=100, sku="MUG-01"),
                              f.item(2, D("50.00"), 1, D(12), False),
                              f.charge(3, "shipping", D("49.00"), D(25))], **kw)


def sink(con, booked: bool = True) -> None:
    """What the sink records after sending every delta row: the ledger row with the invoice's digests."""
    for t in ("article_delta", "price_delta", "customer_delta", "credit_delta", "payment_delta"):
        for key, entity, h, order_id in con.execute(
                f"SELECT source_key, entity, payload_hash, order_id FROM deltas.{t}").fetchall():
            f.ledger_insert(con, entity, key, h, number=f"F{key}", booked=booked, order_id=order_id)
    for key, h, order_id, money, accounts in con.execute(
            "SELECT source_key, payload_hash, order_id, money_hash, accounts_hash FROM deltas.invoice_delta").fetchall():
        f.ledger_insert(con, "invoice", key, h, number=f"F{key}", booked=booked, order_id=order_id)
        con.execute("UPDATE ledger.documents SET money_hash = ?, accounts_hash = ? WHERE entity = 'invoice' AND "
                    "source_key = ?", [money, accounts, key])


def build_everything(con, mapping_text: str = MAPPING_TEXT) -> None:
    build_all(con, parse_mapping(mapping_text), "default", "2026-10-01")


def invoice_rows(con, order_id: int) -> list[dict]:
    return rows(con, "invoice_delta", f"order_id = {order_id}")


def test_a_sku_rename_leaves_the_booked_invoice_alone_and_makes_a_new_article(con):
    f.insert_order(con, order(1001))
    build_everything(con)
    (first,) = invoice_rows(con, 1001)
    assert first["payload"]["Invoice"]["InvoiceRows"][0]["ArticleNumber"] == "MUG-01"
    sink(con)
    con.execute("UPDATE staging.products SET sku = 'MUG-STONE', name = 'Kaffekopp &amp; fat' WHERE product_id = 100")
    con.execute("UPDATE staging.order_lines SET sku = 'MUG-STONE' WHERE product_id = 100")
    build_everything(con)
    assert invoice_rows(con, 1001) == []
    assert rows(con, "invoice_drift") == []
    assert [a["source_key"] for a in rows(con, "article_delta")] == ["MUG-STONE"]
    # the payload did change: an unbooked invoice would be updated in place
    con.execute("UPDATE ledger.documents SET booked = false WHERE entity = 'invoice'")
    build_everything(con)
    (update,) = invoice_rows(con, 1001)
    assert update["action"] == "update"
    assert update["payload"]["Invoice"]["InvoiceRows"][0]["ArticleNumber"] == "MUG-STONE"


def test_a_ledger_row_without_digests_is_compared_with_the_mirrored_document(con):
    f.insert_order(con, order(1002))
    build_everything(con)
    (first,) = invoice_rows(con, 1002)
    sink(con)
    con.execute("UPDATE ledger.documents SET money_hash = NULL, accounts_hash = NULL")
    con.execute("UPDATE staging.order_lines SET sku = 'MUG-STONE' WHERE product_id = 100")
    con.execute("UPDATE staging.products SET sku = 'MUG-STONE' WHERE product_id = 100")
    build_everything(con)
    assert [r["action"] for r in invoice_rows(con, 1002)] == ["reissue"]     # no digest, no mirror: by payload
    mirrored = dict(first["payload"]["Invoice"], DocumentNumber="F1002", CurrencyRate=1, Booked=True)
    mirrored["InvoiceRows"] = [dict(r, Price=str(r["Price"]), Total=0) for r in mirrored["InvoiceRows"]]
    con.execute("INSERT INTO ledger.fortnox_documents (shop, kind, number, document, source) VALUES "
                "('default', 'invoice', 'F1002', ?, 'get')", [json.dumps(mirrored, default=str)])
    build_everything(con)
    assert invoice_rows(con, 1002) == []


def test_an_account_change_is_listed_and_reissued_only_when_asked(con):
    f.insert_order(con, order(1003))
    build_everything(con)
    sink(con)
    changed = MAPPING_TEXT.replace("3001", "3041")
    assert changed != MAPPING_TEXT
    build_everything(con, changed)
    assert invoice_rows(con, 1003) == []
    (drift,) = rows(con, "invoice_drift")
    assert (drift["order_id"], drift["fortnox_number"]) == (1003, "F1003")
    assert "woofort reissue 1003" in drift["detail"]

    con.execute("UPDATE staging.orders SET date_modified = TIMESTAMP '2026-11-03 09:00' WHERE order_id = 1003")
    con.execute("INSERT INTO ledger.reissue_requests (shop, source_key, fortnox_number, requested_at) "
                "VALUES ('default', '1003', 'F1003', TIMESTAMPTZ '2026-11-05 10:00:00+00')")
    build_everything(con, changed)
    (row,) = invoice_rows(con, 1003)
    assert row["action"] == "reissue" and row["replaces"] == "F1003"
    assert row["payload"]["Invoice"]["InvoiceDate"] == "2026-11-05"        # the day of the request
    assert {r["AccountNumber"] for r in row["payload"]["Invoice"]["InvoiceRows"]} >= {3041}
    assert rows(con, "invoice_drift") == []
    # the request is spent once the order has another invoice
    con.execute("UPDATE ledger.documents SET fortnox_number = 'F2000' WHERE entity = 'invoice' AND source_key = '1003'")
    build_everything(con, changed)
    assert invoice_rows(con, 1003) == []


def test_a_money_change_reissues_dated_the_day_of_the_change(con):
    f.insert_order(con, order(1004))
    build_everything(con)
    sink(con)
    con.execute("UPDATE staging.order_lines SET quantity = 3, subtotal = 300, total = 300, subtotal_tax = 75, "
                "total_tax = 75 WHERE order_id = 1004 AND line_id = 1")
    con.execute("UPDATE staging.orders SET total = total + 125, total_tax = total_tax + 25, "
                "date_modified = TIMESTAMP '2026-10-16 08:00' WHERE order_id = 1004")
    build_everything(con)
    (row,) = invoice_rows(con, 1004)
    assert row["action"] == "reissue" and row["replaces"] == "F1004"
    assert row["payload"]["Invoice"]["InvoiceDate"] == "2026-10-16"
    assert fortnox_totals(row["payload"]).total == row["total"]
    assert "1004" in {str(o) for (o,) in con.execute("SELECT order_id FROM deltas.settlement_orders").fetchall()}


def test_cancelled_after_a_partial_refund_credits_what_is_left(con):
    o = order(1005)
    refund = f.refund_of(o, 7001, [(1, D(1))])
    o.refunds = [refund]
    f.insert_order(con, o)
    build_everything(con)
    sink(con)
    con.execute("UPDATE staging.orders SET status = 'cancelled', date_modified = TIMESTAMP '2026-10-22 10:00' "
                "WHERE order_id = 1005")
    build_everything(con)
    (rest,) = rows(con, "credit_delta", "source_key = 'order-1005'")
    assert rest["action"] == "credit" and rest["remainder"]
    assert rest["total"] == -(o.total - refund.amount)
    payload = rest["payload"]["Invoice"]
    assert payload["InvoiceDate"] == "2026-10-22" and "test" in payload["Remarks"]
    totals = fortnox_totals(rest["payload"])
    assert totals.total == rest["total"]
    # every VAT rate ends at 0: the invoice, the refund's credit and the remainder
    refund_tax = {l.rate: l.total_tax for l in refund.lines}
    for rate, tax in o.tax_by_rate().items():
        assert tax + refund_tax.get(rate, D(0)) + totals.vat_by_rate.get(int(rate), D(0)) == 0


def test_cancelled_after_an_amount_only_refund_ends_at_zero_per_rate(con):
    o = order(1006)
    o.refunds = [f.Refund(7002, D("100.00"))]
    f.insert_order(con, o)
    build_everything(con)
    sink(con)
    con.execute("UPDATE staging.orders SET status = 'cancelled' WHERE order_id = 1006")
    build_everything(con)
    (rest,) = rows(con, "credit_delta", "source_key = 'order-1006'")
    assert rest["total"] == -(o.total - D("100.00"))
    assert fortnox_totals(rest["payload"]).total == rest["total"]


def test_a_paid_order_cancelled_before_the_first_sync_is_booked_and_an_unpaid_one_excluded(con):
    f.insert_order(con, order(1007, status="cancelled"))
    f.insert_order(con, order(1008, status="cancelled", date_paid=None))
    o = order(1009, status="refunded")
    o.refunds = [f.refund_of(o, 7003, [(1, D(2)), (2, D(1)), (3, D(1))])]
    f.insert_order(con, o)
    build_everything(con)
    assert {r["order_id"]: r["action"] for r in rows(con, "invoice_delta")} == {1007: "create", 1009: "create"}
    (excluded,) = rows(con, "invoice_exclusions")
    assert (excluded["order_id"], excluded["reason"]) == (1008, "cancelled_unpaid")
    credits = {r["source_key"]: r for r in rows(con, "credit_delta")}
    assert credits["order-1007"]["action"] == "credit" and not credits["order-1007"]["remainder"]
    assert credits["7003"]["total"] == -o.total
    assert "order-1009" not in credits            # fully refunded: nothing left to credit
    payments = {r["source_key"]: r["amount"] for r in rows(con, "payment_delta")}
    assert payments == {"1007": order(1007).total, "1009": o.total, "refund-7003": -o.total}


@pytest.mark.parametrize("manual_refunds", ["{mode_of_payment: BG, account: 1930}", "null"])
def test_a_manual_refund_is_paid_out_on_its_mode_or_left_open(con, manual_refunds):
    o = order(1010)
    refund = f.refund_of(o, 7004, [(2, D(1))])
    refund.refunded_payment = False
    o.refunds = [refund]
    f.insert_order(con, o)
    text = MAPPING_TEXT.replace("manual_refunds: {mode_of_payment: BG, account: 1930}", f"manual_refunds: {manual_refunds}")
    build_everything(con, text)
    payouts = [r for r in rows(con, "payment_delta") if r["source_key"] == "refund-7004"]
    if manual_refunds == "null":
        assert payouts == []
    else:
        (payout,) = payouts
        body = payout["payload"]["InvoicePayment"]
        assert (body["ModeOfPayment"], body["ModeOfPaymentAccount"], payout["amount"]) == ("BG", 1930, -refund.amount)


def test_a_business_customer_stays_business_after_a_private_purchase(con):
    f.insert_order(con, f.Order(1011, [f.item(1, D("100.00"), 2, D(0), False, product_id=100, sku="MUG-01")],
                                country="DE", vat_number="DE136695976", customer_id=7,
                                date_created=datetime(2026, 10, 10, 9, 0)))
    f.insert_order(con, order(1012, customer_id=7, date_created=datetime(2026, 10, 12, 9, 0)))
    build(con, "invoice_delta")
    build(con, "customer_delta")
    (customer,) = rows(con, "customer_delta")
    assert customer["vat_type"] == "EUREVERSEDVAT"
    assert customer["order_id"] == 1012            # name and address from the latest order
