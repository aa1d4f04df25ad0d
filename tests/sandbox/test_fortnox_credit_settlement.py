"""How the Fortnox sandbox settles a credit invoice against the invoice it credits: the tenant setting
`credit_settlement` ("clears", the default GUESS, or "open"), over real HTTP. Balances are compared as Decimals
(responses parsed with parse_float=Decimal). Background: docs/fortnox-fidelity.md (hand-written part)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests

MODES = ("clears", "open")
OLD = "2000-01-01 00:00:00"  # a _modified stamp far in the past, to see which documents a call touches
KVITT = {"Code": "KVITT", "Description": "Kvittning", "AccountNumber": 1510}


def D(x) -> Decimal:
    return Decimal(str(x))


def _fresh(sb, mode: str | None) -> "Api":
    sb.reset()
    year = dt.date.today().year
    if sb.state.financial_year_for(dt.date.today().isoformat()) is None:  # keep bookkeep working after 2026
        sb.state.seed_reference({"financialyears": [{"Id": 9, "FromDate": f"{year}-01-01",
                                                     "ToDate": f"{year}-12-31"}]})
    settings = {"round_off": False}
    if mode is not None:
        settings["credit_settlement"] = mode
    sb.state.seed_reference({"settings": settings})
    return Api(sb)


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def api(sb, mode):
    return _fresh(sb, mode)


class Api:
    def __init__(self, sb):
        self.sb = sb
        self.token = sb.issue_access_token()

    def __call__(self, method, path, json=None):
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        return requests.request(method, self.sb.api_url + path, json=json, headers=h, timeout=10)

    def ok(self, method, path, json=None):
        r = self(method, path, json=json)
        assert r.status_code == (201 if method == "POST" else 200), r.text
        return r.json(parse_float=Decimal)

    def invoice(self, qty=5, price="10.04", book=True) -> dict:
        """5 x 10.04 at 25 % VAT: Net 50.20, VAT 12.55, Total 62.75 (round_off off)."""
        cust = self.ok("POST", "/3/customers", {"Customer": {"Name": "Kund AB"}})["Customer"]["CustomerNumber"]
        inv = self.ok("POST", "/3/invoices", {"Invoice": {"CustomerNumber": cust, "InvoiceRows": [
            {"AccountNumber": 3001, "Description": "Vara", "DeliveredQuantity": qty, "Price": price}]}})["Invoice"]
        if book:
            inv = self.ok("PUT", f"/3/invoices/{inv['DocumentNumber']}/bookkeep")["Invoice"]
        return inv

    def partial_credit(self, inv: dict) -> dict:
        """A credit invoice by POST of 2 x 10.04 of `inv` (Total −25.10)."""
        return self.ok("POST", "/3/invoices", {"Invoice": {
            "CustomerNumber": inv["CustomerNumber"], "CreditInvoiceReference": inv["DocumentNumber"],
            "InvoiceRows": [{"AccountNumber": 3001, "Description": "Retur", "DeliveredQuantity": 2,
                             "Price": "10.04"}]}})["Invoice"]

    def get(self, number) -> dict:
        return self.ok("GET", f"/3/invoices/{number}")["Invoice"]

    def listed(self, number) -> dict:
        items = self.ok("GET", f"/3/invoices?documentnumber={number}&limit=500")["Invoices"]
        return next(i for i in items if i["DocumentNumber"] == str(number))

    def pay(self, number, amount, **kw) -> dict:
        return self.ok("POST", "/3/invoicepayments", {"InvoicePayment": {
            "InvoiceNumber": int(number), "Amount": str(amount), **kw}})["InvoicePayment"]

    def balances(self, *numbers) -> tuple:
        """(Balance from GET, Balance from the list) for each number; the two must agree."""
        out = []
        for n in numbers:
            one, item = self.get(n)["Balance"], self.listed(n)["Balance"]
            assert D(one) == D(item), (n, one, item)
            out.append(D(one))
        return tuple(out)

    def backdate(self, *numbers) -> str:
        """Set _modified of the documents far back; returns a lastmodified stamp for 'touched after now'."""
        with self.sb.state.lock:
            for n in numbers:
                self.sb.state["invoices"][str(n)]["_modified"] = OLD
        return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")

    def modified_since(self, stamp) -> set[str]:
        items = self.ok("GET", f"/3/invoices?lastmodified={stamp}&limit=500")["Invoices"]
        return {i["DocumentNumber"] for i in items}


def days_since(start: str) -> set[str]:
    """The dates from start to today: a test that runs across midnight may see either."""
    return {start, dt.date.today().isoformat()}


# --------------------------------------------------------------------------------------------- full credit
def test_full_credit_of_unpaid_booked_invoice(api, mode):
    start = dt.date.today().isoformat()
    inv = api.invoice()
    n = inv["DocumentNumber"]
    assert D(inv["Total"]) == Decimal("62.75") and D(inv["Balance"]) == Decimal("62.75")
    stamp = api.backdate(n)
    orig = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]
    c = orig["CreditInvoiceReference"]
    cr = api.get(c)
    assert cr["Credit"] == "true" and D(cr["Total"]) == Decimal("-62.75") and "_settled" not in cr
    if mode == "clears":
        assert D(orig["Balance"]) == 0  # the PUT /credit answer already shows the offset
        assert api.balances(n, c) == (Decimal("0"), Decimal("0"))
        assert api.get(n)["FinalPayDate"] == api.get(c)["FinalPayDate"] == cr["InvoiceDate"]
        assert cr["InvoiceDate"] in days_since(start)
        assert api.listed(n)["FinalPayDate"] == cr["InvoiceDate"]
        unpaid = set()
    else:
        assert api.balances(n, c) == (Decimal("62.75"), Decimal("-62.75"))
        assert api.get(n)["FinalPayDate"] is None and cr["FinalPayDate"] is None
        unpaid = {n, c}
    got = {i["DocumentNumber"] for i in api.ok("GET", "/3/invoices?filter=unpaid")["Invoices"]}
    assert got == unpaid
    assert {n, c} <= api.modified_since(stamp)  # the original moved on lastmodified
    state = requests.get(api.sb.api_url + "/__sandbox/state", timeout=10).json()
    assert not any("_settled" in d for d in state["invoices"])  # private, never rendered


def test_credit_invoice_saved_again_resettles(api, mode):
    """[WFH] PUTs the credit invoice after PUT /credit (rows of a partial refund): the offset follows."""
    n = api.invoice()["DocumentNumber"]
    c = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]["CreditInvoiceReference"]
    stamp = api.backdate(n, c)
    upd = api.ok("PUT", f"/3/invoices/{c}", {"Invoice": {"InvoiceRows": [
        {"AccountNumber": 3001, "Description": "Vara", "DeliveredQuantity": 2, "Price": "10.04"}]}})["Invoice"]
    assert D(upd["Total"]) == Decimal("-25.10")  # 2 x -10.04 = -20.08 + VAT -5.02
    if mode == "clears":
        assert D(upd["Balance"]) == 0
        assert api.balances(n, c) == (Decimal("37.65"), Decimal("0"))
        assert api.get(n)["FinalPayDate"] is None
    else:
        assert api.balances(n, c) == (Decimal("62.75"), Decimal("-25.10"))
    assert {n, c} <= api.modified_since(stamp)


# --------------------------------------------------------------------------------------------- partial credit
def test_partial_credit_by_post_of_unpaid_invoice_then_payment(api, mode):
    inv = api.invoice()
    n = inv["DocumentNumber"]
    stamp = api.backdate(n)
    cr = api.partial_credit(inv)
    c = cr["DocumentNumber"]
    assert cr["Credit"] == "true" and cr["CreditInvoiceReference"] == n and D(cr["Total"]) == Decimal("-25.10")
    assert api.get(n)["CreditInvoiceReference"] == c
    assert n in api.modified_since(stamp)
    if mode == "clears":
        assert D(cr["Balance"]) == 0 and cr["FinalPayDate"] == cr["InvoiceDate"]
        assert api.balances(n, c) == (Decimal("37.65"), Decimal("0"))
    else:
        assert D(cr["Balance"]) == Decimal("-25.10") and cr["FinalPayDate"] is None
        assert api.balances(n, c) == (Decimal("62.75"), Decimal("-25.10"))
    assert api.get(n)["FinalPayDate"] is None

    # the customer pays what is left to pay: a payment on a credited invoice still reduces its Balance
    stamp = api.backdate(n)
    pay = api.pay(n, "37.65", ModeOfPayment="BG")
    assert D(pay["Amount"]) == Decimal("37.65")
    assert n in api.modified_since(stamp)
    if mode == "clears":
        assert api.balances(n, c) == (Decimal("0"), Decimal("0"))  # the offset is kept when payments come
        assert api.get(n)["FinalPayDate"] == pay["PaymentDate"]
    else:
        assert api.balances(n, c) == (Decimal("25.10"), Decimal("-25.10"))
        assert api.get(n)["FinalPayDate"] is None


def test_partial_credit_of_partly_paid_invoice_offsets_only_the_open_balance(api, mode):
    inv = api.invoice()
    n = inv["DocumentNumber"]
    api.pay(n, "50.00")
    assert api.balances(n) == (Decimal("12.75"),)
    cr = api.partial_credit(inv)
    c = cr["DocumentNumber"]
    if mode == "clears":  # m = min(12.75, 25.10): the rest stays the customer's credit
        assert api.balances(n, c) == (Decimal("0"), Decimal("-12.35"))
        assert api.get(n)["FinalPayDate"] == cr["InvoiceDate"]
    else:
        assert api.balances(n, c) == (Decimal("12.75"), Decimal("-25.10"))


def test_cancelled_credit_invoice_gives_the_balance_back(api, mode):
    inv = api.invoice()
    n = inv["DocumentNumber"]
    c = api.partial_credit(inv)["DocumentNumber"]
    api.ok("PUT", f"/3/invoices/{c}/cancel")
    assert api.balances(n) == (Decimal("62.75"),)


# --------------------------------------------------------------------------------------------- paid invoice
def test_credit_of_paid_invoice_stays_open_as_the_customers_credit(api, mode):
    n = api.invoice()["DocumentNumber"]
    pay = api.pay(n, "62.75", ModeOfPayment="KORT")
    assert api.balances(n) == (Decimal("0"),) and api.get(n)["FinalPayDate"] == pay["PaymentDate"]
    c = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]["CreditInvoiceReference"]
    assert api.balances(n, c) == (Decimal("0"), Decimal("-62.75"))  # nothing to offset, in both modes
    assert api.get(n)["FinalPayDate"] == pay["PaymentDate"] and api.get(c)["FinalPayDate"] is None
    refund = api.pay(c, "-62.75", ModeOfPayment="KORT")  # the money paid back
    assert D(refund["Amount"]) == Decimal("-62.75") and refund["ModeOfPaymentAccount"] == 1580
    assert api.balances(n, c) == (Decimal("0"), Decimal("0"))
    assert api.get(c)["FinalPayDate"] == refund["PaymentDate"]


# --------------------------------------------------------------------------------------------- clearing payments
def _clear_like_woofort(api, n, c) -> list[dict]:
    """What woofort does: read both balances after writing; pair what is open on the clearing mode KVITT."""
    m = min(D(api.get(n)["Balance"]), -D(api.get(c)["Balance"]))
    if m <= 0:
        return []
    return [api.pay(n, m, ModeOfPayment="KVITT"), api.pay(c, -m, ModeOfPayment="KVITT")]


def test_paired_clearing_payments_settle_both(api, mode):
    start = dt.date.today().isoformat()
    n = api.invoice()["DocumentNumber"]
    c = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]["CreditInvoiceReference"]
    # KVITT is not in the default seed: POST /3/invoicepayments checks ModeOfPayment
    r = api("POST", "/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(n), "Amount": 1,
                                                              "ModeOfPayment": "KVITT"}})
    assert r.status_code == 400 and r.json()["ErrorInformation"]["code"] == 2000655
    api.sb.state.seed_reference({"modesofpayments": [KVITT]})
    stamp = api.backdate(n, c)
    pays = _clear_like_woofort(api, n, c)
    if mode == "clears":
        assert pays == []  # Fortnox already offset them: nothing is open, nothing is paired
    else:
        assert [D(p["Amount"]) for p in pays] == [Decimal("62.75"), Decimal("-62.75")]
        assert all(p["ModeOfPaymentAccount"] == 1510 for p in pays)
        assert {n, c} <= api.modified_since(stamp)
        for p in pays:  # the clearing vouchers: 1510 against 1510, balanced
            api.ok("PUT", f"/3/invoicepayments/{p['Number']}/bookkeep")
        rows = [r for v in api.ok("GET", "/3/vouchers/sublist/C")["Vouchers"]
                for r in api.ok("GET", f"/3/vouchers/C/{v['VoucherNumber']}?financialyear={v['Year']}")[
                    "Voucher"]["VoucherRows"]]
        assert {r["Account"] for r in rows} == {1510}
        assert sum(D(r["Debit"]) for r in rows) == sum(D(r["Credit"]) for r in rows) == Decimal("125.50")
    assert api.balances(n, c) == (Decimal("0"), Decimal("0"))
    assert api.get(n)["FinalPayDate"] == api.get(c)["FinalPayDate"]
    assert api.get(n)["FinalPayDate"] in days_since(start)
    assert api.ok("GET", "/3/invoices?filter=unpaid")["Invoices"] == []


def test_pairing_after_a_partial_credit_and_payment(api, mode):
    """Partial credit by POST, customer pays the rest, then woofort pairs whatever is still open."""
    api.sb.state.seed_reference({"modesofpayments": [KVITT]})
    inv = api.invoice()
    n = inv["DocumentNumber"]
    c = api.partial_credit(inv)["DocumentNumber"]
    api.pay(n, "37.65", ModeOfPayment="BG")
    pays = _clear_like_woofort(api, n, c)
    assert [D(p["Amount"]) for p in pays] == ([] if mode == "clears" else [Decimal("25.10"), Decimal("-25.10")])
    assert api.balances(n, c) == (Decimal("0"), Decimal("0"))


def test_paying_more_than_the_balance_is_accepted(api, mode):
    """The sandbox does not refuse an overpayment (GUESS, unchanged): the Balance goes past 0. This is what a
    client that pairs without reading the balances would cause under "clears"."""
    api.sb.state.seed_reference({"modesofpayments": [KVITT]})
    n = api.invoice()["DocumentNumber"]
    c = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]["CreditInvoiceReference"]
    api.pay(n, "62.75", ModeOfPayment="KVITT")
    api.pay(c, "-62.75", ModeOfPayment="KVITT")
    if mode == "clears":
        assert api.balances(n, c) == (Decimal("-62.75"), Decimal("62.75"))
        assert api.get(n)["FinalPayDate"] is None
    else:
        assert api.balances(n, c) == (Decimal("0"), Decimal("0"))


# --------------------------------------------------------------------------------------------- the setting
def test_setting_via_control_api(sb, mode):
    api = _fresh(sb, None)
    assert sb.state.settings["credit_settlement"] == "clears"  # the default
    base = sb.api_url + "/__sandbox"
    r = requests.post(base + "/seed", json={"settings": {"credit_settlement": mode}}, timeout=10)
    assert r.status_code == 200, r.text
    assert requests.get(base + "/state", timeout=10).json()["settings"]["credit_settlement"] == mode
    n = api.invoice()["DocumentNumber"]
    c = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]["CreditInvoiceReference"]
    expected = (Decimal("0"), Decimal("0")) if mode == "clears" else (Decimal("62.75"), Decimal("-62.75"))
    assert api.balances(n, c) == expected
    # an unknown value is refused and changes nothing (control API: 400; Python: ValueError)
    r = requests.post(base + "/seed", json={"settings": {"credit_settlement": "sometimes"},
                                            "modesofpayments": [KVITT]}, timeout=10)
    assert r.status_code == 400 and "credit_settlement" in r.json()["error"]
    state = requests.get(base + "/state", timeout=10).json()
    assert state["settings"]["credit_settlement"] == mode
    assert not any(m["Code"] == "KVITT" for m in state["modesofpayments"])
    with pytest.raises(ValueError):
        sb.state.seed_reference({"settings": {"credit_settlement": "Clears"}})
    # changing the setting does not rewrite documents already settled
    sb.state.seed_reference({"settings": {"credit_settlement": "open" if mode == "clears" else "clears"}})
    assert api.balances(n, c) == expected
    requests.post(base + "/reset", timeout=10)
    assert requests.get(base + "/state", timeout=10).json()["settings"]["credit_settlement"] == "clears"


def test_foreign_vat_rates_are_refused_until_the_tenant_has_them(sb):
    """An OSS rate (19 %) is 2000760 on a new company; a company registered for OSS lists its rates
    (`foreign_vat_rates`). A non-whole rate (FI 25.5 %) cannot be sent at all: a row's VAT is an integer."""
    api = _fresh(sb, None)
    cust = api.ok("POST", "/3/customers", {"Customer": {"Name": "Kunde GmbH", "VATType": "EUVAT"}})["Customer"]

    def invoice(vat):
        return {"Invoice": {"CustomerNumber": cust["CustomerNumber"], "InvoiceRows": [
            {"AccountNumber": 3106, "Description": "Ware", "DeliveredQuantity": 1, "Price": "100.00", "VAT": vat}]}}

    refused = api("POST", "/3/invoices", invoice(19))
    assert refused.status_code == 400 and refused.json()["ErrorInformation"]["code"] == 2000760
    sb.state.seed_reference({"settings": {"foreign_vat_rates": [19, 7]}})
    inv = api.ok("POST", "/3/invoices", invoice(19))["Invoice"]
    assert [D(r["VAT"]) for r in inv["InvoiceRows"]] == [Decimal("19")] and D(inv["TotalVAT"]) == Decimal("19.00")
    booked = api.ok("PUT", f"/3/invoices/{inv['DocumentNumber']}/bookkeep")["Invoice"]
    assert str(booked["Booked"]).lower() == "true"
    not_whole = api("POST", "/3/invoices", invoice(25.5))
    assert not_whole.status_code == 400 and not_whole.json()["ErrorInformation"]["code"] == 2000108
