"""`woofort fortnox calibrate`: measure how the connected Fortnox company computes VAT and store it.

Posts a probe order (or, with --document invoice, an unbooked invoice, which uses an invoice number), reads the
TotalVAT and RoundOff Fortnox computed, cancels the probe, and stores the model in meta.fortnox_vat_model
(defs/fortnox/calibration.py). The next delta build writes its VAT rounding rows for that model. Exit 0 when a
model was measured and stored, 1 when Fortnox's answer fits none (nothing stored) or a call failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from woofort_assets.defs.fortnox.calibration import (
    PROBE_DOCUMENTS, CalibrationError, Measurement, measure, probe_accounts, store)
from woofort_assets.lib import settings
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import load_mapping
from woofort_assets.resources.fortnox import FortnoxError, fortnox_resource_from_env


def calibrate(client, database: Path | str, shop: str, document: str = "order",
              accounts: dict[int, int] | None = None) -> Measurement:
    """Measure on `client`'s company and store the result for `shop` in `database`."""
    measurement = measure(client, document, accounts)
    with connect(database) as con:
        store(con, shop, measurement)
    return measurement


def report(m: Measurement) -> list[str]:
    lines = [f"Fortnox company {m.company_name or '?'} ({m.organisation_number or '?'}, database "
             f"{m.database_number or '?'}): {m.model.describe()}",
             f"probe {m.document} {m.number}: TotalVAT {m.total_vat}, RoundOff {m.round_off_amount}; cancelled",
             "stored in meta.fortnox_vat_model: the next delta build writes its VAT rounding rows for this model"]
    if m.model.round_off:
        lines.append("note: öresavrundning is on in Fortnox; woofort writes its own round-off row, turn it off in "
                     "Fortnox (Inställningar > Fakturering) or the reconciliation lists every invoice")
    return lines


def calibrate_from_env(data_dir: Path, document: str = "order") -> Measurement:
    """As the command does: the Fortnox client, shop and mapping of the settings, the data dir's database."""
    client = fortnox_resource_from_env(data_dir).process_config_and_initialize().get_client()
    return calibrate(client, data_dir / "woofort.duckdb", settings.shop_key(), document,
                     probe_accounts(load_mapping(settings.mapping_path())))


def _handle(args: argparse.Namespace) -> int:
    try:
        m = calibrate_from_env(Path(args.data_dir) if args.data_dir else settings.data_dir(), args.document)
    except (CalibrationError, FortnoxError) as error:
        print(f"woofort: calibration failed: {error}", file=sys.stderr)
        return 1
    for line in report(m):
        print(line)
    return 0


def register(commands) -> None:
    c = commands.add_parser("calibrate", help="measure how Fortnox rounds VAT (a probe order, cancelled) and store it",
                            description=__doc__)
    c.add_argument("--document", choices=sorted(PROBE_DOCUMENTS), default="order",
                   help="the probe: an order (default, uses no invoice number) or an unbooked invoice")
    c.add_argument("--data-dir", default=None, help="default: WOOFORT_DATA_DIR")
    c.set_defaults(handler=_handle)
