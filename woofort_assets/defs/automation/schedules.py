"""Schedules, all in the store's timezone (lib.partitions.store_timezone(), as the daily partitions).

| schedule                   | cron (store time)          | target                 | default |
|----------------------------|----------------------------|------------------------|---------|
| sync_today                 | every N minutes (env       | sync, today's day      | STOPPED |
|                            | WOOFORT_SYNC_INTERVAL_MINUTES, default 15) |        |         |
| sync_close_yesterday       | 00:30 daily                | sync, yesterday's day  | STOPPED |
| reference_data_daily       | 03:10 daily                | reference_data         | RUNNING |
| fortnox_token_keepalive    | 04:20 daily                | fortnox_token_refresh  | RUNNING |

The two sync schedules write to Fortnox, so an operator starts them once the mapping and a dry run look
right. Reference data only reads the shop and writes DuckDB, and the token keep-alive is one GET that
must happen even when nothing else runs (a refresh token dies after 45 days unused): both are safe to
run from the start, and both skip (no run) while their service is not configured.
A sync tick is skipped while a sync run for the same day is still queued or running, so a slow run never
piles up behind itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from woofort_assets.defs.automation.jobs import fortnox_token_refresh_job, reference_job, sync_job
from woofort_assets.lib.partitions import store_timezone
from woofort_assets.lib.settings import is_set, sync_interval_minutes

PARTITION_TAG = "dagster/partition"
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def interval_cron(minutes: int) -> str:
    if minutes < 60:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    return f"0 */{minutes // 60} * * *"


def _store_day(context: dg.ScheduleEvaluationContext, days_back: int = 0) -> str:
    moment = context.scheduled_execution_time or datetime.now(ZoneInfo(store_timezone()))
    local = moment.astimezone(ZoneInfo(store_timezone()))
    return (local - timedelta(days=days_back)).date().isoformat()


def _active_sync(context: dg.ScheduleEvaluationContext, day: str) -> bool:
    runs = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=sync_job.name, statuses=ACTIVE, tags={PARTITION_TAG: day}), limit=1)
    return bool(runs)


def _sync_request(context: dg.ScheduleEvaluationContext, day: str, why: str):
    if _active_sync(context, day):
        return dg.SkipReason(f"a sync run for {day} is still queued or running")
    stamp = (context.scheduled_execution_time or datetime.now()).isoformat(timespec="minutes")
    return dg.RunRequest(run_key=f"{why}-{day}-{stamp}", partition_key=day, tags={"woofort/schedule": why})


@dg.schedule(job=sync_job, cron_schedule=interval_cron(sync_interval_minutes()), execution_timezone=store_timezone(),
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Keeps today's partition current: sync of today's day every N minutes "
                         "(WOOFORT_SYNC_INTERVAL_MINUTES, default 15).")
def sync_today(context: dg.ScheduleEvaluationContext):
    return _sync_request(context, _store_day(context), "sync_today")


@dg.schedule(job=sync_job, cron_schedule="30 0 * * *", execution_timezone=store_timezone(),
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Closes yesterday: one more sync of yesterday's day at 00:30 store time, catching "
                         "changes made between the last sync_today tick and midnight.")
def sync_close_yesterday(context: dg.ScheduleEvaluationContext):
    return _sync_request(context, _store_day(context, days_back=1), "sync_close_yesterday")


@dg.schedule(job=reference_job, cron_schedule="10 3 * * *", execution_timezone=store_timezone(),
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Refreshes customers, tax rates and tax classes (and their staging) daily.")
def reference_data_daily(context: dg.ScheduleEvaluationContext):
    if not is_set("WOOCOMMERCE_URL"):
        return dg.SkipReason("WOOCOMMERCE_URL is not set: the shop is not configured yet")
    return dg.RunRequest(tags={"woofort/schedule": "reference_data_daily"})


@dg.schedule(job=fortnox_token_refresh_job, cron_schedule="20 4 * * *", execution_timezone=store_timezone(),
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Daily authenticated Fortnox call: the client refreshes the token when needed, so the "
                         "45-day refresh token is renewed long before it runs out even when no sync runs.")
def fortnox_token_keepalive(context: dg.ScheduleEvaluationContext):
    if not is_set("FORTNOX_CLIENT_ID"):
        return dg.SkipReason("FORTNOX_CLIENT_ID is not set: Fortnox is not configured yet")
    return dg.RunRequest(tags={"woofort/schedule": "fortnox_token_keepalive"})


schedules = [sync_today, sync_close_yesterday, reference_data_daily, fortnox_token_keepalive]
