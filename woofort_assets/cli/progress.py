"""Progress of a running sync, per stage, read from the Dagster instance's event log of the run.

`watch(instance, run_id)` polls `instance.get_records_for_run(run_id, cursor=...)` in a background thread and
turns step starts and successes and the assets' materialization metadata into progress: pages and records
crawled (extraction metadata `pages`, `fetched`), rows staged (staging `staged`, `quarantined`), documents due
to Fortnox (the deltas' `dagster/row_count`) and sent (the sinks' created/updated/... counts), with the remaining
time estimated from the Fortnox rate (FORTNOX_RATE_LIMIT requests per 5 s). It never opens the DuckDB file,
which the run holds for writing.

On a terminal it draws a rich progress display on `stream`; in a pipe it prints one plain line per finished step
and stage. Nothing goes to stderr: errors are the caller's."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn

from woofort_assets.lib.settings import value

POLL_SECONDS = 0.5
WINDOW_SECONDS = 5
# Fortnox requests per document, beyond the write itself: invoices and credit invoices are booked (bokförda)
REQUESTS_PER_DOCUMENT = {"invoice_delta": 2, "credit_delta": 2}
SENT_OUTCOMES = ("created", "updated", "unchanged", "adopted", "failed", "deferred", "pending")
STAGES = (
    ("extract", "woocommerce", "WooCommerce pages crawled"),
    ("stage", "staging", "rows staged"),
    ("deltas", "deltas", "documents due to Fortnox"),
    ("fortnox", "fortnox", "Fortnox documents sent"),
    ("reconcile", "reconciliation", "reconciliation"),
)
STAGE_OF_GROUP = {group: stage for stage, group, _ in STAGES}


def _rate_limit() -> int:
    try:
        return int(value("FORTNOX_RATE_LIMIT") or 25)
    except Exception:  # noqa: BLE001 - a display default, never a reason to fail the run
        return 25


@dataclass
class Stage:
    name: str
    label: str
    done: int = 0
    total: int | None = None
    detail: str = ""
    running: set[str] = field(default_factory=set)
    finished: bool = False
    failed: bool = False


class RunProgress:
    """What the event log says so far; pure bookkeeping, no I/O (tested on its own)."""

    def __init__(self, rate_limit: int = 25):
        self.rate_per_second = max(rate_limit, 1) / WINDOW_SECONDS
        self.stages = {name: Stage(name, label) for name, _, label in STAGES}
        self.records = self.quarantined = 0
        self.due: dict[str, int] = {}          # delta table -> rows due
        self.sent = 0                          # delta rows the sinks have read
        self.read: dict[str, int] = {}         # delta table (or sink, when it does not say) -> rows read
        self.sink_started: float | None = None
        self.partitioned: set[str] = set()     # partitioned assets already counted
        self.lines: list[str] = []             # plain lines not printed yet

    @staticmethod
    def stage_of(key: str) -> str | None:
        """The stage of an asset key ("fortnox/invoices") or a step key ("fortnox__invoices")."""
        key = (key or "").replace("__", "/")
        group = key.split("/", 1)[0]
        if key.startswith("fortnox/mirror"):
            return "reconcile"
        return STAGE_OF_GROUP.get(group)

    def remaining_seconds(self, now: float | None = None) -> float | None:
        """The Fortnox requests still to make, at the configured rate, minus the time the current sink has run."""
        due = sum(self.due.values())
        if not due:
            return None
        requests = sum(n * REQUESTS_PER_DOCUMENT.get(t, 1) for t, n in self.due.items())
        left = requests * max(due - self.sent, 0) / due / self.rate_per_second
        if self.sink_started is not None and self.stages["fortnox"].running:
            left -= (now or time.monotonic()) - self.sink_started
        return max(left, 0.0)

    def step_started(self, step: str) -> None:
        stage = self.stage_of(step)
        if stage:
            self.stages[stage].running.add(step)
            if stage == "fortnox":
                self.sink_started = time.monotonic()

    def step_finished(self, step: str, ok: bool) -> None:
        stage = self.stage_of(step)
        if not stage:
            return
        s = self.stages[stage]
        s.running.discard(step)
        s.failed = s.failed or not ok
        if not ok:
            self.lines.append(f"{stage:<9} {step}: FAILED")

    def materialized(self, key: str, metadata: dict, partition: str | None = None) -> None:
        stage = self.stage_of(key)
        if stage is None:
            return
        if partition is not None:  # a range of days is one run: one materialization per day, the same metadata
            if key in self.partitioned:
                return
            self.partitioned.add(key)
        s = self.stages[stage]
        num = {k: v for k, v in metadata.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if stage == "extract":
            s.done += int(num.get("pages", 0))
            self.records += int(num.get("fetched", 0))
            s.detail = f"{self.records} records"
            self.lines.append(f"extract   {key}: {int(num.get('pages', 0))} page(s), {int(num.get('fetched', 0))} "
                              f"record(s); {s.done} page(s) so far")
        elif stage == "stage":
            s.done += int(num.get("staged", 0))
            self.quarantined += int(num.get("quarantined", 0))
            s.detail = f"{self.quarantined} quarantined" if self.quarantined else ""
            self.lines.append(f"stage     {key}: {int(num.get('staged', 0))} row(s) staged, "
                              f"{int(num.get('quarantined', 0))} quarantined")
        elif stage == "deltas":
            rows = int(num.get("dagster/row_count", 0))
            self.due[key.split("/", 1)[1]] = rows
            s.done = s.total = sum(self.due.values())
            self.stages["fortnox"].total = s.total
            self.lines.append(f"deltas    {key}: {rows} document(s) due")
        elif stage == "fortnox" and not any(k in num for k in SENT_OUTCOMES):
            self.lines.append(f"fortnox   {key}: done")
        elif stage == "fortnox":
            sent = sum(int(num.get(k, 0)) for k in SENT_OUTCOMES)
            # progress is delta rows read, like what is due: a sink also writes documents no delta row is (the
            # payments that settle a credit against its invoice), so its documents can outnumber its rows
            rows = metadata.get("delta_rows")
            self.read.update(rows if isinstance(rows, dict) else {key: sent})
            self.sent = sum(self.read.values())
            s.done = self.sent
            left = self.remaining_seconds()
            s.detail = f"about {_duration(left)} left" if left else ""
            self.lines.append(f"fortnox   {key}: {sent} document(s) sent, {self.sent} of {s.total or 0} due"
                              + (f", about {_duration(left)} left at {self.rate_per_second * 5:g} requests/5 s"
                                 if left else ""))
        else:
            s.done += 1
            self.lines.append(f"{stage:<9} {key}: done")

    def run_ended(self, ok: bool) -> None:
        for s in self.stages.values():
            s.finished = True
        self.lines.append(f"run       {'finished' if ok else 'FAILED'}")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def _apply(state: RunProgress, record) -> None:
    event = record.event_log_entry.dagster_event
    if event is None:
        return
    kind = event.event_type_value
    if kind == "STEP_START":
        state.step_started(event.step_key or "")
    elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
        state.step_finished(event.step_key or "", kind == "STEP_SUCCESS")
    elif kind == "ASSET_MATERIALIZATION":
        materialization = event.step_materialization_data.materialization
        state.materialized("/".join(materialization.asset_key.path),
                           {k: v.value for k, v in materialization.metadata.items()}, materialization.partition)
    elif kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED"):  # DagsterEventType.RUN_*
        state.run_ended(kind == "PIPELINE_SUCCESS")


class _Display:
    def __init__(self, console: Console, state: RunProgress):
        self.console, self.state = console, state
        self.live = console.is_terminal
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        if self.live:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<28}"), BarColumn(),
                                     MofNCompleteColumn(), TextColumn("{task.fields[detail]}"),
                                     console=console, transient=False, auto_refresh=False)
            for name, stage in state.stages.items():
                self.tasks[name] = self.progress.add_task(stage.label, total=None, detail="", start=False)

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def update(self) -> None:
        if not self.progress:
            for line in self.state.lines:
                self.console.print(line, highlight=False, soft_wrap=True)
            self.state.lines.clear()
            return
        self.state.lines.clear()
        names = list(self.state.stages)
        reached = max((i for i, n in enumerate(names) if self.state.stages[n].running or self.state.stages[n].done),
                      default=-1)
        for i, (name, stage) in enumerate(self.state.stages.items()):
            task = self.tasks[name]
            if i > reached:
                self.progress.update(task, visible=False)
                continue
            self.progress.start_task(task)
            if i < reached and not stage.running and stage.total is None:
                stage.total = stage.done  # a later stage runs: this one is complete
            detail = stage.detail
            if name == "fortnox" and stage.running:
                left = self.state.remaining_seconds()
                detail = f"about {_duration(left)} left" if left else detail
            if stage.failed:
                detail = "[red]failed[/red]"
            total = stage.total if stage.total is not None else (stage.done if stage.finished else None)
            self.progress.update(task, completed=stage.done, total=total, detail=detail, visible=True)
        self.progress.refresh()

    def __exit__(self, *exc):
        self.update()
        if self.progress:
            self.progress.stop()


@contextmanager
def watch(instance, run_id: str, *, stream=None, force_terminal: bool | None = None,
          poll_seconds: float = POLL_SECONDS, console: Console | None = None) -> Iterator[RunProgress]:
    """Shows the progress of run `run_id` on `stream` (stdout) while the body runs (the body runs the run).
    `console`: a rich Console of the caller's instead (e.g. one that records, for a screenshot)."""
    console = console or Console(file=stream or sys.stdout, force_terminal=force_terminal, highlight=False)
    state = RunProgress(_rate_limit())
    stop = threading.Event()
    cursor: list[str | None] = [None]

    def poll() -> None:
        try:
            while True:
                connection = instance.get_records_for_run(run_id, cursor=cursor[0])
                for record in connection.records:
                    _apply(state, record)
                cursor[0] = connection.cursor
                if connection.has_more:
                    continue
                display.update()
                if stop.wait(poll_seconds):
                    return
        except Exception:  # noqa: BLE001 - progress is a courtesy; the run and its summary do not depend on it
            return

    with _Display(console, state) as display:
        thread = threading.Thread(target=poll, name=f"woofort-progress-{run_id[:8]}", daemon=True)
        thread.start()
        try:
            yield state
        finally:
            stop.set()
            thread.join(timeout=10)
            try:  # the last events, after the run returned
                while True:
                    connection = instance.get_records_for_run(run_id, cursor=cursor[0])
                    for record in connection.records:
                        _apply(state, record)
                    cursor[0] = connection.cursor
                    if not connection.has_more:
                        break
            except Exception:  # noqa: BLE001
                pass


def progress_hook(instance, run_id: str, enabled: bool = True, stream=None):
    """What the CLI wraps a run in: `watch(...)` when enabled (not with --json, whose stdout is the JSON), else
    nothing. For a launcher that calls back `on_start(instance, run_id)`, enter this there and exit it at the end."""
    return watch(instance, run_id, stream=stream) if enabled else nullcontext()
