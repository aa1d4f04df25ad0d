"""Sandboxes of the reconciliation tests: a store of any size and a Fortnox company with the tenant settings
under test (öresavrundning), wired like tests/conftest.py's `woofort_env`."""

from __future__ import annotations

import pytest

from tests.conftest import (FAST_RATE_LIMIT, FINNISH_RATES, FORTNOX_CLIENT, FORTNOX_SECRET, FORTNOX_TENANT,
                            SANDBOX_KEY, SANDBOX_SECRET)


@pytest.fixture
def books_env(tmp_path, monkeypatch):
    """books_env(orders=.., days=.., seed=.., round_off=False, foreign_vat_rates=()) -> (woocommerce sandbox,
    fortnox sandbox); `foreign_vat_rates`: the OSS rates the company has set up (DE 19 and 7 for OSS sales) besides
    Finland's, which the WooCommerce sandbox sells at and the company always has (as in tests/conftest.py)."""
    from woofort_sandboxes.fortnox import FortnoxSandbox
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    started = []

    def make(orders: int = 60, days: int = 10, seed: int = 11, round_off: bool = False,
             foreign_vat_rates: tuple[int, ...] = ()):
        woo = WooCommerceSandbox(orders=orders, seed=seed, start_date="2026-10-01", days=days, tls=True,
                                 consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET,
                                 state_dir=tmp_path / "woo-ca").start()
        started.append(woo)
        fortnox = FortnoxSandbox(rate_limit=FAST_RATE_LIMIT, clients={FORTNOX_CLIENT: FORTNOX_SECRET},
                                 tenant_id=FORTNOX_TENANT).start()
        started.append(fortnox)
        with fortnox.state.lock:   # the default mapping names PAYPAL and KVITT; the tenant's öresavrundning under test
            fortnox.state.seed_reference({"modesofpayments": [{"Code": "PAYPAL", "AccountNumber": 1580},
                                                              {"Code": "KVITT", "AccountNumber": 1510}],
                                          "settings": {"round_off": round_off,
                                                       "foreign_vat_rates": [*map(str, foreign_vat_rates),
                                                                             *FINNISH_RATES]}})
        for key, value in {
            "FORTNOX_API_URL": fortnox.api_url, "FORTNOX_AUTH_URL": fortnox.auth_url,
            "FORTNOX_CLIENT_ID": FORTNOX_CLIENT, "FORTNOX_CLIENT_SECRET": FORTNOX_SECRET,
            "FORTNOX_TENANT_ID": FORTNOX_TENANT, "FORTNOX_RATE_LIMIT": str(FAST_RATE_LIMIT),
            "WOOCOMMERCE_URL": woo.url, "WOOCOMMERCE_CONSUMER_KEY": SANDBOX_KEY,
            "WOOCOMMERCE_CONSUMER_SECRET": SANDBOX_SECRET, "REQUESTS_CA_BUNDLE": str(woo.ca_path),
            "WOOFORT_DATA_DIR": str(tmp_path / "data"),
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("FORTNOX_REFRESH_TOKEN", raising=False)
        return woo, fortnox

    yield make
    for sandbox in reversed(started):
        sandbox.stop()
