"""The reconciliation assets in the code location: keys, lineage, group, pools, checks."""

import dagster as dg

from tests.reconciliation.test_books import CHECK_NAMES


def test_reconciliation_assets_in_the_code_location():
    from woofort_assets.definitions import build_definitions

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    mirror = graph.get(dg.AssetKey(["fortnox", "mirror"]))
    books = graph.get(dg.AssetKey(["reconciliation", "books"]))
    assert {k.to_user_string() for k in mirror.parent_keys} == {"fortnox/invoices", "fortnox/credit_invoices",
                                                                "fortnox/invoice_payments"}
    assert {"fortnox/mirror", "deltas/invoice_delta", "deltas/payment_delta"} <= {
        k.to_user_string() for k in books.parent_keys}
    assert mirror.group_name == books.group_name == "reconciliation"
    assert mirror.pools == {"fortnox"} and books.pools == {"duckdb"}
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == books.key}
    assert checks == set(CHECK_NAMES)
    # part of the sync job, so every `woofort sync` reconciles
    assert dg.AssetKey(["reconciliation", "books"]) in defs.resolve_job_def("sync").asset_layer.executable_asset_keys
