"""What `woofort sync` checks before a run starts, so an operator's mistake ends in one to three lines naming the
thing to fix (lib/errors.py) instead of a failed run: the arguments, the settings, the data directory, the DuckDB
file (not locked by another process, writable), the mapping file, the start date, and one request to each server
(WooCommerce with the API key, Fortnox for a token), which proves the address, the credentials and that the
server is what it should be. The same failures are recognised inside a run too (resources/woocommerce.py,
lib/duckdb.py); checking first makes them fast and single instead of one per step."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from woofort_assets.cli.exits import UsageError
from woofort_assets.lib import settings
from woofort_assets.lib.errors import EXIT_CONFIG, EXIT_OUTAGE, OperatorError, host_of
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import MappingError, load_mapping
from woofort_assets.lib.settings import ConfigError
from woofort_assets.resources.fortnox import fortnox_resource_from_env
from woofort_assets.resources.fortnox.errors import FortnoxAuthError, FortnoxError
from woofort_assets.resources.woocommerce import WooCommerceResource


def _dates(first: date, last: date) -> None:
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}")
    start = date.fromisoformat(settings.start_date())
    zone = settings.configured_timezone() or settings.DEFAULT_TIMEZONE
    today = datetime.now(ZoneInfo(zone)).date()
    if start > today:
        raise ConfigError(f"WOOFORT_START_DATE={start} is in the future (today is {today}): set it to the first "
                          "day woofort should book, on or before today")


def _fortnox_settings() -> None:
    missing = [name for name in ("FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET") if not settings.is_set(name)]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} (your integration's credentials from the Fortnox developer "
                          "portal)")
    settings.fortnox_settings()  # both modes set is a ConfigError


def _mapping() -> None:
    path = settings.mapping_path()
    try:
        load_mapping(path)
    except MappingError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        shown = lines[1:3] if lines[0].startswith("invalid accounting mapping") and len(lines) > 1 else lines[:2]
        raise OperatorError(EXIT_CONFIG, [f"the accounting mapping {path} (WOOFORT_MAPPING) is invalid:", *shown])


def _duckdb() -> None:
    with connect(settings.duckdb_path()):
        pass  # opening migrates: a lock held elsewhere, a full disk or a size limit shows here


def _woocommerce() -> None:
    shop = settings.woocommerce_settings()
    client = WooCommerceResource(url=shop.url, consumer_key=shop.consumer_key,
                                 consumer_secret=shop.consumer_secret).get_client()
    client.get_json("taxes/classes")  # small, and authenticated: proves address, key and that it is WooCommerce


def _fortnox() -> None:
    fortnox = settings.fortnox_settings()
    try:
        fortnox_resource_from_env(settings.data_dir()).get_client().access_token()
    except FortnoxAuthError as error:
        raise OperatorError(EXIT_CONFIG, [f"Fortnox refused woofort's authorization: {error.message}",
                                          "check FORTNOX_CLIENT_ID/FORTNOX_CLIENT_SECRET, or run "
                                          "`woofort fortnox connect` to authorize woofort again"]) from None
    except FortnoxError as error:
        if error.http_status == 0:
            raise OperatorError(EXIT_OUTAGE, [f"Fortnox at {host_of(fortnox.auth_url)} could not be reached: "
                                              f"{error.message}",
                                              "check FORTNOX_AUTH_URL / FORTNOX_API_URL and the network, then run "
                                              "again"]) from None
        status = f"{error.http_status}{f', code {error.code}' if error.code is not None else ''}"
        raise OperatorError(EXIT_OUTAGE if error.http_status >= 500 or error.http_status == 429 else EXIT_CONFIG, [
            f"Fortnox at {host_of(fortnox.auth_url)} answered {status} for a token: {error.message}",
            "check FORTNOX_AUTH_URL; if Fortnox is down, run again later"]) from None


def before_sync(first: date, last: date) -> None:
    """Every check that can be made before a sync starts, cheapest first; raises UsageError, ConfigError or
    OperatorError (the CLI prints its lines and exits with its code)."""
    _dates(first, last)
    for setting in settings.SETTINGS:      # every malformed value, before any server is asked
        settings.value(setting.name)
    settings.woocommerce_settings()
    _fortnox_settings()
    _mapping()
    settings.writable_data_dir()
    _duckdb()
    _woocommerce()
    _fortnox()
