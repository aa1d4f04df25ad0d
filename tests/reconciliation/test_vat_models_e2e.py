"""End to end with the sandbox Fortnox set to each VAT model (tenant settings vat_rounding, half_rounding): the
operator calibrates first (`woofort fortnox calibrate`, as the demo does), the sync books for the measured model,
and every check of reconciliation/books passes, Fortnox's own TotalVAT included (fortnox_rounding_off)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import duckdb_rows, sync_range
from tests.reconciliation.test_books import CHECK_NAMES, check_results, failing
from woofort_assets.cli.calibrate import calibrate_from_env
from woofort_assets.lib import settings

MODELS = [("per_rate_sum", "up"), ("per_rate_sum", "even"), ("per_row", "up"), ("per_row", "even")]


@pytest.mark.parametrize("vat_rounding,half_rounding", MODELS)
def test_sync_reconciles_under_each_vat_model(books_env, vat_rounding, half_rounding):
    woo, fortnox = books_env(orders=60, days=10, seed=13)
    with fortnox.state.lock:
        fortnox.state.seed_reference({"settings": {"vat_rounding": vat_rounding, "half_rounding": half_rounding}})
    measured = calibrate_from_env(Path(settings.data_dir()))
    assert (measured.model.vat_rounding, measured.model.half_rounding) == (vat_rounding, half_rounding)
    result = sync_range("2026-10-01", "2026-10-10")
    assert result.success
    checks = check_results(result)
    assert set(checks) == set(CHECK_NAMES)
    assert not failing(checks), failing(checks)
    live = [d for d in fortnox.state.docs["invoices"].values() if not d["Cancelled"] and d.get("Credit") != "true"]
    invoiced = duckdb_rows("SELECT count(*) FROM reconciliation.orders WHERE outcome = 'invoiced'")[0][0]
    assert invoiced == len(live) > 0
    assert duckdb_rows("SELECT count(*) FROM reconciliation.fortnox_document_problems")[0][0] == 0
