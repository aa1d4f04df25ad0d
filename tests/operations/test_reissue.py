"""`woofort reissue ORDER...` and the job reissue_orders over the real sandboxes: a booked invoice is credited and
issued anew only when asked, the payment follows, and a rerun does nothing."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import duckdb_rows, sync_range
from woofort_assets.cli import main

DAYS = ("2026-10-02", "2026-10-03")


def _fortnox_writes(sandbox) -> int:
    return sum(v for k, v in sandbox.counters_snapshot().items() if k.split(" ")[0] in ("POST", "PUT", "DELETE"))


def _paid_booked_order() -> tuple[int, str]:
    return duckdb_rows(
        "SELECT CAST(d.source_key AS BIGINT), d.fortnox_number FROM ledger.documents d "
        "JOIN ledger.documents p ON p.entity = 'invoice_payment' AND p.source_key = d.source_key "
        "WHERE d.entity = 'invoice' AND d.booked AND p.fortnox_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
        "ledger.documents c WHERE c.entity = 'credit_invoice' AND c.order_id = d.order_id) ORDER BY 1 LIMIT 1")[0]


def test_reissue_on_request_only(woofort_env, fortnox_sandbox, capsys):
    assert sync_range(*DAYS).success
    order_id, old = _paid_booked_order()
    writes = _fortnox_writes(fortnox_sandbox)
    assert sync_range(*DAYS).success
    assert _fortnox_writes(fortnox_sandbox) == writes          # nothing changed, nothing re-issued

    assert main(["reissue", str(order_id)]) == 0
    assert f"invoice {old}" in capsys.readouterr().out
    assert sync_range(*DAYS).success
    docs = fortnox_sandbox.state.docs["invoices"]
    new = duckdb_rows("SELECT fortnox_number FROM ledger.documents WHERE entity = 'invoice' AND source_key = ?",
                      [str(order_id)])[0][0]
    assert new != old
    credit = docs[old]["CreditInvoiceReference"]
    assert docs[credit]["Credit"] == "true" and Decimal(str(docs[credit]["Total"])) == -Decimal(str(docs[old]["Total"]))
    assert docs[new]["Total"] == docs[old]["Total"] and docs[new]["Booked"]
    # the customer paid once: every document of the order is settled
    assert {n: Decimal(str(docs[n]["Balance"])) for n in (old, credit, new)} == \
        {old: Decimal(0), credit: Decimal(0), new: Decimal(0)}

    writes = _fortnox_writes(fortnox_sandbox)
    assert sync_range(*DAYS).success
    assert _fortnox_writes(fortnox_sandbox) == writes          # the request is spent


def test_reissue_refuses_an_order_without_a_booked_invoice(woofort_env, capsys):
    assert sync_range(*DAYS, selection=["woocommerce/orders", "staging/orders"]).success
    assert main(["reissue", "999999"]) == 2
    assert "999999" in capsys.readouterr().err
    assert duckdb_rows("SELECT count(*) FROM ledger.reissue_requests")[0][0] == 0


def test_reissue_job(woofort_env, fortnox_sandbox):
    from woofort_assets.definitions import build_definitions

    assert sync_range(*DAYS).success
    order_id, old = _paid_booked_order()
    job = build_definitions().resolve_job_def("reissue_orders")
    result = job.execute_in_process(run_config={"ops": {"request_reissues": {"config": {"order_ids": [order_id]}}}},
                                    raise_on_error=False)
    assert result.success
    assert duckdb_rows("SELECT source_key, fortnox_number FROM ledger.reissue_requests") == [(str(order_id), old)]
    failed = job.execute_in_process(run_config={"ops": {"request_reissues": {"config": {"order_ids": [999999]}}}},
                                    raise_on_error=False)
    assert not failed.success
