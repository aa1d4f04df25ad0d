"""Every environment variable woofort reads is read here and only here: typed, validated, and documented in one
table, `SETTINGS`, so that the demo, the tests and a production deployment go through the same code path and
fail the same way on bad input.

- The README's configuration table is this table: `python -m woofort_assets.lib.settings` prints it, and
  tests/test_settings.py compares the two both ways (names, defaults, descriptions).
- A value is read when it is used, never at import, so the CLI and the tests can change the environment.
  An empty or blank value counts as unset.
- A malformed value raises `ConfigError` naming the variable and the value (`***` for a secret); the CLI turns it
  into exit code 2.
- Secrets the resources need stay `dg.EnvVar`s (resources/__init__.py, resources/fortnox/resource.py): Dagster
  resolves them when a run starts, so they never reach run config or the event log. They are listed here all the
  same; code outside the CLI only asks whether they are set (`is_set`). `woofort fortnox connect` is the one
  reader of a secret's value (`value`), since it talks to Fortnox outside any run.
- lib/notify.py also scans the whole environment, for values to blank out of an alert: that is not reading a
  setting (see its comment).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from woofort_assets.lib.setting_types import (
    days, existing_file, instance_dir, integer, interval_minutes, iso_date, memory_size, one_of, postgres_url,
    resolved_path, shop_name, text, timezone_name, url)

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CHECKOUT_DIR = PACKAGE_DIR.parent
DEFAULT_TIMEZONE = "Europe/Stockholm"
DEFAULT_START_DATE = "2026-10-01"
DEFAULT_SHOP = "default"
DEFAULT_FORTNOX_API_URL = "https://api.fortnox.se"
DEFAULT_FORTNOX_AUTH_URL = "https://apps.fortnox.se"
DEFAULT_VIES_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Setting:
    """One environment variable. `type` turns its text into the value (raising ValueError saying what is
    expected); `default` is the value when it is unset (None: no value, the caller decides); `shown_default`
    is the README's default column when `default` alone does not say it (computed or required)."""

    name: str
    type: Callable[[str], Any]
    default: Any
    description: str
    shown_default: str | None = None
    secret: bool = False

    @property
    def documented_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return "—" if self.default is None else f"`{self.default}`"


# --------------------------------------------------------------------------------------------- the table
SETTINGS: tuple[Setting, ...] = (
    Setting("WOOCOMMERCE_URL", url, None, "the store's address; the API is `{url}/wp-json/wc/v3`",
            shown_default="required"),
    Setting("WOOCOMMERCE_CONSUMER_KEY", text, None, "a REST API key with **Read** permission: its consumer key",
            shown_default="required", secret=True),
    Setting("WOOCOMMERCE_CONSUMER_SECRET", text, None, "that REST API key's consumer secret",
            shown_default="required", secret=True),
    Setting("WOOCOMMERCE_CONCURRENCY", integer(1, 16), 4,
            "requests in flight while crawling a listing (1–16); 8 catches up faster on a store with its own "
            "server (docs/performance.md, B1)", shown_default="`4`, polite to shared hosting"),
    Setting("WOOCOMMERCE_MAX_RETRIES", integer(0, 10), 5,
            "retries of a failed request (429, 5xx, a dropped connection) with exponential backoff from 0.5 s; "
            "a connection that cannot be made is retried once"),
    Setting("FORTNOX_API_URL", url, DEFAULT_FORTNOX_API_URL, "Fortnox REST API"),
    Setting("FORTNOX_AUTH_URL", url, DEFAULT_FORTNOX_AUTH_URL, "Fortnox OAuth2 server"),
    Setting("FORTNOX_CLIENT_ID", text, None, "your integration's Client-ID from the Fortnox developer portal",
            shown_default="required for the sink"),
    Setting("FORTNOX_CLIENT_SECRET", text, None, "your integration's Client-Secret",
            shown_default="required for the sink", secret=True),
    Setting("FORTNOX_TENANT_ID", text, None, "service-account mode (recommended): the company's tenant id"),
    Setting("FORTNOX_REFRESH_TOKEN", text, None,
            "refresh-token mode: the first token only; once a rotated token is stored, the stored one wins. "
            "Setting both this and `FORTNOX_TENANT_ID` is an error", secret=True),
    Setting("FORTNOX_RATE_LIMIT", integer(1, what=" of requests"), 25,
            "requests per 5 s the client allows itself across all processes; raise only against the sandbox",
            shown_default="`25` (Fortnox's limit)"),
    Setting("FORTNOX_PREFLIGHT_CALIBRATE", one_of("off", "order", "invoice"), "off",
            "before writing invoices, preflight measures Fortnox's VAT rounding as `woofort fortnox calibrate` does, "
            "with a probe `order` or an unbooked `invoice` (uses an invoice number), cancelled at once; a model "
            "other than the one the invoices were built for blocks the run until the next build"),
    Setting("WOOFORT_DATA_DIR", resolved_path, None,
            "DuckDB file (`woofort.duckdb`), Fortnox token, cached store timezone",
            shown_default="`data/` in the checkout, whatever the working directory; `$XDG_DATA_HOME/woofort` "
                          "when installed"),
    Setting("XDG_DATA_HOME", resolved_path, None, "where an installed woofort keeps its data when `WOOFORT_DATA_DIR` "
            "is unset", shown_default="`~/.local/share`"),
    Setting("WOOFORT_TIMEZONE", timezone_name, None, "the store's timezone: partitions are days in store time, "
            "and every schedule runs in it",
            shown_default="the store's `timezone_string` from `/wp-json/` (cached in the data dir), else "
                          f"`{DEFAULT_TIMEZONE}`"),
    Setting("WOOFORT_START_DATE", iso_date, DEFAULT_START_DATE,
            "first daily partition; orders before it are never invoiced"),
    Setting("WOOFORT_MAPPING", existing_file, None, "accounting mapping file",
            shown_default="`mapping/mapping.yaml`"),
    Setting("WOOFORT_FX_RATE_FILE", existing_file, None,
            "CSV of exchange rates (`date,currency,rate,unit`: SEK per `unit` units) for foreign-currency orders "
            "whose meta and Fortnox's currency register give no rate for the day (docs/accounting.md §Foreign "
            "currency)", shown_default="none"),
    Setting("WOOFORT_VIES", one_of("off", "on"), "off",
            "`on`: a buyer's VAT number is also put to the EU's VIES before a sale is booked under reverse charge on "
            "it; a number VIES does not confirm counts as none, and the order waits (docs/accounting.md \"Regions "
            "and VAT numbers\")", shown_default="`off` (format and check digits only)"),
    Setting("WOOFORT_VIES_URL", url, DEFAULT_VIES_URL, "the VIES REST API"),
    Setting("WOOFORT_DUCKDB_MEMORY_LIMIT", memory_size, None,
            "DuckDB's memory limit (e.g. `1GB`): beyond it DuckDB spills to `woofort.duckdb.tmp/`; set it on a "
            "small host or for a large history (1,000,000 orders stage and build their deltas with `1GB`, at most "
            "1.7 GB resident (B2, 2026-12-07); at `500MB` the full build runs out of memory since issue 14: "
            "docs/performance.md)",
            shown_default="DuckDB's default, 80 % of RAM"),
    Setting("WOOFORT_SHOP", shop_name, DEFAULT_SHOP,
            "shop key stored on every row, so several shops into several Fortnox companies need no rewrite"),
    Setting("WOOFORT_SHOPS_FILE", existing_file, None,
            "a shops file listing several shops, each with its store, the names of the variables holding its keys, "
            "its Fortnox company, mapping, timezone and start date (docs/deployment.md \"Many shops\"); "
            "`woofort shops` checks it", shown_default="none: the variables here are the one shop"),
    Setting("WOOFORT_SYNC_INTERVAL_MINUTES", interval_minutes, 15,
            "how often `sync_today` runs: 1–59, or a multiple of 60 up to 720"),
    Setting("WOOFORT_ALERT_WEBHOOK_URL", url, None, "Slack-compatible webhook for alerts",
            shown_default="none (alerts logged only)", secret=True),
    Setting("WOOFORT_SHARED_STATE_URL", postgres_url, None,
            "a PostgreSQL database (the Dagster instance's will do) where every worker, on any machine, keeps the "
            "Fortnox tokens (one row per `WOOFORT_SHOP`, under a lock) and the Fortnox rate-limit window "
            "(docs/deployment.md)",
            shown_default="none: both are files in the data directory", secret=True),
    Setting("WOOFORT_TOKEN_WARN_DAYS", days, 10.0, "warn when the Fortnox refresh token has fewer days left",
            shown_default="`10`"),
    Setting("WOOFORT_PII_RETENTION_DAYS", integer(0, what=" of days"), 90,
            "personal data in raw tables is blanked after this many days"),
    Setting("DAGSTER_HOME", instance_dir, None,
            "Dagster instance (run history, schedules); `make` sets it to `.dagster_home/` in the checkout with "
            "the repo's `dagster.yaml`", shown_default="ephemeral"),
    Setting("REQUESTS_CA_BUNDLE", existing_file, None,
            "a custom CA for TLS (verification is always on); read by `requests` itself",
            shown_default="system CAs"),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not in lib/settings.py SETTINGS: add it there (and to the README)") from None


def is_set(name: str) -> bool:
    """Whether the variable holds a value (for a secret Dagster resolves later: never reads it into anything)."""
    _setting(name)
    return named_secret_is_set(name)


def named_secret_is_set(name: str) -> bool:
    """Whether a variable the shops file names for a shop's key (lib/shops.py) holds a value; never reads it."""
    raw = os.environ.get(name)
    return bool(raw and raw.strip())


def value(name: str) -> Any:
    """The variable's typed value, its default when unset; ConfigError naming it when malformed."""
    setting = _setting(name)
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return setting.default
    try:
        return setting.type(raw)
    except ValueError as error:
        raise ConfigError(f"{name}={'***' if setting.secret else repr(raw)}: {error}") from None


def markdown_table() -> str:
    """The README's configuration table."""
    rows = [f"| `{s.name}` | {s.description} | {s.documented_default} |" for s in SETTINGS]
    return "\n".join(["| variable | meaning | default |", "|---|---|---|", *rows])


# --------------------------------------------------------------------------------------------- accessors
def _in_checkout() -> bool:
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "sql").is_dir()


def data_dir() -> Path:
    """`WOOFORT_DATA_DIR`, else `data/` in the checkout (independent of the working directory),
    else the user's data directory for an installed package.

    Only the path: nothing is created or checked here, so building the CLI's parser (`woofort --help`) works
    whatever state the directory is in. Whoever writes creates it (`lib/duckdb.connect`, the token store, the
    timezone cache); `writable_data_dir()` creates and checks it with a message naming the variable."""
    path = value("WOOFORT_DATA_DIR")
    if path is None:
        path = CHECKOUT_DIR / "data" if _in_checkout() else (
            value("XDG_DATA_HOME") or Path.home() / ".local/share") / "woofort"
    return path


def writable_data_dir() -> Path:
    """The data directory, created if missing; ConfigError naming WOOFORT_DATA_DIR and the path when it cannot
    be created or written (a file in the way, a read-only mount, no permission)."""
    path = data_dir()
    what = f"WOOFORT_DATA_DIR={path}" if is_set("WOOFORT_DATA_DIR") else f"the data directory {path}"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} is a file, not a directory: point WOOFORT_DATA_DIR at a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ConfigError(f"{what} is not writable ({error.strerror or error}): point WOOFORT_DATA_DIR at a "
                          "directory woofort may write") from None
    return path


def duckdb_path() -> Path:
    return data_dir() / "woofort.duckdb"


def duckdb_config() -> dict[str, str]:
    """DuckDB settings of every connection. Insertion order is not preserved (every query that needs an order
    says ORDER BY), which lets DuckDB stream and spill large steps; WOOFORT_DUCKDB_MEMORY_LIMIT (e.g. "1GB";
    DuckDB's default is 80 % of RAM) bounds its buffer memory, beyond which it spills to <database>.tmp/."""
    config = {"preserve_insertion_order": "false"}
    limit = value("WOOFORT_DUCKDB_MEMORY_LIMIT")
    if limit:
        config["memory_limit"] = limit
    return config


def shop_key() -> str:
    """The shop every row belongs to; one shop is the default, several shops later need no rewrite."""
    return value("WOOFORT_SHOP")


def start_date() -> str:
    return value("WOOFORT_START_DATE")


def configured_timezone() -> str | None:
    """WOOFORT_TIMEZONE, None when unset (lib/partitions.store_timezone() then asks the store)."""
    return value("WOOFORT_TIMEZONE")


def mapping_path() -> Path:
    configured = value("WOOFORT_MAPPING")
    if configured is not None:
        return configured
    for candidate in (PACKAGE_DIR / "mapping" / "mapping.yaml", CHECKOUT_DIR / "mapping" / "mapping.yaml"):
        if candidate.is_file():
            return candidate
    raise ConfigError("no accounting mapping file found: set WOOFORT_MAPPING")


def vies_enabled() -> bool:
    return value("WOOFORT_VIES") == "on"


def woocommerce_concurrency() -> int:
    """Requests in flight during a crawl. 4 suits shared hosting with a few PHP workers; a store on its own
    server catches up faster with 8 (benchmark B1, docs/performance.md)."""
    return value("WOOCOMMERCE_CONCURRENCY")


def woocommerce_max_retries() -> int:
    return value("WOOCOMMERCE_MAX_RETRIES")


def woocommerce_url() -> str | None:
    """The store's address without a trailing slash, None when unset."""
    return value("WOOCOMMERCE_URL")


@dataclass(frozen=True)
class WooCommerceSettings:
    url: str
    consumer_key: str
    consumer_secret: str


def woocommerce_settings() -> WooCommerceSettings:
    """For the CLI, which talks to the store outside a run (the resources take `dg.EnvVar`s instead)."""
    names = ("WOOCOMMERCE_URL", "WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET")
    missing = [name for name in names if not is_set(name)]
    if missing:
        raise ConfigError(
            f"set {', '.join(missing)} (the store's address and a read-only REST API key from "
            "WooCommerce > Settings > Advanced > REST API)"
        )
    return WooCommerceSettings(*(value(name) for name in names))


@dataclass(frozen=True)
class FortnoxSettings:
    """What the Fortnox resource is built from; the credentials themselves stay `dg.EnvVar`s."""

    api_url: str
    auth_url: str
    rate_limit: int
    service_account: bool      # FORTNOX_TENANT_ID is set
    seed_refresh_token: bool   # FORTNOX_REFRESH_TOKEN is set


def fortnox_settings() -> FortnoxSettings:
    service_account, seed = is_set("FORTNOX_TENANT_ID"), is_set("FORTNOX_REFRESH_TOKEN")
    if service_account and seed:
        raise ConfigError("both FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN are set: choose one mode "
                          "(unset FORTNOX_REFRESH_TOKEN to use the service account, recommended)")
    return FortnoxSettings(api_url=value("FORTNOX_API_URL"), auth_url=value("FORTNOX_AUTH_URL"),
                           rate_limit=value("FORTNOX_RATE_LIMIT"), service_account=service_account,
                           seed_refresh_token=seed)


def sync_interval_minutes() -> int:
    return value("WOOFORT_SYNC_INTERVAL_MINUTES")


def token_warn_days() -> float:
    return value("WOOFORT_TOKEN_WARN_DAYS")


def pii_retention_days() -> int:
    return value("WOOFORT_PII_RETENTION_DAYS")


def alert_webhook_url() -> str | None:
    return value("WOOFORT_ALERT_WEBHOOK_URL")


def dagster_home() -> Path | None:
    """DAGSTER_HOME when set (the CLI then uses that instance), else None (an ephemeral instance)."""
    return value("DAGSTER_HOME")


if __name__ == "__main__":  # python -m woofort_assets.lib.settings: the README's configuration table
    print(markdown_table())
