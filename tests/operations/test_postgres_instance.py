"""The code location on a dagster-postgres instance (dagster-postgres.yaml, a fresh database on a real
PostgreSQL server): a partitioned sync of one day against the WooCommerce sandbox and an operator job run
on it, and their runs and events are read back from PostgreSQL with psycopg2 and through the instance API."""

from __future__ import annotations

import dagster as dg

from tests.conftest import duckdb_rows
from tests.operations.conftest import REPO

DAY = "2026-10-03"


def test_runs_and_events_live_in_postgres(postgres_database, woofort_env, tmp_path, monkeypatch):
    import psycopg2

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster-postgres.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, key in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password"),
                      ("DB", "dbname")):
        monkeypatch.setenv(f"DAGSTER_PG_{name}", str(postgres_database[key]))

    from woofort_assets.definitions import build_definitions

    defs = build_definitions()
    graph = defs.get_repository_def().asset_graph
    extraction = [n.key for n in graph.asset_nodes if n.group_name in ("woocommerce", "staging")]
    sync_day = dg.define_asset_job("sync_extraction", selection=dg.AssetSelection.assets(*extraction),
                                   partitions_def=defs.resolve_job_def("sync").partitions_def)
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[sync_day]))

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1

        result = defs.resolve_job_def("sync_extraction").execute_in_process(
            instance=instance, partition_key=DAY, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        assert result.success
        listing = defs.resolve_job_def("set_aside_list").execute_in_process(instance=instance)
        assert listing.success

        # Through the instance API ...
        record = instance.get_run_record_by_id(result.run_id)
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert record.dagster_run.tags["dagster/partition"] == DAY
        latest = instance.get_latest_materialization_event(dg.AssetKey(["staging", "orders"]))
        assert latest is not None and latest.run_id == result.run_id
        assert latest.asset_materialization.partition == DAY

    # ... and straight from PostgreSQL.
    with psycopg2.connect(**postgres_database) as con, con.cursor() as cur:
        cur.execute("SELECT run_id, status FROM runs ORDER BY create_timestamp")
        runs = dict(cur.fetchall())
        assert runs == {result.run_id: "SUCCESS", listing.run_id: "SUCCESS"}
        cur.execute("SELECT asset_key, partition FROM event_logs WHERE run_id = %s "
                    "AND dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY asset_key", (result.run_id,))
        materialized = cur.fetchall()
        assert ('["staging", "orders"]', DAY) in materialized and ('["woocommerce", "orders"]', DAY) in materialized
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'STEP_SUCCESS'",
                    (listing.run_id,))
        assert cur.fetchone()[0] == 1
    assert duckdb_rows("SELECT count(*) FROM staging.orders")[0][0] > 0
