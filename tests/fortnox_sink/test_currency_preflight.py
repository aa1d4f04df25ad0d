"""The preflight's currency step (issue #14 item 5): a store kept in another currency than the company's SEK is
refused with a readable message and nothing is written; Fortnox's currency register is stored for the deltas."""

from __future__ import annotations

import datetime as dt

import pytest

from woofort_sandboxes.woocommerce import WooCommerceSandbox

from tests.conftest import SANDBOX_KEY, SANDBOX_SECRET
from woofort_assets.lib.base_currency import read_store_currency, save_store_currency
from woofort_assets.lib.duckdb import connect
from woofort_assets.resources.woocommerce import WooCommerceResource

from .conftest import customer, invoice


def store_currency_of_the_sandbox(currency: str) -> str | None:
    """The store's base currency read from the WooCommerce sandbox's settings/general."""
    import requests

    woo = WooCommerceSandbox(orders=1, seed=1, tls=False, consumer_key=SANDBOX_KEY,
                             consumer_secret=SANDBOX_SECRET).start()
    try:
        requests.post(f"{woo.url}/__sandbox/settings", json={"currency": currency}, timeout=20)
        client = WooCommerceResource(url=woo.url, consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET,
                                     timeout_seconds=20).get_client()
        return read_store_currency(client)
    finally:
        woo.stop()


def test_a_store_in_eur_against_a_sek_company_is_refused(h):
    store = store_currency_of_the_sandbox("EUR")
    assert store == "EUR"
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")])
    with connect(h.db) as con:
        save_store_currency(con, "default", store)
    before = h.writes()
    result = h.materialize(raise_on_error=False)
    assert not result.success and h.writes() == before
    problems = result.get_asset_check_evaluations()[0].metadata["problems"].value
    assert "the store's is EUR" in problems and "keeps its books in SEK" in problems
    assert "WooCommerce > Settings > General > Currency" in problems

    with connect(h.db) as con:   # the store set to SEK: the preflight passes and the sinks write
        save_store_currency(con, "default", store_currency_of_the_sandbox("SEK"))
    assert h.materialize().success and set(h.ledger("invoice")) == {"1"}


def test_the_register_is_stored_for_the_deltas(h):
    with h.sb.state.lock:
        h.sb.state.seed_reference({"currencies": [{"Code": "EUR", "BuyRate": 11.37, "SellRate": 11.5, "Unit": 1,
                                                   "Date": "2026-10-15"}]})
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")])
    assert h.materialize().success
    stored = {r[0]: r[1:] for r in h.sql("SELECT currency, rate_date, CAST(rate AS VARCHAR), CAST(unit AS VARCHAR) "
                                         "FROM ledger.fortnox_currency_rates")}
    assert stored["EUR"] == (dt.date(2026, 10, 15), "11.370000", "1.000000")
    assert "SEK" not in stored


def test_the_sandbox_refuses_an_unknown_exchange_difference_model(h):
    with pytest.raises(ValueError, match="exchange_difference"):
        h.sb.state.seed_reference({"settings": {"exchange_difference": "bank_rate"}})
    assert h.sb.state.settings["exchange_difference"] == "currency_accounts"


def test_a_currency_fortnox_lacks_is_a_warning(h):
    with h.sb.state.lock:
        del h.sb.state.docs["currencies"]["NOK"]
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")])
    result = h.materialize()
    assert result.success
    warnings = result.get_asset_check_evaluations()[0].metadata["warnings"].value
    assert "currency register: NOK not read" in warnings
    assert {r[0] for r in h.sql("SELECT currency FROM ledger.fortnox_currency_rates")} == {"EUR", "USD"}
