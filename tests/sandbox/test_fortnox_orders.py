"""The Fortnox sandbox's /3/orders over real HTTP: create, read, update, cancel, createinvoice, with decimal VAT on
order rows, and the tenant's VAT-rounding model (settings vat_rounding, half_rounding, round_off: arithmetic R5,
R10) applied to orders and invoices alike. Amounts compared as Decimals (parse_float=Decimal)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from woofort_sandboxes.fortnox.resources.common import today

MODELS = [(v, h, r) for v in ("per_rate_sum", "per_row") for h in ("up", "even") for r in (True, False)]
# ten rows of 0.04 at 12 % (VAT 0.0048 each) and one of 0.75 at 6 % (VAT 0.045, an exact half öre)
PROBE_ROWS = [{"AccountNumber": 3002, "VAT": 12, "Price": "0.04"}] * 10 + [
    {"AccountNumber": 3003, "VAT": 6, "Price": "0.75"}]


class Api:
    def __init__(self, sb, settings: dict):
        sb.reset()
        sb.state.seed_reference({"settings": settings})
        self.sb, self.token = sb, sb.issue_access_token()
        self.customer = self.ok("POST", "/3/customers", {"Customer": {"Name": "Kund AB"}})["Customer"]["CustomerNumber"]

    def __call__(self, method, path, json=None):
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        return requests.request(method, self.sb.api_url + path, json=json, headers=h, timeout=10)

    def ok(self, method, path, json=None, status=None):
        r = self(method, path, json=json)
        assert r.status_code == (status or (201 if method == "POST" else 200)), r.text
        return r.json(parse_float=Decimal)

    def order(self, rows, **header) -> dict:
        body = {"CustomerNumber": self.customer, **header,
                "OrderRows": [{"Description": "Vara", "OrderedQuantity": 1, "DeliveredQuantity": 1, **r} for r in rows]}
        return self.ok("POST", "/3/orders", {"Order": body})["Order"]


@pytest.mark.parametrize("vat_rounding,half_rounding,round_off", MODELS)
def test_probe_order_totals_follow_the_tenant_model(sb, vat_rounding, half_rounding, round_off):
    api = Api(sb, {"vat_rounding": vat_rounding, "half_rounding": half_rounding, "round_off": round_off})
    order = api.order(PROBE_ROWS)
    vat_12 = Decimal("0.05") if vat_rounding == "per_rate_sum" else Decimal("0")   # 0.40 x 12 % = 0.048
    vat_6 = Decimal("0.05") if half_rounding == "up" else Decimal("0.04")          # 0.75 x 6 % = 0.045
    assert order["Net"] == Decimal("1.15")
    assert order["TotalVAT"] == vat_12 + vat_6
    unrounded = Decimal("1.15") + vat_12 + vat_6
    assert order["RoundOff"] == (Decimal("1") - unrounded if round_off else 0)
    assert order["Total"] == (Decimal("1") if round_off else unrounded)
    # the same rows on an invoice come out the same (one arithmetic for both documents)
    inv = api.ok("POST", "/3/invoices", {"Invoice": {"CustomerNumber": api.customer, "InvoiceRows": [
        {"Description": "Vara", "DeliveredQuantity": 1, **r} for r in PROBE_ROWS]}})["Invoice"]
    assert (inv["TotalVAT"], inv["RoundOff"], inv["Total"]) == (order["TotalVAT"], order["RoundOff"], order["Total"])


def test_unknown_model_setting_is_refused(sb):
    with pytest.raises(ValueError, match="vat_rounding must be one of"):
        sb.state.seed_reference({"settings": {"vat_rounding": "per_line"}})


def test_order_rows_keep_decimal_vat_and_createinvoice_copies_it(sb):
    api = Api(sb, {"round_off": False, "foreign_vat_rates": [25.5]})
    order = api.order([{"AccountNumber": 3106, "VAT": 25.5, "Price": "100.00"},
                       {"AccountNumber": 3001, "VAT": 25, "Price": "10.00", "OrderedQuantity": 2,
                        "DeliveredQuantity": 0}], ExternalInvoiceReference1="4711")
    assert [r["VAT"] for r in order["OrderRows"]] == [Decimal("25.5"), 25]
    assert order["TotalVAT"] == Decimal("25.50") + Decimal("5.00")
    number = order["DocumentNumber"]
    assert api.ok("GET", f"/3/orders/{number}")["Order"]["Total"] == Decimal("150.50")
    inv = api.ok("PUT", f"/3/orders/{number}/createinvoice", status=201)["Invoice"]
    assert [r["VAT"] for r in inv["InvoiceRows"]] == [Decimal("25.5"), 25]
    assert [r["DeliveredQuantity"] for r in inv["InvoiceRows"]] == ["1", "2"]  # nothing delivered: the ordered 2
    assert (inv["TotalVAT"], inv["Total"], inv["OrderReference"]) == (Decimal("30.50"), Decimal("150.50"), number)
    assert inv["ExternalInvoiceReference1"] == "4711"
    again = api.ok("GET", f"/3/orders/{number}")["Order"]
    assert again["InvoiceReference"] == inv["DocumentNumber"]
    refused = api("PUT", f"/3/orders/{number}/createinvoice")
    assert refused.status_code == 400 and "fakturerad" in refused.text


def test_order_update_cancel_and_listing(sb):
    api = Api(sb, {"round_off": False})
    number = api.order([{"AccountNumber": 3001, "Price": "10.00"}])["DocumentNumber"]
    changed = api.ok("PUT", f"/3/orders/{number}", {"Order": {"OrderRows": [
        {"AccountNumber": 3002, "VAT": 12, "Price": "20.00", "OrderedQuantity": 3}]}})["Order"]
    assert (changed["Net"], changed["TotalVAT"], changed["OrderRows"][0]["VAT"]) == (60, Decimal("7.20"), 12)
    assert api.ok("PUT", f"/3/orders/{number}/cancel")["Order"]["Cancelled"] is True
    assert api("PUT", f"/3/orders/{number}/createinvoice").status_code == 400
    listed = api.ok("GET", "/3/orders?filter=cancelled")["Orders"]
    assert [o["DocumentNumber"] for o in listed] == [number]
    missing = api("GET", "/3/orders/999")
    assert missing.status_code == 404 and "2000439" in missing.text
    assert api("POST", "/3/orders", {"Order": {"CustomerNumber": api.customer, "Bogus": 1}}).status_code == 400


@pytest.mark.parametrize("invoice_date,copies", [("today", True), ("order_date", False)])
def test_createinvoice_date_and_references_follow_the_tenant_guess(sb, invoice_date, copies):
    api = Api(sb, {"round_off": False, "foreign_vat_rates": [13.5], "createinvoice_invoice_date": invoice_date,
                   "createinvoice_copies_references": copies})
    order = api.order([{"AccountNumber": 3106, "VAT": 13.5, "Price": "100.00"}], OrderDate="2026-10-05",
                      ExternalInvoiceReference1="2004")
    inv = api.ok("PUT", f"/3/orders/{order['DocumentNumber']}/createinvoice", status=201)["Invoice"]
    if invoice_date == "order_date":
        assert (inv["InvoiceDate"], inv["DueDate"]) == ("2026-10-05", "2026-11-04")   # terms 30 from the order
    else:
        assert inv["InvoiceDate"] == today()
    assert inv["ExternalInvoiceReference1"] == ("2004" if copies else "")
    assert (inv["TotalVAT"], inv["Total"]) == (Decimal("13.50"), Decimal("113.50"))
    # the invoice's dates can be set afterwards without touching its decimal rows (what the sink does)
    changed = api.ok("PUT", f"/3/invoices/{inv['DocumentNumber']}",
                     {"Invoice": {"InvoiceDate": "2026-10-06", "DueDate": "2026-11-05"}})["Invoice"]
    assert (changed["InvoiceDate"], changed["InvoiceRows"][0]["VAT"], changed["TotalVAT"]) == (
        "2026-10-06", Decimal("13.5"), Decimal("13.50"))
