"""A stop signal that lands while a step runs a DuckDB query (woofort_assets/cli/signals.py): DuckDB turns Dagster's
interrupt into an ordinary RuntimeError, so the step fails instead of being interrupted; the run is still marked
CANCELING and the next step raises the interrupt on entry instead of running. The whole sync under Ctrl-C is in
test_runs.py; this is the moment that test can only hit by chance."""

from __future__ import annotations

import os
import signal
import threading
import time

import dagster as dg
import duckdb
import pytest
from dagster._core.errors import DagsterExecutionInterruptedError, raise_execution_interrupts
from dagster._utils.interrupts import capture_interrupts, check_captured_interrupt

from woofort_assets.cli.signals import cancel_on_signals

ENDLESS_QUERY = "SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3"


@dg.op
def _noop() -> None:
    pass


@dg.job
def _one_step() -> None:
    _noop()


@pytest.fixture
def run():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance, instance.create_run_for_job(job_def=_one_step)


def _interrupted_duckdb_step(signo: int) -> None:
    """A step whose query is running when the signal arrives: what DuckDB makes of Dagster's interrupt. One DuckDB
    thread: with more, the interrupted query's other tasks ran on in the background, burning a core for the rest of
    the test session and hanging its exit. The connection is open before the signal is timed, and a signal that
    never reaches the query (blocked by the parent process) ends it after 30 s instead of hanging."""
    con = duckdb.connect(config={"threads": 1})
    backstop = threading.Timer(30.0, con.interrupt)
    backstop.daemon = True
    try:
        with raise_execution_interrupts():
            threading.Timer(0.5, os.kill, (os.getpid(), signo)).start()
            backstop.start()
            with pytest.raises(RuntimeError, match="interrupted"):
                con.execute(ENDLESS_QUERY).fetchall()
    finally:
        backstop.cancel()
        con.close()


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_swallowed_by_duckdb_still_stops_the_next_step_and_cancels_the_run(run, signo):
    instance, dagster_run = run
    with cancel_on_signals(instance, dagster_run) as received, capture_interrupts():
        _interrupted_duckdb_step(signo)
        assert _wait_for(check_captured_interrupt), "the interrupt was lost with DuckDB's RuntimeError"
        with pytest.raises(DagsterExecutionInterruptedError):
            with raise_execution_interrupts():  # the next step, on entry
                pytest.fail("a step started after the stop signal")
        assert instance.get_run_by_id(dagster_run.run_id).status == dg.DagsterRunStatus.CANCELING
    assert received == [signo]
    assert not check_captured_interrupt()  # nothing left over to stop the process's next run


def test_without_a_signal_steps_run_and_nothing_is_flagged(run):
    instance, dagster_run = run
    with cancel_on_signals(instance, dagster_run) as received, capture_interrupts():
        with raise_execution_interrupts():
            assert duckdb.connect().execute("SELECT 42").fetchone() == (42,)
        with raise_execution_interrupts():
            pass
        assert not check_captured_interrupt()
    assert received == []
    assert instance.get_run_by_id(dagster_run.run_id).status == dg.DagsterRunStatus.NOT_STARTED
