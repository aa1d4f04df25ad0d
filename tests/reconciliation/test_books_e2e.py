"""2,000 orders over 30 days, end to end on the sandboxes (rate limit raised): the books reconcile."""

from __future__ import annotations

import time

import pytest

from tests.conftest import duckdb_rows, sync_range
from tests.reconciliation.test_books import CHECK_NAMES, check_results, failing


TENANT_VAT_RATES = {0, 6, 12, 25}    # the sandbox company, like a new Fortnox company, has no foreign VAT rates


def tenant_mapping(path) -> str:
    """The default mapping with each OSS country limited to the VAT rates the Fortnox company has (docs/accounting.md
    §10): orders at other foreign rates are excluded (vat_rate_not_in_mapping) instead of being rejected by Fortnox
    (2000760), which the reconciliation would rightly report as missing invoices."""
    import yaml

    from woofort_assets.lib.settings import CHECKOUT_DIR

    mapping = yaml.safe_load((CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text())
    for spec in mapping["accounts"]["eu_consumer"]["countries"].values():
        spec["rates"] = [r for r in spec["rates"]
                         if (r["rate"] if isinstance(r, dict) else r) in TENANT_VAT_RATES] or [0]
    path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return str(path)


@pytest.mark.slow
def test_2000_orders_30_days_reconcile(books_env, tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_MAPPING", tenant_mapping(tmp_path / "mapping.yaml"))
    woo, fortnox = books_env(orders=2000, days=30, seed=7)
    started = time.monotonic()
    result = sync_range("2026-10-01", "2026-10-30")
    elapsed = time.monotonic() - started
    assert result.success
    checks = check_results(result)
    assert set(checks) == set(CHECK_NAMES)
    assert not failing(checks), failing(checks)

    staged = duckdb_rows("SELECT count(*) FROM staging.orders")[0][0]
    assert staged >= 1500                # orders last modified after 2026-10-30 are outside the synced days
    (books,) = [e.event_specific_data.materialization.metadata for e in result.all_events
                if e.event_type_value == "ASSET_MATERIALIZATION"
                and e.event_specific_data.materialization.asset_key.path == ["reconciliation", "books"]]
    # the first reconciliation of this database: every order (defs/reconciliation/scope.py)
    assert books["full_build"].value is True and books["orders_reconciled"].value >= staged
    outcomes = dict(duckdb_rows("SELECT outcome, count(*) FROM reconciliation.orders GROUP BY ALL"))
    assert sum(outcomes.values()) == staged and set(outcomes) <= {"invoiced", "excluded"}
    reasons = dict(duckdb_rows("SELECT reason, count(*) FROM deltas.invoice_exclusions GROUP BY ALL"))
    assert reasons.get("vat_rate_not_in_mapping", 0) > 0            # the OSS orders the tenant cannot take
    dead = duckdb_rows("SELECT count(*) FROM ledger.dead_letter WHERE status = 'open'")[0][0]
    assert dead == 0
    days = duckdb_rows("SELECT count(*), sum(orders), sum(invoiced), sum(difference_sek) FROM reconciliation.by_day "
                       "WHERE day BETWEEN '2026-10-01' AND '2026-10-30'")[0]
    assert days[0] == 30 and days[2] == outcomes["invoiced"] and days[3] == 0
    # several currencies and VAT rates were really compared
    rates = duckdb_rows("SELECT count(DISTINCT currency), count(DISTINCT vat_rate) FROM reconciliation.by_day_rate")[0]
    assert rates[0] >= 2 and rates[1] >= 3
    credits = duckdb_rows("SELECT count(*) FROM reconciliation.by_day_currency WHERE fx_gross < 0")
    assert credits is not None
    # the mirror cost a handful of listings, not one call per document
    mirror = duckdb_rows("SELECT api_calls, fetched FROM ledger.fortnox_mirror_runs")[0]
    invoices = len(fortnox.state.docs["invoices"])
    assert mirror[0] <= invoices // 500 + len(fortnox.state.docs["invoicepayments"]) // 500 + 4, mirror
    print(f"\n2,000 orders: sync + reconciliation {elapsed:.0f} s; orders {outcomes}; mirror calls {mirror[0]}")
