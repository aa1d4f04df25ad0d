"""Every resource of the code location, built in one place from the settings (lib/settings.py)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.lib import settings
from woofort_assets.resources.fortnox import fortnox_resource_from_env
from woofort_assets.resources.vies import ViesResource
from woofort_assets.resources.woocommerce import WooCommerceResource


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Secrets are `EnvVar`s: resolved when a run starts, never written to run config or the event log."""
    settings.value("REQUESTS_CA_BUNDLE")  # requests reads it at the first call; a wrong path fails here, by name
    return {
        "duckdb": DuckDBResource(database=str(settings.duckdb_path())),
        "woocommerce": WooCommerceResource(
            url=dg.EnvVar("WOOCOMMERCE_URL"),
            consumer_key=dg.EnvVar("WOOCOMMERCE_CONSUMER_KEY"),
            consumer_secret=dg.EnvVar("WOOCOMMERCE_CONSUMER_SECRET"),
            concurrency=settings.woocommerce_concurrency(),
        ),
        "fortnox": fortnox_resource_from_env(settings.data_dir()),
        "vies": ViesResource(enabled=settings.vies_enabled(), url=settings.value("WOOFORT_VIES_URL")),
    }
