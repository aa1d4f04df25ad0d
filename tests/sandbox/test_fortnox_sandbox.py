"""Behaviour tests for the Fortnox sandbox: OAuth, rate limit, envelopes/paging, validation, scopes, invoice
life cycle, payments, warehouse, faults (incl. commit-then-drop), control API, TLS."""
from __future__ import annotations

import base64
import time
import urllib.parse

import pytest
import requests

from woofort_sandboxes.fortnox import FortnoxSandbox

CLIENT = ("sandbox-client", "sandbox-secret")


@pytest.fixture
def api(sb):
    sb.reset()
    return Api(sb)


class Api:
    def __init__(self, sb, scopes=None):
        self.sb = sb
        self.token = sb.issue_access_token(scopes=scopes)

    def __call__(self, method, path, json=None, data=None, **kw):
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        return requests.request(method, self.sb.api_url + path, json=json, data=data, headers=h, timeout=10, **kw)

    def ok(self, method, path, json=None, status=None):
        r = self(method, path, json=json)
        assert r.status_code == (status or (201 if method == "POST" else 200)), r.text
        return r.json()

    def customer(self, **kw):
        return self.ok("POST", "/3/customers", {"Customer": {"Name": "Kund AB", **kw}})["Customer"]

    def article(self, price=None, **kw):
        a = self.ok("POST", "/3/articles", {"Article": {"Description": "Hammare", **kw}})["Article"]
        if price is not None:
            self.ok("POST", "/3/prices", {"Price": {"ArticleNumber": a["ArticleNumber"], "PriceList": "A",
                                                    "FromQuantity": 0, "Price": price}})
        return a

    def invoice(self, rows, **kw):
        cust = kw.pop("CustomerNumber", None) or self.customer()["CustomerNumber"]
        return self.ok("POST", "/3/invoices", {"Invoice": {"CustomerNumber": cust, "InvoiceRows": rows, **kw}})[
            "Invoice"]


def token(sb, **form):
    return requests.post(sb.auth_url + "/oauth-v1/token", data=form, auth=CLIENT, timeout=10)


# ------------------------------------------------------------------------------------------------ OAuth
def test_refresh_rotation_and_reuse(sb):
    sb.reset()
    rt = sb.issue_refresh_token(scopes=["invoice", "customer"])
    r1 = token(sb, grant_type="refresh_token", refresh_token=rt)
    assert r1.status_code == 200
    body = r1.json()
    assert list(body) == ["access_token", "expires_in", "token_type", "scope", "refresh_token"]
    assert body["expires_in"] == 3600 and body["token_type"] == "bearer" and body["scope"] == "invoice customer"
    assert body["refresh_token"] != rt
    again = token(sb, grant_type="refresh_token", refresh_token=rt)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert again.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert token(sb, grant_type="refresh_token", refresh_token=body["refresh_token"]).status_code == 200
    assert token(sb, grant_type="refresh_token", refresh_token="nope").status_code == 400


def test_bad_client_credentials(sb):
    r = requests.post(sb.auth_url + "/oauth-v1/token", data={"grant_type": "refresh_token", "refresh_token": "x"},
                      auth=("sandbox-client", "wrong"), timeout=10)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.headers["Content-Type"] == "text/plain;charset=UTF-8"


def test_authorization_code_flow(sb):
    sb.reset()
    r = requests.get(sb.auth_url + "/oauth-v1/auth", allow_redirects=False, timeout=10, params={
        "client_id": "sandbox-client", "redirect_uri": "https://shop.example/cb", "scope": "invoice article",
        "state": "xyz", "response_type": "code", "access_type": "offline"})
    assert r.status_code == 302
    loc = urllib.parse.urlsplit(r.headers["Location"])
    q = dict(urllib.parse.parse_qsl(loc.query))
    assert loc.netloc == "shop.example" and q["state"] == "xyz"
    bad = token(sb, grant_type="authorization_code", code=q["code"], redirect_uri="https://other/cb")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    code = sb.issue_authorization_code(scopes=["invoice"], redirect_uri="https://shop.example/cb")
    ok = token(sb, grant_type="authorization_code", code=code, redirect_uri="https://shop.example/cb")
    assert ok.status_code == 200 and "refresh_token" in ok.json()
    reuse = token(sb, grant_type="authorization_code", code=code, redirect_uri="https://shop.example/cb")
    assert reuse.status_code == 400
    code = sb.issue_authorization_code(scopes=["invoice"])
    sb.advance_time(601)  # codes live 10 minutes
    assert token(sb, grant_type="authorization_code", code=code).status_code == 400
    r = requests.get(sb.auth_url + "/oauth-v1/auth", allow_redirects=False, timeout=10, params={
        "client_id": "sandbox-client", "redirect_uri": "https://shop.example/cb", "scope": "nosuchscope",
        "state": "s", "response_type": "code"})
    assert "error=invalid_scope" in r.headers["Location"]


def test_client_credentials_needs_service_consent(sb):
    sb.reset()
    h = {"TenantId": sb.tenant_id}
    r = requests.post(sb.auth_url + "/oauth-v1/token", data={"grant_type": "client_credentials"}, headers=h,
                      auth=CLIENT, timeout=10)
    assert r.status_code == 200 and "refresh_token" not in r.json()
    at = r.json()["access_token"]
    claims = at.split(".")[1]
    assert b"1234567" in base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))
    assert requests.get(sb.api_url + "/3/companyinformation", headers={"Authorization": f"Bearer {at}"},
                        timeout=10).json()["CompanyInformation"]["DatabaseNumber"] == 1234567
    r = requests.post(sb.auth_url + "/oauth-v1/token", data={"grant_type": "client_credentials"},
                      headers={"TenantId": "999"}, auth=CLIENT, timeout=10)
    assert r.status_code == 400


def test_service_consent_via_auth_for_other_client():
    with FortnoxSandbox(clients={"a": "1", "b": "2"}) as s:
        cc = lambda: requests.post(s.auth_url + "/oauth-v1/token", data={"grant_type": "client_credentials"},
                                   headers={"TenantId": s.tenant_id}, auth=("b", "2"), timeout=10)
        assert cc().status_code == 400
        r = requests.get(s.auth_url + "/oauth-v1/auth", allow_redirects=False, timeout=10, params={
            "client_id": "b", "scope": "invoice", "state": "s", "response_type": "code", "account_type": "service"})
        assert r.status_code == 302 and "code=" in r.headers["Location"]
        assert cc().status_code == 200


def test_access_token_expiry_and_revoke(sb):
    sb.reset()
    api = Api(sb)
    assert api("GET", "/3/customers").status_code == 200
    sb.advance_time(3601)
    r = api("GET", "/3/customers")
    assert r.status_code == 401 and r.json() == {"message": "unauthorized"}
    rt = sb.issue_refresh_token()
    r = requests.post(sb.auth_url + "/oauth-v1/revoke", data={"token_type_hint": "refresh_token", "token": rt},
                      auth=CLIENT, timeout=10)
    assert r.json() == {"revoked": True}
    assert token(sb, grant_type="refresh_token", refresh_token=rt).status_code == 400
    assert requests.get(sb.api_url + "/3/customers", timeout=10).status_code == 401


def test_scope_and_licence(sb):
    sb.reset()
    api = Api(sb, scopes=["customer"])
    r = api("GET", "/3/invoices")
    assert r.status_code == 403 and r.json()["ErrorInformation"]["code"] == 2000663
    sb.seed({"settings": {"licensed_scopes": ["invoice"]}})
    r = Api(sb)("GET", "/3/customers")
    assert r.json()["ErrorInformation"]["code"] == 2001101


# ------------------------------------------------------------------------------------------------ rate limit
def test_rate_limit_26th_request_in_5s_is_429():
    with FortnoxSandbox() as s:  # the real limit: 25 per 5 s
        api = Api(s)
        codes = [api("GET", "/3/companyinformation").status_code for _ in range(26)]
        assert codes[:25] == [200] * 25 and codes[25] == 429
        r = api("GET", "/3/companyinformation")
        assert r.json() == {"message": "Too Many Requests"} and int(r.headers["Retry-After"]) >= 1
        assert s.counters_snapshot()["429_sent"] == 2


def test_rate_limit_window_slides():
    # a window long enough that four requests fit in it on a loaded CI machine (0.3 s did not, once, 2026-12-07)
    with FortnoxSandbox(rate_limit=3, rate_window_seconds=2.0) as s:
        api = Api(s)
        assert [api("GET", "/3/currencies").status_code for _ in range(4)] == [200, 200, 200, 429]
        time.sleep(2.1)
        assert api("GET", "/3/currencies").status_code == 200


def test_rate_limit_strict_mode_refuses_the_26th_arrival_with_jitter():
    # the real limit, counted at arrival; every request is delayed by a seeded jitter of up to 50 ms first
    with FortnoxSandbox(rate_mode="strict", rate_jitter_seconds=0.05, rate_jitter_seed=3) as s:
        api = Api(s)
        started = time.monotonic()
        codes = [api("GET", "/3/companyinformation").status_code for _ in range(26)]
        assert time.monotonic() - started > 0.3  # 26 delays of U(0, 0.05) s: 0.65 s expected
        assert codes[:25] == [200] * 25 and codes[25] == 429
        r = api("GET", "/3/companyinformation")
        assert r.json() == {"message": "Too Many Requests"} and int(r.headers["Retry-After"]) >= 1
        assert s.counters_snapshot()["429_sent"] == 2


def test_rate_limit_strict_window_is_closed_and_checks_late_arrivals():
    from woofort_sandboxes.fortnox.ratelimit import ArrivalWindow
    w = ArrivalWindow(3, 1.0)
    assert [w.check("t", x) for x in (0.0, 0.5, 0.9)] == [None, None, None]
    assert w.check("t", 1.0) == 0.0  # exactly one window after the first: the closed interval [0, 1] holds 4
    assert w.check("t", 1.01) is None
    assert w.check("t", 0.95) is not None  # arrived before 1.01 but checked after it: [0.5, 1.01] would hold 4
    assert w.check("other-tenant", 0.95) is None


def test_rate_jitter_is_seeded_and_bounded():
    from woofort_sandboxes.fortnox.ratelimit import Jitter
    a, b = Jitter(0.2, seed=5), Jitter(0.2, seed=5)
    draws = [a.draw() for _ in range(50)]
    assert draws == [b.draw() for _ in range(50)]
    assert all(0 <= d <= 0.2 for d in draws) and max(draws) > 0.15
    a.reset()
    assert [a.draw() for _ in range(3)] == draws[:3]
    assert Jitter(0.0).draw() == 0.0
    with pytest.raises(ValueError):
        FortnoxSandbox(rate_mode="fixed")


# ------------------------------------------------------------------------------------------------ envelopes
def test_envelopes_and_paging(api):
    for i in range(7):
        api.article(Description=f"Artikel {i}")
    body = api.ok("GET", "/3/articles?limit=3&page=2")
    assert list(body) == ["MetaInformation", "Articles"]
    assert body["MetaInformation"] == {"@TotalResources": 7, "@TotalPages": 3, "@CurrentPage": 2}
    assert [a["ArticleNumber"] for a in body["Articles"]] == ["104", "105", "106"]
    item = body["Articles"][0]
    assert item["@url"].endswith("/3/articles/104") and item["QuantityInStock"] == "0"
    assert api.ok("GET", "/3/articles?limit=900")["MetaInformation"]["@TotalPages"] == 1  # clamped to 500
    assert api.ok("GET", "/3/articles?offset=5")["MetaInformation"]["@TotalResources"] == 2
    assert api("GET", "/3/articles?limit=0").json()["ErrorInformation"]["code"] == 2000588
    desc = api.ok("GET", "/3/articles?sortby=articlenumber&sortorder=descending")["Articles"]
    assert desc[0]["ArticleNumber"] == "107"
    assert api.ok("GET", "/3/articles?description=ARTIKEL 3")["MetaInformation"]["@TotalResources"] == 1
    one = api.ok("GET", "/3/articles/101")
    assert list(one) == ["Article"] and one["Article"]["ArticleNumber"] == "101"
    r = api("GET", "/3/articles/999")
    assert r.status_code == 404 and r.json() == {
        "ErrorInformation": {"Error": 1, "Message": "Kan inte hitta artikeln.", "Code": 2000428}}
    r = api("GET", "/3/invoices?filter=doesntexist")
    assert r.status_code == 400 and r.json() == {
        "ErrorInformation": {"error": 1, "message": "Ett ogiltigt filter har använts.", "code": 2000587}}
    assert api("POST", "/3/articles", {"Article": {"Description": "x"}}).headers["Location"] == "articles"


def test_customer_defaults_search_and_delete(api):
    c = api.customer(Email="Kalle@Example.com", CountryCode="SE")
    assert c["CustomerNumber"] == "1" and c["Country"] == "Sverige" and c["PriceList"] == "A"
    assert api.ok("GET", "/3/customers?email=kalle@example")["Customers"][0]["Email"] == "Kalle@Example.com"
    assert api("DELETE", "/3/customers/1").status_code == 204
    r = api("POST", "/3/customers", {"Customer": {"Name": "x", "CustomerNumber": "1"}})
    assert r.json()["ErrorInformation"]["code"] == 2000637
    assert api.customer()["CustomerNumber"] == "2"


# ------------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize("body,code", [
    ({"Article": {"Description": "x", "Bogus": 1}}, 2001399),
    ({"Article": {"Description": "x" * 201}}, 2001392),
    ({"Article": {"Description": "x", "PurchasePrice": "abc"}}, 2000108),
    ({"Article": {"Description": "x", "Active": "maybe"}}, 2000134),
    ({"Article": {"Description": {"a": 1}}}, 2000106),
    ({"Artikel": {"Description": "x"}}, 2001392),
])
def test_validation_errors(api, body, code):
    r = api("POST", "/3/articles", body)
    assert r.status_code == 400
    assert r.json()["ErrorInformation"]["code"] == code
    assert "error" in r.json()["ErrorInformation"]  # lowercase on 400


def test_invalid_json_and_readonly_fields(api):
    r = api("POST", "/3/customers", data=b"{not json", )
    assert r.json()["ErrorInformation"]["code"] == 2002115
    inv = api.invoice([], Booked=True, Total=999)  # read-only fields are ignored (GUESS)
    assert inv["Booked"] is False and inv["Total"] == 0
    r = api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": "1", "YourOrderNumber": "x" * 76}})
    assert r.status_code == 400
    r = api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": "1", "InvoiceDate": "2026-13-01"}})
    assert r.json()["ErrorInformation"]["code"] == 2000762
    r = api("POST", "/3/vouchers", {"Voucher": {"VoucherSeries": "A", "TransactionDate": "2026-02-01", "Description": "Test",
                                                "VoucherRows": [{"Account": 1930, "Debit": 10}]}})
    assert r.json()["ErrorInformation"]["code"] == 2000757  # unbalanced (GUESS code)
    v = api.ok("POST", "/3/vouchers", {"Voucher": {"VoucherSeries": "A", "TransactionDate": "2026-02-01", "Description": "Test",
                                                   "VoucherRows": [{"Account": 1930, "Debit": 10},
                                                                   {"Account": 3001, "Credit": 10}]}})
    assert v["Voucher"]["VoucherNumber"] == 1 and v["Voucher"]["Year"] == 2


def test_put_empty_string_keeps_value_api_blank_clears(api):
    # [VCR] invoices/save_old_with_empty_comments.yml: PUT {"Comments":""} keeps the old comment
    inv = api.invoice([], Comments="A comment to be reset", OCR="426523791")
    assert inv["OCR"] == "426523791"
    n = inv["DocumentNumber"]
    assert api.ok("PUT", f"/3/invoices/{n}", {"Invoice": {"Comments": ""}})["Invoice"]["Comments"] == \
        "A comment to be reset"
    assert api.ok("PUT", f"/3/invoices/{n}", {"Invoice": {"Comments": "API_BLANK"}})["Invoice"]["Comments"] == ""


def test_article_quantity_rounding_as_recorded(api):
    # [VCR] articles/limits: 1.123 -> 1.12; min value -1e14
    a = api.article(QuantityInStock=1.123)
    assert a["QuantityInStock"] == 1.12 and a["DisposableQuantity"] == 1.12 and a["SalesAccount"] == 3001
    assert api.article(QuantityInStock=-99999999999999.9)["QuantityInStock"] == -100000000000000
    a = api.ok("PUT", f"/3/articles/{a['ArticleNumber']}", {"Article": {"QuantityInStock": 5, "StockGoods": True}})
    assert a["Article"]["QuantityInStock"] == 5


# ------------------------------------------------------------------------------------------------ invoices
def test_invoice_defaults_and_rounding(api):
    art = api.article(price=10)
    inv = api.invoice([{"ArticleNumber": art["ArticleNumber"], "DeliveredQuantity": 1.125, "Price": 1.125}])
    row = inv["InvoiceRows"][0]
    assert row["DeliveredQuantity"] == "1.13" and row["Price"] == 1.13  # [VCR] half-up to 2 places
    assert inv["Credit"] == "false" and inv["CreditInvoiceReference"] == "0" and inv["DocumentNumber"] == "1"
    assert inv["OCR"] == "133" and inv["TermsOfPayment"] == "30" and inv["PriceList"] == "A"
    assert row["AccountNumber"] == 3001 and row["VAT"] == 25 and isinstance(row["ContributionValue"], str)
    inv2 = api.invoice([{"ArticleNumber": art["ArticleNumber"], "DeliveredQuantity": 2}], CustomerNumber="1")
    assert inv2["InvoiceRows"][0]["Price"] == 10 and inv2["Total"] == 25 and inv2["TotalVAT"] == 5


def test_invoice_lifecycle_bookkeep_pay_credit(api):
    art = api.article(price=100)
    inv = api.invoice([{"ArticleNumber": art["ArticleNumber"], "DeliveredQuantity": 3}], Freight=49)
    n = inv["DocumentNumber"]
    assert (inv["Net"], inv["Gross"], inv["FreightVAT"], inv["TotalVAT"]) == (300, 349, 12.25, 87.25)
    assert inv["RoundOff"] == -0.25 and inv["Total"] == 436 and inv["Balance"] == 436
    booked = api.ok("PUT", f"/3/invoices/{n}/bookkeep")["Invoice"]
    assert booked["Booked"] is True and booked["VoucherSeries"] == "B"
    r = api("PUT", f"/3/invoices/{n}", {"Invoice": {"Comments": "x"}})
    assert r.status_code == 400 and r.json()["ErrorInformation"]["code"] == 2000246
    assert api("PUT", f"/3/invoices/{n}/cancel").json()["ErrorInformation"]["code"] == 2000248
    pay = api.ok("POST", "/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(n), "Amount": 400,
                                                                     "ModeOfPayment": "SWISH"}})["InvoicePayment"]
    assert pay["ModeOfPaymentAccount"] == 1930 and pay["Number"] == "1"
    assert api.ok("GET", f"/3/invoices/{n}")["Invoice"]["Balance"] == 36
    api.ok("POST", "/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(n), "Amount": 36,
                                                            "PaymentDate": inv["InvoiceDate"]}})
    paid = api.ok("GET", f"/3/invoices/{n}")["Invoice"]
    assert paid["Balance"] == 0 and paid["FinalPayDate"] == inv["InvoiceDate"]
    assert api.ok("GET", "/3/invoices?filter=fullypaid")["MetaInformation"]["@TotalResources"] == 1
    api.ok("PUT", f"/3/invoicepayments/{pay['Number']}/bookkeep")
    assert api("DELETE", f"/3/invoicepayments/{pay['Number']}").status_code == 400
    orig = api.ok("PUT", f"/3/invoices/{n}/credit")["Invoice"]
    cr = api.ok("GET", f"/3/invoices/{orig['CreditInvoiceReference']}")["Invoice"]
    assert cr["Credit"] == "true" and cr["CreditInvoiceReference"] == n and cr["Total"] == -436
    assert cr["InvoiceRows"][0]["DeliveredQuantity"] == "-3"
    assert api("PUT", f"/3/invoices/{n}/credit").status_code == 400
    refund = api.ok("POST", "/3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(cr["DocumentNumber"]), "Amount": -436}})["InvoicePayment"]
    assert refund["Amount"] == -436
    assert api.ok("GET", f"/3/invoices/{cr['DocumentNumber']}")["Invoice"]["Balance"] == 0
    vouchers = api.ok("GET", "/3/vouchers")["Vouchers"]
    assert {v["VoucherSeries"] for v in vouchers} == {"B", "C"}
    v = api.ok("GET", f"/3/vouchers/B/{booked['VoucherNumber']}")["Voucher"]
    debit = sum(r["Debit"] for r in v["VoucherRows"])
    assert debit == sum(r["Credit"] for r in v["VoucherRows"]) == 436.25  # RoundOff -0.25 is a debit on 3740
    rows = {r["Account"]: (r["Debit"], r["Credit"]) for r in v["VoucherRows"]}
    assert rows[1510] == (436, 0) and rows[3001] == (0, 300) and rows[2611] == (0, 87.25)
    assert rows[3520] == (0, 49) and rows[3740] == (0.25, 0)


def test_cancel_unbooked_and_rows_update(api):
    inv = api.invoice([{"AccountNumber": 3001, "Price": 80, "DeliveredQuantity": 1, "Description": "Frakt"},
                       {"Description": "Textrad"}])
    n = inv["DocumentNumber"]
    rid = inv["InvoiceRows"][0]["RowId"]
    upd = api.ok("PUT", f"/3/invoices/{n}", {"Invoice": {"InvoiceRows": [{"RowId": rid, "DeliveredQuantity": 2}]}})
    assert len(upd["Invoice"]["InvoiceRows"]) == 1 and upd["Invoice"]["Net"] == 160
    assert upd["Invoice"]["InvoiceRows"][0]["RowId"] != rid  # new RowIds on every update [SPEC]
    assert api.ok("PUT", f"/3/invoices/{n}/cancel")["Invoice"]["Cancelled"] is True
    assert api.ok("GET", "/3/invoices?filter=cancelled")["MetaInformation"]["@TotalResources"] == 1
    r = api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": "1", "InvoiceRows": [{"AccountNumber": 9999}]}})
    assert r.json()["ErrorInformation"]["code"] == 2001304
    r = api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": "1", "InvoiceRows": [{"ArticleNumber": "NOPE"}]}})
    assert r.json()["ErrorInformation"]["code"] == 2001302


def test_reference_data(api):
    fy = api.ok("GET", "/3/financialyears?date=2026-03-01")["FinancialYears"]
    assert len(fy) == 1 and fy[0]["FromDate"] == "2026-01-01"
    modes = {m["Code"]: m["AccountNumber"] for m in api.ok("GET", "/3/modesofpayments")["ModesOfPayments"]}
    assert modes["BG"] == "1930" and modes["PG"] == "1920" and modes["KONT"] == "1910" and modes["KORT"] == "1580"
    pre = {p["Name"]: p["Account"] for p in api.ok("GET", "/3/predefinedaccounts")["PreDefinedAccounts"]}
    assert pre["CUSTCLAIM"] == 1510 and pre["ROUNDOFF"] == 3740 and pre["OUTVAT_MP2"] == 2621
    accs = api.ok("GET", "/3/accounts?limit=500")["Accounts"]
    assert {1510, 1930, 2611, 3001, 3740, 6570} <= {a["Number"] for a in accs}
    assert api.ok("GET", "/3/currencies/EUR")["Currency"]["Code"] == "EUR"
    assert api.ok("GET", "/3/prices") == {"MetaInformation": {"@TotalResources": 0, "@TotalPages": 0,
                                                              "@CurrentPage": 1}, "Prices": []}
    api.article(price=99)
    assert api.ok("GET", "/3/prices/A/101")["Price"]["Price"] == 99
    assert api.ok("PUT", "/3/prices/A/101/0", {"Price": {"Price": 120}})["Price"]["Price"] == 120
    assert api.ok("GET", "/3/articles/101")["Article"]["SalesPrice"] == 120


# ------------------------------------------------------------------------------------------------ warehouse
def test_warehouse_on_and_off():
    with FortnoxSandbox(warehouse=True) as s:
        api = Api(s)
        assert api.ok("GET", "/api/warehouse/tenants-v4") == {"activated": True, "tenantId": 1234567}
        r = api("POST", "/3/articles", {"Article": {"Description": "x", "QuantityInStock": 5}})
        assert r.status_code == 400 and r.json()["ErrorInformation"]["code"] == 2003127
        a = api.article(StockGoods=True)
        st = api.ok("POST", "/api/warehouse/stocktaking-v1", {"name": "Inventering", "responsible": "Kalle"},
                    status=201)
        api.ok("POST", f"/api/warehouse/stocktaking-v1/{st['id']}/rows",
               [{"itemId": a["ArticleNumber"], "stockTakenQuantity": 7}], status=201)
        assert api("PUT", f"/api/warehouse/stocktaking-v1/{st['id']}/release").status_code == 204
        assert api.ok("GET", f"/3/articles/{a['ArticleNumber']}")["Article"]["QuantityInStock"] == 7
        bal = api.ok("GET", f"/api/warehouse/status-v1/stockbalance?itemIds={a['ArticleNumber']}")
        assert bal[0]["inStock"] == 7
        inv = api.invoice([{"ArticleNumber": a["ArticleNumber"], "DeliveredQuantity": 2, "Price": 10}])
        assert api.ok("GET", f"/3/articles/{a['ArticleNumber']}")["Article"]["QuantityInStock"] == 5
        empty = api.article(StockGoods=True)
        inv2 = api.invoice([{"ArticleNumber": empty["ArticleNumber"], "DeliveredQuantity": 2}], CustomerNumber="1")
        assert inv2["InvoiceRows"][0]["DeliveredQuantity"] == "0"  # stock <= 0 and no negative stock allowed
        api.ok("PUT", f"/3/invoices/{inv['DocumentNumber']}/cancel")
        assert api.ok("GET", f"/3/articles/{a['ArticleNumber']}")["Article"]["QuantityInStock"] == 7
        same = api("PUT", f"/3/articles/{a['ArticleNumber']}", {"Article": {"QuantityInStock": 7}})
        assert same.status_code == 200  # unchanged value is accepted
    with FortnoxSandbox() as s:
        assert Api(s).ok("GET", "/api/warehouse/tenants-v4")["activated"] is False


# ------------------------------------------------------------------------------------------------ faults
def test_fault_5xx_latency_and_429_storm(api, sb):
    sb.add_fault("error", "/3/customers", methods=["GET"], status=502, count=1)
    assert api("GET", "/3/customers").status_code == 502
    assert api("GET", "/3/customers").status_code == 200
    r = requests.post(sb.api_url + "/__sandbox/faults", json={"kind": "rate_limit", "pattern": "/3/*", "count": 3},
                      timeout=10)
    assert r.status_code == 201
    assert [api("GET", "/3/articles").status_code for _ in range(4)] == [429, 429, 429, 200]
    sb.add_fault("latency", "/3/currencies", latency_ms=150, count=1)
    t0 = time.monotonic()
    api("GET", "/3/currencies")
    assert time.monotonic() - t0 >= 0.15
    sb.add_fault("error", "/oauth-v1/token", status=503, count=1)
    assert token(sb, grant_type="refresh_token", refresh_token=sb.issue_refresh_token()).status_code == 503
    faults = requests.get(sb.api_url + "/__sandbox/faults", timeout=10).json()["faults"]
    assert all(f["fired"] == (f["count"] or f["fired"]) for f in faults)
    counters = requests.get(sb.api_url + "/__sandbox/counters", timeout=10).json()
    assert counters["429_sent"] >= 3 and counters["GET /3/articles"] >= 1


def test_commit_then_drop(api, sb):
    cust = api.customer()
    sb.add_fault("commit_then_drop", "/3/invoices", methods=["POST"], count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": cust["CustomerNumber"],
                                                "ExternalInvoiceReference1": "woo-1001"}})
    found = api.ok("GET", "/3/invoices?externalinvoicereference1=woo-1001")
    assert found["MetaInformation"]["@TotalResources"] == 1  # committed although the client saw a drop
    assert "1" in sb.state["invoices"]
    sb.add_fault("commit_then_drop", "/oauth-v1/token", count=1)
    rt = sb.issue_refresh_token()
    with pytest.raises(requests.exceptions.ConnectionError):
        token(sb, grant_type="refresh_token", refresh_token=rt)
    assert token(sb, grant_type="refresh_token", refresh_token=rt).status_code == 400  # rotation happened


def test_concurrent_creates_get_distinct_numbers(api, sb):
    from concurrent.futures import ThreadPoolExecutor
    cust = api.customer()["CustomerNumber"]

    def post(i):
        return api("POST", "/3/invoices", {"Invoice": {"CustomerNumber": cust, "YourOrderNumber": str(i)}})
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(24)))
    assert all(r.status_code == 201 for r in results)
    assert len({r.json()["Invoice"]["DocumentNumber"] for r in results}) == 24
    assert sb.counters_snapshot().get("internal_errors", 0) == 0


def test_seeded_probability_is_deterministic():
    def run():
        with FortnoxSandbox(rate_limit=1000, fault_seed=7) as s:
            s.add_fault("error", "/3/currencies", probability=0.5, status=500)
            api = Api(s)
            return [api("GET", "/3/currencies").status_code for _ in range(12)]
    a, b = run(), run()
    assert a == b and 500 in a and 200 in a


# ------------------------------------------------------------------------------------------------ control / TLS
def test_control_api_state_seed_reset(api, sb):
    base = sb.api_url + "/__sandbox"
    r = requests.post(base + "/seed", json={"customers": [{"Name": "Seedad", "CustomerNumber": "42"}],
                                            "articles": [{"ArticleNumber": "SKU-1", "Description": "Seedad"}],
                                            "modesofpayments": [{"Code": "STRIPE", "AccountNumber": 1580}]},
                      timeout=10)
    assert r.status_code == 200
    state = requests.get(base + "/state", timeout=10).json()
    assert any(c["CustomerNumber"] == "42" for c in state["customers"])
    assert any(m["Code"] == "STRIPE" for m in state["modesofpayments"])
    assert state["companyinformation"]["DatabaseNumber"] == 1234567
    rt = requests.post(base + "/tokens/refresh", json={"scopes": ["invoice"]}, timeout=10).json()["refresh_token"]
    assert token(sb, grant_type="refresh_token", refresh_token=rt).json()["scope"] == "invoice"
    requests.post(base + "/reset", timeout=10)
    assert requests.get(base + "/state", timeout=10).json()["customers"] == []


def test_tls_with_trustme_ca(tmp_path):
    with FortnoxSandbox(tls=True, state_dir=str(tmp_path)) as s:
        assert s.api_url.startswith("https://")
        r = requests.get(s.api_url + "/3/companyinformation", verify=s.ca_path, timeout=10,
                         headers={"Authorization": f"Bearer {s.issue_access_token()}"})
        assert r.status_code == 200


def test_terms_decide_the_due_date_and_an_email_is_recorded_once_sent(api):
    """resources/terms.py: DueDate from the code's days unless sent; GET …/email records the e-mail and sets Sent;
    no address or a cancelled invoice is refused (GUESS, docs/fortnox-fidelity.md)."""
    cust = api.customer()["CustomerNumber"]      # a customer without e-mail: the invoice has no address either
    inv = api.invoice([], CustomerNumber=cust, InvoiceDate="2026-03-01", TermsOfPayment="K")
    assert inv["DueDate"] == "2026-03-01"                                    # a code without days: due at once
    given = api.invoice([], CustomerNumber=cust, InvoiceDate="2026-03-01", TermsOfPayment="30", DueDate="2026-03-05")
    assert given["DueDate"] == "2026-03-05"
    r = api("GET", f"/3/invoices/{inv['DocumentNumber']}/email")
    assert (r.status_code, r.json()["ErrorInformation"]["code"]) == (400, 2000753)
    mailed = api.invoice([], CustomerNumber=cust, InvoiceDate="2026-03-01", TermsOfPayment="10",
                         EmailInformation={"EmailAddressTo": "k@example.se", "EmailSubject": "Faktura {no}"})
    assert mailed["DueDate"] == "2026-03-11" and mailed["Sent"] is False
    assert api.ok("GET", f"/3/invoices/{mailed['DocumentNumber']}/email")["Invoice"]["Sent"] is True
    (sent,) = api.sb.state.dump()["invoiceemails"]
    assert (sent["EmailAddressTo"], sent["EmailSubject"]) == ("k@example.se", f"Faktura {mailed['DocumentNumber']}")
    api.ok("PUT", f"/3/invoices/{given['DocumentNumber']}/cancel")
    assert api("GET", f"/3/invoices/{given['DocumentNumber']}/email").status_code == 400
