"""Daily partitions in the store's timezone, so a day in Dagster is the shop's business day."""

from __future__ import annotations

import logging
from datetime import date
from functools import cache

import dagster as dg
import requests

from woofort_assets.lib.settings import (
    DEFAULT_TIMEZONE,
    ConfigError,
    configured_timezone,
    data_dir,
    start_date,
    timezone_name,
    woocommerce_url,
)

log = logging.getLogger("woofort")


def _valid_zone(name: str, source: str) -> str:
    try:
        return timezone_name(name)
    except ValueError as error:
        raise ConfigError(f"{source}={name!r}: {error}") from None


@cache
def store_timezone() -> str:
    """WOOFORT_TIMEZONE, else the store's `timezone_string` from `/wp-json/` (cached in the data
    directory so that partitions never move between two loads), else Europe/Stockholm. The daily partitions
    and every schedule (defs/automation) use it."""
    configured = configured_timezone()
    if configured:
        return configured
    cache_file = data_dir() / "store_timezone"
    if cache_file.is_file():
        return _valid_zone(cache_file.read_text().strip(), str(cache_file))
    url = woocommerce_url()
    if url:
        # Lazy: the resources package imports dagster_duckdb and the Fortnox client; only this lookup needs it.
        from woofort_assets.resources.woocommerce import WooCommerceOperatorError, site_index

        try:
            # Strict: an answer that is not WordPress's JSON (a login or maintenance page, a 5xx) is an
            # OperatorError naming WOOCOMMERCE_URL, never a silent fall-back; no answer at all falls back below.
            zone = site_index(url, (4.0, 5.0)).get("timezone_string") or ""
        except WooCommerceOperatorError as error:
            if error.status == 0:  # no answer: the run's own requests will say so; partitions need a zone now
                log.warning("could not read the store's timezone (%s); using %s", error.lines[0], DEFAULT_TIMEZONE)
                return DEFAULT_TIMEZONE
            raise
        except requests.RequestException as error:
            log.warning("could not read the store's timezone (%s); using %s", error, DEFAULT_TIMEZONE)
            return DEFAULT_TIMEZONE
        if zone:
            _valid_zone(zone, "the store's timezone_string")
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                cache_file.write_text(zone)
            except OSError as error:  # the data directory's own check (cli/checks.py) names the problem
                log.warning("could not cache the store's timezone in %s (%s)", cache_file, error)
            return zone
    return DEFAULT_TIMEZONE


@cache
def daily_partitions() -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start_date(), timezone=store_timezone(), end_offset=1)


@cache
def quarterly_partitions() -> dg.TimeWindowPartitionsDefinition:
    """Calendar quarters in the store's timezone from the quarter of the start date, the current one included:
    the periods of the OSS return (defs/reconciliation/oss.py)."""
    first = date.fromisoformat(start_date())
    quarter_start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    return dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1,4,7,10 *", start=quarter_start.isoformat(),
                                             fmt="%Y-%m-%d", timezone=store_timezone(), end_offset=1)
