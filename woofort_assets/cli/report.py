"""What the demo prints after the sync: the Fortnox company's contents, the ledger, and the reconciliation."""

from __future__ import annotations

from woofort_assets.defs.reconciliation.build import evaluate
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import duckdb_path, shop_key


def print_fortnox_counts(fortnox_sandbox) -> None:
    """Counts read back from the Fortnox sandbox itself, not from woofort's ledger."""
    documents = fortnox_sandbox.state.docs
    invoices = list(documents["invoices"].values())
    credits = [invoice for invoice in invoices if str(invoice.get("Credit")).lower() == "true"]
    print("Fortnox sandbox now holds:")
    for label, count in (
        ("articles", len(documents["articles"])),
        ("customers", len(documents["customers"])),
        ("invoices", len(invoices) - len(credits)),
        ("credit invoices", len(credits)),
        ("invoice payments", len(documents["invoicepayments"])),
    ):
        print(f"  {label:<17} {count}")


def print_ledger_summary() -> None:
    with connect(duckdb_path()) as con:
        rows = con.execute(
            "SELECT entity, status, count(*) FROM ledger.documents WHERE shop = ? GROUP BY ALL ORDER BY ALL",
            [shop_key()],
        ).fetchall()
    print("ledger:")
    for entity, status, count in rows:
        print(f"  {entity:<17} {status:<9} {count}")


def _exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def _money(value) -> str:
    return f"{value:,.2f}".replace(",", " ")


def print_reconciliation(max_days: int = 62) -> bool:
    """The per-day reconciliation (SEK), the exclusion reasons and the failed checks, from reconciliation.*
    (built by the asset reconciliation/books). Returns True when WooCommerce and Fortnox agree."""
    shop = shop_key()
    with connect(duckdb_path()) as con:
        if not _exists(con, "reconciliation", "by_day"):
            print("reconciliation: not built (materialize reconciliation/books)")
            return False
        days = con.execute("SELECT day, orders, invoiced, excluded, woo_gross_sek, fx_gross_sek, difference_sek "
                           "FROM reconciliation.by_day WHERE shop = ? ORDER BY day", [shop]).fetchall()
        set_aside = con.execute("SELECT coalesce(sum(set_aside), 0), coalesce(sum(set_aside_gross_sek), 0) "
                                "FROM reconciliation.by_day WHERE shop = ?", [shop]).fetchone()
        reasons = con.execute("SELECT reason, count(*) FROM deltas.invoice_exclusions WHERE shop = ? "
                              "GROUP BY ALL ORDER BY 2 DESC, 1", [shop]).fetchall()
        outcomes = evaluate(con, shop)
    print("reconciliation per invoice date (SEK; WooCommerce orders minus refunds vs Fortnox invoices minus credits):")
    header = f"  {'day':<10} {'orders':>6} {'invoiced':>8} {'excluded':>8} {'WooCommerce gross':>18} " \
             f"{'Fortnox gross':>14} {'difference':>10}"
    print(header)
    shown = days[-max_days:]
    for day, orders, invoiced, excluded, woo, fx, diff in shown:
        print(f"  {str(day):<10} {orders:>6} {invoiced:>8} {excluded:>8} {_money(woo):>18} {_money(fx):>14} "
              f"{_money(diff):>10}")
    if days:
        tot = [sum(r[i] for r in days) for i in range(1, 7)]
        print(f"  {'total':<10} {tot[0]:>6} {tot[1]:>8} {tot[2]:>8} {_money(tot[3]):>18} {_money(tot[4]):>14} "
              f"{_money(tot[5]):>10}")
    if set_aside[0]:
        print(f"  set aside: {set_aside[0]} document(s), {_money(set_aside[1])} SEK that Fortnox rejected "
              "(dead letters), not compared")
    print("orders not invoiced, by reason (deltas.invoice_exclusions):")
    for reason, count in reasons:
        print(f"  {reason:<26} {count}")
    if not reasons:
        print("  (none)")
    failed = [o for o in outcomes if not o.passed]
    print(f"reconciliation checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    for o in failed:
        print(f"  {o.severity:<5} {o.name}: {o.count} difference(s); first: {o.rows[0] if o.rows else ''}")
    return not [o for o in failed if o.severity == "ERROR"]
