"""Backfills: a range of days is one run (BackfillPolicy.single_run on every daily asset; a quarter's OSS return is
one run per quarter, since it reports one quarter), writers sit in their
pools, and running the same days again changes nothing downstream of raw: staging is identical and, once the
Fortnox sink is part of the code location, not one row is added to ledger.documents."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.conftest import FINNISH_RATES, duckdb_rows, sync_range

DAYS = ("2026-10-01", "2026-10-04")
STAGING_TABLES = ("orders", "order_lines", "refunds", "products", "variations", "customers", "tax_rates",
                  "tax_classes")


@pytest.fixture(scope="module")
def asset_graph():
    from woofort_assets.definitions import build_definitions

    return build_definitions().get_repository_def().asset_graph


def test_partitioned_assets_backfill_as_one_run_and_writers_use_pools(asset_graph):
    partitioned = [node for node in asset_graph.asset_nodes if node.partitions_def is not None]
    assert {n.key.to_user_string() for n in partitioned} >= {"woocommerce/orders", "staging/orders"}
    for node in partitioned:
        quarterly = node.key == dg.AssetKey(["reconciliation", "oss_return"])
        expected = dg.BackfillPolicy.multi_run(1) if quarterly else dg.BackfillPolicy.single_run()
        assert node.backfill_policy == expected, node.key
    for node in asset_graph.asset_nodes:
        group = node.group_name
        if group in ("woocommerce", "staging"):
            assert node.pools == {"duckdb"}, node.key
        if group == "fortnox" and node.is_executable:
            assert "fortnox" in node.pools, node.key


def _fingerprint() -> dict[str, tuple]:
    return {table: duckdb_rows(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM staging.{table} t")[0]
            for table in STAGING_TABLES}


def _has_sink(asset_graph) -> bool:
    return any(node.group_name == "fortnox" for node in asset_graph.asset_nodes)


def test_second_backfill_over_the_same_days_writes_nothing_new(woofort_env, monkeypatch, asset_graph):
    fortnox = None
    if _has_sink(asset_graph):   # the whole graph needs Fortnox: its sandbox on loopback
        from woofort_assets.cli.sandbox import FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, FORTNOX_TENANT
        from woofort_sandboxes.fortnox import FortnoxSandbox

        fortnox = FortnoxSandbox(port=0, rate_limit=100000, clients={FORTNOX_CLIENT_ID: FORTNOX_CLIENT_SECRET},
                                 tenant_id=FORTNOX_TENANT).start()
        fortnox.state.seed_reference({"settings": {"foreign_vat_rates": list(FINNISH_RATES)}})   # the shop's FI sales
        for key, value in dict(FORTNOX_API_URL=fortnox.api_url, FORTNOX_AUTH_URL=fortnox.auth_url,
                               FORTNOX_CLIENT_ID=FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET=FORTNOX_CLIENT_SECRET,
                               FORTNOX_TENANT_ID=FORTNOX_TENANT).items():
            monkeypatch.setenv(key, value)
    try:
        first = sync_range(*DAYS)
        assert first.success
        partitions = {e.partition for e in first.all_events if e.is_step_materialization
                      and e.asset_key == dg.AssetKey(["woocommerce", "orders"])}
        assert partitions == {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"}   # 4 days, one run
        staged = _fingerprint()
        assert staged["orders"][0] > 0
        ledger = duckdb_rows("SELECT count(*), coalesce(sum(hash(d.payload_hash)), 0) FROM ledger.documents d")[0]
        raw_before = duckdb_rows("SELECT count(*) FROM raw.orders")[0][0]
        if fortnox is not None:
            assert ledger[0] > 0, "the first run booked nothing in Fortnox: the idempotence check would be empty"
            invoices_in_fortnox = len(fortnox.state["invoices"])
            assert invoices_in_fortnox > 0

        second = sync_range(*DAYS)
        assert second.success
        assert duckdb_rows("SELECT count(*) FROM raw.orders")[0][0] == 2 * raw_before   # raw keeps every fetch
        assert _fingerprint() == staged                                                # staging unchanged
        assert duckdb_rows("SELECT count(*) FROM quarantine.records WHERE status = 'open'")[0][0] == \
            duckdb_rows("SELECT count(*) FROM quarantine.records")[0][0]
        after = duckdb_rows("SELECT count(*), coalesce(sum(hash(d.payload_hash)), 0) FROM ledger.documents d")[0]
        assert after == ledger            # 0 rows added to (or changed in) the ledger by the second run
        if fortnox is not None:
            assert len(fortnox.state["invoices"]) == invoices_in_fortnox   # no new invoice in the sandbox
            writes = [e for e in second.all_events if e.is_step_materialization
                      and e.asset_key and e.asset_key.path[0] == "fortnox"]
            for event in writes:
                metadata = event.step_materialization_data.materialization.metadata
                if "delta_rows" in metadata and not metadata.get("dead_letter_open", dg.MetadataValue.int(0)).value:
                    assert set(metadata["delta_rows"].value.values()) <= {0}, (event.asset_key, metadata["delta_rows"])
    finally:
        if fortnox is not None:
            fortnox.stop()
