"""How `woofort sync` launches its runs (woofort_assets/cli/runs.py), on the repo's dagster.yaml: a sync killed with
SIGKILL while it holds the Fortnox pool slot does not block the next one (which says so in one line); SIGTERM stops
the run and leaves it CANCELED; a run is recorded with the origin of the code location of workspace.yaml; no
telemetry banner nor missing-dagster.yaml warning; the demo has an instance of its own.

The syncs run as the real `python -m woofort_assets.cli sync` subprocess (tests/reliability/harness.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability import harness as H

pytestmark = [pytest.mark.timeout(900)]

FIRST, LAST = "2026-10-01", "2026-10-05"
DEAD_RUN_LINE = "whose process no longer exists"


@pytest.fixture
def sandboxes(tmp_path):
    woo, fortnox = H.start_woo(tmp_path, orders=120, days=10, seed=5), H.start_fortnox()
    yield woo, fortnox
    woo.stop()
    fortnox.stop()


def _home(tmp_path: Path, with_yaml: bool = True) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    if with_yaml:
        shutil.copy(H.REPO / "dagster.yaml", home / "dagster.yaml")
        # The storages exist before a sync starts, as in any home used before: the test polls them while the sync
        # runs, and two processes creating the same SQLite tables at once race ("table ... already exists").
        with _instance(home) as instance:
            instance.event_log_storage.get_concurrency_keys()
    return home


def _env(sandboxes, tmp_path: Path, home: Path, **extra: str) -> dict:
    woo, fortnox = sandboxes
    env = H.pipeline_env(woo, fortnox, tmp_path / "data", extra={"DAGSTER_HOME": str(home), **extra})
    env.pop("DAGSTER_DISABLE_TELEMETRY", None)  # what a user has: nothing that hides Dagster's banner
    return env


def _instance(home: Path):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides={"telemetry": {"enabled": False}}))


def _start(env: dict, logs: Path) -> subprocess.Popen:
    """A sync in a session of its own, its output in files (no pipe to fill, none held open by a child)."""
    env = {**env, "PYTHONFAULTHANDLER": "1"}  # SIGABRT on a hang dumps every thread's stack to the stderr file
    with open(logs / "stdout", "w") as out, open(logs / "stderr", "w") as err:
        return subprocess.Popen(H.sync_cmd(FIRST, LAST), env=env, cwd=H.REPO, stdout=out, stderr=err,
                                start_new_session=True)


def _finish(proc: subprocess.Popen, logs: Path, timeout: float) -> str:
    """Waits for the sync to exit; returns its stderr. On a hang, its stacks are in the assertion message."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGABRT)
        proc.wait(timeout=30)
        # While a step runs, Dagster points fd 2 at the step's compute log: a stack dumped then is there.
        step_errs = "".join(f"\n--- {err}:\n{err.read_text()[-6000:]}"
                            for err in sorted(logs.glob("dagster_home/storage/*/compute_logs/*.err")))
        raise AssertionError(f"the sync did not exit in {timeout} s:\n{(logs / 'stderr').read_text()[-8000:]}"
                             f"{step_errs}")
    return (logs / "stderr").read_text()


def _wait_for_fortnox_slot(home: Path, proc: subprocess.Popen, timeout: float = 240) -> str:
    """Polls the instance until a run holds the `fortnox` pool slot; returns the run id."""
    with _instance(home) as instance:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the sync ended before it took the fortnox slot"
            if "fortnox" in instance.event_log_storage.get_concurrency_keys():
                claimed = instance.event_log_storage.get_concurrency_info("fortnox").claimed_slots
                if claimed:
                    return claimed[0].run_id
            time.sleep(0.1)
    raise AssertionError("no run took the fortnox slot in time")


def test_a_sync_killed_holding_the_fortnox_slot_does_not_block_the_next_one(sandboxes, tmp_path):
    home = _home(tmp_path)
    # A client-side limit of 25 requests per 5 s keeps the first sync in its Fortnox steps long enough to kill it there.
    slow = _start(_env(sandboxes, tmp_path, home, FORTNOX_RATE_LIMIT="25"), tmp_path)
    killed_run = _wait_for_fortnox_slot(home, slow)
    os.killpg(slow.pid, signal.SIGKILL)
    slow.wait()
    with _instance(home) as instance:
        assert instance.get_run_by_id(killed_run).status.value == "STARTED"      # what the dead process left
        assert instance.event_log_storage.get_concurrency_info("fortnox").claimed_slots  # ... and its slot

    started = time.monotonic()
    again = subprocess.run(H.sync_cmd(FIRST, LAST), env=_env(sandboxes, tmp_path, home), cwd=H.REPO,
                           capture_output=True, text=True, timeout=240)  # a hang would wait for ever
    elapsed = time.monotonic() - started
    assert again.returncode in (0, 3), again.stderr[-3000:]
    lines = [line for line in again.stderr.splitlines() if DEAD_RUN_LINE in line]
    assert len(lines) == 1 and killed_run[:8] in lines[0], again.stderr[-3000:]
    assert elapsed < 180, f"the second sync took {elapsed:.0f} s"
    from dagster import RunsFilter
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

    with _instance(home) as instance:
        assert instance.get_run_by_id(killed_run).status.value == "FAILURE"
        assert not instance.event_log_storage.get_concurrency_info("fortnox").claimed_slots
        runs = instance.get_runs()
        assert [run.status.value for run in runs[:1]] == ["SUCCESS"]
        # The run is recorded with the code location of workspace.yaml, so the UI lists it under the sync job.
        latest = runs[0]
        assert latest.job_name == "sync"
        assert latest.remote_job_origin.location_name == "woofort"
        assert latest.remote_job_origin.repository_origin.repository_name == "__repository__"
        # The UI's query for the runs of a job (dagster_graphql GraphenePipeline.resolve_runs) finds it.
        listed = instance.get_runs(RunsFilter(job_name="sync", tags={REPOSITORY_LABEL_TAG: "__repository__@woofort"}))
        assert latest.run_id in {run.run_id for run in listed}
        assert latest.job_code_origin.repository_origin.code_pointer.module == "woofort_assets.definitions"
    # A third sync finds nothing to clean up and says nothing about it.
    third = subprocess.run(H.sync_cmd(FIRST, FIRST), env=_env(sandboxes, tmp_path, home), cwd=H.REPO,
                           capture_output=True, text=True, timeout=240)
    assert third.returncode in (0, 3) and DEAD_RUN_LINE not in third.stderr, third.stderr[-2000:]


@pytest.mark.parametrize("signo, group", [
    (signal.SIGTERM, False),  # to the CLI alone, as `kill PID` or a service manager would
    (signal.SIGINT, True),    # to the whole process group, as Ctrl-C in a terminal does
], ids=["sigterm", "ctrl-c"])
def test_a_stop_signal_ends_the_sync_and_leaves_its_run_canceled(sandboxes, tmp_path, signo, group):
    home = _home(tmp_path)
    proc = _start(_env(sandboxes, tmp_path, home, FORTNOX_RATE_LIMIT="25"), tmp_path)
    run_id = _wait_for_fortnox_slot(home, proc)
    if group:
        os.killpg(proc.pid, signo)
    else:
        proc.send_signal(signo)
    err = _finish(proc, tmp_path, timeout=120)  # under load the run takes its time to stop, never for ever
    assert proc.returncode == 1, err[-3000:]
    assert f"run {run_id} stopped by {signo.name}" in err
    # Ctrl-C also reaches Dagster's compute-log helper (`watch_orphans.py`), which prints its own KeyboardInterrupt.
    assert "Traceback" not in err if not group else "woofort_assets" not in err.split("Traceback", 1)[-1]
    with _instance(home) as instance:
        assert instance.get_run_by_id(run_id).status.value == "CANCELED"
        # Never a failure on the way (the run-failure sensor would alert on it): CANCELING, then CANCELED.
        types = [r.event_log_entry.dagster_event.event_type_value
                 for r in instance.get_records_for_run(run_id).records if r.event_log_entry.dagster_event]
        assert "PIPELINE_FAILURE" not in types and "PIPELINE_CANCELING" in types, types[-10:]
        assert not instance.event_log_storage.get_concurrency_info("fortnox").claimed_slots
    assert subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True).stdout == b""  # no child left


def test_no_telemetry_banner_nor_missing_yaml_warning_with_a_bare_dagster_home(sandboxes, tmp_path):
    home = _home(tmp_path, with_yaml=False)
    result = subprocess.run(H.sync_cmd(FIRST, FIRST), env=_env(sandboxes, tmp_path, home), cwd=H.REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    for text in ("Telemetry", "usage statistics", "No dagster instance configuration file"):
        assert text not in result.stderr and text not in result.stdout
    assert not (home / ".telemetry").exists()
    with _instance(home) as instance:
        (run,) = instance.get_runs()
        assert run.remote_job_origin.location_name == "woofort" and run.job_name == "sync"


def test_the_run_origin_is_the_code_location_of_workspace_yaml():
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    from woofort_assets.cli.runs import job_origins

    (location,) = location_origins_from_yaml_paths([str(H.REPO / "workspace.yaml")])
    remote, python = job_origins("sync")
    assert remote.repository_origin.code_location_origin == location
    assert (location.location_name, location.loadable_target_origin.module_name) == (
        "woofort", "woofort_assets.definitions")
    assert remote.job_name == python.job_name == "sync"


def test_the_demo_has_an_instance_of_its_own(tmp_path, monkeypatch):
    from woofort_assets.cli.demo import _fresh_data_dir

    dev_home = _home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(dev_home))
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "demo"))
    _fresh_data_dir()   # what `woofort demo` does before it starts the sandboxes
    demo_home = Path(os.environ["DAGSTER_HOME"])
    assert demo_home != dev_home
    assert demo_home.parent == tmp_path / "demo"    # wiped with the demo's data
    assert (demo_home / "dagster.yaml").read_text() == (H.REPO / "dagster.yaml").read_text()
    with _instance(demo_home) as demo, _instance(dev_home) as dev:
        assert demo.root_directory != dev.root_directory
