"""The Fortnox sandbox's vouchers, voucher series, locked period, inbox and voucher file connections, over HTTP
(issue #17 item 3; rules and their evidence in docs/fortnox-fidelity.md "Vouchers, inbox and file connections")."""
from __future__ import annotations

import pytest
import requests


class Api:
    def __init__(self, sb, scopes=None):
        self.sb = sb
        self.headers = {"Authorization": f"Bearer {sb.issue_access_token(scopes=scopes)}"}

    def __call__(self, method, path, json=None, **kw):
        return requests.request(method, self.sb.api_url + path, json=json, headers=self.headers, timeout=10, **kw)

    def ok(self, method, path, json=None, status=None, **kw):
        r = self(method, path, json, **kw)
        assert r.status_code == (status or (201 if method == "POST" else 200)), r.text
        return r.json() if r.content else None

    def voucher(self, date="2026-02-01", series="A", amount=100, query="", **kw):
        rows = [{"Account": 1930, "Debit": amount}, {"Account": 3001, "Credit": amount}]
        return self("POST", f"/3/vouchers{query}", {"Voucher": {"VoucherSeries": series, "TransactionDate": date,
                                                                "Description": "Dagskassa", "VoucherRows": rows,
                                                                **kw}})


@pytest.fixture
def api(sb):
    sb.reset()
    return Api(sb)


def refused(r, status: int, code: int) -> None:
    assert r.status_code == status, r.text
    info = r.json()["ErrorInformation"]
    assert info.get("code", info.get("Code")) == code, info


def test_a_balanced_voucher_gets_its_series_next_number_per_financial_year(api):
    first = api.voucher().json()["Voucher"]
    assert (first["VoucherSeries"], first["VoucherNumber"], first["Year"]) == ("A", 1, 2)
    assert api.voucher().json()["Voucher"]["VoucherNumber"] == 2
    assert api.voucher(series="K").json()["Voucher"]["VoucherNumber"] == 1       # its own sequence
    last_year = api.voucher(date="2025-12-31").json()["Voucher"]                  # and per year
    assert (last_year["VoucherNumber"], last_year["Year"]) == (1, 1)
    assert api.ok("GET", "/3/voucherseries/A")["VoucherSeries"]["NextVoucherNumber"] == 3
    assert api.ok("GET", "/3/voucherseries/A?financialyear=1")["VoucherSeries"]["NextVoucherNumber"] == 2


def test_an_unbalanced_voucher_is_refused_and_takes_no_number(api):
    r = api("POST", "/3/vouchers", {"Voucher": {
        "VoucherSeries": "A", "TransactionDate": "2026-02-01", "Description": "Dagskassa",
        "VoucherRows": [{"Account": 1930, "Debit": 100}, {"Account": 3001, "Credit": 99.99}]}})
    refused(r, 400, 2000757)
    one_row = api("POST", "/3/vouchers", {"Voucher": {"VoucherSeries": "A", "TransactionDate": "2026-02-01",
                                                      "Description": "Noll", "VoucherRows": [{"Account": 1930}]}})
    refused(one_row, 400, 2000757)  # the spec's minItems 2
    assert api.voucher().json()["Voucher"]["VoucherNumber"] == 1


def test_a_series_must_exist_and_can_be_created(api):
    codes = [s["Code"] for s in api.ok("GET", "/3/voucherseries")["VoucherSeriesCollection"]]
    assert {"A", "B", "C", "K"} <= set(codes) and "W" not in codes
    refused(api.voucher(series="W"), 400, 2000761)
    refused(api("GET", "/3/voucherseries/W"), 404, 2000617)
    api.ok("POST", "/3/voucherseries", {"VoucherSeries": {"Code": "W", "Description": "woofort"}})
    refused(api("POST", "/3/voucherseries", {"VoucherSeries": {"Code": "W"}}), 400, 2000003)
    assert api.voucher(series="W").json()["Voucher"]["VoucherNumber"] == 1


def test_the_date_must_lie_in_a_financial_year(api):
    refused(api.voucher(date="2024-06-30"), 400, 2000758)
    refused(api.voucher(date="2026-02-01", query="?financialyear=1"), 400, 2000758)  # not in the year asked for
    assert api.voucher(date="2026-02-01", query="?financialyear=2").status_code == 201
    refused(api.voucher(date="2026-02-30"), 400, 2000762)


def test_nothing_is_booked_in_the_locked_period(api, sb):
    assert api.ok("GET", "/3/settings/lockedperiod") == {"LockedPeriod": {"EndDate": None}}
    sb.seed({"settings": {"locked_period_end": "2026-01-31"}})
    assert api.ok("GET", "/3/settings/lockedperiod")["LockedPeriod"]["EndDate"] == "2026-01-31"
    refused(api.voucher(date="2026-01-31"), 400, 2000763)
    assert api.voucher(date="2026-02-01").json()["Voucher"]["VoucherNumber"] == 1
    # the invoice's voucher obeys the same rule
    cust = api.ok("POST", "/3/customers", {"Customer": {"Name": "Kund AB"}})["Customer"]["CustomerNumber"]
    inv = api.ok("POST", "/3/invoices", {"Invoice": {"CustomerNumber": cust, "InvoiceDate": "2026-01-15",
                                                     "InvoiceRows": [{"AccountNumber": 3001, "Price": 100,
                                                                      "DeliveredQuantity": 1}]}})["Invoice"]
    refused(api("PUT", f"/3/invoices/{inv['DocumentNumber']}/bookkeep"), 400, 2000763)
    assert api.ok("GET", f"/3/invoices/{inv['DocumentNumber']}")["Invoice"]["Booked"] is False


def test_list_filter_and_read_back(api):
    posted = [api.voucher(date=d).json()["Voucher"] for d in ("2026-02-01", "2026-02-02", "2026-03-01")]
    api.voucher(series="K", date="2026-02-02")
    api.voucher(date="2025-06-01")
    listed = api.ok("GET", "/3/vouchers?financialyear=2")
    assert listed["MetaInformation"]["@TotalResources"] == 4
    assert set(listed["Vouchers"][0]) == {"@url", "ApprovalState", "Comments", "Description", "ReferenceNumber",
                                          "ReferenceType", "TransactionDate", "VoucherNumber", "VoucherSeries", "Year"}
    feb = api.ok("GET", "/3/vouchers/sublist/A?fromdate=2026-02-01&todate=2026-02-28")["Vouchers"]
    assert [(v["VoucherSeries"], v["VoucherNumber"]) for v in feb] == [("A", 1), ("A", 2)]
    assert api.ok("GET", "/3/vouchers")["MetaInformation"]["@TotalResources"] == 5
    page = api.ok("GET", "/3/vouchers?financialyear=2&limit=3&page=2")
    assert page["MetaInformation"] == {"@TotalResources": 4, "@TotalPages": 2, "@CurrentPage": 2}
    read = api.ok("GET", "/3/vouchers/A/3?financialyear=2")["Voucher"]
    assert read == posted[2]
    assert api.ok("GET", "/3/vouchers/A/1?financialyear=1")["Voucher"]["TransactionDate"] == "2025-06-01"
    refused(api("GET", "/3/vouchers/A/9?financialyear=2"), 404, 2000616)


def test_a_voucher_cannot_be_changed_or_deleted(api):
    v = api.voucher().json()["Voucher"]
    for method in ("PUT", "DELETE"):
        r = api(method, "/3/vouchers/A/1?financialyear=2", {"Voucher": {"Description": "Ändrad"}})
        refused(r, 404, 2000000)
    assert api.ok("GET", "/3/vouchers/A/1?financialyear=2")["Voucher"] == v


def test_voucher_bodies_are_checked_against_the_spec(api):
    refused(api.voucher(Unknown=1), 400, 2001399)
    refused(api("POST", "/3/vouchers", {"Voucher": {"VoucherSeries": "A", "TransactionDate": "2026-02-01",
                                                    "VoucherRows": []}}), 400, 2000753)  # Description required
    refused(api.voucher(Description="x" * 201), 400, 2001392)


def test_inbox_upload_and_file_connection_round_trip(api):
    v = api.voucher().json()["Voucher"]
    content = b"%PDF-1.4 dagsrapport 2026-02-01"
    up = api.ok("POST", "/3/inbox?folderId=Inbox_v", files={"file": ("dag.pdf", content, "application/pdf")})
    f = up["File"]
    assert (f["Name"], f["Size"], f["Path"]) == ("dag.pdf", len(content), "Inbox_v")
    assert [x["Id"] for x in api.ok("GET", "/3/inbox/Inbox_v")["Folder"]["Files"]] == [f["Id"]]
    assert "Inbox_v" in [x["Id"] for x in api.ok("GET", "/3/inbox")["Folder"]["Folders"]]
    assert api("GET", f"/3/inbox/{f['Id']}").content == content
    body = {"VoucherFileConnection": {"FileId": f["Id"], "VoucherNumber": str(v["VoucherNumber"]),
                                      "VoucherSeries": "A", "VoucherYear": v["Year"]}}
    conn = api.ok("POST", "/3/voucherfileconnections", body)["VoucherFileConnection"]
    assert (conn["VoucherDescription"], conn["VoucherNumber"], conn["VoucherYear"]) == ("Dagskassa", "1", 2)
    assert api.ok("GET", f"/3/voucherfileconnections/{f['Id']}")["VoucherFileConnection"] == conn
    assert api.ok("GET", "/3/voucherfileconnections?voucherseries=A")["VoucherFileConnections"] == [conn]
    assert api.ok("GET", "/3/voucherfileconnections?voucherseries=K")["VoucherFileConnections"] == []
    refused(api("POST", "/3/voucherfileconnections", body), 400, 2000003)      # a file is connected once
    api.ok("DELETE", f"/3/voucherfileconnections/{f['Id']}", status=204)
    refused(api("GET", f"/3/voucherfileconnections/{f['Id']}"), 404, 2000619)


def test_inbox_and_connections_refuse_what_is_missing(api):
    refused(api("POST", "/3/inbox", {"File": {"Name": "x"}}), 400, 2001392)    # JSON, not a multipart file
    refused(api("POST", "/3/inbox?folderId=Inbox_zz", files={"file": ("a.pdf", b"x")}), 404, 2000618)
    f = api.ok("POST", "/3/inbox", files={"file": ("a.pdf", b"x")})["File"]
    no_voucher = {"VoucherFileConnection": {"FileId": f["Id"], "VoucherNumber": "7", "VoucherSeries": "A"}}
    refused(api("POST", "/3/voucherfileconnections", no_voucher), 400, 2000616)
    api.voucher()
    no_file = {"VoucherFileConnection": {"FileId": "no-such-file", "VoucherNumber": "1", "VoucherSeries": "A"}}
    refused(api("POST", "/3/voucherfileconnections", no_file), 400, 2000618)
    api.ok("DELETE", f"/3/inbox/{f['Id']}", status=204)
    refused(api("GET", f"/3/inbox/{f['Id']}"), 404, 2000618)


@pytest.mark.parametrize("needed, other, method, path", [
    ("inbox", "bookkeeping", "GET", "/3/inbox"),
    ("inbox", "connectfile", "POST", "/3/inbox"),
    ("connectfile", "bookkeeping", "GET", "/3/voucherfileconnections"),
    ("bookkeeping", "inbox", "GET", "/3/vouchers"),
    ("bookkeeping", "connectfile", "GET", "/3/voucherseries"),
])
def test_each_resource_needs_its_scope(sb, needed, other, method, path):
    sb.reset()
    files = {"file": ("a.pdf", b"x")} if method == "POST" else None
    refused(Api(sb, scopes=[other])(method, path, files=files), 403, 2000663)
    assert Api(sb, scopes=[needed])(method, path, files=files).status_code in (200, 201)
    assert requests.request(method, sb.api_url + path, timeout=10).status_code == 401
