"""Shipping and fees taxed at several rates are split by the goods' net value per rate, negative fees reduce the
revenue of their rate, and an OSS rate is booked only on the invoice dates the mapping gives it. Each case's rows
are worked out by hand in docs/accounting.md §3 ("Shipping, fees and discounts") and §1 (dated OSS rates)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import SHOP, build, default_mapping, fortnox_totals, nonzero, rows, vat_by_rate
from tests.accounting.test_cross_border import booked_rows, exclusion, invoice_of
from woofort_assets.defs.deltas.build import build_delta
from woofort_assets.defs.reconciliation.build import build_reconciliation
from woofort_assets.lib.mapping import parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

MAPPING_TEXT = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")
FI_24 = 14  # a WooCommerce tax rate id for Finland at 24 % (factory.TAX_RATES)


def goods() -> list[f.Line]:
    """400.00 at 25 % and 100.00 at 12 %, prices ex VAT: the goods' net is 4:1."""
    return [f.item(1, D("400.00"), 1, D(25), False, product_id=100),
            f.item(2, D("100.00"), 1, D(12), False, product_id=101)]


def assert_fortnox_equals_woocommerce(con, o: f.Order) -> None:
    """The referee: Fortnox's total and VAT per rate of the invoice equal WooCommerce's to the öre."""
    totals = fortnox_totals(invoice_of(con, o.order_id)["payload"])
    assert totals.total == o.total
    assert vat_by_rate(totals) == nonzero(o.tax_by_rate())


def test_shipping_taxed_at_two_rates_is_split_by_the_goods_net(con):
    """Shipping 49.00 taxed 9.80 at 25 % and 1.18 at 12 %: 39.20 and 9.80 on the freight account."""
    o = f.Order(1001, goods() + [f.charge_at_rates(3, "shipping", {25: D("9.80"), 12: D("1.18")}, D("49.00"))])
    f.insert_order(con, o)
    build(con, "invoice_delta")
    assert booked_rows(con, 1001) == [(3001, 25, D("400.00")), (3002, 12, D("100.00")),
                                      (3520, 25, D("39.20")), (3520, 12, D("9.80"))]
    assert [r["Description"] for r in invoice_of(con, 1001)["payload"]["Invoice"]["InvoiceRows"]][2:] == [
        "Frakt 25 %", "Frakt 12 %"]
    assert_fortnox_equals_woocommerce(con, o)


def test_a_full_refund_of_split_shipping_credits_each_part(con):
    o = f.Order(1001, goods() + [f.charge_at_rates(3, "shipping", {25: D("9.80"), 12: D("1.18")}, D("49.00"))])
    refund = f.Line(9001, "shipping", "Frakt", D(-1), D("-49.00"), D("-10.98"), D("-49.00"), D("-10.98"), D(25))
    o.refunds = [f.Refund(7001, D("59.98"), [refund], [3])]
    f.insert_order(con, o)
    build(con, "invoice_delta")
    build(con, "credit_delta")
    (credit,) = rows(con, "credit_delta")
    credited = sorted((r["AccountNumber"], r["VAT"], r["Price"] * -r["DeliveredQuantity"] + r["Discount"])
                      for r in credit["payload"]["Invoice"]["InvoiceRows"])
    assert credited == [(3520, 12, D("9.80")), (3520, 25, D("39.20"))]
    totals = fortnox_totals(credit["payload"])
    assert totals.total == D("-59.98") and vat_by_rate(totals) == {D(25): D("-9.80"), D(12): D("-1.18")}


def test_a_fee_taxed_at_two_rates_is_split_with_the_largest_remainder(con):
    """Fee 10.01 at 25 % and 12 %: 8.008 and 2.002 round down to 8.00 and 2.00, the öre left goes to 25 %
    (the larger remainder): 8.01 (VAT 2.00) and 2.00 (VAT 0.24)."""
    o = f.Order(1001, goods() + [f.charge_at_rates(3, "fee", {25: D("2.00"), 12: D("0.24")}, D("10.01"))])
    f.insert_order(con, o)
    build(con, "invoice_delta")
    assert booked_rows(con, 1001)[2:] == [(3540, 25, D("8.01")), (3540, 12, D("2.00"))]
    assert_fortnox_equals_woocommerce(con, o)


def test_shipping_at_rates_the_goods_do_not_carry_is_listed(con):
    o = f.Order(1001, goods()[:1] + [f.charge_at_rates(3, "shipping", {12: D("1.18"), 6: D("0.59")}, D("19.80"))])
    f.insert_order(con, o)
    build(con, "invoice_delta")
    row = exclusion(con, 1001)
    assert row["reason"] == "line_vat_rate_unknown"
    assert row["detail"] == "shipping 3 is taxed at several rates (12 %, 6 %) and the goods carry none of them"


def swedish_negative_fee() -> f.Order:
    return f.Order(1001, goods() + [f.charge(3, "fee", D("-20.00"), D(25), name="Rabatt")])


def test_a_negative_fee_reduces_swedish_sales_at_its_rate(con):
    o = swedish_negative_fee()
    f.insert_order(con, o)
    build(con, "invoice_delta")
    assert booked_rows(con, 1001) == [(3001, 25, D("400.00")), (3002, 12, D("100.00")), (3001, 25, D("-20.00"))]
    assert_fortnox_equals_woocommerce(con, o)


def test_a_negative_fee_goes_to_the_discount_account_when_the_mapping_has_one(con):
    mapping = parse_mapping(MAPPING_TEXT.replace("    # discount: 3730", "    discount: 3730"))
    o = swedish_negative_fee()
    f.insert_order(con, o)
    build(con, "invoice_delta", mapping)
    assert booked_rows(con, 1001) == [(3001, 25, D("400.00")), (3002, 12, D("100.00")), (3730, 25, D("-20.00"))]
    assert_fortnox_equals_woocommerce(con, o)


def test_a_negative_fee_of_an_oss_sale_reduces_its_oss_sales_even_with_a_discount_account(con):
    """A German consumer at 19 %: the discount lowers 3106; 3730 is for Swedish sales only."""
    mapping = parse_mapping(MAPPING_TEXT.replace("    # discount: 3730", "    discount: 3730"))
    o = f.Order(1001, [f.item(1, D("100.00"), 1, D(19), False, product_id=100),
                       f.charge(2, "fee", D("-10.00"), D(19), name="Rabatt")], country="DE")
    f.insert_order(con, o)
    build(con, "invoice_delta", mapping)
    assert booked_rows(con, 1001) == [(3106, 19, D("100.00")), (3106, 19, D("-10.00"))]
    assert_fortnox_equals_woocommerce(con, o)


def finnish_order(day: str) -> f.Order:
    """100.00 and 49.00 shipping at Finland's 24 %, WooCommerce's rate FI_24, created (invoiced) on `day`."""
    lines = [f.item(1, D("100.00"), 1, D(24), False, product_id=100), f.charge(2, "shipping", D("49.00"), D(24))]
    for line in lines:
        line.tax_rate_ids = [FI_24]
    created = datetime.fromisoformat(f"{day}T10:30")
    return f.Order(1001, lines, country="FI", date_created=created, date_paid=created)


def test_finland_24_percent_is_booked_until_august_2024(con):
    o = finnish_order("2024-08-31")
    f.insert_order(con, o)
    build_delta(con, "invoice_delta", default_mapping(), SHOP, "2024-01-01")
    assert booked_rows(con, 1001) == [(3106, 24, D("100.00")), (3521, 24, D("49.00"))]
    assert_fortnox_equals_woocommerce(con, o)


def test_finland_24_percent_from_september_2024_is_listed_with_the_date(con):
    f.insert_order(con, finnish_order("2024-09-01"))
    build_delta(con, "invoice_delta", default_mapping(), SHOP, "2024-01-01")
    row = exclusion(con, 1001)
    assert row["reason"] == "vat_rate_not_in_mapping"
    assert row["detail"].startswith("FI 24 % is not valid on 2024-09-01, the invoice date, in the mapping")


@pytest.mark.parametrize("fee", [False, True])
def test_the_books_check_splits_charges_as_the_invoice_and_credit_do(con, fee):
    """The reconciliation works the split out on its own (sql/reconciliation/_woocommerce.sql): per rate, its
    WooCommerce net and VAT of the order and of a partial shipping refund equal what Fortnox computes of the
    invoice and the credit note (the net without woofort's VAT rounding rows, which the books check bounds)."""
    o = small_fee_order() if fee else f.Order(1001, goods())
    o.lines.append(f.charge_at_rates(4, "shipping", {25: D("9.80"), 12: D("1.18")}, D("49.00")))
    refund = f.Line(9001, "shipping", "Frakt", D(-1), D("-20.00"), D("-4.48"), D("-20.00"), D("-4.48"), D(25))
    o.refunds = [f.Refund(7001, D("24.48"), [refund], [4])]
    f.insert_order(con, o)
    build(con, "invoice_delta")
    build(con, "credit_delta")
    build(con, "payment_delta")
    build_reconciliation(con, default_mapping(), SHOP, "2026-10-01")
    documents = {"order 1001": invoice_of(con, 1001)["payload"], "refund 7001": rows(con, "credit_delta")[0]["payload"]}
    for doc, payload in documents.items():
        fortnox = fortnox_totals(payload)
        net: dict[D, D] = {}
        for r in payload["Invoice"]["InvoiceRows"]:
            if r["VAT"] and not r["Description"].startswith("Momsavrundning"):
                sign = 1 if r["DeliveredQuantity"] > 0 else -1
                net[D(r["VAT"])] = net.get(D(r["VAT"]), D(0)) + r["Price"] * r["DeliveredQuantity"] - r["Discount"] * sign
        woocommerce = {rate.normalize(): (D(n) / 100, D(v) / 100) for rate, n, v in con.execute(
            "SELECT vat_rate, net_cents, vat_cents FROM rc_woo_rates WHERE doc_key = ?", [doc]).fetchall()}
        assert woocommerce == {rate.normalize(): (net[rate], fortnox.vat_by_rate[rate]) for rate in net}, doc


def small_fee_order() -> f.Order:
    """A fee of 1.03 WooCommerce taxed on its exact shares (0.824 × 25 % = 0.206 → 0.21; 0.206 × 12 % = 0.0247 →
    0.02), where the rule's rounded parts, 0.82 and 0.21, would give 0.21 and 0.03."""
    return f.Order(1001, goods() + [f.charge_at_rates(3, "fee", {25: D("0.21"), 12: D("0.02")}, D("1.03"))])


def test_woocommerces_own_tax_per_rate_is_kept(con):
    """Its VAT per rate is WooCommerce's: a VAT rounding row of −0.01 at 12 % (0.20 × 12 % = 0.024 → 0.02), and the
    round-off row gives the öre back."""
    o = small_fee_order()
    f.insert_order(con, o)
    build(con, "invoice_delta")
    assert booked_rows(con, 1001)[2:] == [(3540, 25, D("0.82")), (3540, 12, D("0.21")), (3002, 12, D("-0.01")),
                                          (3740, 0, D("0.01"))]
    assert_fortnox_equals_woocommerce(con, o)


def test_a_line_staged_without_its_tax_per_rate_is_split_by_the_rule(con):
    """Staged before migration 028: the tax per rate is worked out (0.21 and 0.03, 1 öre over WooCommerce's 0.23 in
    all, taken from the largest part: 0.20 and 0.03); the invoice total is still the order's."""
    o = small_fee_order()
    f.insert_order(con, o)
    con.execute("UPDATE staging.order_lines SET tax_totals = NULL")
    build(con, "invoice_delta")
    totals = fortnox_totals(invoice_of(con, 1001)["payload"])
    assert totals.total == o.total
    assert vat_by_rate(totals) == {D(25): D("100.20"), D(12): D("12.03")}
