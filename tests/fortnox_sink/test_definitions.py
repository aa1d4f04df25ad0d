"""The sink's definitions: keys, lineage, group, kinds, pool, and the blocking preflight check."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.fortnox.definitions import defs
from woofort_assets.resources.fortnox import FortnoxResource

EXPECTED_DEPS = {
    "fortnox/preflight": {"deltas/article_delta", "deltas/price_delta", "deltas/stock_delta", "deltas/customer_delta",
                          "deltas/invoice_delta", "deltas/credit_delta", "deltas/payment_delta",
                          "deltas/fee_voucher_delta", "deltas/daily_voucher_delta"},
    "fortnox/articles": {"fortnox/preflight", "deltas/article_delta", "deltas/price_delta"},
    "fortnox/customers": {"fortnox/preflight", "deltas/customer_delta"},
    "fortnox/invoices": {"fortnox/preflight", "deltas/invoice_delta", "fortnox/articles", "fortnox/customers"},
    "fortnox/credit_invoices": {"fortnox/preflight", "deltas/credit_delta", "fortnox/invoices"},
    "fortnox/invoice_payments": {"fortnox/preflight", "deltas/payment_delta", "fortnox/invoices",
                                 "fortnox/credit_invoices"},
    "fortnox/stock": {"fortnox/preflight", "deltas/stock_delta", "fortnox/invoices"},
    "fortnox/fee_vouchers": {"fortnox/preflight", "deltas/fee_voucher_delta"},
    "fortnox/daily_vouchers": {"fortnox/preflight", "deltas/daily_voucher_delta"},
}


def test_asset_graph(tmp_path):
    wired = dg.Definitions.merge(defs, dg.Definitions(resources={
        "duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb")),
        "fortnox": FortnoxResource(client_id="x", client_secret="y", tenant_id="1", data_dir=str(tmp_path))}))
    dg.Definitions.validate_loadable(wired)
    graph = wired.resolve_asset_graph()
    for key, deps in EXPECTED_DEPS.items():
        node = graph.get(dg.AssetKey.from_user_string(key))
        assert {d.to_user_string() for d in node.parent_keys} == deps, key
        assert node.group_name == "fortnox"
        assert "fortnox" in node.kinds
        assert node.pools == {"fortnox"}
    checks = {k.name for k in graph.asset_check_keys}
    assert checks == {"fortnox_ready"}
    from woofort_assets.defs.fortnox.preflight import fortnox_preflight

    specs = list(fortnox_preflight.check_specs)
    assert len(specs) == 1 and specs[0].blocking and specs[0].name == "fortnox_ready"
