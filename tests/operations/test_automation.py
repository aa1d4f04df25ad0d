"""Jobs, schedules and sensors of the code location: names, targets, store-timezone partitions, defaults,
and `dagster definitions validate -w workspace.yaml` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from tests.operations.conftest import REPO
from woofort_assets.defs.automation import schedules as sched
from woofort_assets.lib.settings import ConfigError

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
def repo():
    from woofort_assets.definitions import build_definitions

    definitions = build_definitions()
    dg.Definitions.validate_loadable(definitions)
    return definitions.get_repository_def()


def test_names_and_defaults(repo):
    assert {"sync", "reference_data", "fortnox_token_refresh", "set_aside_list", "quarantine_retry",
            "quarantine_skip", "deadletter_retry", "deadletter_skip", "resync_order"} <= set(repo.job_names)
    statuses = {s.name: s.default_status for s in repo.schedule_defs}   # other modules may add more
    assert statuses | {
        "sync_today": dg.DefaultScheduleStatus.STOPPED,
        "sync_close_yesterday": dg.DefaultScheduleStatus.STOPPED,
        "reference_data_daily": dg.DefaultScheduleStatus.RUNNING,
        "fortnox_token_keepalive": dg.DefaultScheduleStatus.RUNNING,
    } == statuses
    for name in ("sync_today", "sync_close_yesterday", "reference_data_daily", "fortnox_token_keepalive"):
        assert repo.get_schedule_def(name).execution_timezone == "Europe/Stockholm"
    assert {s.name for s in repo.sensor_defs} >= {"run_failure_alert", "dead_letter_growth", "fortnox_token_life"}
    assert repo.get_schedule_def("sync_today").cron_schedule == "*/15 * * * *"
    assert repo.get_schedule_def("sync_close_yesterday").cron_schedule == "30 0 * * *"


def test_reference_job_selects_reference_data_and_its_staging(repo):
    job = repo.get_job("reference_data")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert keys == {"woocommerce/customers", "woocommerce/tax_rates", "woocommerce/tax_classes",
                    "staging/customers", "staging/tax_rates", "staging/tax_classes"}
    assert job.partitions_def is None


def test_operator_and_token_jobs_use_pools(repo):
    for name in ("quarantine_retry", "deadletter_retry", "resync_order", "set_aside_list"):
        assert {node.definition.pool for node in repo.get_job(name).nodes_in_topological_order} == {"duckdb"}
    assert [node.definition.pool for node in repo.get_job("fortnox_token_refresh").nodes_in_topological_order] == [
        "fortnox"]


def _context(instance, local: datetime):
    return dg.build_schedule_context(instance=instance, scheduled_execution_time=local)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_sync_today_and_close_yesterday_use_store_days(instance):
    # 00:10 on Oct 6 in Stockholm is still Oct 5 in UTC: the partition is the store's day.
    request = sched.sync_today(_context(instance, datetime(2026, 10, 6, 0, 10, tzinfo=STOCKHOLM)))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-10-06"
    request = sched.sync_close_yesterday(_context(instance, datetime(2026, 10, 6, 0, 30, tzinfo=STOCKHOLM)))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-10-05"
    # 23:30 UTC on Oct 5 is 01:30 on Oct 6 in Stockholm.
    request = sched.sync_today(_context(instance, datetime(2026, 10, 5, 23, 30, tzinfo=ZoneInfo("UTC"))))
    assert request.partition_key == "2026-10-06"


def test_sync_tick_skips_while_the_same_day_is_still_running(instance):
    instance.add_run(DagsterRun(job_name="sync", run_id="a" * 36, status=dg.DagsterRunStatus.STARTED,
                                tags={"dagster/partition": "2026-10-06"}))
    result = sched.sync_today(_context(instance, datetime(2026, 10, 6, 12, 0, tzinfo=STOCKHOLM)))
    assert isinstance(result, dg.SkipReason) and "still queued or running" in result.skip_message
    other_day = sched.sync_close_yesterday(_context(instance, datetime(2026, 10, 6, 0, 30, tzinfo=STOCKHOLM)))
    assert isinstance(other_day, dg.RunRequest)


def test_safe_schedules_skip_while_unconfigured(monkeypatch, instance):
    monkeypatch.delenv("WOOCOMMERCE_URL", raising=False)
    monkeypatch.delenv("FORTNOX_CLIENT_ID", raising=False)
    assert isinstance(sched.reference_data_daily(_context(instance, datetime(2026, 10, 6, 3, 10, tzinfo=STOCKHOLM))),
                      dg.SkipReason)
    assert isinstance(sched.fortnox_token_keepalive(_context(instance, datetime(2026, 10, 6, 4, 20, tzinfo=STOCKHOLM))),
                      dg.SkipReason)
    monkeypatch.setenv("FORTNOX_CLIENT_ID", "x")
    assert isinstance(sched.fortnox_token_keepalive(_context(instance, datetime(2026, 10, 6, 4, 20, tzinfo=STOCKHOLM))),
                      dg.RunRequest)


@pytest.mark.parametrize("value, cron", [("15", "*/15 * * * *"), ("5", "*/5 * * * *"), ("1", "* * * * *"),
                                         ("120", "0 */2 * * *")])
def test_interval_setting(monkeypatch, value, cron):
    monkeypatch.setenv("WOOFORT_SYNC_INTERVAL_MINUTES", value)
    assert sched.interval_cron(sched.sync_interval_minutes()) == cron


@pytest.mark.parametrize("value", ["0", "90", "abc", "-5"])
def test_bad_interval_is_a_config_error(monkeypatch, value):
    monkeypatch.setenv("WOOFORT_SYNC_INTERVAL_MINUTES", value)
    with pytest.raises(ConfigError, match="WOOFORT_SYNC_INTERVAL_MINUTES"):
        sched.sync_interval_minutes()


def test_definitions_validate_with_workspace_yaml(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"), "WOOFORT_DATA_DIR": str(tmp_path / "data"),
           "WOOFORT_TIMEZONE": "Europe/Stockholm", "WOOFORT_SYNC_INTERVAL_MINUTES": "5"}
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    result = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Validation successful" in result.stdout + result.stderr
