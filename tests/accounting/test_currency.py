"""Foreign-currency rates (issue #14 item 5, docs/accounting.md "Foreign currency"): where an invoice's and a
payment's rate come from, in order, and what happens when none is for the day; a booked invoice keeps its rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import build, default_mapping, rows
from woofort_assets.lib.fx_rates import RateFileError, read_rate_file

DAY = dt.date(2026, 10, 15)  # the factory's order date (date_created 2026-10-15 10:30)


def eur_order(order_id: int, rate_meta=None, currency: str = "EUR", **kw) -> f.Order:
    return f.Order(order_id, [f.item(1, D("100"), 1, D(19), False)], country="DE", currency=currency,
                   rate_meta=rate_meta, **kw)


def register(con, currency: str, day: dt.date, rate: str, unit: str = "1") -> None:
    con.execute("INSERT OR REPLACE INTO ledger.fortnox_currency_rates (shop, currency, rate_date, rate, unit) "
                "VALUES (?, ?, ?, ?, ?)", [f.SHOP, currency, day, rate, unit])


def invoices(con) -> dict[int, dict]:
    return {r["order_id"]: r["payload"]["Invoice"] for r in rows(con, "invoice_delta")}


@pytest.mark.parametrize("meta, rate", [
    (("_base_currency_exchange_rate", "11.5"), D("11.5")),                 # Aelia Currency Switcher
    (("_wcpbc_base_exchange_rate", "11.5"), D("11.5")),                    # Price Based on Country
    (("_woocs_order_rate", "0.08"), D("12.5")),                            # WOOCS: EUR per SEK, turned over
    (("wmc_order_info", {"SEK": {"rate": "1", "is_main": 1},
                         "EUR": {"rate": "0.086956", "is_main": 0}}), D("11.500069")),  # CURCY, per currency
])
def test_rate_from_order_meta_under_each_default_key(con, meta, rate):
    register(con, "EUR", DAY, "10.9")  # the order's own rate comes first
    f.insert_order(con, eur_order(1001, meta))
    build(con, "invoice_delta")
    inv = invoices(con)[1001]
    assert D(str(inv["CurrencyRate"])) == rate and D(str(inv["CurrencyUnit"])) == 1


def test_meta_keys_are_the_mappings(con):
    base = default_mapping()
    mapping = base.model_copy(update={"invoicing": base.invoicing.model_copy(update={"currency_rate_meta_keys": []})})
    register(con, "EUR", DAY, "10.9")
    f.insert_order(con, eur_order(1001, ("_base_currency_exchange_rate", "11.5")))
    build(con, "invoice_delta", mapping)
    assert D(str(invoices(con)[1001]["CurrencyRate"])) == D("10.9")


def test_rate_from_fortnox_register_only_on_its_date(con):
    register(con, "EUR", DAY, "11.3")
    f.insert_order(con, eur_order(1001))
    later = dt.datetime(2026, 10, 16, 9)
    f.insert_order(con, eur_order(1002, date_created=later, date_paid=later))
    build(con, "invoice_delta")
    inv = invoices(con)
    assert D(str(inv[1001]["CurrencyRate"])) == D("11.3") and 1002 not in inv
    (excluded,) = rows(con, "invoice_exclusions")
    assert (excluded["order_id"], excluded["reason"]) == (1002, "no_rate_for_date")
    assert "EUR rate for 2026-10-16" in excluded["detail"] and "WOOFORT_FX_RATE_FILE" in excluded["detail"]


def test_rate_from_the_operators_file_after_the_register(con, tmp_path, monkeypatch):
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate,unit\n2026-10-15,NOK,95.12,100\n2026-10-15,EUR,11.41,1\n", encoding="utf-8")
    monkeypatch.setenv("WOOFORT_FX_RATE_FILE", str(path))
    register(con, "EUR", DAY, "11.3")
    f.insert_order(con, eur_order(1001, currency="NOK"))
    f.insert_order(con, eur_order(1002))
    for name in ("invoice_delta", "credit_delta", "payment_delta"):
        build(con, name)
    inv = invoices(con)
    assert (D(str(inv[1001]["CurrencyRate"])), D(str(inv[1001]["CurrencyUnit"]))) == (D("95.12"), D(100))
    assert D(str(inv[1002]["CurrencyRate"])) == D("11.3")  # the register before the file
    pay = {r["order_id"]: r["payload"]["InvoicePayment"] for r in rows(con, "payment_delta")}
    assert D(str(pay[1001]["Amount"])) == D("113.19")  # 119 NOK x 95.12 / 100
    assert D(str(pay[1001]["CurrencyRate"])) == D("95.12") and "CurrencyUnit" not in pay[1001]


def test_a_bad_rate_file_line_is_named(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate,unit\n2026-10-15,EUR,11.41,1\n2026-10-16,EUR,elva,1\n", encoding="utf-8")
    with pytest.raises(RateFileError, match="line 3"):
        read_rate_file(path)


def test_no_rate_for_date_without_any_source(con):
    f.insert_order(con, eur_order(1001))
    build(con, "invoice_delta")
    assert rows(con, "invoice_delta") == []
    (excluded,) = rows(con, "invoice_exclusions")
    assert excluded["reason"] == "no_rate_for_date" and excluded["currency"] == "EUR"


def test_payment_at_the_rate_of_its_day(con):
    paid = dt.datetime(2026, 10, 17, 14)
    f.insert_order(con, eur_order(1001, ("_base_currency_exchange_rate", "11.5"), date_paid=paid))
    f.insert_order(con, eur_order(1002, ("_base_currency_exchange_rate", "11.5"), date_paid=paid))
    f.insert_order(con, eur_order(1003, ("_base_currency_exchange_rate", "11.5")))  # paid at checkout
    register(con, "EUR", dt.date(2026, 10, 17), "11.8")
    for name in ("invoice_delta", "credit_delta", "payment_delta"):
        build(con, name)
    pay = {r["order_id"]: r["payload"]["InvoicePayment"] for r in rows(con, "payment_delta")}
    # 119 EUR invoiced at 11.5 (1368.50 SEK), paid at 11.8: 1404.20 SEK, Fortnox books the 35.70 difference
    assert (D(str(pay[1001]["AmountCurrency"])), D(str(pay[1001]["Amount"])), D(str(pay[1001]["CurrencyRate"]))) \
        == (D(119), D("1404.20"), D("11.8"))
    assert D(str(pay[1003]["Amount"])) == D("1368.50") and D(str(pay[1003]["CurrencyRate"])) == D("11.5")
    con.execute("DELETE FROM ledger.fortnox_currency_rates")
    build(con, "payment_delta")
    assert {r["order_id"] for r in rows(con, "payment_delta")} == {1003}
    reasons = {(r["order_id"], r["reason"]) for r in rows(con, "payment_exclusions")}
    assert reasons == {(1001, "no_rate_for_date"), (1002, "no_rate_for_date")}


def test_a_payment_of_an_exact_half_ore_in_sek_rounds_up(con):
    """10.90 EUR at 11.75 is 128.075 SEK: 128.08 (half away from zero), in integer arithmetic, never a DOUBLE
    quotient (which gives 128.07)."""
    order = f.Order(1001, [f.item(1, D("10.90"), 1, D(19), True)], country="DE", currency="EUR",
                    rate_meta=("_base_currency_exchange_rate", "11.5"), date_paid=dt.datetime(2026, 10, 17, 14))
    f.insert_order(con, order)
    register(con, "EUR", dt.date(2026, 10, 17), "1175", unit="100")
    for name in ("invoice_delta", "credit_delta", "payment_delta"):
        build(con, name)
    (pay,) = [r["payload"]["InvoicePayment"] for r in rows(con, "payment_delta")]
    assert (D(str(pay["AmountCurrency"])), D(str(pay["Amount"])), D(str(pay["CurrencyRate"]))) \
        == (D("10.90"), D("128.08"), D("11.75"))


def test_a_booked_invoice_keeps_the_rate_it_was_sent_with(con):
    """Issue #13: an invoice booked before the rate sources or CurrencyUnit existed is not credited and re-issued:
    one sent with the pricing plugin's rate, one sent with none (Fortnox used its own)."""
    with_rate = eur_order(1001, currency_rate=D("11.5"), rate_meta=("_wcpbc_base_exchange_rate", "11.5"))
    without = eur_order(1002, rate_meta=("_woocs_order_rate", "0.08"))  # a key woofort did not read then
    for o in (with_rate, without):
        f.insert_order(con, o)
    register(con, "EUR", DAY, "11.3")
    build(con, "invoice_delta")
    # the ledger as the sink left it before this change: payloads without CurrencyUnit, 1002's without a rate
    for order_id, payload, region in con.execute("SELECT order_id, payload, region FROM deltas.invoice_delta").fetchall():
        old = con.execute("SELECT json_merge_patch(?::JSON, json_object('Invoice', json_object('CurrencyUnit', NULL"
                          + (", 'CurrencyRate', NULL" if order_id == 1002 else "") + ")))", [payload]).fetchone()[0]
        f.ledger_insert(con, "invoice", str(order_id), None, number=f"F{order_id}", booked=True, order_id=order_id)
        con.execute("UPDATE ledger.documents SET payload_hash = md5(CAST(?::JSON AS VARCHAR)), money_hash = "
                    "md5(? || '|' || wf_sold_digest(?::JSON -> '$.Invoice', false)) WHERE source_key = ?",
                    [old, region, old, str(order_id)])
    build(con, "invoice_delta")
    build(con, "credit_delta")
    assert rows(con, "invoice_delta") == [] and rows(con, "credit_delta") == []
    assert rows(con, "invoice_exclusions") == []
