"""Alerts. Each one logs, and posts `{"text": ...}` to WOOFORT_ALERT_WEBHOOK_URL when it is set
(lib/notify.py; secrets are scrubbed from the text). They only read, so they start RUNNING.

- run_failure_alert: any run of this code location failed (job, run id, partition, first error line).
- dead_letter_growth: every 5 minutes, compares the number of open dead letters with the previous
  evaluation (kept in the sensor cursor) and alerts when it grew, naming the new records.
- fortnox_token_life: every hour, reads the token file the Fortnox client writes
  (lib/fortnox_token.py, never printing a token) and alerts when the refresh token has under
  WOOFORT_TOKEN_WARN_DAYS (default 10) days of its 45 left, has expired, or the client marked it
  as needing `woofort fortnox connect`. Repeated at most once a day per condition."""

from __future__ import annotations

import json
import time

import dagster as dg

from woofort_assets.defs.fortnox.engine.queries import dead_letters
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.fortnox_token import REFRESH_TOKEN_LIFETIME_SECONDS
from woofort_assets.lib.fortnox_token_pg import token_store
from woofort_assets.lib.notify import notify
from woofort_assets.lib.settings import data_dir, duckdb_path, shop_key, token_warn_days

REPEAT_SECONDS = 24 * 3600


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING,
                       minimum_interval_seconds=30,
                       description="Posts an alert for every failed run (WOOFORT_ALERT_WEBHOOK_URL).")
def run_failure_alert(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    partition = run.tags.get("dagster/partition") or (
        f"{run.tags['dagster/asset_partition_range_start']}..{run.tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in run.tags else None)
    message = (context.failure_event.message or "").strip().splitlines()
    text = (f":red_circle: woofort run failed: job `{run.job_name}`"
            + (f" partition {partition}" if partition else "")
            + f", run {run.run_id}" + (f"\n{message[0][:500]}" if message else ""))
    context.log.info(text)
    notify(text)


def dead_letter_alert(previous: int | None, rows: list[tuple[str, str, str]]) -> str | None:
    """The alert text when the open dead-letter count grew since the previous evaluation, else None."""
    count = len(rows)
    if previous is None or count <= previous:
        return None
    newest = "\n".join(f"• {entity} {key}: {message[:160]}" for entity, key, message in rows[: min(10, count - previous)])
    return (f":warning: woofort dead letters grew from {previous} to {count} open (shop {shop_key()}). "
            f"Newest:\n{newest}\nSee `woofort deadletter list`.")


@dg.sensor(name="dead_letter_growth", minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Alerts when the number of open dead letters (ledger.dead_letter) grew since the last check.")
def dead_letter_growth(context: dg.SensorEvaluationContext):
    path = duckdb_path()
    if not path.exists():
        return dg.SkipReason(f"no DuckDB file yet at {path}")
    with connect(path) as con:
        rows = [(r["entity"], r["source_key"], r["error_message"]) for r in dead_letters(con, shop_key(), "open")]
    previous = int(context.cursor) if context.cursor not in (None, "") else None
    context.update_cursor(str(len(rows)))
    text = dead_letter_alert(previous, rows)
    if text is None:
        return dg.SkipReason(f"{len(rows)} open dead letters (previously {previous if previous is not None else 'unknown'})")
    context.log.warning(text)
    notify(text)
    return dg.SkipReason(f"alerted: open dead letters {previous} -> {len(rows)}")


def token_condition(data: dict, now: float, warn_days: float) -> tuple[str, str] | None:
    """(condition, text) when the Fortnox token needs attention, else None. Never includes a token."""
    refresh = data.get("refresh") or {}
    if not refresh:
        return None   # service account (client credentials: no refresh token to expire) or not connected
    if refresh.get("needs_connect"):
        return "needs_connect", (f":red_circle: Fortnox is not connected: {refresh['needs_connect']}. "
                                 "Run `woofort fortnox connect`.")
    issued = refresh.get("refresh_issued_at")
    if not refresh.get("refresh_token") or not issued:
        return "no_refresh_token", ":red_circle: no Fortnox refresh token is stored. Run `woofort fortnox connect`."
    left_days = (float(issued) + REFRESH_TOKEN_LIFETIME_SECONDS - now) / 86400
    if left_days <= 0:
        return "expired", ":red_circle: the Fortnox refresh token has expired. Run `woofort fortnox connect`."
    if left_days < warn_days:
        return "expiring", (f":warning: the Fortnox refresh token has {left_days:.1f} days left (warning under "
                            f"{warn_days:g}). Is the fortnox_token_keepalive schedule running? A successful "
                            "Fortnox call renews it; otherwise run `woofort fortnox connect`.")
    return None


@dg.sensor(name="fortnox_token_life", minimum_interval_seconds=3600, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Alerts when the stored Fortnox refresh token has under WOOFORT_TOKEN_WARN_DAYS "
                       "(default 10) days left or is gone.")
def fortnox_token_life(context: dg.SensorEvaluationContext):
    store = token_store(data_dir())
    if not store.exists():
        return dg.SkipReason("no Fortnox token stored yet")
    now = time.time()
    found = token_condition(store.read(), now, token_warn_days())
    state = json.loads(context.cursor) if context.cursor else {}
    if found is None:
        context.update_cursor(json.dumps({}))
        return dg.SkipReason("Fortnox token OK")
    condition, text = found
    if state.get("condition") == condition and now - float(state.get("at", 0)) < REPEAT_SECONDS:
        return dg.SkipReason(f"already alerted: {condition}")
    context.update_cursor(json.dumps({"condition": condition, "at": now}))
    context.log.warning(text)
    notify(text)
    return dg.SkipReason(f"alerted: {condition}")


sensors = [run_failure_alert, dead_letter_growth, fortnox_token_life]
