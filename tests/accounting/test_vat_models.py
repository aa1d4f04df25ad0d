"""The deltas build an invoice's VAT rounding rows for the VAT model `woofort fortnox calibrate` measured: one
order whose VAT per rate comes out differently under each model (three rows of 1.01 at 25 %: 0.7575 on the sum,
0.2525 on each row; a row of 0.75 at 6 %: an exact half öre, 0.045), built under each, is right under that model
only, and a company never measured gets the invoice of per_rate_sum, half up (docs/accounting.md §3)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.accounting import factory as f
from tests.accounting.helpers import build, fortnox_totals, nonzero, rows, vat_by_rate
from woofort_assets.defs.fortnox.calibration import Measurement, VatModel, store

MODELS = [VatModel(v, h, False) for v in ("per_rate_sum", "per_row") for h in ("up", "even")]


def _order() -> f.Order:
    lines = [f.item(i, Decimal("1.01"), 1, Decimal(25), False, product_id=100 + i) for i in (1, 2, 3)]
    return f.Order(7001, lines + [f.item(4, Decimal("0.75"), 1, Decimal(6), False, product_id=104)])


def _invoice(con, model: VatModel | None) -> dict:
    f.reset(con)
    con.execute("DELETE FROM meta.fortnox_vat_model")
    if model is not None:
        store(con, f.SHOP, Measurement(model, "order", "1", Decimal(0), Decimal(0), None, None, None))
    f.insert_order(con, _order())
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta")
    return inv["payload"]


def _fortnox_vat(payload: dict, model: VatModel) -> dict:
    return vat_by_rate(fortnox_totals(payload, vat_rounding=model.vat_rounding, half_rounding=model.half_rounding))


def test_each_model_gets_rows_that_give_woocommerces_vat_under_it_only(con):
    order = _order()
    built = {m: _invoice(con, m) for m in MODELS}
    for model, payload in built.items():
        assert _fortnox_vat(payload, model) == nonzero(order.tax_by_rate()), model
    # the invoice built for the assumed model is wrong under every other one: the model matters for this order
    assumed = built[MODELS[0]]
    assert all(_fortnox_vat(assumed, m) != nonzero(order.tax_by_rate()) for m in MODELS[1:])
    assert len({json.dumps(p, sort_keys=True, default=str) for p in built.values()}) == len(MODELS)


@pytest.mark.parametrize("rounding", ["per_rate_sum", "per_row"])
def test_per_row_needs_no_rounding_row_where_woocommerce_rounds_per_line_too(con, rounding):
    payload = _invoice(con, VatModel(rounding, "up", False))
    adjust = [r for r in payload["Invoice"]["InvoiceRows"] if r["Description"].startswith("Momsavrundning")]
    # 3 x 0.2525 rounds to 0.75 per row, 0.7575 to 0.76 summed: -0.02 makes 3.01 x 25 % = 0.7525 -> 0.75
    assert [(r["VAT"], Decimal(str(r["Price"]))) for r in adjust] == (
        [(25, Decimal("-0.02"))] if rounding == "per_rate_sum" else [])


def test_never_measured_is_per_rate_sum_half_up(con):
    assert _invoice(con, None) == _invoice(con, VatModel("per_rate_sum", "up", False))
