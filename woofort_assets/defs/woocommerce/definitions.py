"""The extraction folder's definitions, without resources (the code location wires `woocommerce` and `duckdb`)."""

import dagster as dg

from woofort_assets.defs.woocommerce.assets import assets

defs = dg.Definitions(assets=assets)
