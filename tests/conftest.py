"""Shared fixtures: sandboxes over real HTTP on loopback, and an isolated woofort environment."""

from __future__ import annotations

import os
import time
from datetime import date

import pytest

os.environ.setdefault("WOOFORT_TIMEZONE", "Europe/Stockholm")
os.environ.setdefault("WOOFORT_START_DATE", "2026-10-01")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.pop("DAGSTER_HOME", None)  # tests never touch a user's instance; those that need one make their own

SANDBOX_KEY, SANDBOX_SECRET = "ck_test_readonly_key", "cs_test_readonly_secret"
DEFAULT_POSTGRES_URL = "postgresql://woofort:woofort@127.0.0.1:5432/woofort_test"


def require(condition: bool, reason: str) -> None:
    """Skip with `reason` when `condition` is false; under CI=true that is a failure instead."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true and a required server is missing: {reason}", pytrace=False)
    pytest.skip(reason)


# ----------------------------------------------------------------------------------------- PostgreSQL
def postgres_url(database: dict) -> str:
    """The URL of a `postgres_database` (WOOFORT_SHARED_STATE_URL's form)."""
    return (f"postgresql://{database['user']}:{database['password']}@{database['host']}:{database['port']}/"
            f"{database['dbname']}")


@pytest.fixture
def postgres_database():
    """A fresh, empty database on the test PostgreSQL server (WOOFORT_TEST_POSTGRES_URL, else
    postgresql://woofort:woofort@127.0.0.1:5432/woofort_test), dropped afterwards. Yields its settings."""
    from urllib.parse import urlparse

    try:
        import psycopg2
    except ImportError:
        require(False, "psycopg2 is not installed (it comes with dagster-postgres)")
    url = os.environ.get("WOOFORT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parts = urlparse(url)
    settings = dict(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "woofort",
                    password=parts.password or "", dbname=(parts.path or "/woofort_test").lstrip("/"))
    try:
        admin = psycopg2.connect(connect_timeout=3, **settings)
    except psycopg2.OperationalError as error:
        require(False, f"no PostgreSQL server at {parts.hostname}:{parts.port} for the instance test "
                       f"(.ci/run starts one; set WOOFORT_TEST_POSTGRES_URL): {str(error).strip().splitlines()[0]}")
    admin.autocommit = True
    name = f"woofort_dagster_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**settings, "dbname": name}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()




@pytest.fixture
def woo_sandbox(tmp_path):
    """A small seeded store over HTTPS with its own test CA."""
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    sandbox = WooCommerceSandbox(
        orders=60, seed=11, start_date="2026-10-01", days=10, tls=True,
        consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET, state_dir=tmp_path / "woo-ca",
    ).start()
    yield sandbox
    sandbox.stop()


FORTNOX_CLIENT, FORTNOX_SECRET, FORTNOX_TENANT = "test-client", "test-client-secret", "5550001"
FAST_RATE_LIMIT = 100_000  # tests other than the limiter's own may raise Fortnox's 25 per 5 s
# Finland's OSS rates, which the WooCommerce sandbox sells at: the sandbox company of the tests has them set up
# (25.5 % is booked through an order: docs/accounting.md §3 "Non-whole rates")
FINNISH_RATES = ("25.5", "14", "10")


@pytest.fixture
def fortnox_sandbox():
    from woofort_sandboxes.fortnox import FortnoxSandbox

    sandbox = FortnoxSandbox(rate_limit=FAST_RATE_LIMIT, clients={FORTNOX_CLIENT: FORTNOX_SECRET},
                             tenant_id=FORTNOX_TENANT).start()
    # öresavrundning off, as docs/accounting.md §10 requires; Finland's OSS rates; the mapping's clearing mode
    sandbox.state.seed_reference({"settings": {"round_off": False, "foreign_vat_rates": list(FINNISH_RATES)},
                                  "modesofpayments": [{"Code": "KVITT", "AccountNumber": 1510}]})
    yield sandbox
    sandbox.stop()


@pytest.fixture
def woofort_env(tmp_path, monkeypatch, woo_sandbox, fortnox_sandbox):
    """Environment pointing the pipeline at both sandboxes, with a data directory of its own."""
    monkeypatch.setenv("FORTNOX_API_URL", fortnox_sandbox.api_url)
    monkeypatch.setenv("FORTNOX_AUTH_URL", fortnox_sandbox.auth_url)
    monkeypatch.setenv("FORTNOX_CLIENT_ID", FORTNOX_CLIENT)
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", FORTNOX_SECRET)
    monkeypatch.setenv("FORTNOX_TENANT_ID", FORTNOX_TENANT)
    monkeypatch.delenv("FORTNOX_REFRESH_TOKEN", raising=False)
    monkeypatch.setenv("FORTNOX_RATE_LIMIT", str(FAST_RATE_LIMIT))
    monkeypatch.setenv("WOOCOMMERCE_URL", woo_sandbox.url)
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_KEY", SANDBOX_KEY)
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_SECRET", SANDBOX_SECRET)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(woo_sandbox.ca_path))
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


EXTRACT_AND_STAGE = ["woocommerce", "staging"]


def sync_range(first: str, last: str, selection: list[str] | None = None, groups: list[str] | None = None):
    """Runs the sync job's assets for a partition range in one run, as `woofort sync` does."""
    import dagster as dg

    from woofort_assets.definitions import build_definitions
    from woofort_assets.defs.automation.jobs import SYNC_SELECTION

    defs = build_definitions()
    if groups is not None:
        keys = dg.AssetSelection.groups(*groups)
    elif selection is not None:
        keys = dg.AssetSelection.assets(*(dg.AssetKey.from_user_string(key) for key in selection))
    else:
        keys = SYNC_SELECTION
    job = dg.define_asset_job("test_sync", selection=keys, partitions_def=defs.resolve_job_def("sync").partitions_def)
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("test_sync").execute_in_process(
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )


def duckdb_rows(sql: str, params=None):
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.settings import duckdb_path

    with connect(duckdb_path()) as con:
        return con.execute(sql, params or []).fetchall()


def days(first: str, count: int) -> list[str]:
    start = date.fromisoformat(first)
    return [date.fromordinal(start.toordinal() + i).isoformat() for i in range(count)]
