"""The preflight asks Fortnox only what the pending documents need (docs/performance.md "Preflight"): a sync with
nothing to write makes no call, a day of vouchers a handful, and orders waiting for an exchange rate still get the
currency register read."""

from __future__ import annotations

import dagster as dg

from tests.fortnox_sink.test_daily_vouchers import Shop, mapping_text, order
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.defs.fortnox.preflight import fortnox_preflight
from woofort_assets.lib.duckdb import connect

from .conftest import customer, invoice


def preflight_calls(h) -> tuple[dg.ExecuteInProcessResult, dict[str, int]]:
    """The preflight's result and the Fortnox API calls it made, per method and path."""
    before = h.sb.counters_snapshot()
    result = dg.materialize([fortnox_preflight], resources=h.resources())
    after = h.sb.counters_snapshot()
    return result, {k: after[k] - before.get(k, 0) for k in after
                    if " /3/" in k and after[k] != before.get(k, 0)}


def checked(result) -> dict:
    return result.get_asset_check_evaluations()[0].metadata["checked"].value


def test_nothing_pending_makes_no_call(h):
    h.write_deltas()
    result, calls = preflight_calls(h)
    assert calls == {}
    assert result.get_asset_check_evaluations()[0].passed
    assert checked(result)["pending"] == "nothing: no call made"


def test_a_pending_invoice_still_gets_every_check_it_needs(h):
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")])
    _, calls = preflight_calls(h)
    assert {"GET /3/customers", "GET /3/invoices", "GET /3/financialyears", "GET /3/accounts",
            "GET /3/termsofpayments", "GET /3/currencies/<code>"} <= set(calls)
    assert calls["GET /3/financialyears"] == 1   # the scope's probe is the month's financial-year question
    assert "GET /3/modesofpayments" not in calls  # no payment pending


def test_a_day_of_vouchers_costs_six_calls(h, monkeypatch):
    shop = Shop(h)
    (h.tmp / "mapping.yaml").write_text(mapping_text(), encoding="utf-8")
    monkeypatch.setenv("WOOFORT_MAPPING", str(h.tmp / "mapping.yaml"))
    shop.put(order(1001), order(1002, method="swish"), order(1003, method="klarna"))
    with connect(h.db) as con:
        build_all(con, shop.mapping, "default", "2026-10-01")
    result, calls = preflight_calls(h)
    assert result.get_asset_check_evaluations()[0].passed
    assert calls == {"GET /3/inbox": 1, "GET /3/voucherfileconnections": 1, "GET /3/financialyears": 1,
                     "GET /3/settings/lockedperiod": 1, "GET /3/accounts": 1, "GET /3/voucherseries/<code>": 1}
    with h.sb.state.lock:
        assert checked(result)["chart_of_accounts"] == len(h.sb.state.docs["accounts"]) <= 500


def test_orders_waiting_for_a_rate_get_the_register_read_with_nothing_pending(h):
    with h.sb.state.lock:
        h.sb.state.seed_reference({"currencies": [{"Code": "EUR", "BuyRate": 11.37, "SellRate": 11.5, "Unit": 1,
                                                   "Date": "2026-10-15"}]})
    h.write_deltas()
    h.sql("CREATE OR REPLACE TABLE deltas.invoice_exclusions AS "
          "SELECT 'default' AS shop, 7 AS order_id, 'no_rate_for_date' AS reason")
    _, calls = preflight_calls(h)
    assert set(calls) == {"GET /3/currencies/<code>"}
    assert h.sql("SELECT rate_date FROM ledger.fortnox_currency_rates WHERE currency = 'EUR'")[0][0].isoformat() \
        == "2026-10-15"
