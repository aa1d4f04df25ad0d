"""`woofort demo`: the whole pipeline against fresh sandboxes, then what it did, in figures."""

from __future__ import annotations

import argparse
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import yaml

from woofort_assets.cli.calibrate import calibrate_from_env
from woofort_assets.cli.exits import EXIT_USAGE
from woofort_assets.cli.report import print_reconciliation
from woofort_assets.cli.sandbox import DEMO_DAYS, DEMO_START, running_sandboxes, sandboxes_installed
from woofort_assets.cli.summary import print_summary
from woofort_assets.cli.sync import exit_code, run_sync
from woofort_assets.lib.mapping import load_mapping
from woofort_assets.lib.setting_types import integer
from woofort_assets.lib.settings import CHECKOUT_DIR, data_dir, mapping_path, value


# The instance of a demo outside a checkout (no repo dagster.yaml to copy): what matters to the demo.
MINIMAL_DAGSTER_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
# the sandbox's VAT models (its tenant settings vat_rounding/half_rounding; docs/fortnox-sandbox.md)
VAT_MODELS = ("per_rate_sum/up", "per_rate_sum/even", "per_row/up", "per_row/even")


def _fresh_data_dir() -> None:
    """The sandboxes start empty every time, so the demo's ledger must too."""
    demo_dir = str(value("WOOFORT_DATA_DIR") or CHECKOUT_DIR / "data" / "demo")
    shutil.rmtree(demo_dir, ignore_errors=True)
    os.environ["WOOFORT_DATA_DIR"] = demo_dir
    os.environ["DAGSTER_HOME"] = str(demo_instance(Path(demo_dir)))  # the demo's runs: its own instance


def demo_instance(demo_dir: Path) -> Path:
    """The folder of the demo's own Dagster instance, `<demo data>/dagster_home` (the repo's dagster.yaml, or a
    minimal one), wiped with the demo's data: the demo's runs never mix into the dev instance's history."""
    home = demo_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    repo_yaml = CHECKOUT_DIR / "dagster.yaml"
    (home / "dagster.yaml").write_text(repo_yaml.read_text() if repo_yaml.is_file() else MINIMAL_DAGSTER_YAML)
    return home


def _daily_voucher_mapping() -> Path:
    """`--mode daily_vouchers`: the mapping in use switched to daily vouchers in series W (which the demo seeds in
    the sandbox) with BAS's VAT accounts, written as the demo's own mapping file."""
    mapping = load_mapping(mapping_path()).model_dump(mode="json", by_alias=True, exclude_none=True)
    mapping["invoicing"]["mode"] = "daily_vouchers"
    mapping["vouchers"] = {**mapping["vouchers"], "series": "W", "vat_accounts": {25: 2611, 12: 2621, 6: 2631}}
    path = data_dir() / "mapping-daily-vouchers.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _handle(args: argparse.Namespace) -> int:
    if not sandboxes_installed("demo"):  # before the demo's data dir is wiped
        return EXIT_USAGE
    _fresh_data_dir()
    reference = {}
    if args.mode == "daily_vouchers":
        os.environ["WOOFORT_MAPPING"] = str(_daily_voucher_mapping())
        reference = {"voucherseries": [{"Code": "W", "Description": "woofort"}]}
    with running_sandboxes(args.orders, args.seed, fortnox_rate_limit=args.fortnox_rate_limit) as sandboxes:
        os.environ.update(sandboxes.environment(), FORTNOX_RATE_LIMIT=str(args.fortnox_rate_limit))
        vat_rounding, half_rounding = args.fortnox_vat_model.split("/")
        with sandboxes.fortnox.state.lock:
            sandboxes.fortnox.state.seed_reference({**reference, "settings": {"vat_rounding": vat_rounding,
                                                                              "half_rounding": half_rounding}})
        first = date.fromisoformat(DEMO_START)
        last = first + timedelta(days=DEMO_DAYS - 1)
        measured = calibrate_from_env(data_dir())   # as an operator does first: `woofort fortnox calibrate`
        if not args.json:
            print(f"woofort demo: calibrated Fortnox: {measured.model.describe()}")
            print(f"woofort demo: {args.orders} sandbox orders, syncing {first} .. {last}")
        outcome = run_sync(first, last, progress=not args.json)
        print_summary(outcome, first=first, last=last, as_json=args.json)
        if not args.json:
            print_reconciliation()
    code = exit_code(outcome)
    return 0 if code == 3 else code


def _requests_per_window(raw: str) -> int:
    try:
        return integer(1, what=" of requests")(raw)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="run the whole pipeline against fresh sandboxes")
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (money as strings)")
    parser.add_argument("--mode", choices=("invoices", "daily_vouchers"), default="invoices",
                        help="invoicing.mode: daily_vouchers books the paid Swedish sales on one voucher per day "
                             "(docs/accounting.md §13)")
    parser.add_argument("--fortnox-vat-model", choices=VAT_MODELS, default=VAT_MODELS[0],
                        help="how the sandbox Fortnox rounds VAT (vat_rounding/half_rounding); the demo calibrates "
                             "first and books for what it measures")
    parser.add_argument("--fortnox-rate-limit", type=_requests_per_window, default=25, metavar="N",
                        help="requests per 5 s the sandbox Fortnox allows, and woofort's limiter with it (Fortnox's "
                             "is 25; more makes a quicker demo)")
    parser.set_defaults(handler=_handle)
