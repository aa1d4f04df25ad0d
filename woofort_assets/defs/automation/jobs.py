"""Jobs over the whole graph; the partitioned sync job is what `woofort sync` and backfills run.

- `sync`: every daily asset (extraction, staging, deltas, Fortnox sink, reconciliation; not the quarterly OSS
  return, which the accountant materializes per quarter) for a day or a range of days; a range
  launched from the asset graph or `woofort sync` is one run (BackfillPolicy.single_run on the partitioned
  assets); the sink assets are in pool "fortnox" and every DuckDB writer in pool "duckdb".
- `reference_data`: the unpartitioned reference data (customers, tax rates, tax classes) and their staging.
- `fortnox_token_refresh`: one cheap authenticated GET that makes the Fortnox client refresh its token
  (keeps a 45-day refresh token alive even when no sync runs).
Operator jobs (quarantine/dead letter/resync) are in ops.py."""

import dagster as dg

from woofort_assets.defs.reconciliation.oss import OSS_RETURN
from woofort_assets.lib.partitions import daily_partitions
from woofort_assets.resources.fortnox import FortnoxResource

SYNC_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.assets(OSS_RETURN)

sync_job = dg.define_asset_job(
    "sync",
    selection=SYNC_SELECTION,
    partitions_def=daily_partitions(),
    description="Extraction, staging, deltas and the Fortnox sink for a range of days, in one run.",
    # One process for all steps: the DuckDB writers and the sink run one at a time anyway (pools "duckdb" and
    # "fortnox", one DuckDB writer per file), so a process per step (the default executor) only adds a Python
    # start-up per step and extra processes competing for the DuckDB file lock.
    executor_def=dg.in_process_executor,
)

REFERENCE_KEYS = [
    "woocommerce/customers", "woocommerce/tax_rates", "woocommerce/tax_classes",
    "staging/customers", "staging/tax_rates", "staging/tax_classes",
]

reference_job = dg.define_asset_job(
    "reference_data",
    selection=dg.AssetSelection.assets(*(dg.AssetKey.from_user_string(key) for key in REFERENCE_KEYS)),
    description="Refresh WooCommerce customers, tax rates and tax classes and their staging tables.",
)


@dg.op(pool="fortnox", tags={"woofort/kind": "maintenance"})
def fortnox_company_information(context: dg.OpExecutionContext, fortnox: FortnoxResource) -> dg.Output:
    """GET /3/companyinformation: the client refreshes the access token (and so rotates and re-dates the
    refresh token) when needed, under its own token-file lock."""
    info = fortnox.get_client().get("/3/companyinformation")
    name = (info.get("CompanyInformation") or {}).get("CompanyName") if isinstance(info, dict) else None
    context.log.info(f"Fortnox reachable; company {name or '(unnamed)'}")
    return dg.Output(None, metadata={"company": name or ""})


@dg.job(name="fortnox_token_refresh", tags={"woofort/kind": "maintenance"},
        description="Keep the Fortnox token alive: one authenticated GET /3/companyinformation.")
def fortnox_token_refresh_job():
    fortnox_company_information()


jobs = [sync_job, reference_job, fortnox_token_refresh_job]
