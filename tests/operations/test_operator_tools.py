"""Operator tools end to end against the WooCommerce sandbox: `woofort quarantine|deadletter|resync-order`
and the same actions as Dagster op jobs with config. Unknown ids: exit code 2 / failed run, nothing changed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import duckdb_rows, sync_range
from woofort_assets.cli import main
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import duckdb_path
from woofort_assets.lib.staging import stage_batch

DAYS = ("2026-10-02", "2026-10-03")
ORDER_ASSETS = ["woocommerce/orders", "staging/orders"]


@pytest.fixture
def synced(woofort_env):
    result = sync_range(*DAYS, selection=ORDER_ASSETS)
    assert result.success
    return woofort_env


def _some_order() -> int:
    return duckdb_rows("SELECT min(order_id) FROM staging.orders")[0][0]


def _land_version(order_id: int, run_id: str, total: str) -> None:
    """A new raw version of the order (same modification date, later fetch) with the given total, staged."""
    with connect(duckdb_path()) as con:
        payload = json.loads(con.execute(
            "SELECT payload FROM raw.orders WHERE payload->>'id' = ? ORDER BY fetched_at DESC LIMIT 1",
            [str(order_id)]).fetchone()[0])
        payload["total"] = total
        con.execute("INSERT INTO raw.orders (shop, fetched_at, run_id, payload) VALUES ('default', now(), ?, ?::JSON)", [run_id, json.dumps(payload)])
        stage_batch(con, "orders", "default", run_id)


def test_quarantine_list_retry_skip(synced, capsys):
    order_id = _some_order()
    original_total = duckdb_rows("SELECT total FROM staging.orders WHERE order_id = ?", [order_id])[0][0]
    _land_version(order_id, "bad-run", "not-a-number")
    assert main(["quarantine", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"orders  {order_id}" in listing.replace("   ", "  ") or str(order_id) in listing
    assert "total" in listing

    # Retry while the latest raw version is still bad: stays quarantined (exit 3, reason shown).
    assert main(["quarantine", "retry", "orders", str(order_id)]) == 3
    assert "still quarantined" in capsys.readouterr().out

    # The shop fixes the order; retry re-stages the latest raw version: staged, quarantine row gone.
    _land_version(order_id, "fixed-run", f"{original_total:.2f}")  # staging it here already clears quarantine ...
    _land_version(order_id, "bad-run-2", "still-bad")  # ... so quarantine it again, then fix via retry
    with connect(duckdb_path()) as con:
        con.execute("DELETE FROM raw.orders WHERE run_id = 'bad-run-2'")
    assert duckdb_rows("SELECT count(*) FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [(1,)]
    assert main(["quarantine", "retry", "orders", str(order_id)]) == 0
    assert "staged" in capsys.readouterr().out
    assert duckdb_rows("SELECT count(*) FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [(0,)]
    assert duckdb_rows("SELECT total FROM staging.orders WHERE order_id = ?", [order_id])[0][0] == original_total

    # Skip: status 'skipped', listed only with --status skipped / all.
    _land_version(order_id, "bad-run-3", "nope")
    assert main(["quarantine", "skip", "orders", str(order_id)]) == 0
    assert duckdb_rows("SELECT status FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [("skipped",)]
    capsys.readouterr()
    assert main(["quarantine", "list"]) == 0
    assert "no quarantined records" in capsys.readouterr().out
    assert main(["quarantine", "list", "--status", "skipped"]) == 0
    assert str(order_id) in capsys.readouterr().out


def test_unknown_ids_exit_2_and_change_nothing(synced, capsys):
    order_id = _some_order()
    _land_version(order_id, "bad-run", "x")
    assert main(["quarantine", "skip", "orders", str(order_id), "999999"]) == 2
    err = capsys.readouterr().err
    assert "999999" in err and "not in quarantine" in err
    assert duckdb_rows("SELECT status FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [("open",)]
    assert main(["quarantine", "retry", "nosuchentity", "1"]) == 2
    assert main(["deadletter", "retry", "invoice", "424242"]) == 2
    assert "not in the dead-letter table" in capsys.readouterr().err
    assert main(["resync-order", "987654321"]) == 2
    assert "does not exist in WooCommerce" in capsys.readouterr().err


def _dead_letter(entity: str, key: str, status: str = "open") -> None:
    with connect(duckdb_path()) as con:
        con.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_code, error_message, http_status, "
                    "status) VALUES ('default', ?, ?, 2000588, 'Ogiltigt kontonummer', 400, ?)", [entity, key, status])


def test_deadletter_list_retry_skip(woofort_env, capsys):
    _dead_letter("invoice", "101")
    _dead_letter("customer", "C-7")
    _dead_letter("article", "SKU-1", status="resolved")
    assert main(["deadletter", "list"]) == 0
    out = capsys.readouterr().out
    assert "101" in out and "C-7" in out and "SKU-1" not in out and "Ogiltigt kontonummer" in out
    assert main(["deadletter", "list", "--status", "all"]) == 0
    assert "SKU-1" in capsys.readouterr().out
    assert main(["deadletter", "retry", "invoice", "101"]) == 0
    assert duckdb_rows("SELECT count(*) FROM ledger.dead_letter WHERE source_key = '101'") == [(0,)]
    assert main(["deadletter", "skip", "customer", "C-7"]) == 0
    assert duckdb_rows("SELECT status FROM ledger.dead_letter WHERE source_key = 'C-7'") == [("skipped",)]


def test_resync_order_reextracts_restages_and_resets_unbooked_ledger_rows(synced, capsys):
    order_id = _some_order()
    with connect(duckdb_path()) as con:
        for entity, key, booked in (("invoice", str(order_id), False), ("customer", "K1", False),
                                    ("credit_invoice", f"refund-{order_id}", True)):
            con.execute("INSERT INTO ledger.documents (shop, entity, source_key, fortnox_number, payload_hash, status, "
                        "booked, order_id) VALUES ('default', ?, ?, '1', 'h', 'synced', ?, ?)",
                        [entity, key, booked, order_id])
        con.execute("DELETE FROM staging.orders WHERE order_id = ?", [order_id])
    before = duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload->>'id' = ?", [str(order_id)])[0][0]
    assert main(["resync-order", str(order_id)]) == 0
    out = capsys.readouterr().out
    assert "re-extracted" in out and f"invoice {order_id}" in out
    assert duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload->>'id' = ?", [str(order_id)])[0][0] == before + 1
    assert duckdb_rows("SELECT count(*) FROM staging.orders WHERE order_id = ?", [order_id]) == [(1,)]
    hashes = dict(duckdb_rows("SELECT entity, payload_hash FROM ledger.documents WHERE order_id = ?", [order_id]))
    assert hashes == {"invoice": None, "customer": None, "credit_invoice": "h"}  # booked documents untouched


def _run(job_name: str, op_name: str, config: dict):
    from woofort_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def(job_name)
    return job.execute_in_process(run_config={"ops": {op_name: {"config": config}}}, raise_on_error=False)


def test_operator_jobs_in_dagster(synced):
    order_id = _some_order()
    _land_version(order_id, "bad-run", "x")
    _dead_letter("invoice", "555")

    listing = _run("set_aside_list", "list_set_aside", {"what": "both", "status": "open"})
    assert listing.success
    outputs = [e for e in listing.all_events if e.event_type_value == "STEP_OUTPUT"]
    shown = outputs[0].event_specific_data.metadata
    assert shown["quarantine_count"].value == 1 and shown["dead_letter_count"].value == 1

    assert _run("quarantine_skip", "skip_quarantined", {"entity": "orders", "keys": [str(order_id)]}).success
    assert duckdb_rows("SELECT status FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [("skipped",)]
    assert _run("deadletter_skip", "skip_dead_letters", {"entity": "invoice", "keys": ["555"]}).success
    assert _run("deadletter_retry", "retry_dead_letters", {"entity": "invoice", "keys": ["555"]}).success
    assert duckdb_rows("SELECT count(*) FROM ledger.dead_letter") == [(0,)]
    retried = _run("quarantine_retry", "retry_quarantined", {"entity": "orders", "keys": [str(order_id)]})
    assert retried.success
    assert _run("resync_order", "resync_one_order", {"order_id": order_id}).success
    assert duckdb_rows("SELECT count(*) FROM quarantine.records WHERE record_key = ?", [str(order_id)]) == [(0,)]

    unknown = _run("deadletter_retry", "retry_dead_letters", {"entity": "invoice", "keys": ["nope"]})
    assert not unknown.success
    failure = unknown.get_step_failure_events()[0].step_failure_data
    assert "not in the dead-letter table" in (failure.user_failure_data.description or "")
    assert not _run("resync_order", "resync_one_order", {"order_id": 987654321}).success
