"""How a stop signal (SIGINT, SIGTERM) ends a run the CLI executes in its own process: CANCELED, never FAILURE,
and no further step started.

Dagster replaces the Python handlers of both signals while it executes (it maps SIGTERM to its SIGINT handler), and
its handler raises an interrupt inside the running step. Two things can still go wrong, and this module closes both:

- **The outcome.** Dagster reloads the run (`instance.get_run_by_id`) to decide between CANCELED and FAILURE; the
  first stop signal must have marked it CANCELING by then. Python's C-level handler writes each signal's number to
  the wakeup fd before any Python handler runs, so this instance's `get_run_by_id` first takes those signals.
- **The steps that follow.** DuckDB runs Python's signal handlers while a query executes and turns what they raise
  into `RuntimeError("Query interrupted")`, an ordinary exception: Dagster then records a failed step, not an
  interrupt, and goes on with every step that does not depend on it (measured: a Ctrl-C during a ledger write let a
  sync run on for over a minute at Fortnox's rate limit). A thread watching the wakeup fd therefore also sets
  Dagster's captured-interrupt flag, which its next step raises on entry.

Signals are never blocked instead: children (Dagster's `tail` for compute logs) would inherit a blocked mask."""

from __future__ import annotations

import os
import select
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._utils import interrupts as dagster_interrupts

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequested(KeyboardInterrupt):
    """A stop signal that arrived while Dagster was not handling signals (before or after the steps)."""


def _raise_stop(signo: int, _frame: Any) -> None:
    raise StopRequested()


@contextmanager
def cancel_on_signals(instance: dg.DagsterInstance, run: Any) -> Iterator[list[int]]:
    """Yields the list of stop signals received; the first marks the run CANCELING (see the module docstring).
    Outside Dagster's execution window a stop signal raises `StopRequested`."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    received: list[int] = []
    arrived: list[int] = []
    read_fd, write_fd = os.pipe()
    stop_read, stop_write = os.pipe()
    os.set_blocking(write_fd, False)
    lock = threading.RLock()  # report_run_canceling reloads the run: re-entered
    reload_run = instance.get_run_by_id

    def watch_wakeup_fd() -> None:
        while True:
            ready, _, _ = select.select([read_fd, stop_read], [], [])
            if read_fd not in ready:
                return
            stops = [signo for signo in os.read(read_fd, 64) if signo in STOP_SIGNALS]
            if stops:
                with lock:
                    arrived.extend(stops)
                dagster_interrupts._received_interrupt["received"] = True

    def take_signals() -> None:
        with lock:
            for signo in arrived[len(received):]:
                received.append(signo)
                if len(received) == 1:
                    instance.report_run_canceling(
                        run, message=f"woofort received {signal.Signals(signo).name}: stopping the run.")

    def get_run_by_id(run_id: str):
        take_signals()
        return reload_run(run_id)

    watcher = threading.Thread(target=watch_wakeup_fd, name="woofort-stop-signals", daemon=True)
    watcher.start()
    old_handlers = {signo: signal.getsignal(signo) for signo in STOP_SIGNALS}
    old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    for signo in STOP_SIGNALS:
        signal.signal(signo, _raise_stop)
    instance.get_run_by_id = get_run_by_id  # this object only; removed below
    try:
        yield received
    finally:
        del instance.get_run_by_id
        signal.set_wakeup_fd(old_wakeup)
        for signo, handler in old_handlers.items():
            signal.signal(signo, handler if handler is not None else signal.SIG_DFL)
        os.write(stop_write, b"x")
        watcher.join()
        dagster_interrupts._received_interrupt["received"] = False  # a stale flag would stop the next run at once
        take_signals()
        for fd in (read_fd, write_fd, stop_read, stop_write):
            os.close(fd)
