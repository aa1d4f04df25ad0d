"""What the demo prints after its summary (cli/summary.py): the reconciliation per day, WooCommerce against Fortnox."""

from __future__ import annotations

from woofort_assets.defs.reconciliation.build import evaluate
from woofort_assets.lib.duckdb import connect, table_exists
from woofort_assets.lib.settings import duckdb_path, shop_key


def _money(value) -> str:
    return f"{value:,.2f}".replace(",", " ")


def print_reconciliation(max_days: int = 62) -> bool:
    """The per-day reconciliation (SEK) and the failed reconciliation checks, from reconciliation.*
    (built by the asset reconciliation/books). Returns True when WooCommerce and Fortnox agree."""
    shop = shop_key()
    with connect(duckdb_path()) as con:
        if not table_exists(con, "reconciliation", "by_day"):
            print("reconciliation: not built (materialize reconciliation/books)")
            return False
        days = con.execute("SELECT day, orders, invoiced, excluded, woo_gross_sek, fx_gross_sek, difference_sek "
                           "FROM reconciliation.by_day WHERE shop = ? ORDER BY day", [shop]).fetchall()
        set_aside = con.execute("SELECT coalesce(sum(set_aside), 0), coalesce(sum(set_aside_gross_sek), 0) "
                                "FROM reconciliation.by_day WHERE shop = ?", [shop]).fetchone()
        outcomes = evaluate(con, shop)
        vouchers = con.execute("SELECT day, account, members, vouchers, woo_money, fx_money, difference, waiting "
                               "FROM reconciliation.voucher_days WHERE shop = ? ORDER BY day, account",
                               [shop]).fetchall() if table_exists(con, "reconciliation", "voucher_days") else []
    print()
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
    if vouchers:
        _print_voucher_days(vouchers[-max_days:])
    failed = [o for o in outcomes if not o.passed]
    print(f"reconciliation checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    for o in failed:
        print(f"  {o.severity:<5} {o.name}: {o.count} difference(s); first: {o.rows[0] if o.rows else ''}")
    return not [o for o in failed if o.severity == "ERROR"]


def _print_voucher_days(rows: list[tuple]) -> None:
    print("daily vouchers per day and payment account (SEK; WooCommerce sales minus refunds vs the vouchers):")
    print(f"  {'day':<10} {'account':>7} {'orders+refunds':>14} {'vouchers':>8} {'WooCommerce':>12} "
          f"{'Fortnox':>12} {'difference':>10}")
    for day, account, members, vouchers, woo, fx, diff, waiting in rows:
        print(f"  {str(day):<10} {account:>7} {members:>14} {vouchers:>8} {_money(woo):>12} {_money(fx):>12} "
              f"{_money(diff):>10}" + ("  (day not over: booked after vouchers.book_after)" if waiting else ""))
