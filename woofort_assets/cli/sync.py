"""`woofort sync --from --to [--dry-run]`: the whole graph for a range of days, as one run."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg

from woofort_assets.cli.checks import before_sync
from woofort_assets.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_SET_ASIDE, UsageError
from woofort_assets.cli.progress import progress_hook
from woofort_assets.cli.runs import launch
from woofort_assets.cli.summary import print_summary
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.errors import OperatorError, from_step_failure
from woofort_assets.lib.partitions import daily_partitions
from woofort_assets.lib.settings import duckdb_path, shop_key, woocommerce_settings
from woofort_assets.lib.sql import load_sql


@dataclass
class SyncOutcome:
    success: bool
    run_id: str
    materializations: dict[str, dict] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    passed_checks: int = 0
    set_aside: list[tuple] = field(default_factory=list)
    error: str | None = None
    operator_error: OperatorError | None = None  # the first step failure an operator can act on (lib/errors.py)


def _parse_day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date: use YYYY-MM-DD") from None


def _sink_run_config(defs: dg.Definitions, dry_run: bool) -> dict:
    """Sets the `dry_run` flag on every sink asset that takes one."""
    ops = {
        assets_def.op.name: {"config": {"dry_run": dry_run}}
        for assets_def in defs.assets or []
        if isinstance(assets_def, dg.AssetsDefinition)
        and "dry_run" in getattr(assets_def.op.config_schema.config_type, "fields", {})
    }
    return {"ops": ops} if ops else {}


def _set_aside(since: datetime) -> list[tuple]:
    """Records this run quarantined, dead-lettered or found vanished, for the summary and exit code 3."""
    with connect(duckdb_path()) as con:
        return con.execute(load_sql("operations/set_aside.sql"), {"shop": shop_key(), "since": since}).fetchall()


def run_sync(first: date, last: date, dry_run: bool = False, log_level: str = "WARNING",
             progress: bool = False) -> SyncOutcome:
    before_sync(first, last)  # settings, data dir, DuckDB lock, mapping, servers: 1-3 lines and exit 2/1 (checks.py)
    # Lazy: importing the code location costs ~0.45 s (every asset, job and check module, then
    # `defs = build_definitions()` at the end of definitions.py reads the environment and the mapping);
    # only a sync pays for that, not `woofort --help` (~0.6 s in all) nor the other subcommands.
    from woofort_assets.definitions import build_definitions

    woocommerce_settings()  # fail fast with exit 2 when the shop is not configured
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}")
    keys = daily_partitions().get_partition_keys()
    if first.isoformat() not in keys or last.isoformat() not in keys:
        raise UsageError(f"days must lie between {keys[0]} and {keys[-1]} (WOOFORT_START_DATE to today)")
    defs = build_definitions()
    started = datetime.now(UTC)
    result = launch(  # cli/runs.py: dead runs swept, the code location's origin, cancelled on SIGINT/SIGTERM
        defs.resolve_job_def("sync"),
        run_config={**_sink_run_config(defs, dry_run), "loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
            "woofort/dry_run": str(dry_run).lower(),
        },
        on_start=lambda instance, run_id: progress_hook(instance, run_id, enabled=progress),
    )
    outcome = SyncOutcome(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            outcome.materializations["/".join(materialization.asset_key.path)] = {
                key: value.value for key, value in materialization.metadata.items()
            }
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
            if evaluation.passed:
                outcome.passed_checks += 1
            elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
                outcome.failed_checks.append(name)
            else:
                outcome.warned_checks.append(name)
        elif event.is_step_failure:
            outcome.error = str(event.step_failure_data.error.message).strip()
            outcome.operator_error = outcome.operator_error or from_step_failure(event.step_failure_data)
    outcome.success = outcome.success and not outcome.failed_checks
    outcome.set_aside = _set_aside(started)
    return outcome


def exit_code(outcome: SyncOutcome) -> int:
    if outcome.operator_error is not None:
        return outcome.operator_error.exit_code
    if not outcome.success:
        return EXIT_FAILED
    return EXIT_SET_ASIDE if outcome.set_aside else EXIT_OK


def _handle(args: argparse.Namespace) -> int:
    first, last, started = _parse_day(args.first, "--from"), _parse_day(args.last, "--to"), datetime.now(UTC)
    outcome = run_sync(first, last, args.dry_run, "DEBUG" if args.verbose else "CRITICAL",  # errors: below
                       progress=not args.json)
    print_summary(outcome, since=started, first=first, last=last, dry_run=args.dry_run, as_json=args.json)
    if outcome.operator_error is not None:
        raise outcome.operator_error  # main() prints its 1-3 lines on stderr and exits with its code
    return exit_code(outcome)


def register(subparsers) -> None:
    parser = subparsers.add_parser("sync", help="materialize the whole graph for a range of days")
    parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--dry-run", action="store_true", help="build and show Fortnox payloads, write nothing")
    parser.add_argument("--verbose", action="store_true", help="print Dagster's event log while running")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (money as strings)")
    parser.set_defaults(handler=_handle)
