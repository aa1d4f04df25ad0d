"""`woofort demo` under each VAT model the sandbox Fortnox can be set to (issue 14, done-when): the demo calibrates
and finds the model, books the shop's sales abroad as well as at home, and its reconciliation passes. The real
`python -m woofort_assets.cli demo` runs as a subprocess, with the sandbox's rate limit raised."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import pytest

from tests.reliability import harness as H
from woofort_assets.cli.demo import VAT_MODELS

pytestmark = [pytest.mark.timeout(900)]

ORDERS = 60


def _demo(tmp_path, model: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WOOFORT_", "FORTNOX_"))}
    env["WOOFORT_DATA_DIR"] = str(tmp_path / "demo")
    return subprocess.run([sys.executable, "-m", "woofort_assets.cli", "demo", "--orders", str(ORDERS),
                           "--fortnox-vat-model", model, "--fortnox-rate-limit", "100000"],
                          env=env, cwd=H.REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("model", VAT_MODELS)
def test_the_demo_calibrates_books_abroad_and_reconciles_under_each_vat_model(tmp_path, model):
    result = _demo(tmp_path, model)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    vat_rounding, half_rounding = model.split("/")
    (calibrated,) = [line for line in out.splitlines() if "calibrated Fortnox:" in line]
    assert f"({vat_rounding})" in calibrated and f"({half_rounding})" in calibrated, calibrated
    checks = re.search(r"reconciliation checks: (\d+) passed, (\d+) failed", out)
    assert checks and int(checks[1]) > 0 and checks[2] == "0", out[-3000:]
    # The sandbox company has the OSS rates the shop charges: nothing is refused, the partial refund at FI 25.5 %
    # included (docs/accounting.md §3 "Credits at a non-whole rate").
    with duckdb.connect(str(tmp_path / "demo" / "woofort.duckdb"), read_only=True) as con:
        assert con.execute("SELECT entity, source_key, error_message FROM ledger.dead_letter").fetchall() == []
        non_whole_credits = con.execute(
            "SELECT d.status FROM deltas.credit_delta c JOIN ledger.documents d ON d.entity = 'credit_invoice' "
            "AND d.source_key = c.source_key WHERE c.payload::VARCHAR LIKE '%\"VAT\":25.5%'").fetchall()
        assert non_whole_credits and {s for (s,) in non_whole_credits} == {"synced"}, non_whole_credits
        invoiced_by_country = dict(con.execute(
            "SELECT o.billing_country, count(*) FROM reconciliation.orders r "
            "JOIN staging.orders o USING (shop, order_id) WHERE r.outcome = 'invoiced' GROUP BY ALL").fetchall())
    assert invoiced_by_country.get("SE", 0) > 0 and set(invoiced_by_country) - {"SE"}, invoiced_by_country
