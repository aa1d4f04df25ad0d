"""Staging: raw JSON → typed tables holding the latest version of each record, validated by pandera.

Each staging asset restages the raw batches of its window (normally the run that just extracted
them) with the SQL in `sql/staging/`; re-running a partition leaves staging unchanged. Records that
cannot be parsed go to `quarantine.records` with the reason, and the metadata reconciles
fetched = staged + quarantined. The pandera contract checks are blocking: an ERROR stops the
deltas and the Fortnox sink of the same run."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.staging.checks import validate_table
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.partitions import daily_partitions
from woofort_assets.lib.settings import shop_key
from woofort_assets.lib.staging import StagingCounts, stage_batch

# staging asset -> (raw entities it stages, staging tables it validates, upstream extraction assets)
STAGING = {
    "orders": (("orders",), ("orders", "order_lines", "order_coupon_lines", "order_tax_lines"), ("orders",)),
    "refunds": (("refunds",), ("refunds", "refund_lines"), ("orders", "refunds")),
    "products": (("products", "variations"), ("products", "variations"), ("products",)),
    "customers": (("customers",), ("customers",), ("customers",)),
    "tax_rates": (("tax_rates",), ("tax_rates",), ("tax_rates",)),
    "tax_classes": (("tax_classes",), ("tax_classes",), ("tax_classes",)),
}
PARTITIONED = {"orders", "refunds", "products"}
# staging table -> the raw entity whose ids are its first key column (checks of a partitioned asset
# look at the records of its batch only, so their cost follows the day, not the whole history)
KEY_SOURCE = {"orders": "orders", "order_lines": "orders", "order_coupon_lines": "orders",
              "order_tax_lines": "orders", "refunds": "refunds", "refund_lines": "refunds",
              "products": "products", "variations": "variations"}


def batch_run_ids(con, entity: str, run_id: str) -> list[str]:
    """This run's batch when it extracted one, else the latest batch in raw (a staging-only rerun)."""
    if con.execute(f"SELECT count(*) FROM raw.{entity} WHERE run_id = ?", [run_id]).fetchone()[0]:
        return [run_id]
    latest = con.execute(f"SELECT run_id FROM raw.{entity} ORDER BY fetched_at DESC LIMIT 1").fetchall()
    return [row[0] for row in latest]


def batch_keys(con, entity: str, run_ids: list[str]) -> list[int]:
    return [row[0] for row in con.execute(
        f"SELECT DISTINCT TRY_CAST(payload->>'id' AS BIGINT) AS id FROM raw.{entity}"
        " WHERE run_id IN (SELECT unnest($run_ids)) AND id IS NOT NULL", {"run_ids": run_ids}).fetchall()]


def _staging_asset(name: str, entities: Sequence[str], tables: Sequence[str], upstream: Sequence[str]):
    check_specs = [
        spec
        for table in tables
        for spec in (
            dg.AssetCheckSpec(f"{table}_contract", asset=["staging", name], blocking=True,
                              description=f"staging.{table} meets its pandera contract (ERROR)"),
            dg.AssetCheckSpec(f"{table}_oddities", asset=["staging", name],
                              description=f"staging.{table} oddities worth a look (WARN)"),
        )
    ]
    partitioned = name in PARTITIONED

    @dg.asset(
        key=["staging", name],
        deps=[dg.AssetKey(["woocommerce", entity]) for entity in upstream],
        group_name="staging",
        kinds={"duckdb", "pandera"},
        pool="duckdb",
        check_specs=check_specs,
        partitions_def=daily_partitions() if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        description=f"Typed staging tables {', '.join('staging.' + t for t in tables)}.",
    )
    def staging_asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
        shop, totals, per_entity, run_ids = shop_key(), StagingCounts(0, 0, 0), {}, {}
        with connect(duckdb.database) as con:
            for entity in entities:
                run_ids[entity] = batch_run_ids(con, entity, context.run_id)
                for run_id in run_ids[entity]:
                    counts = stage_batch(con, entity, shop, run_id)
                    per_entity[entity] = counts
                    totals = StagingCounts(
                        totals.fetched + counts.fetched,
                        totals.staged + counts.staged,
                        totals.quarantined + counts.quarantined,
                    )
            check_results = [
                result
                for table in tables
                for result in validate_table(
                    con, table, shop,
                    keys=batch_keys(con, KEY_SOURCE[table], run_ids[KEY_SOURCE[table]]) if partitioned else None,
                )
            ]
        if totals.quarantined:
            context.log.warning(f"{totals.quarantined} record(s) quarantined; see quarantine.records")
        yield dg.MaterializeResult(
            metadata={
                "fetched": totals.fetched,
                "staged": totals.staged,
                "quarantined": totals.quarantined,
                "reconciles": totals.fetched == totals.staged + totals.quarantined,
                **{f"{entity}/{key}": value for entity, counts in per_entity.items()
                   for key, value in counts.as_metadata().items()},
            },
            check_results=check_results,
        )

    return staging_asset


assets = [_staging_asset(name, *spec) for name, spec in STAGING.items()]
