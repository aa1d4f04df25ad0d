"""dagster.yaml and dagster-postgres.yaml: every key is valid for the installed dagster's instance schema,
and the local one loads as a real instance with the settings the operations docs promise."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config_schema, validate_concurrency_config

from tests.operations.conftest import REPO


def _validate(path):
    config = yaml.safe_load(path.read_text())
    result = validate_config(dagster_instance_config_schema(), config)
    assert result.success, [error.message for error in result.errors]
    validate_concurrency_config(config)
    return config


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster-postgres.yaml"])
def test_every_key_is_in_the_instance_schema(name):
    config = _validate(REPO / name)
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    assert config["run_retries"]["enabled"] is True
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_local_instance_loads_with_sqlite_queue_pools_and_monitoring(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert str(instance.root_directory) == str(tmp_path)
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings.get("free_slots_after_run_end_seconds") == 300  # read by the daemon
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        settings = instance.get_concurrency_config()
        assert settings.pool_config.default_pool_limit == 1
        assert settings.pool_config.pool_granularity.value == "op"
        assert settings.run_queue_config.max_concurrent_runs == 4


def test_dagster_instance_info_accepts_the_file(tmp_path):
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "dagster", "instance", "info"], capture_output=True, text=True,
                            env=env, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SqliteRunStorage" in result.stdout and "max_concurrent_runs: 4" in result.stdout
