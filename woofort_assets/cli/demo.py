"""`woofort demo`: the whole pipeline against fresh sandboxes, then what it did, in figures."""

from __future__ import annotations

import argparse
import os
import shutil
from datetime import date, timedelta

from woofort_assets.cli.exits import EXIT_USAGE
from woofort_assets.cli.report import print_fortnox_counts, print_ledger_summary, print_reconciliation
from woofort_assets.cli.sandbox import DEMO_DAYS, DEMO_START, running_sandboxes, sandboxes_installed
from woofort_assets.cli.sync import exit_code, print_summary, run_sync
from woofort_assets.lib.settings import CHECKOUT_DIR, value


def _fresh_data_dir() -> None:
    """The sandboxes start empty every time, so the demo's ledger must too."""
    demo_dir = str(value("WOOFORT_DATA_DIR") or CHECKOUT_DIR / "data" / "demo")
    shutil.rmtree(demo_dir, ignore_errors=True)
    os.environ["WOOFORT_DATA_DIR"] = demo_dir


def _handle(args: argparse.Namespace) -> int:
    if not sandboxes_installed("demo"):  # before the demo's data dir is wiped
        return EXIT_USAGE
    _fresh_data_dir()
    with running_sandboxes(args.orders, args.seed) as sandboxes:
        os.environ.update(sandboxes.environment())
        first = date.fromisoformat(DEMO_START)
        last = first + timedelta(days=DEMO_DAYS - 1)
        print(f"woofort demo: {args.orders} sandbox orders, syncing {first} .. {last}")
        outcome = run_sync(first, last)
        print_summary(outcome)
        print_fortnox_counts(sandboxes.fortnox)
        print_ledger_summary()
        print_reconciliation()
    code = exit_code(outcome)
    return 0 if code == 3 else code


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="run the whole pipeline against fresh sandboxes")
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(handler=_handle)
