"""The EU distance-sales threshold: the Fortnox sandbox's /3/euvatlimitregulation counts the year's sales to
consumers in other member states, and the preflight warns when invoices about to be written charge home VAT
abroad while Fortnox counts this or last year over the threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.accounting.helpers import default_mapping
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.preflight_checks import distance_sales_warnings

from .conftest import customer, invoice


def _home_vat_abroad(order_id: int, country: str = "DK", day: dt.date = dt.date(2026, 10, 5)) -> DeltaRow:
    return DeltaRow(str(order_id), "invoice", "create", None, None, None, order_id, None, None,
                    {"region": "sweden", "tax_country": country, "invoice_date": day})


def test_the_sandbox_counts_sales_to_consumers_abroad(h):
    dk = {**customer("WC1")["payload"]["Customer"], "CountryCode": "DK", "VATType": "SEVAT"}
    h.write_deltas(customer_delta=[{**customer("WC1"), "payload": {"Customer": dk}}, customer("WC2")],
                   invoice_delta=[invoice(1, "WC1", date="2026-10-05"), invoice(2, "WC2", date="2026-10-05")])
    assert h.materialize(preflight=False).success
    limit = h.client().get("/3/euvatlimitregulation", {"year": 2026})["EUVatLimitRegulation"]
    # only the Danish consumer's invoice counts: net 100.00 of the 125.00
    assert (Decimal(str(limit["TotalExclVat"])), limit["Limit"], limit["IsOverLimit"]) == (Decimal(100), 99680, False)


def test_warning_when_over_the_threshold_while_home_vat_is_charged_abroad(h):
    client, checked = h.client(), {}
    assert distance_sales_warnings(client, [_home_vat_abroad(1001)], default_mapping(), checked) == []
    assert set(checked["eu_distance_sales"]) == {2025, 2026}

    with h.sb.state.lock:
        h.sb.state.settings["eu_distance_sales_earlier"] = {"2025": 120000}
    (warning,) = distance_sales_warnings(client, [_home_vat_abroad(1001), _home_vat_abroad(1002, "FI")],
                                         default_mapping(), {})
    assert "EU distance sales 2025" in warning and "2 invoice(s)" in warning and "1001, 1002" in warning
    # a Swedish buyer or an OSS sale charges no home VAT abroad: nothing to warn about
    swedish = DeltaRow("3", "invoice", "create", None, None, None, 3, None, None,
                       {"region": "sweden", "tax_country": "SE", "invoice_date": dt.date(2026, 10, 5)})
    assert distance_sales_warnings(client, [swedish], default_mapping(), {}) == []
