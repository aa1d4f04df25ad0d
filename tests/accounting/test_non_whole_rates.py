"""Orders at a non-whole OSS rate (FI 25.5 % and 14 %, FR 5.5 %, IE 13.5 %) are invoiced, not excluded: their rows
carry the decimal rate and the delta marks them `via_order` (the sink books them through an order turned into an
invoice). Each case's rows are worked out by hand in docs/accounting.md §3 "Non-whole rates"."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import build, rows

CASES = {
    # order: (country, [(kind, line_id, unit, qty, rate)], [(account, VAT, net)], WooCommerce tax, total)
    2001: ("FI", [("item", 1, "100.00", 2, "25.5"), ("shipping", 2, "49.00", 1, "25.5")],
           [(3106, D("25.5"), D("200.00")), (3521, D("25.5"), D("49.00"))], D("63.50"), D("312.50")),
    2002: ("FI", [("item", 1, "12.90", 3, "14")], [(3106, 14, D("38.70"))], D("5.42"), D("44.12")),
    2003: ("FR", [("item", 1, "19.90", 1, "5.5"), ("shipping", 2, "49.00", 1, "5.5")],
           [(3106, D("5.5"), D("19.90")), (3521, D("5.5"), D("49.00"))], D("3.79"), D("72.69")),
    2004: ("IE", [("item", 1, "100.00", 1, "13.5")], [(3106, D("13.5"), D("100.00"))], D("13.50"), D("113.50")),
}


def _order(order_id: int) -> f.Order:
    country, lines, *_ = CASES[order_id]
    made = [f.item(i, D(unit), qty, D(rate), False, product_id=100) if kind == "item"
            else f.charge(i, kind, D(unit), D(rate)) for kind, i, unit, qty, rate in lines]
    return f.Order(order_id, made, country=country, email=f"{order_id}@example.com")


@pytest.mark.parametrize("order_id", sorted(CASES))
def test_non_whole_rate_is_invoiced_with_its_decimal_rate(con, order_id):
    _, _, expected, tax, total = CASES[order_id]
    o = _order(order_id)
    assert (o.total_tax, o.total) == (tax, total)
    f.insert_order(con, o)
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta", f"order_id = {order_id}")
    got = [(r["AccountNumber"], D(str(r["VAT"])), r["Price"] * r["DeliveredQuantity"] - r["Discount"])
           for r in inv["payload"]["Invoice"]["InvoiceRows"]]
    assert got == expected
    assert inv["via_order"] is (any(v % 1 for _, v, _ in expected))
    assert (inv["region"], inv["total"], inv["total_tax"], inv["round_off"], inv["vat_adjustment"]) == (
        "eu_consumer", total, tax, 0, 0)
    assert rows(con, "invoice_exclusions") == []


def test_whole_rates_stay_on_the_direct_invoice(con):
    f.insert_order(con, f.Order(2005, [f.item(1, D("100.00"), 1, D(19), False, product_id=100)], country="DE"))
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta", "order_id = 2005")
    assert inv["via_order"] is False and inv["payload"]["Invoice"]["InvoiceRows"][0]["VAT"] == 19


def test_a_refund_credits_the_decimal_rate_never_a_rounded_one(con):
    """A credit row carries 25.5 as the invoice did (CAST to INTEGER would have made it 26). The sink sends a partial
    credit as a credit invoice, whose row VAT Fortnox's spec types as an integer: see docs/accounting.md §3."""
    o = _order(2001)
    o.refunds = [f.refund_of(o, 7001, [(1, D(1))])]
    f.insert_order(con, o)
    build(con, "invoice_delta")
    build(con, "credit_delta")
    (credit,) = rows(con, "credit_delta")
    credited = [(r["AccountNumber"], D(str(r["VAT"])), r["Price"] * -r["DeliveredQuantity"] + r["Discount"])
                for r in credit["payload"]["Invoice"]["InvoiceRows"]]
    assert credited == [(3106, D("25.5"), D("100.00"))]
    assert credit["total"] == D("-125.50")
