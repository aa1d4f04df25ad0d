"""The reconciliation folder's definitions, without resources: fortnox/mirror and reconciliation/books (whose checks
are check specs of the asset), and the asset check `fortnox/invoices:vanished_orders` (invoiced orders trashed or
deleted in WooCommerce afterwards, docs/reliability.md), which compares the same two sides of the books."""

import dagster as dg

from woofort_assets.defs.reconciliation.vanished import vanished_orders
from woofort_assets.defs.reconciliation.assets import assets
from woofort_assets.defs.reconciliation.oss import oss_return

defs = dg.Definitions(assets=[*assets, oss_return], asset_checks=[vanished_orders])
