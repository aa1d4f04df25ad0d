"""Configuration read from the environment, in one place, so that the demo, the tests and a
production deployment go through the same code path and fail the same way on bad input."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CHECKOUT_DIR = PACKAGE_DIR.parent
DEFAULT_TIMEZONE = "Europe/Stockholm"
DEFAULT_START_DATE = "2026-10-01"
DEFAULT_SHOP = "default"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _in_checkout() -> bool:
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "sql").is_dir()


def data_dir() -> Path:
    """`WOOFORT_DATA_DIR`, else `data/` in the checkout (independent of the working directory),
    else the user's data directory for an installed package."""
    configured = os.environ.get("WOOFORT_DATA_DIR")
    if configured:
        path = Path(configured).expanduser().resolve()
    elif _in_checkout():
        path = CHECKOUT_DIR / "data"
    else:
        path = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "woofort"
    path.mkdir(parents=True, exist_ok=True)
    return path


def duckdb_path() -> Path:
    return data_dir() / "woofort.duckdb"


def duckdb_config() -> dict[str, str]:
    """DuckDB settings of every connection. Insertion order is not preserved (every query that needs an order
    says ORDER BY), which lets DuckDB stream and spill large steps; WOOFORT_DUCKDB_MEMORY_LIMIT (e.g. "1GB";
    DuckDB's default is 80 % of RAM) bounds its buffer memory, beyond which it spills to <database>.tmp/."""
    config = {"preserve_insertion_order": "false"}
    limit = os.environ.get("WOOFORT_DUCKDB_MEMORY_LIMIT", "").strip()
    if limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit, re.I):
            raise ConfigError(f"WOOFORT_DUCKDB_MEMORY_LIMIT={limit!r}: a size such as 1GB or 800MB")
        config["memory_limit"] = limit
    return config


def shop_key() -> str:
    """The shop every row belongs to; one shop is the default, several shops later need no rewrite."""
    key = os.environ.get("WOOFORT_SHOP", DEFAULT_SHOP)
    if not key.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"WOOFORT_SHOP={key!r}: use letters, digits, '-' or '_' only")
    return key


def start_date() -> str:
    value = os.environ.get("WOOFORT_START_DATE", DEFAULT_START_DATE)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"WOOFORT_START_DATE={value!r} is not a date: use YYYY-MM-DD") from None
    return value


def mapping_path() -> Path:
    configured = os.environ.get("WOOFORT_MAPPING")
    if configured:
        path = Path(configured).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"WOOFORT_MAPPING={configured!r}: no such file")
        return path
    for candidate in (PACKAGE_DIR / "mapping" / "mapping.yaml", CHECKOUT_DIR / "mapping" / "mapping.yaml"):
        if candidate.is_file():
            return candidate
    raise ConfigError("no accounting mapping file found: set WOOFORT_MAPPING")


def woocommerce_concurrency() -> int:
    """Requests in flight during a crawl. 4 suits shared hosting with a few PHP workers; a store on its own
    server catches up faster with 8 (benchmark B1, docs/performance.md)."""
    value = os.environ.get("WOOCOMMERCE_CONCURRENCY", "4").strip()
    if not value.isdigit() or not 1 <= int(value) <= 16:
        raise ConfigError(f"WOOCOMMERCE_CONCURRENCY={value!r}: a whole number from 1 to 16")
    return int(value)


@dataclass(frozen=True)
class WooCommerceSettings:
    url: str
    consumer_key: str
    consumer_secret: str


def woocommerce_settings() -> WooCommerceSettings:
    missing = [
        name
        for name in ("WOOCOMMERCE_URL", "WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET")
        if not os.environ.get(name)
    ]
    if missing:
        raise ConfigError(
            f"set {', '.join(missing)} (the store's address and a read-only REST API key from "
            "WooCommerce > Settings > Advanced > REST API)"
        )
    url = os.environ["WOOCOMMERCE_URL"].rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"WOOCOMMERCE_URL={url!r} must start with https:// (or http:// for OAuth 1.0a)")
    return WooCommerceSettings(
        url=url,
        consumer_key=os.environ["WOOCOMMERCE_CONSUMER_KEY"],
        consumer_secret=os.environ["WOOCOMMERCE_CONSUMER_SECRET"],
    )
