"""The extraction folder's definitions, without resources (the code location wires `woocommerce` and `duckdb`)."""

import dagster as dg

from woofort_assets.defs.woocommerce.assets import assets
from woofort_assets.defs.woocommerce.checks import checks

defs = dg.Definitions(assets=assets, asset_checks=checks)
