"""Complete invoices (issue 14 item 7, docs/accounting.md §1): terms of payment and due date per payment method,
the country's name and the delivery address, the e-mail address when the method e-mails its invoices; and
invoices booked before these fields existed are left alone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from tests.accounting import factory as f
from tests.accounting.helpers import build, rows
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.lib.mapping import parse_mapping, tables
from woofort_assets.lib.settings import CHECKOUT_DIR

SHIPPED = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")
BACS = "bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: '30'}"
NEW_FIELDS = ("Country", "TermsOfPayment", "DueDate", "EmailInformation", "DeliveryName", "DeliveryAddress1",
              "DeliveryAddress2", "DeliveryZipCode", "DeliveryCity", "DeliveryCountry")


def order(order_id: int, **kw) -> f.Order:
    return f.Order(order_id, [f.item(1, D("100.00"), 1, D(25), False)], **kw)


def ship_to(con, order_id: int, country: str = "SE") -> None:
    con.execute("UPDATE staging.orders SET shipping_first_name = 'Lisa', shipping_last_name = 'Berg', "
                "shipping_address_1 = 'Ågatan 3', shipping_address_2 = 'lgh 1102', shipping_postcode = '41101', "
                "shipping_city = 'Göteborg', shipping_country = ? WHERE order_id = ?", [country, order_id])


def invoice_of(con, order_id: int) -> dict:
    (row,) = rows(con, "invoice_delta", f"order_id = {order_id}")
    return row["payload"]["Invoice"]


def test_terms_country_and_delivery_follow_the_payment_method_and_the_order():
    con = f.connect_memory()
    f.insert_tax_rates(con)
    f.insert_order(con, order(1, payment_method="bacs"))
    f.insert_order(con, order(2, payment_method="swish"))
    f.insert_order(con, order(3, payment_method="unknown-gateway"))
    ship_to(con, 1)
    build(con, "invoice_delta")
    bank, swish, other = invoice_of(con, 1), invoice_of(con, 2), invoice_of(con, 3)
    assert (bank["TermsOfPayment"], bank["Country"]) == ("30", "Sverige")
    assert {k: bank[k] for k in NEW_FIELDS[4:]} == {
        "DeliveryName": "Lisa Berg", "DeliveryAddress1": "Ågatan 3", "DeliveryAddress2": "lgh 1102",
        "DeliveryZipCode": "41101", "DeliveryCity": "Göteborg", "DeliveryCountry": "Sverige"}
    assert "DueDate" not in bank and "EmailInformation" not in bank      # Fortnox derives it; e-mail is off
    assert swish["TermsOfPayment"] == "0" and "DeliveryName" not in swish   # no shipping address: none sent
    assert "TermsOfPayment" not in other                                  # not mapped, default null: Fortnox's


def test_due_days_and_email_from_the_mapping():
    con = f.connect_memory()
    f.insert_tax_rates(con)
    f.insert_order(con, order(1, payment_method="bacs"))
    f.insert_order(con, order(2, payment_method="bacs", email=None))
    mapping = parse_mapping(SHIPPED.replace(BACS, "bacs: {mode_of_payment: BG, account: 1930, terms_of_payment: "
                                                  "'20', due_days: 14, email_invoice: true}"), "m.yaml")
    build(con, "invoice_delta", mapping)
    mailed, no_address = invoice_of(con, 1), invoice_of(con, 2)
    assert mailed["TermsOfPayment"] == "20"
    assert mailed["DueDate"] == (date.fromisoformat(mailed["InvoiceDate"]) + timedelta(days=14)).isoformat()
    assert mailed["EmailInformation"] == {"EmailAddressTo": "anna@example.se"}
    assert "EmailInformation" not in no_address                          # nobody to mail it to


def test_invoices_booked_before_the_new_fields_are_neither_credited_nor_reissued(monkeypatch):
    """The ledger as the code before item 7 left it (no terms, country, delivery or e-mail in the payloads),
    then a sync with the new code and the shipped mapping: no invoice or credit write, with or without the
    money digests (the digest-less comparison strips the new fields)."""
    for digests in (True, False):
        con = f.connect_memory()
        f.insert_tax_rates(con)
        for o in (11, 12):
            f.insert_order(con, order(o, payment_method="bacs"))
        old_mapping = SHIPPED.replace(BACS, "bacs: {mode_of_payment: BG, account: 1930}")
        with monkeypatch.context() as m:
            m.setattr(tables, "COUNTRY_NAMES", {})           # the old code sent no country names
            build_all(con, parse_mapping(old_mapping, "old.yaml"), "default", "2026-10-01")
        old = {r["source_key"]: r for r in rows(con, "invoice_delta")}
        assert not any(k in r["payload"]["Invoice"] for r in old.values() for k in NEW_FIELDS)
        f.fill_ledger_from_deltas(con, booked=True)
        if digests:
            for key, r in old.items():
                con.execute("UPDATE ledger.documents SET money_hash = ?, accounts_hash = ? WHERE entity = 'invoice' "
                            "AND source_key = ?", [r["money_hash"], r["accounts_hash"], key])
        ship_to(con, 11)
        build_all(con, parse_mapping(SHIPPED, "mapping.yaml"), "default", "2026-10-01")
        assert rows(con, "invoice_delta") == [] and rows(con, "credit_delta") == [], digests
        # the new payloads do differ: an unbooked invoice is updated in place (never credited)
        con.execute("UPDATE ledger.documents SET booked = false WHERE entity = 'invoice'")
        build_all(con, parse_mapping(SHIPPED, "mapping.yaml"), "default", "2026-10-01")
        updates = rows(con, "invoice_delta")
        assert [(r["source_key"], r["action"]) for r in updates] == [("11", "update"), ("12", "update")]
        assert updates[0]["payload"]["Invoice"]["DeliveryCity"] == "Göteborg"
        assert rows(con, "credit_delta") == []
        con.close()
