"""The checks find what they are for: orders not invoiced, duplicates and credits made by hand in Fortnox,
payments that do not match. The Fortnox side is changed through the API, as a user or another integration
would, and only fortnox/mirror + reconciliation/books are rerun."""

from __future__ import annotations

from tests.conftest import duckdb_rows, sync_range
from tests.reconciliation.test_books import check_results, failing

RECONCILE = ["fortnox/mirror", "reconciliation/books"]


def _client():
    from woofort_assets.resources import build_resources

    return build_resources()["fortnox"].get_client()


def test_missing_duplicate_manual_credit_and_payment(books_env):
    woo, fortnox = books_env(orders=40, days=5, seed=5)

    # 1. Orders staged and deltas built, nothing sent yet: every invoiceable order is missing, with its reason.
    assert sync_range("2026-10-01", "2026-10-05", groups=["woocommerce", "staging", "deltas"]).success
    result = sync_range("2026-10-01", "2026-10-05", selection=RECONCILE)
    bad = failing(check_results(result))
    assert {"every_order_once", "gross_per_day", "revenue_per_order"} <= set(bad)
    missing = duckdb_rows("SELECT count(*), min(detail) FROM reconciliation.orders WHERE outcome = 'missing'")[0]
    expected = duckdb_rows("SELECT count(*) FROM deltas.invoice_delta")[0][0]
    assert missing[0] == expected > 0 and "ledger: no row" in missing[1]

    # 2. The whole graph: the books reconcile.
    result = sync_range("2026-10-01", "2026-10-05")
    assert not failing(check_results(result)), failing(check_results(result))

    # 3. By hand in Fortnox: a second invoice for an order, a full credit of another, an extra payment on a third.
    # the extra payment goes on an order whose payment is compared (not one excluded, e.g. an unmapped method)
    invoiced = duckdb_rows("SELECT o.order_id, o.fortnox_numbers FROM reconciliation.orders o "
                           "JOIN reconciliation.payments p ON p.order_id = o.order_id AND p.outcome = 'ok' "
                           "WHERE o.outcome = 'invoiced' AND o.currency = 'SEK' ORDER BY o.order_id LIMIT 3")
    (dup_order, dup_number), (cr_order, cr_number), (pay_order, pay_number) = invoiced
    client = _client()
    original = client.get(f"/3/invoices/{dup_number}")["Invoice"]
    copy = {"CustomerNumber": original["CustomerNumber"], "InvoiceDate": original["InvoiceDate"],
            "ExternalInvoiceReference1": str(dup_order), "VATIncluded": original["VATIncluded"],
            "InvoiceRows": [{k: r[k] for k in ("Description", "DeliveredQuantity", "Price", "Discount", "DiscountType",
                                               "VAT", "AccountNumber") if k in r} for r in original["InvoiceRows"]]}
    duplicate = client.post("/3/invoices", {"Invoice": copy})["Invoice"]
    client.put(f"/3/invoices/{cr_number}/credit")
    client.post("/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(pay_number), "Amount": 10.0,
                                                          "PaymentDate": "2026-10-30", "ModeOfPayment": "BG"}})
    before = fortnox.counters_snapshot()
    result = sync_range("2026-10-01", "2026-10-05", selection=RECONCILE)
    after = fortnox.counters_snapshot()
    bad = failing(check_results(result))
    assert set(bad) == {"no_duplicate_invoices", "gross_per_day", "vat_per_rate", "net_per_rate", "payments_match",
                        "revenue_per_order", "open_balance_per_order"}, bad.keys()
    # per order: the duplicate and the manual credit change the revenue, all three the open balance
    assert str(dup_order) in bad["revenue_per_order"] and str(cr_order) in bad["revenue_per_order"]
    assert str(pay_order) not in bad["revenue_per_order"]
    opened = {o: float(d) for o, d in duckdb_rows("SELECT order_id, open_diff FROM reconciliation.order_balances "
                                                  "WHERE outcome = 'difference' AND open_diff <> 0")}
    assert opened[pay_order] == -10.0 and dup_order in opened and cr_order in opened
    assert str(dup_order) in bad["no_duplicate_invoices"] and str(duplicate["DocumentNumber"]) in bad["no_duplicate_invoices"]
    pay = duckdb_rows("SELECT order_id, difference FROM reconciliation.payments WHERE outcome = 'difference'")
    assert [(o, float(d)) for o, d in pay] == [(pay_order, 10.0)]
    # the credited order is still invoiced once (its invoice is cancelled out, not duplicated)
    assert duckdb_rows(f"SELECT outcome FROM reconciliation.orders WHERE order_id = {cr_order}")[0][0] == "invoiced"
    # the mirror read only the new documents: listings + the duplicate, the credit invoice and the payment
    gets = {k: after.get(k, 0) - before.get(k, 0) for k in after if k.startswith("GET ")}
    assert gets.get("GET /3/invoices/<number>", 0) == 2, gets
    assert gets.get("GET /3/invoicepayments/<number>", 0) == 1, gets
