"""WooCommerce wc/v3 sandbox: real HTTP tests (requests) against WooCommerceSandbox."""
from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from requests_oauthlib import OAuth1

from woofort_sandboxes.woocommerce import Store, WooCommerceSandbox

# The shared reference sits beside the checkout: ../shared/ from the repository root.
EXAMPLES = (Path(__file__).resolve().parents[2] / ".." / "shared" / "woocommerce" / "examples").resolve()
CK, CS = "ck_sandbox", "cs_sandbox"
D = Decimal


def ex(name):
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    s = WooCommerceSandbox(orders=300, seed=7, state_dir=str(tmp_path_factory.mktemp("woo"))).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _reset(request):
    yield
    if "sb" in request.fixturenames:
        s = request.getfixturevalue("sb")
        s.store.reset()
        s.faults.reset()


@pytest.fixture(scope="module")
def http_sb():
    s = WooCommerceSandbox(orders=40, seed=3, tls=False).start()
    yield s
    s.stop()


class Api:
    def __init__(self, sb, auth=(CK, CS)):
        self.sb, self.auth = sb, auth
        self.s = requests.Session()

    def get(self, path, params=None, **kw):
        kw.setdefault("auth", self.auth)
        kw.setdefault("verify", self.sb.ca_path)  # per request: REQUESTS_CA_BUNDLE would override session.verify
        kw.setdefault("timeout", 20)
        return self.s.get(f"{self.sb.url}/wp-json/wc/v3/{path}", params=params, **kw)

    def req(self, method, path, **kw):
        kw.setdefault("auth", self.auth)
        kw.setdefault("verify", self.sb.ca_path)
        kw.setdefault("timeout", 20)
        return self.s.request(method, f"{self.sb.url}/wp-json/wc/v3/{path}", **kw)

    def ctl(self, method, path, body=None):
        r = self.s.request(method, f"{self.sb.url}/__sandbox/{path}", json=body, verify=self.sb.ca_path, timeout=20)
        assert r.status_code == 200, r.text
        return r.json()

    def all(self, path, params=None):
        out, page = [], 1
        while True:
            r = self.get(path, dict(params or {}, per_page=100, page=page))
            assert r.status_code == 200, r.text
            out += r.json()
            if page >= int(r.headers["X-WP-TotalPages"]):
                return out
            page += 1


@pytest.fixture
def api(sb):
    return Api(sb)


# ------------------------------------------------------------------ root, auth
def test_wp_root_is_public(sb):
    r = requests.get(f"{sb.url}/wp-json/", verify=sb.ca_path, timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert "wc/v3" in body["namespaces"] and body["timezone_string"] == "Europe/Stockholm"
    for k in ("name", "description", "url", "home", "gmt_offset", "authentication", "routes"):
        assert k in body


def test_https_basic_and_query_auth(sb, api):
    assert api.get("orders").status_code == 200
    r = api.get("orders", {"consumer_key": CK, "consumer_secret": CS}, auth=None)
    assert r.status_code == 200
    # query string is checked first: a good query wins over a bad Basic header
    r = api.get("orders", {"consumer_key": CK, "consumer_secret": CS}, auth=(CK, "wrong"))
    assert r.status_code == 200


def test_https_wrong_secret_401(api):
    r = api.get("orders", auth=(CK, "cs_wrong"))
    assert r.status_code == 401
    assert r.json() == {"code": "woocommerce_rest_authentication_error", "message": "Consumer secret is invalid.",
                        "data": {"status": 401}}
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="WooCommerce API.')
    # unknown key / no credentials: request continues unauthenticated -> cannot_view
    for auth in (("ck_nope", CS), None):
        r = api.get("orders", auth=auth)
        assert r.status_code == 401 and r.json()["code"] == "woocommerce_rest_cannot_view"
        assert r.json()["message"] == "Sorry, you cannot list resources."
    assert api.get("orders/1000", auth=None).json()["message"] == "Sorry, you cannot view this resource."


def test_writes_refused_and_unknown_routes(api):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        r = api.req(method, "orders/1000", json={"status": "completed"})
        assert r.status_code == 401
        assert r.json() == {"code": "woocommerce_rest_authentication_error",
                            "message": "The API key provided does not have write permissions.",
                            "data": {"status": 401}}
    before = api.get("orders/1000").json()
    api.req("POST", "orders/batch", json={"delete": [1000]})
    assert api.get("orders/1000").json() == before
    r = api.get("nonexistent")
    assert r.status_code == 404 and r.json() == ex("error_rest_no_route.json")
    r = api.get("orders/999999")
    assert r.status_code == 404
    assert r.json() == {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                        "data": {"status": 404}}
    assert api.get("products/999999").json()["code"] == "woocommerce_rest_product_invalid_id"
    assert api.get("customers/999999").json()["code"] == "woocommerce_rest_invalid_id"
    assert api.get("orders/999999/refunds").json()["code"] == "woocommerce_rest_invalid_order_id"


def test_http_oauth1(http_sb):
    url = f"{http_sb.url}/wp-json/wc/v3/orders"
    for sig_type in ("query", "auth_header"):
        for method in ("HMAC-SHA1", "HMAC-SHA256"):
            auth = OAuth1(CK, CS, signature_type=sig_type, signature_method=method)
            r = requests.get(url, params={"per_page": 5, "orderby": "id", "order": "asc"}, auth=auth, timeout=10)
            assert r.status_code == 200, (sig_type, method, r.text)
            assert len(r.json()) == 5
    r = requests.get(url, auth=OAuth1(CK, "cs_bad", signature_type="query"), timeout=10)
    assert r.status_code == 401
    assert r.json()["message"] == "Invalid signature - provided signature does not match."
    r = requests.get(url, auth=OAuth1("ck_bad", CS, signature_type="query"), timeout=10)
    assert r.json()["message"] == "Consumer key is invalid."
    # Basic auth over plain http is not honoured
    r = requests.get(url, auth=(CK, CS), timeout=10)
    assert r.status_code == 401 and r.json()["code"] == "woocommerce_rest_cannot_view"
    # stale timestamp, reused nonce
    old = OAuth1(CK, CS, signature_type="query", timestamp=str(int(time.time()) - 3600), nonce="n-old")
    assert requests.get(url, auth=old, timeout=10).json()["message"] == "Invalid timestamp."
    fixed = OAuth1(CK, CS, signature_type="query", nonce="n-fixed-1")
    assert requests.get(url, auth=fixed, timeout=10).status_code == 200
    r = requests.get(url, auth=fixed, timeout=10)
    assert r.status_code == 401 and r.json()["message"] == "Invalid nonce - nonce has already been used."
    r = requests.get(url, params={"oauth_consumer_key": CK, "oauth_nonce": "x"}, timeout=10)
    assert r.json()["code"] == "woocommerce_rest_authentication_missing_parameter"


# ------------------------------------------------------------------ examples round-trip
def test_examples_injected_served_unchanged(api):
    # list examples first, then the single-record examples (the docs' copies of e.g. product 794 differ)
    api.ctl("POST", "records/orders", ex("orders_list.json"))
    assert api.get("orders", {"include": "727,723"}).json() == ex("orders_list.json")
    api.ctl("POST", "records/orders", ex("order.json"))
    assert api.get("orders/727").json() == ex("order.json")
    api.ctl("POST", "records/refunds", ex("refunds_list.json"))  # parent 723 from _links.up
    assert api.get("orders/723/refunds").json() == ex("refunds_list.json")
    api.ctl("POST", "records/refunds", ex("refund.json"))
    assert api.get("orders/723/refunds/726").json() == ex("refund.json")
    api.ctl("POST", "records/products", ex("products_list.json"))
    assert api.get("products", {"include": "799,794"}).json() == ex("products_list.json")
    api.ctl("POST", "records/products", ex("product_simple.json"))
    assert api.get("products/794").json() == ex("product_simple.json")
    api.ctl("POST", "records/products", ex("product_variable.json"))
    assert api.get("products/799").json() == ex("product_variable.json")
    api.ctl("POST", "records/variations", ex("variations_list.json"))
    assert api.get("products/22/variations").json() == ex("variations_list.json")
    api.ctl("POST", "records/variations", ex("variation.json"))
    assert api.get("products/22/variations/732").json() == ex("variation.json")
    api.ctl("POST", "records/customers", ex("customers_list.json"))
    assert api.get("customers", {"include": "26,25", "orderby": "include"}).json() == ex("customers_list.json")
    api.ctl("POST", "records/customers", ex("customer.json"))
    assert api.get("customers/25").json() == ex("customer.json")
    api.ctl("POST", "records/taxes", ex("tax_rates.json"))
    got = api.get("taxes", {"include": ",".join(str(t["id"]) for t in ex("tax_rates.json")), "orderby": "id",
                            "per_page": 100}).json()
    assert got == ex("tax_rates.json")
    api.ctl("POST", "records/taxes", ex("tax_rate.json"))
    assert api.get("taxes/72").json() == ex("tax_rate.json")
    api.ctl("POST", "records/tax_classes", ex("tax_classes.json"))
    classes = api.get("taxes/classes").json()
    for c in ex("tax_classes.json"):
        assert c in classes


def test_injected_records_filtering_and_broken_records(api):
    api.ctl("POST", "records/orders", ex("orders_list.json"))
    # example dates are 2017: visible in date filters as far as their fields allow
    r = api.get("orders", {"before": "2018-01-01T00:00:00", "dates_are_gmt": "true", "per_page": 100})
    assert sorted(o["id"] for o in r.json()) == [723, 727]
    broken = [{"id": 5, "status": "completed", "date_created_gmt": "garbage", "total": 12.5},
              {"no_id": True, "status": "processing"}, {"id": "7x", "line_items": None}]
    api.ctl("POST", "records/orders", broken)
    assert api.get("orders/5").json() == broken[0]
    everything = api.all("orders")  # default query: records without a readable status are listed too
    for rec in broken:
        assert rec in everything
    # a date filter excludes the record whose date cannot be read, but still serves the others
    r = api.get("orders", {"after": "2000-01-01T00:00:00", "per_page": 100, "include": "5,723"})
    assert [o["id"] for o in r.json()] == [723]


# ------------------------------------------------------------------ paging
def test_paging_exact_100_101_0(api):
    ids = list(range(1000, 1300))
    for n in (100, 101):
        params = {"include": ",".join(map(str, ids[:n])), "status": "any,trash,checkout-draft",
                  "per_page": 100, "orderby": "id", "order": "asc"}
        r = api.get("orders", params)
        assert r.status_code == 200
        assert r.headers["X-WP-Total"] == str(n) and len(r.json()) == 100
        assert r.headers["X-WP-TotalPages"] == ("1" if n == 100 else "2")
        assert ('rel="next"' in r.headers.get("Link", "")) == (n == 101)
        r2 = api.get("orders", dict(params, page=2))
        assert r2.status_code == 200 and len(r2.json()) == n - 100
        assert r2.headers["X-WP-Total"] == str(n)
        assert r2.links["prev"]["url"].endswith("page=1")
        r3 = api.get("orders", dict(params, page=9))
        assert r3.status_code == 200 and r3.json() == [] and r3.headers["X-WP-Total"] == str(n)
    r = api.get("orders", {"customer": 999999})
    assert r.json() == [] and r.headers["X-WP-Total"] == "0" and r.headers["X-WP-TotalPages"] == "0"
    assert "Link" not in r.headers


def test_per_page_validation(api):
    for bad in ("101", "0", "abc"):
        r = api.get("orders", {"per_page": bad})
        assert r.status_code == 400
        body = r.json()
        assert body["code"] == "rest_invalid_param"
        assert body["message"] == "Invalid parameter(s): per_page"
        assert body["data"]["status"] == 400 and "per_page" in body["data"]["params"]
    r = api.get("orders", {"orderby": "total"})
    assert r.status_code == 400 and "orderby" in r.json()["data"]["params"]
    r = api.get("orders", {"modified_after": "yesterday"})
    assert r.status_code == 400 and r.json()["data"]["params"] == {"modified_after": "Invalid date."}
    r = api.get("orders", {"frobnicate": "1"})  # unknown params are ignored
    assert r.status_code == 200


def test_link_header_and_offset(api):
    r = api.get("orders", {"per_page": 10, "page": 2, "orderby": "id", "order": "asc", "status": "completed"})
    links = r.links
    assert "page=1" in links["prev"]["url"] and "page=3" in links["next"]["url"]
    for u in (links["prev"]["url"], links["next"]["url"]):
        assert "orderby=id" in u and "status=completed" in u and len(re.findall(r"[?&]page=", u)) == 1
    full = api.get("orders", {"per_page": 50, "orderby": "id", "order": "asc"}).json()
    off = api.get("orders", {"per_page": 10, "offset": 7, "page": 3, "orderby": "id", "order": "asc"}).json()
    assert [o["id"] for o in off] == [o["id"] for o in full[7:17]]  # offset wins over page
    desc = api.get("orders", {"per_page": 100}).json()
    keys = [(o["date_created_gmt"], o["id"]) for o in desc]
    assert keys == sorted(keys, reverse=True)  # default orderby=date desc, ties by id


def test_modified_filters_gmt_and_local(api):
    orders = api.all("orders", {"status": "any,trash,checkout-draft"})
    assert len(orders) == 300
    mods = sorted(o["date_modified_gmt"] for o in orders)
    t_after, t_before = mods[60], mods[200]
    r = api.all("orders", {"status": "any,trash,checkout-draft", "modified_after": t_after,
                           "modified_before": t_before, "dates_are_gmt": "true"})
    want = {o["id"] for o in orders if t_after < o["date_modified_gmt"] < t_before}  # both exclusive
    assert {o["id"] for o in r} == want and want
    # without dates_are_gmt the bounds are compared with the site-local dates
    loc = sorted(o["date_modified"] for o in orders)[100]
    r = api.all("orders", {"status": "any,trash,checkout-draft", "modified_after": loc})
    assert {o["id"] for o in r} == {o["id"] for o in orders if o["date_modified"] > loc}
    created = sorted(o["date_created_gmt"] for o in orders)[150]
    r = api.all("orders", {"status": "any,trash,checkout-draft", "before": created, "dates_are_gmt": "1"})
    assert {o["id"] for o in r} == {o["id"] for o in orders if o["date_created_gmt"] < created}
    page = api.get("orders", {"orderby": "modified", "order": "asc", "per_page": 100}).json()
    keys = [(o["date_modified_gmt"], o["id"]) for o in page]
    assert keys == sorted(keys)


def test_statuses_any_trash_checkout_draft(api):
    everything = api.all("orders", {"status": "any,trash,checkout-draft"})
    statuses = {o["status"] for o in everything}
    assert statuses == {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
                        "trash", "checkout-draft"}
    anyl = api.all("orders")
    assert {o["status"] for o in anyl} == statuses - {"trash", "checkout-draft"}
    assert {o["status"] for o in api.all("orders", {"status": "trash"})} == {"trash"}
    assert {o["status"] for o in api.all("orders", {"status": "completed,refunded"})} == {"completed", "refunded"}
    assert api.get("orders", {"status": "nope"}).status_code == 400


def test_catalogue_endpoints(api):
    classes = api.get("taxes/classes").json()
    assert {"slug": "books", "name": "Böcker 6%"} in [{k: c[k] for k in ("slug", "name")} for c in classes]
    assert classes[0]["slug"] == "standard"
    rates = api.get("taxes", {"per_page": 100}).json()
    se = {r["class"]: r["rate"] for r in rates if r["country"] == "SE"}
    assert se == {"standard": "25.0000", "reduced-rate": "12.0000", "books": "6.0000", "zero-rate": "0.0000"}
    assert any(r["country"] == "FI" and r["rate"] == "25.5000" for r in rates)
    products = api.all("products")
    variable = [p for p in products if p["type"] == "variable"]
    assert variable and all(p["variations"] for p in variable)
    v = api.get(f"products/{variable[0]['id']}/variations").json()
    assert sorted(x["id"] for x in v) == sorted(variable[0]["variations"])
    assert api.get(f"products/{variable[0]['id']}/variations/{v[0]['id']}").json()["id"] == v[0]["id"]
    assert {p["tax_class"] for p in products} >= {"", "reduced-rate", "books", "zero-rate"}
    sku = products[0]["sku"]
    assert [p["id"] for p in api.get("products", {"sku": sku}).json()] == [products[0]["id"]]
    customers = api.get("customers", {"per_page": 100}).json()
    names = [f"{c['first_name']} {c['last_name']}".lower() for c in customers]
    assert names == sorted(names)  # default orderby=name asc
    # customers have no date filters: modified_after is ignored
    r = api.get("customers", {"per_page": 100, "modified_after": "2099-01-01T00:00:00"})
    assert len(r.json()) == len(customers)


# ------------------------------------------------------------------ generated data
def _d(x):
    return D(x)


def check_order_arithmetic(o):
    lines, fees, ships = o["line_items"], o["fee_lines"], o["shipping_lines"]
    line_total = sum((_d(li["total"]) for li in lines), D(0))
    line_tax = sum((_d(li["total_tax"]) for li in lines), D(0))
    fee_total = sum((_d(f["total"]) for f in fees), D(0))
    fee_tax = sum((_d(f["total_tax"]) for f in fees), D(0))
    ship_total = sum((_d(s["total"]) for s in ships), D(0))
    ship_tax = sum((_d(s["total_tax"]) for s in ships), D(0))
    assert _d(o["cart_tax"]) == line_tax + fee_tax
    assert _d(o["shipping_total"]) == ship_total and _d(o["shipping_tax"]) == ship_tax
    assert _d(o["total"]) == line_total + fee_total + ship_total + _d(o["cart_tax"]) + _d(o["shipping_tax"])
    assert _d(o["total_tax"]) == _d(o["cart_tax"]) + _d(o["shipping_tax"])
    assert _d(o["discount_total"]) == sum((_d(li["subtotal"]) - _d(li["total"]) for li in lines), D(0))
    assert _d(o["discount_tax"]) == sum((_d(li["subtotal_tax"]) - _d(li["total_tax"]) for li in lines), D(0))
    per_rate = defaultdict(lambda: [D(0), D(0)])
    for li in lines + fees:
        assert sum((_d(t["total"]) for t in li["taxes"]), D(0)) == _d(li["total_tax"])
        for t in li["taxes"]:
            per_rate[t["id"]][0] += _d(t["total"])
    for s in ships:
        for t in s["taxes"]:
            per_rate[t["id"]][1] += _d(t["total"])
    assert {tl["rate_id"]: [_d(tl["tax_total"]), _d(tl["shipping_tax_total"])] for tl in o["tax_lines"]} == \
        dict(per_rate)
    for li in lines:
        assert isinstance(li["price"], float) and li["price"] == float(_d(li["total"])) / li["quantity"]
        for k in ("subtotal", "subtotal_tax", "total", "total_tax"):
            assert li[k] == f"{_d(li[k]):.2f}"
    if o["coupon_lines"]:
        assert sum((_d(c["discount"]) for c in o["coupon_lines"]), D(0)) == _d(o["discount_total"])


def test_generated_totals_add_up():
    st = Store(orders=600, seed=11)
    seen = defaultdict(int)
    for oid in range(1000, 1600):
        o = st.get_order(oid)
        check_order_arithmetic(o)
        refunds = st.order_refunds(oid)
        assert sorted(r["id"] for r in o["refunds"]) == sorted(r["id"] for r in refunds)
        assert sum((_d(r["amount"]) for r in refunds), D(0)) <= _d(o["total"])
        for r in refunds:
            parts = r["line_items"] + r["shipping_lines"] + r["fee_lines"]
            if parts:
                assert -_d(r["amount"]) == sum((_d(p["total"]) + _d(p["total_tax"]) for p in parts), D(0))
                assert all(p["meta_data"][-1]["key"] == "_refunded_item_id" for p in parts)
            seen["refund_lines" if r["line_items"] else ("refund_shipping" if r["shipping_lines"] else
                                                         "refund_amount")] += 1
            assert {x["id"]: x["total"] for x in o["refunds"]}[r["id"]] == "-" + r["amount"]
            assert r["date_created_gmt"] <= o["date_modified_gmt"]
        meta = {m["key"]: m["value"] for m in o["meta_data"]}
        seen[o["currency"]] += 1
        seen["coupon_" + o["coupon_lines"][0]["discount_type"] if o["coupon_lines"] else "no_coupon"] += 1
        seen["fee"] += bool(o["fee_lines"])
        seen["guest"] += o["customer_id"] == 0
        seen["no_email"] += o["billing"]["email"] == ""
        seen["excl_tax"] += not o["prices_include_tax"]
        if o["currency"] == "EUR":
            assert D(meta["_base_currency_exchange_rate"]) > 10
        if meta.get("is_vat_exempt") == "yes":
            seen["reverse_charge"] += 1
            assert meta["_billing_vat_number"] and o["total_tax"] == "0.00" and o["tax_lines"] == []
        if o["billing"]["country"] in ("NO", "US", "GB", "CH"):
            seen["export"] += 1
            assert o["total_tax"] == "0.00"
        if o["status"] in ("completed", "processing", "refunded"):
            assert o["date_paid_gmt"] and o["date_paid_gmt"] <= o["date_modified_gmt"]
        if o["status"] in ("pending", "failed", "cancelled", "on-hold", "checkout-draft"):
            assert o["date_paid"] is None
        if o["status"] == "completed":
            assert o["date_completed_gmt"] is not None
        if o["date_modified_gmt"][:10] > o["date_created_gmt"][:10]:
            seen["modified_later"] += 1
    for k in ("SEK", "EUR", "coupon_percent", "coupon_fixed_cart", "fee", "guest", "no_email", "excl_tax",
              "reverse_charge", "export", "refund_lines", "refund_shipping", "refund_amount", "modified_later"):
        assert seen[k] > 0, (k, dict(seen))


def test_dst_dates():
    st = Store(orders=400, seed=5, start_date="2026-10-20", days=10)
    for oid in range(1000, 1400):
        o = st.get_order(oid)
        gmt, loc = o["date_created_gmt"], o["date_created"]
        hours = (int(loc[11:13]) - int(gmt[11:13])) % 24
        assert hours == (2 if gmt < "2026-10-25T01:00:00" else 1), (gmt, loc)


def test_determinism():
    a, b, c = Store(orders=120, seed=7), Store(orders=120, seed=7), Store(orders=120, seed=8)
    for oid in (1000, 1050, 1119):
        assert json.dumps(a.get_order(oid)) == json.dumps(b.get_order(oid))
        assert a.order_refunds(oid) == b.order_refunds(oid)
    assert any(json.dumps(a.get_order(i)) != json.dumps(c.get_order(i)) for i in (1000, 1050, 1119))
    assert (a.mod == b.mod).all() and (a.status == b.status).all()


def test_million_orders_filtered_page(tmp_path):
    with WooCommerceSandbox(orders=1_000_000, seed=1, state_dir=str(tmp_path)) as big:
        api = Api(big)
        r = api.get("orders", {"modified_after": "2026-10-15T00:00:00", "modified_before": "2026-10-16T00:00:00",
                               "dates_are_gmt": "true", "orderby": "modified", "order": "asc", "per_page": 100,
                               "page": 3, "status": "completed,processing"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body) == 100 and int(r.headers["X-WP-Total"]) > 1000
        assert all("2026-10-15" <= o["date_modified_gmt"] < "2026-10-16" for o in body)
        last = api.get("orders", {"per_page": 100, "orderby": "id", "order": "desc"}).json()
        assert last[0]["id"] == 1000 + 1_000_000 - 1 or last[0]["status"] not in ("trash", "checkout-draft")


# ------------------------------------------------------------------ mutations
def test_mutations_control_api(api, sb):
    o = api.get("orders", {"status": "completed", "per_page": 1}).json()[0]
    oid = o["id"]
    mod = api.ctl("POST", f"orders/{oid}/modify", {"date_modified_gmt": "2026-11-20T10:00:00"})
    assert mod["date_modified_gmt"] == "2026-11-20T10:00:00" and mod["date_modified"] == "2026-11-20T11:00:00"
    api.ctl("POST", f"orders/{oid}/modify", {"date_modified_gmt": "2026-11-21T10:00:00", "status": "processing",
                                             "fields": {"customer_note": "Ring först"}})
    got = api.get(f"orders/{oid}").json()
    assert (got["date_modified_gmt"], got["status"], got["customer_note"]) == ("2026-11-21T10:00:00",
                                                                               "processing", "Ring först")
    r = api.get("orders", {"modified_after": "2026-11-21T00:00:00", "dates_are_gmt": "true"}).json()
    assert [x["id"] for x in r] == [oid]
    # refund: visible nested, top-level (with parent_id) and on the order; bumps date_modified
    ref = api.ctl("POST", f"orders/{oid}/refunds", {"amount": "10.00", "reason": "Skadad",
                                                     "date_created_gmt": "2026-11-22T08:00:00"})
    assert api.get(f"orders/{oid}/refunds/{ref['id']}").json()["amount"] == "10.00"
    top = api.get("refunds", {"after": "2026-11-22T00:00:00", "dates_are_gmt": "true"}).json()
    assert [(x["id"], x["parent_id"]) for x in top] == [(ref["id"], oid)]
    assert list(top[0])[:2] == ["id", "parent_id"]
    got = api.get(f"orders/{oid}").json()
    assert {"id": ref["id"], "reason": "Skadad", "total": "-10.00"} in got["refunds"]
    assert got["date_modified_gmt"] == "2026-11-22T08:00:00"
    # trash: leaves "any", shows under status=trash
    api.ctl("POST", f"orders/{oid}/trash")
    assert api.get(f"orders/{oid}").json()["status"] == "trash"
    assert oid not in [x["id"] for x in api.all("orders")]
    # delete: vanishes everywhere
    api.ctl("DELETE", f"orders/{oid}")
    assert api.get(f"orders/{oid}").status_code == 404
    assert oid not in [x["id"] for x in api.all("orders", {"status": "any,trash,checkout-draft"})]
    assert api.get(f"orders/{oid}/refunds").status_code == 404
    # python interface mirrors the control API; reset restores everything
    sb.store.modify_order(1001, "2026-12-01T00:00:00")
    assert api.get("orders/1001").json()["date_modified_gmt"] == "2026-12-01T00:00:00"
    api.ctl("POST", "reset")
    assert api.get(f"orders/{oid}").json() == o


# ------------------------------------------------------------------ faults
def test_fault_5xx_limit(api):
    api.ctl("POST", "faults", {"error_rate": 1.0, "error_limit": 3, "error_statuses": [500, 502, 503]})
    codes = [api.get("orders").status_code for _ in range(5)]
    assert all(c in (500, 502, 503) for c in codes[:3]) and codes[3:] == [200, 200]
    api.ctl("POST", "faults", {"error_rate": 1.0, "error_limit": 1, "error_statuses": [500]})
    r = api.get("orders")
    assert r.status_code == 500 and r.json()["code"] == "internal_server_error"
    assert api.ctl("GET", "faults")["counts"]["errors"] == 1


def test_fault_drop_and_latency(api, sb):
    sb.set_faults(drop_rate=1.0, drop_limit=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("orders")
    assert api.get("orders").status_code == 200
    sb.set_faults(latency_ms=300)
    t = time.monotonic()
    assert api.get("orders").status_code == 200
    assert time.monotonic() - t >= 0.3
    sb.set_faults(latency_ms=0, slow_pages=[2], slow_page_ms=800)
    t = time.monotonic()
    api.get("orders", {"page": 1})
    fast = time.monotonic() - t
    t = time.monotonic()
    api.get("orders", {"page": 2})
    slow = time.monotonic() - t
    assert slow >= 0.8 and slow > fast


def test_fault_modified_during_crawl(api):
    window = {"modified_after": "2026-09-01T00:00:00", "modified_before": "2026-12-31T00:00:00",
              "dates_are_gmt": "true", "orderby": "modified", "order": "asc", "status": "any", "per_page": 20}
    expected = [o["id"] for o in api.all("orders", {k: v for k, v in window.items() if k != "per_page"})]
    api.ctl("POST", "faults", {"modify_during_crawl": {"after_page": 1, "count": 3,
                                                       "date_modified_gmt": "2026-12-01T00:00:00"}, "seed": 1})
    seen, page = [], 1
    while True:
        r = api.get("orders", dict(window, page=page))
        seen += [o["id"] for o in r.json()]
        if page >= int(r.headers["X-WP-TotalPages"]):
            break
        page += 1
    moved = api.ctl("GET", "faults")["counts"]["modified_ids"]
    assert len(moved) == 3 and set(moved) <= set(expected[:20])
    # the 3 moved records reappear at the end; 3 records shifted over the page boundary were never seen
    assert set(expected) - set(seen) and len(set(expected) - set(seen)) == 3
    assert seen[-3:] == sorted(moved) or set(seen[-3:]) == set(moved)
    for oid in moved:
        assert api.get(f"orders/{oid}").json()["date_modified_gmt"] == "2026-12-01T00:00:00"


# ------------------------------------------------------------------ misc API details
def test_fields_head_and_refund_listing(api, http_sb):
    assert http_sb.ca_path is None and http_sb.url.startswith("http://")
    r = api.get("orders", {"_fields": "id,date_modified_gmt", "per_page": 3})
    assert [set(o) for o in r.json()] == [{"id", "date_modified_gmt"}] * 3
    h = api.s.head(f"{api.sb.url}/wp-json/wc/v3/orders", auth=(CK, CS), verify=api.sb.ca_path, timeout=10)
    assert h.status_code == 200 and h.content == b"" and int(h.headers["X-WP-Total"]) > 0
    refunds = api.all("refunds")
    assert refunds and all(list(x)[:2] == ["id", "parent_id"] for x in refunds)
    keys = [(x["date_created_gmt"], x["id"]) for x in refunds]
    assert keys == sorted(keys, reverse=True)
    parent = refunds[0]["parent_id"]
    nested = api.get(f"orders/{parent}/refunds").json()
    assert {x["id"] for x in nested} == {x["id"] for x in refunds if x["parent_id"] == parent}
    assert all("parent_id" not in x for x in nested)
    assert nested[0]["_links"]["up"][0]["href"].endswith(f"/orders/{parent}")
    order = api.get(f"orders/{parent}").json()
    assert {x["id"] for x in order["refunds"]} == {x["id"] for x in nested}
    assert api.get(f"orders/{parent}/refunds/999").json()["code"] == "woocommerce_rest_invalid_order_refund_id"


def test_injected_and_generated_merge_in_modified_order(api):
    gen = api.get("orders", {"orderby": "modified", "order": "asc", "per_page": 100}).json()
    mid = gen[50]["date_modified_gmt"]
    rec = dict(ex("order.json"), id=77, date_modified_gmt=mid, date_modified=mid, status="completed")
    api.ctl("POST", "records/orders", rec)
    merged = api.get("orders", {"orderby": "modified", "order": "asc", "per_page": 100}).json()
    keys = [(o["date_modified_gmt"], o["id"]) for o in merged]
    assert keys == sorted(keys) and rec in merged


def test_products_filters(api):
    allp = api.all("products")
    assert {p["status"] for p in allp} == {"publish", "draft", "private"}
    assert {p["status"] for p in api.all("products", {"status": "publish"})} == {"publish"}
    cut = sorted(p["date_modified_gmt"] for p in allp)[10]
    got = api.all("products", {"modified_after": cut, "dates_are_gmt": "true"})
    assert {p["id"] for p in got} == {p["id"] for p in allp if p["date_modified_gmt"] > cut}
    prices = [float(p["price"]) for p in api.all("products", {"orderby": "price", "order": "asc"})]
    assert prices == sorted(prices)


def test_control_api_errors(api, sb):
    r = requests.post(f"{sb.url}/__sandbox/orders/5/modify", json={}, verify=sb.ca_path, timeout=10)
    assert r.status_code == 404
    r = requests.post(f"{sb.url}/__sandbox/orders/1000/modify", json={"date_modified_gmt": "nope"},
                      verify=sb.ca_path, timeout=10)
    assert r.status_code == 400
    r = requests.post(f"{sb.url}/__sandbox/records/coupons", json={"id": 1}, verify=sb.ca_path, timeout=10)
    assert r.status_code == 400
    r = requests.post(f"{sb.url}/__sandbox/faults", json={"bogus": 1}, verify=sb.ca_path, timeout=10)
    assert r.status_code == 400
    info = api.ctl("GET", "")
    assert info["orders"] == 300 and info["seed"] == 7


def _keys_follow(example: dict, got: dict):
    ek = list(example)
    assert [k for k in got if k in ek] == ek, (ek, list(got))


def test_generated_shapes_follow_examples(api):
    orders = api.get("orders", {"per_page": 100, "status": "completed"}).json()
    o = next(x for x in orders if x["shipping_lines"] and x["tax_lines"] and x["line_items"][0]["meta_data"])
    ex_o = ex("order.json")
    _keys_follow(ex_o, o)
    _keys_follow(ex_o["line_items"][0], o["line_items"][0])
    _keys_follow(ex_o["line_items"][1]["meta_data"][0], o["line_items"][0]["meta_data"][0])
    _keys_follow(ex_o["tax_lines"][0], o["tax_lines"][0])
    _keys_follow(ex_o["shipping_lines"][0], o["shipping_lines"][0])
    assert list(o)[-5:] == ["payment_url", "is_editable", "needs_payment", "needs_processing", "_links"]
    _keys_follow(ex("product_simple.json"), api.get("products/10").json())
    var = api.all("products", {"type": "variable"})[0]
    _keys_follow(ex("variation.json"), api.get(f"products/{var['id']}/variations").json()[0])
    _keys_follow(ex("customer.json"), api.get("customers").json()[0])
    _keys_follow(ex("tax_rate.json"), api.get("taxes/1").json())
    ref = next(r for r in api.all("refunds") if r["line_items"])
    nested = api.get(f"orders/{ref['parent_id']}/refunds/{ref['id']}").json()
    _keys_follow(ex("refund.json"), nested)
    _keys_follow(ex("refunds_list.json")[1]["line_items"][0], nested["line_items"][0])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_arithmetic_other_seeds(seed):
    st = Store(orders=80, seed=seed, start_date="2027-03-20", days=14, timezone="Europe/Stockholm")
    for oid in range(1000, 1080):
        check_order_arithmetic(st.get_order(oid))
        for r in st.order_refunds(oid):
            assert D(r["amount"]) > 0


def test_any_includes_checkout_draft_switch():
    from werkzeug.datastructures import MultiDict

    from woofort_sandboxes.woocommerce import listing
    q = listing.parse("orders", MultiDict())
    assert "checkout-draft" not in listing.status_codes(q, False)
    assert "checkout-draft" in listing.status_codes(q, True)
    assert "trash" not in listing.status_codes(q, True)


def test_modify_catalogue_records(api, sb):
    p = api.ctl("POST", "products/10/modify", {"date_modified_gmt": "2026-10-20T12:00:00",
                                               "fields": {"regular_price": "159.00"}})
    assert p["date_modified"] == "2026-10-20T14:00:00"
    got = api.get("products", {"modified_after": "2026-10-20T11:59:59", "dates_are_gmt": "true"}).json()
    assert 10 in [x["id"] for x in got]
    assert api.get("products/10").json()["regular_price"] == "159.00"
    sb.store.modify_record("customers", 2, "2026-10-21T00:00:00")
    assert api.get("customers/2").json()["date_modified_gmt"] == "2026-10-21T00:00:00"
    var = api.all("products", {"type": "variable"})[0]
    vid = var["variations"][0]
    api.ctl("POST", f"variations/{vid}/modify", {"date_modified_gmt": "2026-10-22T00:00:00"})
    assert api.get(f"products/{var['id']}/variations/{vid}").json()["date_modified_gmt"] == "2026-10-22T00:00:00"


# ------------------------------------------------------------------ the living shop (issue #13)
def _money(o):
    """An order's money re-added from its parts, as WooCommerce's totals are."""
    lines = sum((_d(li["total"]) + _d(li["total_tax"]) for li in o["line_items"]), D(0))
    ship = sum((_d(s["total"]) + _d(s["total_tax"]) for s in o["shipping_lines"]), D(0))
    fees = sum((_d(f["total"]) + _d(f["total_tax"]) for f in o["fee_lines"]), D(0))
    return lines + ship + fees


def test_edit_order_lines_recalculates_like_woocommerce(api, sb):
    o = next(x for x in api.all("orders", {"status": "completed"})
             if x["currency"] == "SEK" and x["prices_include_tax"] and x["line_items"][0]["taxes"]
             and not x["coupon_lines"] and not x["refunds"])
    oid, line = o["id"], o["line_items"][0]
    unit = (_d(line["total"]) + _d(line["total_tax"])) / line["quantity"]
    got = api.ctl("POST", f"orders/{oid}/lines", {"set": [{"id": line["id"], "quantity": line["quantity"] + 2}],
                                                  "date_modified_gmt": "2026-11-23T08:00:00"})
    assert got["date_modified_gmt"] == "2026-11-23T08:00:00"
    new = api.get(f"orders/{oid}").json()
    nl = next(li for li in new["line_items"] if li["id"] == line["id"])
    assert nl["quantity"] == line["quantity"] + 2
    assert _d(nl["total"]) + _d(nl["total_tax"]) == unit * nl["quantity"]
    assert _d(new["total"]) == _d(o["total"]) + 2 * unit == _money(new)
    assert _d(new["total_tax"]) == _d(new["cart_tax"]) + _d(new["shipping_tax"])
    assert sum((_d(t["tax_total"]) for t in new["tax_lines"]), D(0)) == _d(new["cart_tax"])
    assert new["shipping_lines"] == o["shipping_lines"]            # shipping is not re-rated by an edit
    # a new unit price, an added product, a removed line
    api.ctl("POST", f"orders/{oid}/lines", {"set": [{"id": line["id"], "quantity": 1, "price": "100.00"}],
                                            "add": [{"product_id": 10, "quantity": 2}]})
    new = api.get(f"orders/{oid}").json()
    nl = next(li for li in new["line_items"] if li["id"] == line["id"])
    assert _d(nl["total"]) + _d(nl["total_tax"]) == D("100.00")
    added = [li for li in new["line_items"] if li["product_id"] == 10 and li["id"] not in
             {x["id"] for x in o["line_items"]}]
    assert len(added) == 1 and added[0]["quantity"] == 2 and _d(added[0]["total"]) + _d(added[0]["total_tax"]) == \
        D("298.00")
    assert _d(new["total"]) == _money(new)
    api.ctl("POST", f"orders/{oid}/lines", {"set": [{"id": added[0]["id"], "quantity": 0}]})
    assert added[0]["id"] not in {li["id"] for li in api.get(f"orders/{oid}").json()["line_items"]}
    bad = api.s.post(f"{sb.url}/__sandbox/orders/{oid}/lines", json={"set": [{"id": 1, "quantity": 1}]},
                     verify=sb.ca_path, timeout=20)
    assert bad.status_code == 400 and "no line item 1" in bad.json()["error"]


def test_manual_refund_and_fully_refunded_status(api, sb):
    o = next(x for x in api.all("orders", {"status": "completed"})
             if x["payment_method"] == "stripe" and not x["refunds"])
    oid = o["id"]
    manual = api.ctl("POST", f"orders/{oid}/refunds", {"amount": "5.00", "refunded_payment": False})
    assert manual["refunded_payment"] is False
    gateway = api.ctl("POST", f"orders/{oid}/refunds", {"amount": "6.00"})
    assert gateway["refunded_payment"] is True
    assert api.get(f"orders/{oid}").json()["status"] == "completed"
    rest = _d(o["total"]) - D("11.00")
    api.ctl("POST", f"orders/{oid}/refunds", {"amount": str(rest), "mark_refunded": True})
    assert api.get(f"orders/{oid}").json()["status"] == "refunded"


def test_rename_product_changes_sku_everywhere_and_name_from_then_on(api, sb):
    st = sb.store
    oid = next(x["id"] for x in api.all("orders") if any(li["product_id"] == 11 for li in x["line_items"]))
    before = api.get(f"orders/{oid}").json()
    api.ctl("POST", "products/11/rename", {"sku": "SB-NEW-11", "name": "Termos &amp; mugg &#8211; 0,5 l 🥤",
                                           "date_modified_gmt": "2026-12-01T00:00:00"})
    assert api.get("products/11").json()["sku"] == "SB-NEW-11"
    after = api.get(f"orders/{oid}").json()
    li = next(x for x in after["line_items"] if x["product_id"] == 11)
    assert li["sku"] == "SB-NEW-11"
    assert li["name"] == next(x for x in before["line_items"] if x["product_id"] == 11)["name"]  # sold as before
    assert after["date_modified_gmt"] == before["date_modified_gmt"] and after["total"] == before["total"]
    assert st.builder.info_at(11, 2**40)["name"] == "Termos &amp; mugg &#8211; 0,5 l 🥤"


def test_add_order_is_listed_and_editable(tmp_path):
    sbx = WooCommerceSandbox(orders=5, seed=3, days=2, tls=False).start()
    try:
        st = sbx.store
        o = st.add_order("2026-10-05T09:00:00", status="processing")
        assert o["id"] == 1005 and o["status"] == "processing" and o["date_created_gmt"] == "2026-10-05T09:00:00"
        assert o["date_paid_gmt"] is not None
        ids = [x["id"] for x in st.get_order(1005)["line_items"]]
        st.edit_order_lines(1005, set_lines=[{"id": ids[0], "quantity": 7}], date_modified_gmt="2026-10-06T09:00:00")
        assert st.get_order(1005)["line_items"][0]["quantity"] == 7
        with pytest.raises(ValueError):
            st.add_order("2026-10-01T00:00:00")
        assert requests.get(f"{sbx.url}/__sandbox", timeout=10).json()["last_order_id"] == 1005
        listed = requests.get(f"{sbx.url}/wp-json/wc/v3/orders", params={
            "modified_after": "2026-10-06T00:00:00", "dates_are_gmt": "true"},
            auth=OAuth1(sbx.consumer_key, sbx.consumer_secret, signature_type="query"), timeout=10)
        assert listed.status_code == 200, listed.text
        assert 1005 in [x["id"] for x in listed.json()]
    finally:
        sbx.stop()
