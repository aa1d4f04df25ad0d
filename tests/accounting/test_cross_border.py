"""Cross-border sales: an order's region follows the VAT WooCommerce charged and the buyer's VAT number, checked
offline; an untaxed EU consumer sale is listed, never booked as OSS 0 %; invoices without Swedish VAT carry the
mention the law asks for. Each case's rows are worked out in docs/accounting.md "Regions and VAT numbers"."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import build, default_mapping, rows
from woofort_assets.lib.mapping import Customers, parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

MAPPING_TEXT = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")
TEXTS = default_mapping().invoicing.legal_texts
# valid check digits (python-stdnum); DE123456789 has the format but not the check digit
DE_NUMBER, SE_NUMBER = "DE136695976", "SE112345779601"


def order(order_id: int, country: str, rate: D, *, rate_id: int | None = None, tax_class: str | None = None,
          **kw) -> f.Order:
    """One line of 100.00 ex VAT and 49.00 shipping, taxed at `rate` by WooCommerce's rate `rate_id`."""
    ids = None if rate_id is None else [rate_id]
    goods = f.item(1, D("100.00"), 1, rate, False, product_id=100)
    goods.tax_rate_ids, goods.tax_class = ids, tax_class
    shipping = f.charge(2, "shipping", D("49.00"), rate)
    shipping.tax_rate_ids, shipping.tax_class = ids, tax_class
    return f.Order(order_id, [goods, shipping], country=country, email=f"{order_id}@example.com", **kw)


def invoice_of(con, order_id: int) -> dict:
    (row,) = rows(con, "invoice_delta", f"order_id = {order_id}")
    return row


def booked_rows(con, order_id: int) -> list[tuple[int, int, D]]:
    """(account, VAT, amount) of each row of the order's invoice."""
    return [(r["AccountNumber"], r["VAT"], r["Price"] * r["DeliveredQuantity"] - r["Discount"])
            for r in invoice_of(con, order_id)["payload"]["Invoice"]["InvoiceRows"]]


def exclusion(con, order_id: int) -> dict:
    (row,) = [r for r in rows(con, "invoice_exclusions") if r["order_id"] == order_id]
    return row


@pytest.mark.parametrize("country", ["DE", "DK", "FI"])
def test_eu_consumer_charged_swedish_vat_is_a_swedish_sale(con, country):
    """A shop under the distance-sales threshold charges its own 25 % (WooCommerce rate 1, country SE) to a buyer
    abroad: a Swedish sale on 3001/3520, even for Denmark, whose own rate is also 25 %."""
    f.insert_order(con, order(1001, country, D(25), rate_id=1))
    build(con, "invoice_delta")
    build(con, "customer_delta")
    assert booked_rows(con, 1001) == [(3001, 25, D("100.00")), (3520, 25, D("49.00"))]
    assert invoice_of(con, 1001)["region"] == "sweden"
    assert "Remarks" not in invoice_of(con, 1001)["payload"]["Invoice"]
    (card,) = rows(con, "customer_delta")
    assert card["vat_type"] == "SEVAT" and card["payload"]["Customer"]["CountryCode"] == country


def test_eu_consumer_charged_their_countrys_vat_is_oss(con):
    f.insert_order(con, order(1001, "DE", D(19), rate_id=10))
    build(con, "invoice_delta")
    assert booked_rows(con, 1001) == [(3106, 19, D("100.00")), (3521, 19, D("49.00"))]
    assert invoice_of(con, 1001)["region"] == "eu_consumer"


@pytest.mark.parametrize("key", Customers().vat_number_meta_keys)
def test_reverse_charge_with_a_number_under_each_default_key(con, key):
    """A German company with a valid number, untaxed: reverse charge on 3108/3521 at 0 %, the intra-EU supply
    wording on the invoice, the number as VIES writes it on the customer card."""
    f.insert_order(con, order(1001, "DE", D(0), vat_number="de 136 695-976", vat_meta_key=key,
                              company="Firma GmbH"))
    build(con, "invoice_delta")
    build(con, "customer_delta")
    assert booked_rows(con, 1001) == [(3108, 0, D("100.00")), (3521, 0, D("49.00"))]
    assert invoice_of(con, 1001)["payload"]["Invoice"]["Remarks"] == TEXTS.intra_eu_goods
    (card,) = rows(con, "customer_delta")
    assert (card["vat_type"], card["payload"]["Customer"]["VATNumber"]) == ("EUREVERSEDVAT", DE_NUMBER)


def test_a_number_without_its_country_prefix_takes_the_buyers_country(con):
    f.insert_order(con, order(1001, "DE", D(0), vat_number="136695976"))
    build(con, "invoice_delta")
    assert invoice_of(con, 1001)["region"] == "eu_business"


def test_a_service_under_reverse_charge_says_so(con):
    con.execute("INSERT INTO staging.products (shop, product_id, name, type, status, sku, price, regular_price, "
                "tax_status, tax_class, manage_stock, is_virtual, downloadable, date_modified, date_modified_gmt) "
                "VALUES ('default', 100, 'Kurs', 'simple', 'publish', 'KURS', 100, 100, 'taxable', '', false, true, "
                "false, now(), now())")
    f.insert_order(con, order(1001, "FI", D(0), vat_number="FI20774740"))
    build(con, "invoice_delta")
    assert invoice_of(con, 1001)["payload"]["Invoice"]["Remarks"] == TEXTS.reverse_charge


@pytest.mark.parametrize("number, problem", [
    (None, "no VAT number"),
    ("DE123456789", "'DE123456789' is not a valid EU VAT number"),
    (SE_NUMBER, f"the VAT number {SE_NUMBER} is of SE"),
])
def test_untaxed_eu_consumer_is_listed_not_booked_as_oss_zero(con, number, problem):
    """WooCommerce applied no rate (a VAT-exempt order) to standard-rated goods bound for Germany, and no valid
    foreign VAT number backs it: neither OSS nor reverse charge applies, so the order waits for the accountant."""
    f.insert_order(con, order(1001, "DE", D(0), tax_class="", vat_number=number))
    build(con, "invoice_delta")
    excluded = exclusion(con, 1001)
    assert excluded["reason"] == "eu_untaxed_without_vat_number"
    assert "buyer in DE" in excluded["detail"] and problem in excluded["detail"]
    assert rows(con, "invoice_delta") == []


def test_zero_rated_goods_to_an_eu_consumer_are_booked_at_zero(con):
    """Goods of WooCommerce's zero-rate class (say children's clothes to Ireland) carry no VAT there: OSS at 0 %."""
    f.insert_order(con, order(1001, "IE", D(0), tax_class="zero-rate"))
    build(con, "invoice_delta")
    assert booked_rows(con, 1001) == [(3106, 0, D("100.00")), (3521, 0, D("49.00"))]


@pytest.mark.parametrize("country", ["NO", "US"])
def test_export_is_untaxed_with_the_export_wording(con, country):
    f.insert_order(con, order(1001, country, D(0)))
    build(con, "invoice_delta")
    assert booked_rows(con, 1001) == [(3105, 0, D("100.00")), (3522, 0, D("49.00"))]
    assert invoice_of(con, 1001)["payload"]["Invoice"]["Remarks"] == TEXTS.export


def test_export_charged_swedish_vat_is_listed(con):
    """VAT charged to a buyer outside the EU is an anomaly (a wrong tax setting, or goods collected in the shop):
    listed for the accountant, neither booked untaxed nor as a Swedish sale."""
    f.insert_order(con, order(1001, "NO", D(25), rate_id=1))
    build(con, "invoice_delta")
    excluded = exclusion(con, 1001)
    assert excluded["reason"] == "vat_rate_not_in_mapping" and "export at 25" in excluded["detail"]


def test_organisation_number_goes_on_the_customer_card(con):
    f.insert_order(con, order(1001, "SE", D(25), rate_id=1, company="Kaffe AB", org_number="556677-8899"))
    build(con, "invoice_delta")
    build(con, "customer_delta")
    (card,) = rows(con, "customer_delta")
    assert card["payload"]["Customer"]["OrganisationNumber"] == "556677-8899"


def test_meta_keys_and_texts_come_from_the_mapping(con):
    text = MAPPING_TEXT.replace("customers:\n", "customers:\n  vat_number_meta_keys: [my_vat]\n").replace(
        "invoicing:\n", "invoicing:\n  legal_texts: {intra_eu_goods: 'VAT exempt, art. 138'}\n")
    mapping = parse_mapping(text)
    f.insert_order(con, order(1001, "DE", D(0), tax_class="zero-rate", vat_number=DE_NUMBER, vat_meta_key="my_vat"))
    f.insert_order(con, order(1002, "DE", D(0), tax_class="zero-rate", vat_number=DE_NUMBER))
    build(con, "invoice_delta", mapping)
    assert invoice_of(con, 1001)["payload"]["Invoice"]["Remarks"] == "VAT exempt, art. 138"
    assert invoice_of(con, 1002)["region"] == "eu_consumer"  # _billing_vat_number is no longer read


@pytest.mark.parametrize("meta, number", [
    ([{"key": "vat_number", "value": SE_NUMBER}, {"key": "_vat_number", "value": {"nested": "object"}},
      {"key": "_billing_vat_number", "value": DE_NUMBER}], DE_NUMBER),   # the mapping's order, not the array's
    ([{"key": "_billing_vat_number", "value": " "}, {"key": "_vat_number", "value": {"nested": "object"}},
      {"key": "vat_number", "value": DE_NUMBER}], DE_NUMBER),            # empty and non-scalar values skipped
])
def test_the_first_listed_key_with_a_value_wins(con, meta, number):
    f.insert_order(con, order(1001, "DE", D(0), company="Firma GmbH"))
    con.execute("UPDATE staging.orders SET meta_data = ?", [json.dumps(meta)])
    build(con, "invoice_delta")
    build(con, "customer_delta")
    (card,) = rows(con, "customer_delta")
    assert card["payload"]["Customer"]["VATNumber"] == number
