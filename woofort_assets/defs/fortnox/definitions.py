"""The Fortnox sink's definitions, without resources: the code location wires `duckdb` (DuckDBResource) and
`fortnox` (FortnoxResource)."""

import dagster as dg

from woofort_assets.defs.fortnox.assets import FortnoxSinkConfig, sink_assets
from woofort_assets.defs.fortnox.preflight import CHECK_NAME, fortnox_preflight

assets = [fortnox_preflight, *sink_assets]
asset_checks: list = []   # the blocking preflight check is a check_spec of fortnox/preflight (CHECK_NAME)

defs = dg.Definitions(assets=assets, asset_checks=asset_checks)

__all__ = ["defs", "assets", "asset_checks", "FortnoxSinkConfig", "CHECK_NAME"]
