"""The staging folder's definitions, without resources: the staging assets, whose pandera checks are check specs of
the assets themselves (`<table>_contract`, `<table>_oddities`)."""

import dagster as dg

from woofort_assets.defs.staging.assets import assets

defs = dg.Definitions(assets=assets)
