"""A EUR order paid a day after it was invoiced, at another rate (issue #14 item 5), end to end on the sandboxes:
Fortnox books the exchange difference, the invoice's balance reaches 0 in EUR and its claim 0 in SEK, and the books
reconcile in both currencies; in each of the sandbox's exchange-difference models (docs/fortnox-fidelity.md)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.conftest import duckdb_rows, sync_range
from tests.reconciliation.test_books import check_results, failing

PAYMENT_RATE = Decimal("11.9")   # the rate file's EUR rate; the generator's checkout rates are 11.20-11.80


def paid_eur_orders(woo, limit: int) -> list[dict]:
    out = []
    for oid in range(woo.store.info()["first_order_id"], woo.store.info()["last_order_id"] + 1):
        order = woo.store.get_order(oid)
        if order and order["currency"] == "EUR" and order["date_paid_gmt"] and not order["refunds"] \
                and order["status"] in ("processing", "completed") and order["date_created"][:10] < "2026-10-04":
            out.append(order)
    return out[:limit]


@pytest.mark.parametrize("model", ["currency_accounts", "invoice_rate"])
def test_eur_order_paid_at_another_rate(books_env, tmp_path, monkeypatch, model):
    woo, fortnox = books_env(orders=40, days=5, seed=3)
    with fortnox.state.lock:
        fortnox.state.seed_reference({"settings": {"exchange_difference": model}})
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate,unit\n" + "".join(f"2026-10-0{d},EUR,{PAYMENT_RATE},1\n" for d in range(1, 7)))
    monkeypatch.setenv("WOOFORT_FX_RATE_FILE", str(rates))
    orders = paid_eur_orders(woo, 6)
    assert orders, "the generator made no paid EUR order in the first days"
    for order in orders:   # paid the next day: the rate file's rate, not the checkout's
        paid = dt.datetime.fromisoformat(order["date_created_gmt"]) + dt.timedelta(days=1)
        local = dt.datetime.fromisoformat(order["date_created"]) + dt.timedelta(days=1)
        woo.store.modify_order(order["id"], date_modified_gmt=paid.isoformat(),
                               fields={"date_paid": local.isoformat(), "date_paid_gmt": paid.isoformat()})

    result = sync_range("2026-10-01", "2026-10-05")
    assert result.success
    checks = check_results(result)
    assert not failing(checks), failing(checks)

    st = fortnox.state
    differences = Decimal(0)
    invoiced = {d["ExternalInvoiceReference1"]: d for d in st.docs["invoices"].values()}
    excluded = dict(duckdb_rows("SELECT order_id, reason FROM deltas.invoice_exclusions"))
    assert all(excluded[o["id"]] != "no_rate_for_date" for o in orders if str(o["id"]) not in invoiced)
    orders = [o for o in orders if str(o["id"]) in invoiced]   # OSS orders at rates the tenant lacks are excluded
    assert orders
    for order in orders:
        inv = invoiced[str(order["id"])]
        (pay,) = [p for p in st.docs["invoicepayments"].values() if str(p["InvoiceNumber"]) == inv["DocumentNumber"]]
        checkout_rate = Decimal(next(m["value"] for m in order["meta_data"]
                                     if m["key"] == "_base_currency_exchange_rate"))
        assert Decimal(str(inv["CurrencyRate"])) == checkout_rate and Decimal(str(inv["Balance"])) == 0
        assert Decimal(str(pay["AmountCurrency"])) == Decimal(str(inv["Total"]))
        paid_rate = PAYMENT_RATE if model == "currency_accounts" else checkout_rate
        # SEK amounts round half up (sandbox arithmetic R1): 69.50 EUR x 11.59 = 805.505 -> 805.51
        assert Decimal(str(pay["Amount"])) == (Decimal(str(pay["AmountCurrency"])) * paid_rate).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        vouchers = [v for v in st.docs["vouchers"].values()
                    if (v["ReferenceType"], v["ReferenceNumber"]) in (("INVOICE", inv["DocumentNumber"]),
                                                                      ("INVOICEPAYMENT", str(pay["Number"])))]
        assert len(vouchers) == 2
        by_account: dict[int, Decimal] = {}
        for v in vouchers:
            for r in v["VoucherRows"]:
                by_account[r["Account"]] = by_account.get(r["Account"], Decimal(0)) + Decimal(str(r["Debit"])) \
                    - Decimal(str(r["Credit"]))
        assert by_account[1510] == 0   # the claim is cleared in SEK too
        gain = -(by_account.get(3960, Decimal(0)) + by_account.get(7960, Decimal(0)))  # 3960 credit, 7960 debit
        expected = Decimal(str(pay["Amount"])) - (Decimal(str(inv["Total"])) * checkout_rate).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        assert gain == (expected if model == "currency_accounts" else 0)
        differences += abs(gain)
    assert (differences > 0) == (model == "currency_accounts")
    # both currencies compared: every EUR day's totals agree in EUR and in SEK at the invoice rate
    days = duckdb_rows("SELECT count(*), sum(abs(difference)), sum(abs(difference_sek)) "
                       "FROM reconciliation.by_day_currency WHERE currency = 'EUR'")[0]
    assert days[0] > 0 and days[1] == 0 and days[2] == 0
