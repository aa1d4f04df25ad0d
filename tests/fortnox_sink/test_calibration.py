"""`woofort fortnox calibrate` against the Fortnox sandbox set to each VAT model (tenant settings vat_rounding,
half_rounding, round_off): the probe finds the model the tenant is set to, stores it with the company, and leaves
nothing behind but a cancelled probe (an order uses no invoice number)."""

from __future__ import annotations

import pytest

from woofort_assets.cli.calibrate import calibrate
from woofort_assets.defs.fortnox.calibration import CalibrationError, VatModel, model_of, stored_model
from woofort_assets.lib.duckdb import connect

MODELS = [VatModel(v, h, r) for v in ("per_rate_sum", "per_row") for h in ("up", "even") for r in (False, True)]


def _set_model(sandbox, model: VatModel) -> None:
    sandbox.state.seed_reference({"settings": {"vat_rounding": model.vat_rounding,
                                               "half_rounding": model.half_rounding, "round_off": model.round_off}})


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.vat_rounding}-{m.half_rounding}-roundoff{m.round_off}")
def test_calibration_finds_the_tenant_model_with_an_order(h, sandbox, model):
    _set_model(sandbox, model)
    measured = calibrate(h.client(), h.db, "default", "order")
    assert measured.model == model
    assert measured.organisation_number == sandbox.state.company["OrganizationNumber"]
    with connect(h.db) as con:
        assert stored_model(con, "default") == model
    state = sandbox.state.dump()
    (probe,) = state["orders"]
    assert probe["Cancelled"] is True and probe["DocumentNumber"] == measured.number
    assert state["invoices"] == []          # no invoice number used


def test_calibration_with_an_invoice_cancels_it_and_the_latest_measurement_counts(h, sandbox):
    _set_model(sandbox, VatModel("per_row", "even", False))
    calibrate(h.client(), h.db, "default", "order")
    _set_model(sandbox, VatModel("per_rate_sum", "even", False))
    measured = calibrate(h.client(), h.db, "default", "invoice")
    assert measured.model == VatModel("per_rate_sum", "even", False)
    (probe,) = sandbox.state.dump()["invoices"]
    assert probe["Cancelled"] is True and probe["Booked"] is False
    with connect(h.db) as con:
        assert stored_model(con, "default") == measured.model
        assert con.execute("SELECT count(*) FROM meta.fortnox_vat_model").fetchone()[0] == 2
        assert stored_model(con, "another-shop") is None


def test_an_answer_that_fits_no_model_stores_nothing():
    with pytest.raises(CalibrationError, match="TotalVAT 0.07"):
        model_of({"TotalVAT": 0.07, "RoundOff": 0, "Net": 1.15})


def _preflight_problems(result) -> str:
    (check,) = result.get_asset_check_evaluations()
    return "" if check.passed else check.metadata["problems"].value


def test_preflight_step_is_off_by_default_and_blocks_on_a_new_model_when_on(h, sandbox, monkeypatch):
    from tests.fortnox_sink.conftest import customer, invoice

    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")])
    _set_model(sandbox, VatModel("per_row", "even", False))
    monkeypatch.setenv("FORTNOX_PREFLIGHT_CALIBRATE", "order")
    blocked = h.materialize(raise_on_error=False)
    assert not blocked.success
    assert "but the pending invoices were built for per_rate_sum, half up" in _preflight_problems(blocked)
    assert h.sql("SELECT count(*) FROM ledger.documents WHERE entity = 'invoice'")[0][0] == 0
    with connect(h.db) as con:
        assert stored_model(con, "default") == VatModel("per_row", "even", False)
    # the next run (its deltas built for the stored model) measures the same model and writes
    assert h.materialize().success
    assert set(h.ledger("invoice")) == {"1"}
    assert len(sandbox.state.dump()["orders"]) == 2
    monkeypatch.setenv("FORTNOX_PREFLIGHT_CALIBRATE", "off")
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(2, "WC1")])
    assert h.materialize().success
    assert len(sandbox.state.dump()["orders"]) == 2          # off: no probe


def test_the_ui_job_measures_and_stores_as_the_command_does(h, sandbox):
    from woofort_assets.defs.automation.ops import fortnox_calibrate_job

    _set_model(sandbox, VatModel("per_row", "up", False))
    result = fortnox_calibrate_job.execute_in_process(
        resources=h.resources(), run_config={"ops": {"calibrate_fortnox": {"config": {"document": "order"}}}})
    assert result.success
    with connect(h.db) as con:
        assert stored_model(con, "default") == VatModel("per_row", "up", False)
    failed = fortnox_calibrate_job.execute_in_process(
        resources=h.resources(), run_config={"ops": {"calibrate_fortnox": {"config": {"document": "offer"}}}},
        raise_on_error=False)
    assert not failed.success
