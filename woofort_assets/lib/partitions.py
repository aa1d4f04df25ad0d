"""Daily partitions in the store's timezone, so a day in Dagster is the shop's business day."""

from __future__ import annotations

import logging
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
        try:
            index = requests.get(f"{url}/wp-json/", timeout=5).json()
            zone = index.get("timezone_string") or ""
            if zone:
                _valid_zone(zone, "the store's timezone_string")
                cache_file.write_text(zone)
                return zone
        except (requests.RequestException, ValueError) as error:
            log.warning("could not read the store's timezone (%s); using %s", error, DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE


@cache
def daily_partitions() -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start_date(), timezone=store_timezone(), end_offset=1)
