"""Property: refunds (partial, full, shipping-only, amount-only) of an invoiced order become credit invoices whose
total and VAT per rate, as Fortnox computes them, equal minus WooCommerce's refund amount and refund tax per rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from tests.accounting import factory as f
from tests.accounting.helpers import build, fortnox_totals, nonzero, rows, vat_by_rate
from tests.accounting.test_invoice_properties import orders


@pytest.fixture(scope="module")
def con():
    c = f.connect_memory()
    f.insert_tax_rates(c)
    yield c
    c.close()


@st.composite
def refunded_orders(draw):
    o = draw(orders())
    kind = draw(st.sampled_from(["lines", "lines", "shipping_only", "amount_only"]))
    if kind == "shipping_only":
        ship = [l for l in o.lines if l.line_type == "shipping" and l.total != 0]
        if not ship:
            kind = "lines"
        else:
            return o, f.refund_of(o, 7001, [(ship[0].line_id, Decimal(1))])
    if kind == "amount_only":
        cents = draw(st.integers(1, max(1, int(o.total * 100))))
        return o, f.Refund(7001, Decimal(cents) / 100)
    parts = []
    for l in o.lines:
        if l.total == 0 and l.total_tax == 0:
            continue
        if draw(st.booleans()):
            qty = draw(st.integers(1, int(l.quantity))) if l.line_type == "line_item" else 1
            parts.append((l.line_id, Decimal(qty)))
    if not parts:
        parts = [(o.lines[0].line_id, Decimal(1))]
    extra = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.01")]))
    return o, f.refund_of(o, 7001, parts, extra=extra)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=refunded_orders())
# found by Hypothesis: a free line after its coupon, the total only a round-off öre, refunded by amount
@example(case=(f.Order(5000, [f.Line(1, "line_item", "Produkt 1", Decimal(1), Decimal("0.01"), Decimal(0), Decimal(0),
                                     Decimal(0), Decimal(25), product_id=100)],
                       drift=Decimal("0.01"), coupons=[("KUPONG", Decimal("0.01"))]),
               f.Refund(7001, Decimal("0.01"), [], [], dt.datetime(2026, 10, 20, 12), True)))
def test_credit_total_and_vat_equal_refund(con, case):
    o, refund = case
    assume(o.total > 0 and refund.amount > 0)
    o.refunds = [refund]
    f.reset(con)
    f.insert_order(con, o)
    build(con, "invoice_delta")
    f.fill_ledger_from_deltas(con, ("invoice_delta",), booked=True)
    build(con, "credit_delta")
    (credit,) = rows(con, "credit_delta")
    event(f"refund kind: {'lines' if refund.lines else 'amount only'}")
    event(f"credit VAT rounding row: {'yes' if credit['vat_adjustment'] else 'no'}")
    assert credit["action"] == "credit"
    assert (credit["ref_entity"], credit["ref_source_key"]) == ("invoice", str(o.order_id))
    payload = credit["payload"]["Invoice"]
    assert payload["CreditInvoiceReference"] is None
    totals = fortnox_totals(credit["payload"])
    assert totals.total == -refund.amount, (totals, refund.amount)
    if refund.lines:
        expected: dict[Decimal, Decimal] = {}
        for l in refund.lines:
            for rate, tax in (l.taxes or {l.rate: l.total_tax}).items():
                expected[rate] = expected.get(rate, Decimal(0)) + tax
        assert vat_by_rate(totals) == nonzero(expected), (totals.vat_by_rate, expected)
    else:
        order_rates = {l.rate.normalize() for l in o.lines}
        assert set(vat_by_rate(totals)) <= order_rates
    for r in payload["InvoiceRows"]:
        assert Decimal(r["DeliveredQuantity"]) < 0
        assert Decimal(r["Discount"]) >= 0
    # a refund paid back through the gateway is also a (negative) payment on the credit invoice, at the rate of
    # its day (here Fortnox's register's)
    con.execute("INSERT OR REPLACE INTO ledger.fortnox_currency_rates (shop, currency, rate_date, rate, unit) "
                "VALUES (?, 'EUR', ?, 11.2, 1)", [f.SHOP, refund.date_created.date()])
    build(con, "payment_delta")
    pay = [p for p in rows(con, "payment_delta") if p["source_key"] == "refund-7001"]
    assert len(pay) == 1 and pay[0]["ref_entity"] == "credit_invoice" and pay[0]["ref_source_key"] == "7001"
    assert pay[0]["amount"] == -refund.amount
