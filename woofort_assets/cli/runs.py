"""How the CLI launches a run: on the right instance, recorded where the UI shows it, and never leaving a dead run
holding a pool slot.

Why this module exists (issue 15, items 2 and 4):

- **The instance.** `DAGSTER_HOME` when set, else an ephemeral one. Whatever the folder holds, the CLI prints no
  Dagster telemetry banner (telemetry is disabled by an override) and no "No dagster instance configuration file"
  warning (Dagster's defaults are what a bare folder means; a sync has nothing to add).
- **Dead runs.** With the repo's `dagster.yaml` (pools `fortnox`/`duckdb` of 1 slot, `granularity: op`), a sync
  killed with SIGKILL keeps its slot, and only the run-monitoring daemon frees it. `woofort sync` does not run that
  daemon, so before each launch `sweep_dead_runs` finds the runs of this instance whose process is gone (STARTED,
  STARTING, CANCELING — and NOT_STARTED ones the CLI created — launched on this machine), marks them failed
  (cancelled if they were cancelling), frees their slots (and those of runs ended longer ago than run monitoring
  would wait), and says so in one line.
  "On this machine": runs the CLI created carry `woofort/host` and `woofort/pid`; other runs are judged only on
  a SQLite instance (one machine by construction) from the pid Dagster records on the run's events.
- **Signals.** SIGINT and SIGTERM interrupt Dagster's in-process execution and leave the run CANCELED
  (cli/signals.py); the CLI then stops (`RunCanceled`, a KeyboardInterrupt).
- **The origin.** The run is created with the origin of the code location in `workspace.yaml` (location
  `woofort`, module `woofort_assets.definitions`, repository `__repository__`), so the UI lists it under its job
  and its checks and partitions show on the asset pages. It executes in this process (`execute_run`), never
  queued: the repo's `dagster.yaml` has a QueuedRunCoordinator, and without a daemon a queued run would wait for
  ever. The definitions are the ones the caller built from the current environment (`InMemoryJob`), not a
  re-import, because tests and the demo change the environment between runs of one process.
- **Progress.** `launch(..., on_start=f)` calls `f(instance, run_id)` once the run exists and before it starts;
  when `f` returns a context manager, the execution runs inside it (cli/progress.py's `watch`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.code_pointer import CodePointer
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.execution.api import create_execution_plan, execute_run
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.storage.dagster_run import FINISHED_STATUSES
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load import location_origins_from_yaml_paths

from woofort_assets.cli.signals import cancel_on_signals
from woofort_assets.lib.processes import process_alive
from woofort_assets.lib.settings import CHECKOUT_DIR, dagster_home

LOCATION_NAME = "woofort"
DEFINITIONS_MODULE = "woofort_assets.definitions"
DEFINITIONS_ATTRIBUTE = "defs"
REPOSITORY_NAME = "__repository__"  # what Dagster names the repository of a module's `Definitions`
WORKSPACE_YAML = CHECKOUT_DIR / "workspace.yaml"
HOST_TAG, PID_TAG = "woofort/host", "woofort/pid"
NO_TELEMETRY = {"telemetry": {"enabled": False}}
_MISSING_YAML = "No dagster instance configuration file"


class RunCanceled(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the run; it is marked CANCELED. A KeyboardInterrupt, so `woofort` exits 1."""


@dataclass
class RunResult:
    """What `run_sync` reads of a finished run (the attributes it used of `execute_in_process`'s result)."""

    run_id: str
    success: bool
    status: dg.DagsterRunStatus
    all_events: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- the instance
class _NoMissingYamlWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _MISSING_YAML not in record.getMessage()


def open_instance() -> dg.DagsterInstance:
    """The instance under `DAGSTER_HOME` (telemetry off, no warning about a missing dagster.yaml), else an
    ephemeral one. Use it as a context manager."""
    home = dagster_home()
    if home is None:
        return dg.DagsterInstance.ephemeral()
    quiet = _NoMissingYamlWarning()
    logger = logging.getLogger("dagster")
    logger.addFilter(quiet)
    try:
        ref = InstanceRef.from_dir(str(home), overrides=NO_TELEMETRY)
    finally:
        logger.removeFilter(quiet)
    return dg.DagsterInstance.from_ref(ref)


# ------------------------------------------------------------------------------------------------- the origin
def code_location_origin():
    """The origin the webserver and daemon give the location of `workspace.yaml` (read from it in a checkout;
    the same by hand for an installed woofort, which has no workspace.yaml)."""
    if WORKSPACE_YAML.is_file():
        for origin in location_origins_from_yaml_paths([str(WORKSPACE_YAML)]):
            if origin.location_name == LOCATION_NAME:
                return origin
    return ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE),
        location_name=LOCATION_NAME)


def job_origins(job_name: str):
    """(remote job origin, python job origin) of `job_name` in the code location."""
    location = code_location_origin()
    remote = RemoteRepositoryOrigin(code_location_origin=location, repository_name=REPOSITORY_NAME)
    target = location.loadable_target_origin
    pointer = CodePointer.from_module(DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE, target.working_directory)
    python = RepositoryPythonOrigin(executable_path=target.executable_path or sys.executable, code_pointer=pointer)
    return remote.get_job_origin(job_name), JobPythonOrigin(job_name, python)


# -------------------------------------------------------------------------------------------------- dead runs
@dataclass(frozen=True)
class DeadRun:
    run_id: str
    status: str
    pid: int | None


def _recorded_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid Dagster recorded for the process executing the run: its RUN_START event's, else an engine
    event's `pid` metadata (`dagster api execute_run` reports one before the run starts)."""
    records = instance.get_records_for_run(run_id, of_type={dg.DagsterEventType.RUN_START}, limit=1).records
    if records and records[0].event_log_entry.dagster_event and records[0].event_log_entry.dagster_event.pid:
        return records[0].event_log_entry.dagster_event.pid
    for record in instance.get_records_for_run(run_id, of_type={dg.DagsterEventType.ENGINE_EVENT}).records:
        event = record.event_log_entry.dagster_event
        metadata = (getattr(event.event_specific_data, "metadata", None) if event else None) or {}
        if "pid" in metadata:
            return int(metadata["pid"].value)
    return None


def _local_instance(instance: dg.DagsterInstance) -> bool:
    """Runs not created by the CLI are judged only when their processes must be on this machine: SQLite storage
    and the default run launcher."""
    storage = getattr(instance.run_storage, "_storage", instance.run_storage)
    storage = getattr(storage, "run_storage", storage)
    return isinstance(storage, SqliteRunStorage) and isinstance(instance.run_launcher, DefaultRunLauncher)


def find_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    if instance.is_ephemeral:
        return []
    host, local = socket.gethostname(), _local_instance(instance)
    statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING,
                dg.DagsterRunStatus.NOT_STARTED]
    dead = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=statuses)):
        run = record.dagster_run
        if run.tags.get(HOST_TAG) is not None:
            if run.tags[HOST_TAG] != host:
                continue
            pid = int(run.tags[PID_TAG])
        elif local and run.status != dg.DagsterRunStatus.NOT_STARTED:
            pid = _recorded_pid(instance, run.run_id)
            if pid is None:
                continue  # not started yet: the daemon's start timeout is the judge
        else:
            continue
        if not process_alive(pid, record.create_timestamp.timestamp()):
            dead.append(DeadRun(run.run_id, run.status.value, pid))
    return dead


def sweep_dead_runs(instance: dg.DagsterInstance, out=sys.stderr) -> list[DeadRun]:
    """Marks the dead runs failed (cancelled when they were cancelling) and frees their pool slots, frees the slots
    of runs that ended longer ago than run monitoring would wait (`free_slots_after_run_end_seconds`, else 300 s:
    a run marked ended while its process still finishes a step keeps its slot until then), and prints one line
    when there was anything to do."""
    dead = find_dead_runs(instance)
    storage = instance.event_log_storage
    slots = not instance.is_ephemeral and storage.supports_global_concurrency_limits
    for run in dead:
        dagster_run = instance.get_run_by_id(run.run_id)
        message = (f"Marked by woofort: the process of this run (pid {run.pid} on {socket.gethostname()}) no "
                   "longer exists.")
        if run.status == dg.DagsterRunStatus.CANCELING.value:
            instance.report_run_canceled(dagster_run, message=message)
        else:
            instance.report_run_failed(dagster_run, message=message, job_failure_data=JobFailureData(
                error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION))
        if slots:
            storage.free_concurrency_slots_for_run(run.run_id)
    freed = []
    if slots and (holders := set(storage.get_concurrency_run_ids())):
        grace = instance.run_monitoring_settings.get("free_slots_after_run_end_seconds") or 300
        records = {r.dagster_run.run_id: r for r in instance.get_run_records(dg.RunsFilter(run_ids=list(holders)))}
        for run_id in sorted(holders):
            record = records.get(run_id)
            if record is None or (record.dagster_run.status in FINISHED_STATUSES and record.end_time is not None
                                  and record.end_time + grace < time.time()):
                storage.free_concurrency_slots_for_run(run_id)
                freed.append(run_id)
    if dead or freed:
        parts = []
        if dead:
            ids = ", ".join(f"{r.run_id[:8]} (pid {r.pid})" for r in dead)
            parts.append(f"{len(dead)} run(s) whose process no longer exists marked failed and their pool slots "
                         f"freed: {ids}")
        if freed:
            parts.append(f"pool slots of {len(freed)} run(s) ended earlier freed: {', '.join(r[:8] for r in freed)}")
        print(f"woofort: {'; '.join(parts)}", file=out, flush=True)
    return dead


# ----------------------------------------------------------------------------------------------------- launch
def launch(job_def: dg.JobDefinition, *, run_config: Mapping[str, Any], tags: Mapping[str, str],
           on_start: Callable[[dg.DagsterInstance, str], AbstractContextManager | None] | None = None,
           out=sys.stderr) -> RunResult:
    """Sweeps dead runs, creates the run with the code location's origin, executes it in this process and
    returns its result; raises RunCanceled when SIGINT or SIGTERM stopped it."""
    remote_origin, python_origin = job_origins(job_def.name)
    with open_instance() as instance:
        sweep_dead_runs(instance, out=out)
        run_tags = {**job_def.run_tags, **tags, HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid()),
                    "dagster/max_retries": "0"}  # the operator is at the terminal; no daemon retry behind them
        plan = create_execution_plan(job_def, run_config=run_config, tags=run_tags,
                                     instance_ref=instance.get_ref() if instance.is_persistent else None)
        run = instance.create_run_for_job(job_def=job_def, execution_plan=plan, run_config=run_config,
                                          tags=run_tags, remote_job_origin=remote_origin,
                                          job_code_origin=python_origin)
        watching = on_start(instance, run.run_id) if on_start else None
        if not isinstance(watching, AbstractContextManager):
            watching = nullcontext()
        events: list = []
        received: list[int] = []
        try:
            with cancel_on_signals(instance, run) as received, watching:
                events = list(execute_run(InMemoryJob(job_def), run, instance).all_events)
        except KeyboardInterrupt:  # StopRequested, or Dagster's interrupt outside the steps
            received = received or [signal.SIGINT]
        final = instance.get_run_by_id(run.run_id)
        if received:
            if final.status != dg.DagsterRunStatus.CANCELED:  # not started yet, or Dagster saw no CANCELING in time
                instance.report_run_canceled(final, message="woofort stopped the run.")
            if instance.event_log_storage.supports_global_concurrency_limits:
                instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            print(f"woofort: run {run.run_id} stopped by {signal.Signals(received[0]).name}: cancelled",
                  file=out, flush=True)
            raise RunCanceled()
        return RunResult(run_id=run.run_id, success=final.status == dg.DagsterRunStatus.SUCCESS,
                         status=final.status, all_events=events)

