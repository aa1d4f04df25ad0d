"""A reconciliation that cannot share the deltas' mistakes (issue #13 item 8, docs/accounting.md §12 "Per order"):
it reads WooCommerce's own figures (staging) and what Fortnox holds (ledger.fortnox_documents), never the deltas'
priced rows nor their pricing, VAT-splitting or rounding code.

1. static: the reconciliation SQL names no wf_* object and no deltas table but the two exclusion lists, and
   build.py runs none of the deltas' helper files;
2. per order on hand-built staging and Fortnox rows: woo_kept / woo_outstanding against fx_revenue / fx_open;
3. against the sandboxes: a delta that drops a credit is caught by revenue_per_order, naming the order."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import START, default_mapping
from woofort_assets.defs.reconciliation import build as rbuild
from woofort_assets.defs.reconciliation import scope as rscope
from woofort_assets.defs.reconciliation.build import HELPERS, build_reconciliation, evaluate, reconcile
from woofort_assets.lib.mapping import register_clock, register_mapping

ROOT = Path(__file__).resolve().parents[2]
SQL = ROOT / "sql" / "reconciliation"
ALLOWED_DELTAS = {"invoice_exclusions", "payment_exclusions", "fee_exclusions"}


# ------------------------------------------------------------------------------------------------------ 1. static
def _code(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def test_reconciliation_sql_reads_nothing_the_deltas_produce():
    files = sorted(SQL.glob("*.sql"))
    assert {p.name for p in files} >= {"_macros.sql", "_woocommerce.sql", "_fortnox.sql", "reconcile.sql"}
    for path in files:
        code = _code(path.read_text())
        assert not re.search(r"\bwf_\w+", code), (path.name, re.findall(r"\bwf_\w+", code))
        tables = set(re.findall(r"\bdeltas\s*\.\s*(\w+)", code, flags=re.IGNORECASE))
        assert tables <= ALLOWED_DELTAS, (path.name, tables - ALLOWED_DELTAS)


def test_build_runs_only_the_reconciliations_own_sql():
    assert all(name.startswith("reconciliation/") for name in HELPERS), HELPERS
    for module in (rbuild, rscope):          # the build and its own change detection
        source = _code(Path(module.__file__).read_text().replace("#", "--"))
        for helper in ("_orders.sql", "_articles.sql", "deltas/_macros.sql", "deltas/"):
            assert helper not in source, (module.__name__, helper)
        assert "defs.deltas" not in source        # no delta code imported either
        assert not re.search(r"\bdeltas\s*\.\s*(order_inputs|customer_inputs|delta_builds)\b", source)


# ------------------------------------------------------------------------------------------- 2. per order, by hand
def _gross_item(line_id: int, amount: str) -> f.Line:
    return f.item(line_id, D(amount), 1, D(25), True, name=f"Vara {line_id}")


def orders() -> list[f.Order]:
    day, paid = datetime(2026, 10, 14, 10, 0), datetime(2026, 10, 14, 10, 1)
    return [
        # paid 100, a manual refund of 30 (amount only: no VAT in WooCommerce, 6.00 by the §4 split), paid back by
        # woofort as the mapping's payments.manual_refunds says
        f.Order(2001, [_gross_item(1, "100.00")], prices_include_tax=True, date_created=day, date_paid=paid,
                refunds=[f.Refund(3001, D("30.00"), date_created=datetime(2026, 10, 16, 9, 0),
                                  refunded_payment=False)]),
        # not paid yet: all of it outstanding
        f.Order(2002, [_gross_item(1, "50.00")], prices_include_tax=True, date_created=day, date_paid=None,
                payment_method="bacs"),
        # paid 200, refunded 40 through the gateway, then cancelled: nothing kept, 160 is the customer's
        f.Order(2003, [_gross_item(1, "200.00")], prices_include_tax=True, status="cancelled", date_created=day,
                date_paid=paid, refunds=[f.Refund(3003, D("40.00"), date_created=datetime(2026, 10, 15, 9, 0))]),
    ]


def _doc(number: str, order_id: int, day: str, total: str, balance: str, credit_of: str | None = None) -> dict:
    vat = D(total) - (D(total) / D("1.25")).quantize(D("0.01"))
    return {"DocumentNumber": number, "InvoiceDate": day, "Currency": "SEK", "CurrencyRate": 1, "CurrencyUnit": 1,
            "VATIncluded": True, "Total": total, "TotalVAT": str(vat), "RoundOff": "0", "Balance": balance,
            "Cancelled": False, "Credit": "true" if credit_of else "false",
            "CreditInvoiceReference": credit_of or "0", "ExternalInvoiceReference1": str(order_id),
            "InvoiceRows": [{"VAT": 25, "AccountNumber": 3001, "Total": total, "Description": "Vara"}]}


def _store(con, entity: str, key: str, kind: str, number: str, doc: dict, order_id: int) -> None:
    con.execute("INSERT INTO ledger.documents (shop, entity, source_key, fortnox_number, payload_hash, status, booked, "
                "order_id) VALUES ('default', ?, ?, ?, 'h', 'synced', true, ?)", [entity, key, number, order_id])
    con.execute("INSERT INTO ledger.fortnox_documents (shop, kind, number, document, source) VALUES "
                "('default', ?, ?, ?, 'response')", [kind, number, json.dumps(doc)])


def _pay(con, number: str, invoice: str, amount: str, order_id: int) -> None:
    _store(con, "invoice_payment", f"p{number}", "invoice_payment", number,
           {"Number": number, "InvoiceNumber": int(invoice), "Amount": amount, "AmountCurrency": amount,
            "Currency": "SEK", "PaymentDate": "2026-10-14"}, order_id)


@pytest.fixture
def hand():
    """Staging of the three orders, and the Fortnox documents that book them right (as the mirror stores them).
    Balances are as Fortnox answered on creation (before any payment), as the mirror keeps them today. The default
    mapping pays manual refunds back (payments.manual_refunds)."""
    con = f.connect_memory()
    f.insert_tax_rates(con)
    for o in orders():
        f.insert_order(con, o)
    # the reconciliation needs the exclusion lists (the deltas would build them): empty here
    con.execute("CREATE OR REPLACE TABLE deltas.invoice_exclusions (shop VARCHAR, order_id BIGINT, reason VARCHAR, "
                "detail VARCHAR, status VARCHAR, order_date DATE, total DECIMAL(18, 2), currency VARCHAR)")
    con.execute("CREATE OR REPLACE TABLE deltas.payment_exclusions (shop VARCHAR, order_id BIGINT, reason VARCHAR)")
    _store(con, "invoice", "2001", "invoice", "1", _doc("1", 2001, "2026-10-14", "100.00", "100.00"), 2001)
    _store(con, "credit_invoice", "3001", "invoice", "2", _doc("2", 2001, "2026-10-16", "-30.00", "-30.00", "1"), 2001)
    _pay(con, "1", "1", "100.00", 2001)
    _pay(con, "4", "2", "-30.00", 2001)
    _store(con, "invoice", "2002", "invoice", "3", _doc("3", 2002, "2026-10-14", "50.00", "50.00"), 2002)
    _store(con, "invoice", "2003", "invoice", "4", _doc("4", 2003, "2026-10-14", "200.00", "200.00"), 2003)
    _store(con, "credit_invoice", "3003", "invoice", "5", _doc("5", 2003, "2026-10-15", "-40.00", "-40.00", "4"), 2003)
    _store(con, "credit_invoice", "order-2003", "invoice", "6",
           _doc("6", 2003, "2026-10-14", "-160.00", "-160.00", "4"), 2003)
    _pay(con, "2", "4", "200.00", 2003)
    _pay(con, "3", "5", "-40.00", 2003)
    yield con
    con.close()


def balances(con) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "SELECT order_id, woo_kept, fx_revenue, woo_vat, fx_vat, woo_outstanding, fx_open, outcome "
        "FROM reconciliation.order_balances ORDER BY order_id").fetchall()}


def failed(con) -> dict[str, list[tuple]]:
    return {o.name: o.rows for o in evaluate(con, "default") if not o.passed}


def test_per_order_balances_from_hand_built_rows(hand):
    build_reconciliation(hand, default_mapping(), "default", START)
    assert balances(hand) == {
        # kept 70, VAT 20 − 6; paid 100, the manual refund of 30 paid back: nothing open
        2001: (D("70.00"), D("70.00"), D("14.00"), D("14.00"), D("0.00"), D("0.00"), "ok"),
        2002: (D("50.00"), D("50.00"), D("10.00"), D("10.00"), D("50.00"), D("50.00"), "ok"),
        # cancelled after a refund: nothing kept, no VAT; 200 paid − 40 paid back = 160 owed to the customer
        2003: (D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("-160.00"), D("-160.00"), "ok"),
    }
    bad = failed(hand)
    assert "revenue_per_order" not in bad and "open_balance_per_order" not in bad, bad
    # the stored Balance is Fortnox's answer at creation (the mirror re-reads a document only when its Total,
    # Cancelled, InvoiceDate or Currency change): fx_open is computed from Total and payments, not from it
    assert hand.execute("SELECT fx_balance FROM reconciliation.order_balances WHERE order_id = 2001").fetchone() == \
        (D("70.00"),)
    assert hand.execute("SELECT manual_refund_mode FROM rc_settings").fetchone() == ("BG",)


def test_manual_refund_mode_read_defensively(hand):
    """map_settings.manual_refund_mode NULL, or a map_settings without the column (a mapping from before it): a
    manual refund is not paid back, so WooCommerce expects it open as the customer's credit; Fortnox shows it paid
    back here, which is named."""
    mapping = default_mapping()

    def run(alter: str | None):
        register_mapping(hand, mapping, "default", START)
        register_clock(hand, mapping)
        if alter:
            hand.execute(alter)
        reconcile(hand, "default")
        return balances(hand)[2001]

    assert run(None)[4:] == (D("0.00"), D("0.00"), "ok")
    assert run("UPDATE map_settings SET manual_refund_mode = NULL")[4:] == (D("-30.00"), D("0.00"), "difference")
    assert run("ALTER TABLE map_settings DROP COLUMN manual_refund_mode")[4:] == (D("-30.00"), D("0.00"),
                                                                                  "difference")


def test_a_missing_credit_and_an_extra_payment_are_named(hand):
    hand.execute("DELETE FROM ledger.fortnox_documents WHERE number = '6' AND kind = 'invoice'")
    hand.execute("UPDATE ledger.fortnox_documents SET document = json_object('Number', '3', 'InvoiceNumber', 5, "
                 "'AmountCurrency', '-50.00') WHERE kind = 'invoice_payment' AND number = '3'")
    build_reconciliation(hand, default_mapping(), "default", START)
    bad = failed(hand)
    revenue = {r[0]: r for r in bad["revenue_per_order"]}
    assert set(revenue) == {2003}
    assert revenue[2003][3:6] == (D("0.00"), D("160.00"), D("160.00"))    # kept, Fortnox revenue, difference
    assert "invoice 4" in revenue[2003][-1] and "credit 5" in revenue[2003][-1]
    opened = {r[0]: r[3:7] for r in bad["open_balance_per_order"]}
    # 2003: Fortnox 160 − 200 + 50 = +10 open against −160
    assert opened == {2003: (D("0.00"), D("-160.00"), D("10.00"), D("170.00"))}


def test_set_aside_orders_are_shown_apart(hand):
    hand.execute("DELETE FROM ledger.fortnox_documents WHERE number = '6' AND kind = 'invoice'")
    hand.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_code, error_message, http_status) "
                 "VALUES ('default', 'credit_invoice', 'order-2003', 2000588, 'Ogiltig kreditering', 400)")
    build_reconciliation(hand, default_mapping(), "default", START)
    bad = failed(hand)
    assert "revenue_per_order" not in bad and "open_balance_per_order" not in bad
    outcome, detail = hand.execute("SELECT outcome, detail FROM reconciliation.order_balances "
                                   "WHERE order_id = 2003").fetchone()
    assert outcome == "set_aside" and "2000588" in detail


# ------------------------------------------------------------------------------- 3. a broken delta, end to end
SINK_AND_BOOKS = ["fortnox/customers", "fortnox/articles", "fortnox/invoices", "fortnox/credit_invoices",
                  "fortnox/invoice_payments", "fortnox/mirror", "reconciliation/books"]


@pytest.mark.parametrize("drop", [False, True], ids=["as_built", "credit_dropped"])
def test_a_delta_that_drops_a_credit_fails_revenue_per_order(books_env, drop):
    """An order cancelled after a partial refund is credited for what the refund left (credit_delta, source_key
    'order-<id>'). Drop that row between the deltas and the sink, as a broken delta rule would: the reconciliation,
    which never reads the deltas' figures, names the order (as built, the same order reconciles)."""
    from tests.conftest import duckdb_rows, sync_range
    from tests.reconciliation.test_books import check_results
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.settings import duckdb_path

    woo, _ = books_env(orders=30, days=5, seed=8)
    assert sync_range("2026-10-01", "2026-10-05").success
    candidates = duckdb_rows(
        "SELECT o.order_id, o.total FROM reconciliation.orders o JOIN staging.orders s USING (order_id) "
        "WHERE o.outcome = 'invoiced' AND o.currency = 'SEK' AND s.date_paid IS NOT NULL AND o.total >= 20 "
        "AND s.status IN ('processing', 'completed') "
        "AND NOT EXISTS (SELECT 1 FROM staging.refunds r WHERE r.order_id = o.order_id) ORDER BY o.order_id")
    assert candidates
    order_id, total = candidates[0]
    woo.store.add_refund(order_id, "10.00", "Delvis återbetalning", "2026-10-06T09:00:00")
    paid = woo.store.get_order(order_id)
    # WooCommerce keeps date_paid when a paid order is cancelled (the sandbox's generator derives it from the status:
    # kept here explicitly)
    woo.store.modify_order(order_id, "2026-10-06T10:00:00", status="cancelled",
                           fields={"date_paid": paid["date_paid"], "date_paid_gmt": paid["date_paid_gmt"]})
    assert sync_range("2026-10-06", "2026-10-06", groups=["woocommerce", "staging", "deltas"]).success
    credits = duckdb_rows("SELECT source_key FROM deltas.credit_delta WHERE order_id = ? ORDER BY 1", [order_id])
    assert ("order-" + str(order_id),) in credits, credits            # the delta rule under test, before breaking it
    if drop:
        with connect(duckdb_path()) as con:
            con.execute("DELETE FROM deltas.credit_delta WHERE source_key = ?", ["order-" + str(order_id)])
    result = sync_range("2026-10-06", "2026-10-06", selection=SINK_AND_BOOKS)
    checks = check_results(result)
    if not drop:
        row = duckdb_rows("SELECT outcome, woo_kept, fx_revenue, woo_outstanding, fx_open, detail "
                          "FROM reconciliation.order_balances WHERE order_id = ?", [order_id])[0]
        assert row[:3] == ("ok", 0, 0) and row[3] == row[4] == -(total - D("10.00")), row
        return
    assert not checks["revenue_per_order"].passed
    rows = str(checks["revenue_per_order"].metadata["rows"].value)
    assert f"| {order_id} |" in rows, rows
    kept, fx, diff = duckdb_rows("SELECT woo_kept, fx_revenue, revenue_diff FROM reconciliation.order_balances "
                                 "WHERE order_id = ?", [order_id])[0]
    assert kept == 0 and fx == diff == total - D("10.00")
    assert checks["revenue_per_order"].severity.value == "ERROR"
