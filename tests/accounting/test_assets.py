"""The delta assets materialize against a DuckDB file through the duckdb resource, with row counts."""

from __future__ import annotations

from decimal import Decimal as D

import dagster as dg
from dagster_duckdb import DuckDBResource

from tests.accounting import factory as f
from woofort_assets.defs.deltas.assets import assets
from woofort_assets.lib.duckdb import connect
from woofort_assets.resources.vies import ViesResource


def test_delta_assets_materialize_with_row_counts(tmp_path, monkeypatch):
    db = tmp_path / "woofort.duckdb"
    monkeypatch.setenv("WOOFORT_START_DATE", "2026-10-01")
    monkeypatch.delenv("WOOFORT_MAPPING", raising=False)
    with connect(db) as con:
        f.insert_tax_rates(con)
        o = f.Order(1001, [f.item(1, D("100.00"), 2, D(25), False), f.charge(2, "shipping", D("49"), D(25))])
        o.refunds = [f.refund_of(o, 7001, [(2, D(1))])]
        f.insert_order(con, o)
        f.insert_order(con, f.Order(1002, [f.item(1, D("10"), 1, D(6), False)], status="pending"))
    (deltas,) = assets   # one step builds them all: the shared order pricing runs once
    keys = {spec.key.to_user_string() for spec in deltas.specs}
    assert keys == {f"deltas/{n}" for n in ("article_delta", "price_delta", "stock_delta", "customer_delta",
                                            "invoice_delta", "credit_delta", "payment_delta",
                                            "daily_voucher_delta", "fee_voucher_delta")}
    for spec in deltas.specs:
        assert spec.group_name == "deltas" and set(spec.kinds) == {"duckdb"}
    assert deltas.op.pool == "duckdb" and deltas.can_subset
    result = dg.materialize(assets, resources={"duckdb": DuckDBResource(database=str(db)), "vies": ViesResource()})
    assert result.success
    counts = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        counts[mat.asset_key.to_user_string()] = mat.metadata["dagster/row_count"].value
        assert "preview" in mat.metadata
    assert counts["deltas/invoice_delta"] == 1 and counts["deltas/customer_delta"] == 1
    # the invoice is created in the same run; the sink sends it before the credit that refers to it
    assert counts["deltas/credit_delta"] == 1 and counts["deltas/payment_delta"] == 2
    inv_mat = next(e.event_specific_data.materialization for e in result.get_asset_materialization_events()
                   if e.event_specific_data.materialization.asset_key.to_user_string() == "deltas/invoice_delta")
    assert inv_mat.metadata["invoice_exclusions_reasons"].value == {"status_not_trigger": 1}


def test_one_delta_materializes_alone(tmp_path, monkeypatch):
    db = tmp_path / "woofort.duckdb"
    monkeypatch.setenv("WOOFORT_START_DATE", "2026-10-01")
    monkeypatch.delenv("WOOFORT_MAPPING", raising=False)
    with connect(db) as con:
        f.insert_tax_rates(con)
        f.insert_order(con, f.Order(1001, [f.item(1, D("100.00"), 2, D(25), False)]))
    result = dg.materialize(assets, selection=["deltas/invoice_delta"],
                            resources={"duckdb": DuckDBResource(database=str(db)), "vies": ViesResource()})
    assert result.success
    done = {e.event_specific_data.materialization.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()}
    assert done == {"deltas/invoice_delta"}
    with connect(db) as con:
        built = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'deltas'")
                 .fetchall()}
    assert "invoice_delta" in built and "customer_delta" not in built
