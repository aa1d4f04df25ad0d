"""Builds the reconciliation tables (sql/reconciliation/*.sql) and evaluates the checks; one code path for the
Dagster asset, the CLI report and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from woofort_assets.defs.reconciliation.scope import Scope
from woofort_assets.lib.duckdb import table_exists
from woofort_assets.lib.mapping import Mapping, register_clock, register_mapping
from woofort_assets.lib.sql import run_sql_file

# The reconciliation runs only its own SQL: it must not share a mistake with the deltas it checks (no
# deltas/_orders.sql, _articles.sql or _macros.sql; issue #13 item 8, tests/reconciliation/test_independence.py).
# It reads WooCommerce's figures from staging.*, Fortnox's from ledger.fortnox_documents, the mapping tables
# (configuration), and deltas.invoice_exclusions / payment_exclusions / fee_exclusions only to classify an order as
# excluded.
# HELPERS build the scope's rows (rc_new_<table>) after _macros.sql and _scope.sql (scope.py).
HELPERS = ("reconciliation/_woocommerce.sql", "reconciliation/_fortnox.sql", "reconciliation/reconcile.sql")
NEEDED = (("deltas", "invoice_exclusions"), ("deltas", "payment_exclusions"), ("staging", "orders"))
MAX_ROWS = 50


def missing_inputs(con) -> list[str]:
    return [f"{s}.{t}" for s, t in NEEDED if not table_exists(con, s, t)]


def build_reconciliation(con, mapping: Mapping, shop: str, start_date: str, full: bool = False,
                         now: datetime | None = None) -> Scope:
    """Brings reconciliation.* up to date: the rows of the orders whose inputs changed, or every row when `full`
    is asked or the shared inputs changed (scope.py). Each table is replaced on its own, as the deltas are. `now`:
    the store's local time that decides which voucher days are over (default the clock)."""
    missing = missing_inputs(con)
    if missing:
        raise RuntimeError(f"reconciliation needs {', '.join(missing)}: materialize the deltas first")
    register_mapping(con, mapping, shop, start_date)
    register_clock(con, mapping, now)
    return reconcile(con, shop, full)


def reconcile(con, shop: str, full: bool = False) -> Scope:
    """build_reconciliation on a connection whose mapping tables are registered (map_*)."""
    run_sql_file(con, "reconciliation/_macros.sql", {})
    scope = Scope.choose(con, shop, full)
    params = {"full": scope.full, "shop": shop}
    for name in HELPERS:
        run_sql_file(con, name, params)
    run_sql_file(con, "reconciliation/_days.sql", params)    # reads the scope's per-document rows as they were
    scope.merge_orders()
    scope.merge_days()
    run_sql_file(con, "reconciliation/oss.sql", params)
    run_sql_file(con, "reconciliation/fees.sql", params)
    run_sql_file(con, "reconciliation/daily_vouchers.sql", params)
    scope.record()
    return scope


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    severity: str                  # ERROR | WARN
    description: str
    count: int
    rows: list[tuple] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _query(con, sql: str, params: list) -> tuple[list[str], list[tuple]]:
    cur = con.execute(sql, params)
    return [d[0] for d in cur.description], cur.fetchall()


# name -> (severity, description, SQL of the offending rows)
# The per-order checks are the authority on money (ERROR); the per-day checks compare each side on its own dates
# and warn (WARN): a correction is dated the day of the change, an unbooked invoice of a cancelled order is
# cancelled rather than credited, a paid-date invoice date moves with the payment (docs/accounting.md §12
# "Per-day rule").
CHECKS: dict[str, tuple[str, str, str]] = {
    "revenue_per_order": (
        "ERROR",
        "Per order, in the document currency, Fortnox's live revenue (Σ Total of its invoices and credit invoices "
        "that are not cancelled) equals what WooCommerce kept (0 for a cancelled or refunded order, else the order "
        "total minus its refunds), to the öre, and Fortnox's VAT per rate equals WooCommerce's tax kept per rate. "
        "Orders whose documents are set aside (open dead letter) are not counted.",
        "SELECT order_id, order_status, currency, woo_kept, fx_revenue, revenue_diff, woo_vat, fx_vat, vat_diff, "
        "detail FROM reconciliation.order_balances WHERE shop = ? AND outcome = 'difference' "
        "AND (revenue_diff <> 0 OR vat_rate_diffs IS NOT NULL OR detail LIKE '%currency differs%') ORDER BY order_id"),
    "open_balance_per_order": (
        "ERROR",
        "Per order, in the document currency, Fortnox's open balance (Σ Total − Σ payments of its live invoices and "
        "credit invoices) equals WooCommerce's outstanding amount (what it kept − what was paid + refunds paid "
        "back). Orders set aside or in deltas.payment_exclusions are not counted.",
        "SELECT order_id, order_status, currency, woo_kept, woo_outstanding, fx_open, open_diff, fx_balance, detail "
        "FROM reconciliation.order_balances WHERE shop = ? AND outcome = 'difference' AND open_diff <> 0 "
        "ORDER BY order_id"),
    "gross_per_day": (
        "WARN",
        "Per invoice date and currency, WooCommerce's order totals minus refunds equal Fortnox's invoices minus "
        "credit invoices (Total), in the document currency and in SEK.",
        "SELECT day, currency, woo_gross, fx_gross, difference, woo_gross_sek, fx_gross_sek, difference_sek, "
        "fx_roundoff FROM reconciliation.by_day_currency WHERE shop = ? AND (difference <> 0 OR difference_sek <> 0) "
        "ORDER BY day, currency"),
    "vat_per_rate": (
        "WARN",
        "Per invoice date, currency and VAT rate, WooCommerce's tax equals Fortnox's VAT (document currency and SEK).",
        "SELECT day, currency, vat_rate, woo_docs, fx_docs, woo_vat, fx_vat, vat_diff, vat_diff_sek "
        "FROM reconciliation.by_day_rate WHERE shop = ? AND vat_rate IS NOT NULL AND (vat_diff <> 0 OR vat_diff_sek <> 0) "
        "ORDER BY day, currency, vat_rate"),
    "net_per_rate": (
        "WARN",
        "Per invoice date, currency and VAT rate, Fortnox's net minus WooCommerce's is only woofort's VAT rounding "
        "rows (Momsavrundning, docs/accounting.md §3): within their documented bound.",
        "SELECT day, currency, vat_rate, woo_net, fx_net, net_diff, fx_vat_rounding, net_bound "
        "FROM reconciliation.by_day_rate WHERE shop = ? AND vat_rate IS NOT NULL AND abs(net_diff) > net_bound "
        "ORDER BY day, currency, vat_rate"),
    "fortnox_rounding_off": (
        "ERROR",
        "No Fortnox document carries Fortnox's own öresavrundning (RoundOff) or a TotalVAT that differs from its "
        "VAT per rate. RoundOff means the tenant's Öresavrundning is on (Inställningar > Fakturering): turn it off, "
        "woofort writes its own round-off row (docs/accounting.md §10).",
        "SELECT number, order_id, day, currency, total, fortnox_roundoff, total_vat, vat_by_rate_sum, problem "
        "FROM reconciliation.fortnox_document_problems WHERE shop = ? ORDER BY day, number"),
    "every_order_once": (
        "ERROR",
        "Every invoiceable order has a Fortnox invoice, and every other order is listed in "
        "deltas.invoice_exclusions with its reason (none is invoiced although excluded).",
        "SELECT order_id, order_date, order_status, total, currency, outcome, reason, fortnox_numbers, detail "
        "FROM reconciliation.orders WHERE shop = ? AND outcome IN ('missing', 'invoiced_although_excluded') "
        "ORDER BY order_id"),
    "no_duplicate_invoices": (
        "ERROR",
        "No order has two live Fortnox invoices (not credit invoices, not cancelled, not cancelled out by credits) "
        "with its order id in ExternalInvoiceReference1.",
        "SELECT order_id, order_date, total, currency, live_invoices, fortnox_numbers, detail "
        "FROM reconciliation.orders WHERE shop = ? AND outcome = 'duplicate' ORDER BY order_id"),
    "payments_match": (
        "ERROR",
        "Per order, Fortnox's payments (document currency) equal WooCommerce's paid total minus refunds paid back; "
        "orders whose payment method is not mapped are listed in deltas.payment_exclusions and not counted.",
        "SELECT order_id, currency, woo_paid, fx_paid, fx_payments, difference FROM reconciliation.payments "
        "WHERE shop = ? AND outcome = 'difference' ORDER BY order_id"),
    "fees_booked": (
        "ERROR",
        "Per paid day and payment method with a fee mapping, the fees the payment plugin stored on WooCommerce's "
        "orders equal what Fortnox's fee vouchers take off the method's account (docs/accounting.md §15); orders "
        "listed in deltas.fee_exclusions, and days not over yet (vouchers.book_after), are not counted.",
        "SELECT day, payment_method, orders, vouchers, woo_fee, fx_fee, difference FROM reconciliation.fee_days "
        "WHERE shop = ? AND difference <> 0 AND NOT waiting ORDER BY day, payment_method"),
    "daily_vouchers_match": (
        "ERROR",
        "invoicing.mode daily_vouchers: per day and payment account, the money WooCommerce took less what it paid "
        "back for the orders booked by voucher equals what Fortnox's daily vouchers put on the account "
        "(docs/accounting.md §13); days not over yet (vouchers.book_after) are not counted.",
        "SELECT day, account, members, vouchers, woo_money, fx_money, difference "
        "FROM reconciliation.voucher_days WHERE shop = ? AND difference <> 0 AND NOT waiting ORDER BY day, account"),
}


def evaluate(con, shop: str) -> list[CheckOutcome]:
    out = []
    for name, (severity, description, sql) in CHECKS.items():
        cols, rows = _query(con, sql, [shop])
        out.append(CheckOutcome(name, not rows, severity, description, len(rows), rows[:MAX_ROWS], cols))
    return out


def markdown(columns: list[str], rows: list[tuple], total: int | None = None) -> str:
    if not rows:
        return "_none_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in r) + " |")
    if total is not None and total > len(rows):
        lines.append(f"\n… {total - len(rows)} more")
    return "\n".join(lines)


def summary(con, shop: str) -> dict:
    """Figures for the asset's metadata and the CLI."""
    totals = con.execute(
        "SELECT count(*), coalesce(sum(orders), 0), coalesce(sum(invoiced), 0), coalesce(sum(excluded), 0), "
        "coalesce(sum(woo_gross_sek), 0), coalesce(sum(fx_gross_sek), 0), coalesce(sum(difference_sek), 0) "
        "FROM reconciliation.by_day WHERE shop = ?", [shop]).fetchone()
    outcomes = dict(con.execute("SELECT outcome, count(*) FROM reconciliation.orders WHERE shop = ? GROUP BY ALL "
                                "ORDER BY 2 DESC", [shop]).fetchall())
    reasons = dict(con.execute("SELECT reason, count(*) FROM deltas.invoice_exclusions WHERE shop = ? GROUP BY ALL "
                               "ORDER BY 2 DESC, 1", [shop]).fetchall())
    return {"days": totals[0], "orders": int(totals[1]), "invoiced": int(totals[2]), "excluded": int(totals[3]),
            "woo_gross_sek": totals[4], "fx_gross_sek": totals[5], "difference_sek": totals[6],
            "order_outcomes": outcomes, "exclusion_reasons": reasons}
