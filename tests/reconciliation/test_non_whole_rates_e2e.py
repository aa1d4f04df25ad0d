"""A shop selling to Finnish consumers at 25.5 % (the WooCommerce sandbox's FI standard rate), end to end on the
sandboxes: those orders are booked through an order turned into an invoice (docs/accounting.md §3 "Non-whole
rates"), none is excluded for its rate, and the books reconcile (every check of reconciliation/books passes)."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import duckdb_rows, sync_range
from tests.reconciliation.test_books import CHECK_NAMES, check_results, failing

FOREIGN_RATES = (19, 7, Decimal("25.5"), 14, 10)   # DE and FI set up in the Fortnox company


def tenant_mapping(path) -> str:
    """The default mapping with each OSS country limited to the rates the company has (as test_books_e2e does)."""
    import yaml

    from woofort_assets.lib.settings import CHECKOUT_DIR

    have = {Decimal(0), Decimal(6), Decimal(12), Decimal(25), *(Decimal(str(r)) for r in FOREIGN_RATES)}
    mapping = yaml.safe_load((CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text())
    for spec in mapping["accounts"]["eu_consumer"]["countries"].values():
        spec["rates"] = [r for r in spec["rates"]
                         if Decimal(str(r["rate"] if isinstance(r, dict) else r)) in have] or [0]
    path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return str(path)


def test_finnish_25_5_orders_are_booked_through_orders_and_reconcile(books_env, tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_MAPPING", tenant_mapping(tmp_path / "mapping.yaml"))
    woo, fortnox = books_env(orders=120, days=10, seed=2, foreign_vat_rates=tuple(str(r) for r in FOREIGN_RATES))
    result = sync_range("2026-10-01", "2026-10-10")
    assert result.success
    checks = check_results(result)
    assert set(checks) == set(CHECK_NAMES)
    assert not failing(checks), failing(checks)

    via = duckdb_rows("SELECT source_key FROM ledger.documents WHERE entity = 'invoice_order' AND status = 'synced'")
    fi = duckdb_rows("SELECT o.order_id, o.status, x.reason FROM staging.orders o "
                     "LEFT JOIN deltas.invoice_exclusions x USING (order_id) WHERE o.billing_country = 'FI'")
    assert via, f"the generated shop has Finnish consumers at 25.5 %: {fi}"
    numbers = dict(duckdb_rows("SELECT source_key, fortnox_number FROM ledger.documents WHERE entity = 'invoice'"))
    with fortnox.state.lock:
        for (order_id,) in via:
            doc = fortnox.state.docs["invoices"][numbers[order_id]]
            assert doc["OrderReference"] not in ("", "0") and doc["Booked"] is True
            assert Decimal("25.5") in {Decimal(str(r["VAT"])) for r in doc["InvoiceRows"]}
        assert len(fortnox.state.docs["orders"]) == len(via)
    reasons = dict(duckdb_rows("SELECT reason, count(*) FROM deltas.invoice_exclusions GROUP BY ALL"))
    assert "vat_rate_not_integer" not in reasons
    assert duckdb_rows("SELECT count(*) FROM ledger.dead_letter WHERE status = 'open'")[0][0] == 0
