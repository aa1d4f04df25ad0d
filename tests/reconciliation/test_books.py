"""Reconciliation against real sandboxes over HTTP: the whole graph, then the checks of reconciliation/books."""

from __future__ import annotations


import pytest

from tests.conftest import duckdb_rows, sync_range

CHECK_NAMES = ("revenue_per_order", "open_balance_per_order", "gross_per_day", "vat_per_rate", "net_per_rate",
               "fortnox_rounding_off", "every_order_once", "no_duplicate_invoices", "payments_match", "fees_booked",
               "daily_vouchers_match")


def check_results(result) -> dict[str, object]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            if ev.asset_key.path == ["reconciliation", "books"]:
                out[ev.check_name] = ev
    return out


def failing(checks: dict) -> dict[str, str]:
    return {name: str(ev.metadata.get("rows").value)[:1500] for name, ev in checks.items() if not ev.passed}


def test_clean_sync_reconciles(books_env):
    woo, fortnox = books_env(orders=60, days=10)
    result = sync_range("2026-10-01", "2026-10-10")
    assert result.success
    checks = check_results(result)
    assert set(checks) == set(CHECK_NAMES)
    assert not failing(checks), failing(checks)
    # every staged order is accounted for: invoiced or excluded with a reason
    outcomes = dict(duckdb_rows("SELECT outcome, count(*) FROM reconciliation.orders GROUP BY ALL"))
    staged = duckdb_rows("SELECT count(*) FROM staging.orders")[0][0]
    assert sum(outcomes.values()) == staged
    assert set(outcomes) <= {"invoiced", "excluded"}
    invoiced = outcomes.get("invoiced", 0)
    live = [d for d in fortnox.state.docs["invoices"].values() if str(d.get("Credit")).lower() != "true"]
    assert invoiced == len(live) > 0
    # the day totals are the sandbox's own figures
    fx_total = sum(float(d["Total"]) for d in fortnox.state.docs["invoices"].values() if not d["Cancelled"])
    db_total = duckdb_rows("SELECT sum(fx_gross) FROM reconciliation.by_day_currency WHERE currency = 'SEK'")[0][0]
    sek_total = sum(float(d["Total"]) for d in fortnox.state.docs["invoices"].values()
                    if not d["Cancelled"] and d["Currency"] == "SEK")
    assert float(db_total) == pytest.approx(sek_total, abs=0.001)
    assert fx_total != 0


def test_rerun_mirror_costs_almost_nothing(books_env):
    woo, fortnox = books_env(orders=40, days=5)
    assert sync_range("2026-10-01", "2026-10-05").success
    before = fortnox.counters_snapshot()
    result = sync_range("2026-10-01", "2026-10-05", selection=["fortnox/mirror", "reconciliation/books"])
    after = fortnox.counters_snapshot()
    assert result.success and not failing(check_results(result))
    gets = {k: after.get(k, 0) - before.get(k, 0) for k in after if k.startswith("GET ")}
    calls = sum(v for v in gets.values())
    assert calls <= 4, gets          # one listing of invoices + one of payments (+ token)


def test_tenant_rounding_on_shows_as_error(books_env):
    """Öresavrundning on in Fortnox: the invoices no longer equal the orders; reconciliation names the cause."""
    woo, fortnox = books_env(orders=40, days=5, round_off=True)
    result = sync_range("2026-10-01", "2026-10-05")
    assert result.success           # checks are not blocking: the run completes, the checks fail
    checks = check_results(result)
    bad = failing(checks)
    assert "fortnox_rounding_off" in bad and "Öresavrundning" in bad["fortnox_rounding_off"]
    assert "gross_per_day" in bad
    assert checks["fortnox_rounding_off"].severity.value == "ERROR"
    # per order too (ERROR): Fortnox's revenue is no longer what WooCommerce kept; the per-day view warns
    assert "revenue_per_order" in bad and checks["revenue_per_order"].severity.value == "ERROR"
    assert checks["gross_per_day"].severity.value == "WARN"
    # the per-day difference is exactly Fortnox's RoundOff
    rows = duckdb_rows("SELECT sum(difference), sum(fx_roundoff) FROM reconciliation.by_day_currency")
    assert rows[0][0] == rows[0][1] != 0
    # VAT is not touched by the rounding: Fortnox books RoundOff on 3740 without VAT
    assert "vat_per_rate" not in bad


def test_lost_answers_still_reconcile(books_env):
    """Fortnox commits a third of the invoice creates and payments but the answer is lost: the sink finds them by
    lookup (and keeps the document it found), nothing is created twice, and the books reconcile."""
    woo, fortnox = books_env(orders=40, days=5, seed=3)
    fortnox.add_fault("commit_then_drop", "/3/invoices", methods=["POST"], probability=0.33)
    fortnox.add_fault("commit_then_drop", "/3/invoicepayments", methods=["POST"], probability=0.33)
    result = sync_range("2026-10-01", "2026-10-05")
    assert result.success
    assert not failing(check_results(result)), failing(check_results(result))
    sources = dict(duckdb_rows("SELECT source, count(*) FROM ledger.fortnox_documents GROUP BY ALL"))
    assert sources.get("lookup", 0) > 0
    assert duckdb_rows("SELECT count(*) FROM reconciliation.orders WHERE outcome = 'duplicate'")[0][0] == 0
