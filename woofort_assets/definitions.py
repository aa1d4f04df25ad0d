"""The woofort code location: one Definitions object merged from the folders under defs/."""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from woofort_assets.defs.automation.jobs import jobs  # noqa: E402
from woofort_assets.defs.automation.ops import operator_jobs  # noqa: E402
from woofort_assets.defs.automation.schedules import schedules  # noqa: E402
from woofort_assets.defs.automation.sensors import sensors  # noqa: E402
from woofort_assets.defs.deltas.assets import assets as delta_assets  # noqa: E402
from woofort_assets.defs.fortnox.definitions import assets as fortnox_assets  # noqa: E402
from woofort_assets.defs.reconciliation.assets import assets as reconciliation_assets  # noqa: E402
from woofort_assets.defs.automation.privacy import privacy_jobs, privacy_schedules  # noqa: E402
from woofort_assets.defs.fortnox.vanished import vanished_orders  # noqa: E402  (asset check, docs/reliability.md)
from woofort_assets.defs.staging.assets import assets as staging_assets  # noqa: E402
from woofort_assets.defs.woocommerce.assets import assets as woocommerce_assets  # noqa: E402
from woofort_assets.resources import build_resources  # noqa: E402


def build_definitions() -> dg.Definitions:
    """Resources are read from the environment at call time (the CLI and tests call it afresh)."""
    return dg.Definitions(
        assets=[*woocommerce_assets, *staging_assets, *delta_assets, *fortnox_assets, *reconciliation_assets],
        asset_checks=[vanished_orders],
        jobs=[*jobs, *operator_jobs, *privacy_jobs],
        schedules=[*schedules, *privacy_schedules],
        sensors=sensors,
        resources=build_resources(),
    )


defs = build_definitions()
