"""The closing summary of `woofort sync` and `woofort demo`, written for the shop owner: a bookkeeping receipt.

1. what was booked in Fortnox per day (invoices, credit notes, payments; count and SEK, from Fortnox's own
   answers in ledger.fortnox_documents: sql/operations/summary_booked.sql);
2. what was left out and why (deltas.invoice_exclusions, payment_exclusions, fee_exclusions, and booked invoices kept
   although the mapping would now book them on other accounts, deltas.invoice_drift: each reason with its count
   and the first order ids: sql/operations/summary_exclusions.sql);
3. what needs attention, each with the command or UI page that deals with it: quarantined records, dead letters,
   failed checks, and payment methods and VAT rates of the orders that the mapping lacks, with the mapping lines
   to add (woofort_assets/lib/unmapped.py, which the Fortnox preflight warns with too).

`collect()` reads it into a plain dict (money as strings, never floats): `--json` prints that dict, the terminal
gets `render()` of the same dict."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from woofort_assets.defs.fortnox.engine.queries import dead_letters
from woofort_assets.lib.duckdb import connect, table_exists
from woofort_assets.lib.mapping import mapping_or_problem, voucher_days_before
from woofort_assets.lib.settings import duckdb_path, mapping_path, shop_key, value
from woofort_assets.lib.sql import load_sql
from woofort_assets.lib.unmapped import unmapped_values

KINDS = (("invoices", "invoices"), ("credit_notes", "credit notes"), ("payments", "payments"),
         ("vouchers", "vouchers"))
UI = "the Dagster UI (woofort dev, http://127.0.0.1:3000)"
FIRST = 5


def _money(amount: Decimal | None) -> str:
    return str(Decimal(amount or 0).quantize(Decimal("0.01")))


def _sek(text: str) -> str:
    """'12345.60' -> '12 345.60' (Swedish thousands separator)."""
    return f"{Decimal(text):,.2f}".replace(",", " ")


def _booked(con, shop: str, since: datetime | None) -> dict:
    days: dict[str, dict] = {}
    total = {kind: {"count": 0, "amount_sek": Decimal(0)} for kind, _ in KINDS}
    rows = con.execute(load_sql("operations/summary_booked.sql"), {"shop": shop, "since": since}).fetchall()
    for day, kind, count, amount in rows:
        key = day.isoformat() if day else "unknown"
        entry = days.setdefault(key, {"day": key, **{k: {"count": 0, "amount_sek": "0.00"} for k, _ in KINDS}})
        entry[kind] = {"count": count, "amount_sek": _money(amount)}
        total[kind]["count"] += count
        total[kind]["amount_sek"] += Decimal(amount or 0)
    return {"days": list(days.values()),
            "total": {k: {"count": v["count"], "amount_sek": _money(v["amount_sek"])} for k, v in total.items()}}


def _left_out(con, shop: str) -> list[dict]:
    if not all(table_exists(con, "deltas", t)
               for t in ("invoice_exclusions", "payment_exclusions", "fee_exclusions", "invoice_drift")):
        return []
    return [{"what": what, "reason": reason, "orders": orders, "first_orders": list(first), "detail": detail}
            for what, reason, orders, first, detail
            in con.execute(load_sql("operations/summary_exclusions.sql"), {"shop": shop}).fetchall()]


def _unmapped(con, shop: str, mapping) -> list[dict]:
    if mapping is None:
        return []
    return [u.as_dict() for u in unmapped_values(con, mapping, shop, str(value("WOOFORT_START_DATE")))]


def _on_vouchers(con, shop: str, mapping) -> dict:
    """invoicing.mode daily_vouchers: how many orders and refunds the daily vouchers hold, and the days not over
    yet, whose vouchers a later sync books (vouchers.book_after)."""
    if mapping is None or not table_exists(con, "deltas", "voucher_lines"):
        return {"members": 0, "waiting_days": [], "book_after": None}
    days = con.execute(load_sql("operations/summary_voucher_days.sql"),
                       {"shop": shop, "days_before": voucher_days_before(mapping, None)}).fetchall()
    return {"members": sum(n for _, n, _ in days), "book_after": mapping.vouchers.book_after,
            "waiting_days": [{"day": day.isoformat(), "members": n} for day, n, waiting in days if waiting]}


def _attention(con, shop: str, outcome, mapping, mapping_problem: str | None) -> dict:
    quarantine = [{"entity": e, "reason": r, "records": n, "first_keys": list(k),
                   "how": f"woofort quarantine list --entity {e}; fix the record in WooCommerce, then "
                          f"woofort quarantine retry {e} KEY (or skip)"}
                  for e, r, n, k in con.execute(load_sql("operations/summary_quarantine.sql"),
                                                {"shop": shop}).fetchall()]
    letters: dict[tuple, dict] = {}
    for row in dead_letters(con, shop, "open"):
        reason = f"{row.get('error_code') or ''} {row.get('error_message') or ''}".strip()
        entry = letters.setdefault((row["entity"], reason), {
            "entity": row["entity"], "reason": reason, "documents": 0, "first_keys": [],
            "how": "woofort deadletter list; fix it in Fortnox or WooCommerce, then woofort deadletter retry "
                   f"{row['entity']} KEY (or skip)"})
        entry["documents"] += 1
        if len(entry["first_keys"]) < FIRST:
            entry["first_keys"].append(row["source_key"])
    checks = []
    for severity, names in (("ERROR", getattr(outcome, "failed_checks", [])),
                            ("WARN", getattr(outcome, "warned_checks", []))):
        for name in names:
            asset = name.split(":", 1)[0]
            checks.append({"check": name, "severity": severity,
                           "how": f"{UI}: asset {asset}, tab Checks, shows the failing rows"})
    unmapped = _unmapped(con, shop, mapping)
    for u in unmapped:
        u["how"] = "add the lines to mapping/mapping.yaml (WOOFORT_MAPPING), then run woofort sync again"
    return {"quarantine": quarantine, "dead_letters": list(letters.values()), "checks": checks,
            "unmapped": unmapped, "mapping_problem": mapping_problem}


def collect(outcome=None, *, since: datetime | None = None, first: date | None = None, last: date | None = None,
            dry_run: bool = False) -> dict:
    """The summary as plain data. `since`: count as booked only what the ledger synced from then on (this run)."""
    shop = shop_key()
    summary: dict = {
        "run": {"run_id": getattr(outcome, "run_id", None),
                "status": None if outcome is None else ("succeeded" if outcome.success else "failed"),
                "from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
                "dry_run": dry_run, "error": getattr(outcome, "error", None),
                "set_aside_this_run": [list(map(str, row)) for row in getattr(outcome, "set_aside", [])]},
        "shop": shop,
    }
    with connect(duckdb_path()) as con:
        if not table_exists(con, "ledger", "fortnox_documents"):
            summary.update(booked={"days": [], "total": {}}, left_out=[], on_vouchers={}, attention={})
            return summary
        summary["booked"] = _booked(con, shop, since)
        summary["left_out"] = _left_out(con, shop)
        mapping, mapping_problem = mapping_or_problem(mapping_path())   # read once for both
        summary["on_vouchers"] = _on_vouchers(con, shop, mapping)
        summary["attention"] = _attention(con, shop, outcome, mapping, mapping_problem)
    return summary


# ---- rendering ------------------------------------------------------------------------------------------------

def _short(detail: str | None, width: int = 60) -> str:
    text = (detail or "").split(";")[0].strip()
    return text if len(text) <= width else text[:width - 1] + "…"


def _first(items) -> str:
    return ", ".join(str(i) for i in items)


def _cells(entry: dict) -> list[str]:
    return [x for k, _ in KINDS for x in ((str(entry[k]["count"]), _sek(entry[k]["amount_sek"]))
                                          if entry[k]["count"] else ("–", ""))]


def _booked_table(booked: dict) -> Table:
    table = Table(title="Booked in Fortnox (amounts in SEK, incl. VAT)", title_justify="left", show_edge=False,
                  pad_edge=False)
    table.add_column("day")
    for _, label in KINDS:
        table.add_column(label, justify="right")
        table.add_column("SEK", justify="right")
    for day in booked["days"]:
        table.add_row(day["day"], *_cells(day))
    total = booked["total"]
    if booked["days"]:
        table.add_section()
        table.add_row("total", *_cells(total), style="bold")
    return table


def render(summary: dict, console: Console) -> None:
    run = summary["run"]
    period = f" {run['from']} .. {run['to']}" if run.get("from") else ""
    if run.get("status"):
        style = "green" if run["status"] == "succeeded" else "bold red"
        console.print(f"[bold]woofort sync{period}[/bold]: run {run['run_id']} [{style}]{run['status']}[/{style}]"
                      + (" (dry run: nothing was sent to Fortnox)" if run.get("dry_run") else ""))
    if run.get("error"):
        console.print(f"  error: {run['error']}", markup=False)
    booked = summary.get("booked") or {"days": []}
    console.print()
    if booked["days"]:
        console.print(_booked_table(booked))
    else:
        console.print("Booked in Fortnox: nothing new in this run.")

    on_vouchers = summary.get("on_vouchers") or {}
    if on_vouchers.get("members"):
        waiting = on_vouchers["waiting_days"]
        console.print(f"Daily vouchers hold {on_vouchers['members']} order(s) and refund(s)"
                      + (f"; waiting for their day to end (booked after {on_vouchers['book_after']} the next day): "
                         + ", ".join(f"{d['day']} ({d['members']})" for d in waiting) if waiting else ""),
                      markup=False, highlight=False)
    console.print()
    left = summary.get("left_out") or []
    console.print("[bold]Left out[/bold]" + ("" if left else ": nothing, every order was booked"))
    for item in left:
        noun = "order(s) not invoiced" if item["what"] == "invoice" else "payment(s) not registered"
        console.print(f"  {item['orders']:>4} {noun}: {item['reason']} ({_short(item['detail'])}); "
                      f"orders {_first(item['first_orders'])}", markup=False, highlight=False)

    attention = summary.get("attention") or {}
    items = sum(len(attention.get(k) or []) for k in ("quarantine", "dead_letters", "checks", "unmapped"))
    set_aside = run.get("set_aside_this_run") or []
    console.print()
    console.print("[bold]Needs your attention[/bold]" + ("" if items or set_aside else ": nothing"))
    if set_aside:
        console.print(f"  records set aside ({len(set_aside)}) by this run:", highlight=False)
        for kind, entity, key, reason in set_aside[:20]:
            console.print(f"    {kind:<11} {entity:<12} {key:<14} {reason}", markup=False, highlight=False)
        if len(set_aside) > 20:
            console.print(f"    … and {len(set_aside) - 20} more", highlight=False)
    for q in attention.get("quarantine") or []:
        console.print(f"  • {q['records']} {q['entity']} record(s) quarantined: {q['reason']} "
                      f"(first: {_first(q['first_keys'])})", markup=False, highlight=False)
        console.print(f"      → {q['how']}", markup=False, highlight=False)
    for d in attention.get("dead_letters") or []:
        console.print(f"  • {d['documents']} {d['entity']} document(s) rejected by Fortnox: {d['reason']} "
                      f"(first: {_first(d['first_keys'])})", markup=False, highlight=False)
        console.print(f"      → {d['how']}", markup=False, highlight=False)
    for c in attention.get("checks") or []:
        console.print(f"  • {c['severity']:<5} {c['check']}", markup=False, highlight=False)
        console.print(f"      → {c['how']}", markup=False, highlight=False)
    for u in attention.get("unmapped") or []:
        label = f"payment method {u['value'] or '(none)'}" if u["kind"] == "payment_method" else \
            f"VAT {u['value']} % ({u['where']})"
        console.print(f"  • {label} is not in the mapping: {u['orders']} order(s) "
                      f"(first: {_first(u['first_orders'])});"
                      f" {u['effect']}", markup=False, highlight=False)
        console.print(f"      → {u['how']}:", markup=False, highlight=False)
        for line in u["mapping_lines"].splitlines():
            console.print(f"        {line}", markup=False, highlight=False, style="cyan")
    if attention.get("mapping_problem"):
        console.print(f"  • {attention['mapping_problem']}", markup=False, highlight=False)


def _console(stream) -> Console:
    stream = stream or sys.stdout
    return Console(file=stream, highlight=False, soft_wrap=True,
                   width=None if getattr(stream, "isatty", lambda: False)() else 120)


def print_summary(outcome=None, *, since: datetime | None = None, first: date | None = None,
                  last: date | None = None, dry_run: bool = False, as_json: bool = False, stream=None,
                  console: Console | None = None) -> dict:
    """Prints the summary (rich text, or JSON with `as_json`) and returns it."""
    summary = collect(outcome, since=since, first=first, last=last, dry_run=dry_run)
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str), file=stream or sys.stdout)
    else:
        render(summary, console or _console(stream))
    return summary
