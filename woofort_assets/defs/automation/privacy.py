"""Personal-data retention as a Dagster job: `privacy_retention` blanks personal fields in raw payloads older than
WOOFORT_PII_RETENTION_DAYS (default 90) through `lib.privacy.apply_retention`, daily at 03:30 store time.

definitions.py adds `privacy_jobs` and `privacy_schedules` (see docs/reliability.md "Personal data")."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.partitions import store_timezone
from woofort_assets.lib.privacy import apply_retention
from woofort_assets.lib.settings import shop_key


@dg.op(pool="duckdb", tags={"woofort/kind": "maintenance"})
def blank_expired_personal_data(context: dg.OpExecutionContext, duckdb: DuckDBResource) -> dg.Output:
    with connect(duckdb.database) as con:
        result = apply_retention(con, shop_key())
    context.log.info(f"retention: {result.total} raw row(s) fetched before {result.cutoff:%Y-%m-%d} blanked")
    return dg.Output(None, metadata={"cutoff": result.cutoff.isoformat(), "rows_blanked": result.total,
                                     **{f"rows/{k}": v for k, v in result.counts.items()}})


@dg.job(name="privacy_retention", tags={"woofort/kind": "maintenance"},
        description="Blank customers' personal data in raw payloads older than WOOFORT_PII_RETENTION_DAYS.")
def privacy_retention_job():
    blank_expired_personal_data()


privacy_retention_schedule = dg.ScheduleDefinition(
    name="privacy_retention_daily", job=privacy_retention_job, cron_schedule="30 3 * * *",
    execution_timezone=store_timezone(), default_status=dg.DefaultScheduleStatus.RUNNING)

privacy_jobs = [privacy_retention_job]
privacy_schedules = [privacy_retention_schedule]
