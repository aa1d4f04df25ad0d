"""The deltas folder's definitions, without resources: the one multi-asset that builds every deltas/<name>."""

import dagster as dg

from woofort_assets.defs.deltas.assets import assets

defs = dg.Definitions(assets=assets)
