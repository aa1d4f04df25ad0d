"""The WooCommerce sandbox's price decimals: money in orders and refunds formatted with the request's `dp`, else with
the store's "Number of decimals", as WooCommerce does (sandboxes/woofort_sandboxes/woocommerce/decimals.py)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from requests_oauthlib import OAuth1

from woofort_sandboxes.woocommerce import WooCommerceSandbox
from woofort_sandboxes.woocommerce.decimals import wc_format_decimal

CK, CS = "ck_sandbox", "cs_sandbox"


@pytest.fixture(scope="module")
def store():
    """Two sandboxes over plain http with the same seeded orders: a default store (2 decimals) and one set to show
    0 decimals, as a Swedish shop may be."""
    two = WooCommerceSandbox(orders=120, seed=5, tls=False).start()
    zero = WooCommerceSandbox(orders=120, seed=5, tls=False, price_decimals=0).start()
    yield {2: two, 0: zero}
    two.stop()
    zero.stop()


def get(sandbox, path, **params):
    response = requests.get(f"{sandbox.api_url}/{path}", params=params, timeout=20,
                            auth=OAuth1(CK, CS, signature_method="HMAC-SHA256", signature_type="query"))
    assert response.status_code == 200, response.text
    return response.json()


def orders(sandbox, **params):
    return get(sandbox, "orders", per_page=100, orderby="id", order="asc", **params)


def whole(value: str) -> str:
    """What a 0-decimal store answers for an exact amount: rounded half away from zero, no decimal point."""
    return str(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("value", "dp", "formatted"), [
    ("99.60", 0, "100"), ("99.50", 0, "100"), ("99.49", 0, "99"), ("-9.50", 0, "-10"), ("-0.40", 0, "0"),
    ("2.345", 2, "2.35"), ("-0.004", 2, "0.00"), ("99.6", 6, "99.600000"), ("12", 2, "12.00"),
    ("12,50 kr", 2, "12,50 kr"),
])
def test_wc_format_decimal_rounds_half_away_from_zero(value, dp, formatted):
    assert wc_format_decimal(value, dp) == formatted


def test_a_zero_decimal_store_rounds_money_when_dp_is_absent(store):
    exact, rounded = orders(store[2]), orders(store[0])
    assert [o["id"] for o in exact] == [o["id"] for o in rounded]
    fractional = 0
    for two, zero in zip(exact, rounded):
        for field in ("total", "total_tax", "cart_tax", "shipping_total", "shipping_tax", "discount_total"):
            assert zero[field] == whole(two[field]), (two["id"], field)
        for line_two, line_zero in zip(two["line_items"], zero["line_items"]):
            for field in ("subtotal", "subtotal_tax", "total", "total_tax"):
                assert line_zero[field] == whole(line_two[field])
            assert [t["total"] for t in line_zero["taxes"]] == [whole(t["total"]) for t in line_two["taxes"]]
            assert line_zero["price"] == line_two["price"]      # total / quantity, a float dp never touches
            fractional += Decimal(line_two["total"]) % 1 != 0
        for kind in ("shipping_lines", "fee_lines"):
            assert [(x["total"], x["total_tax"]) for x in zero[kind]] == [
                (whole(x["total"]), whole(x["total_tax"])) for x in two[kind]]
        assert [(t["tax_total"], t["shipping_tax_total"]) for t in zero["tax_lines"]] == [
            (whole(t["tax_total"]), whole(t["shipping_tax_total"])) for t in two["tax_lines"]]
        assert zero["coupon_lines"] == two["coupon_lines"]      # discount is not formatted with dp (CORE)
        assert [r["total"] for r in zero["refunds"]] == ["-" + whole(r["total"][1:]) for r in two["refunds"]]
    assert fractional > 20  # line totals with öre, which the 0-decimal store rounds away


def test_a_line_total_of_99_60_is_answered_as_100(store):
    """The issue's example: one line total with öre, exact in the store, answered rounded."""
    exact = orders(store[2])
    order, index = next((o, i) for o in exact for i, line in enumerate(o["line_items"])
                        if Decimal(line["total"]) % 1 >= Decimal("0.5"))
    single = get(store[0], f"orders/{order['id']}")
    line_two, line_zero = order["line_items"][index], single["line_items"][index]
    assert Decimal(line_zero["total"]) == Decimal(line_two["total"]).to_integral_value(ROUND_HALF_UP)
    assert "." not in line_zero["total"] and Decimal(line_zero["total"]) > Decimal(line_two["total"])


def test_dp_wins_over_the_store_setting(store):
    exact = orders(store[2])
    for dp in (2, 6):
        asked = orders(store[0], dp=dp)
        for two, zero in zip(exact, asked):
            assert Decimal(zero["total"]) == Decimal(two["total"])
            assert len(zero["total"].split(".")[1]) == dp
            assert [Decimal(line["total"]) for line in zero["line_items"]] == [
                Decimal(line["total"]) for line in two["line_items"]]
    with_dp = get(store[0], f"orders/{exact[0]['id']}", dp=6)
    assert with_dp["total"] == f"{Decimal(exact[0]['total']):.6f}"
    assert orders(store[2], dp=0)[0]["total"] == whole(exact[0]["total"])


def test_refunds_are_formatted_the_same_way(store):
    exact = {r["id"]: r for r in get(store[2], "refunds", per_page=100)}
    rounded = get(store[0], "refunds", per_page=100)
    six = {r["id"]: r for r in get(store[0], "refunds", per_page=100, dp=6)}
    assert len(rounded) >= 5
    for refund in rounded:
        two = exact[refund["id"]]
        assert refund["amount"] == whole(two["amount"])
        assert six[refund["id"]]["amount"] == f"{Decimal(two['amount']):.6f}"
        assert [line["total"] for line in refund["line_items"]] == [whole(line["total"]) for line in two["line_items"]]
    order_id = rounded[0]["parent_id"]
    nested = get(store[0], f"orders/{order_id}/refunds", dp=6)
    assert {r["amount"] for r in nested} <= {r["amount"] for r in six.values()}
    one = get(store[0], f"orders/{order_id}/refunds/{nested[0]['id']}")
    assert one["amount"] == whole(exact[nested[0]["id"]]["amount"])


def test_products_are_never_formatted_with_dp(store):
    def prices(sandbox, **params):
        return [(p["id"], p["price"], p["regular_price"], p["sale_price"])
                for p in get(sandbox, "products", per_page=20, **params)]

    assert prices(store[0]) == prices(store[2], dp=0) == prices(store[2])
    assert any(price.endswith(".00") for _, price, _, _ in prices(store[0]))


def test_an_invalid_dp_is_refused_in_listings_and_read_as_absint_in_single_reads(store):
    response = requests.get(f"{store[0].api_url}/orders", params={"dp": "six"}, timeout=20,
                            auth=OAuth1(CK, CS, signature_method="HMAC-SHA256", signature_type="query"))
    assert response.status_code == 400
    assert response.json()["data"]["params"] == {"dp": "dp is not of type integer."}
    order = orders(store[2])[0]
    assert get(store[2], f"orders/{order['id']}", dp="six")["total"] == whole(order["total"])   # absint('six') = 0
    assert get(store[0], f"orders/{order['id']}", dp="-3")["total"] == f"{Decimal(order['total']):.3f}"


def test_the_setting_is_changed_through_the_control_api_and_survives_a_reset():
    sandbox = WooCommerceSandbox(orders=20, seed=5, tls=False).start()
    try:
        control = f"{sandbox.url}/__sandbox"
        assert requests.get(f"{control}/settings", timeout=20).json() == {"price_decimals": 2, "currency": "SEK"}
        exact = orders(sandbox)[0]["total"]
        assert requests.post(f"{control}/settings", json={"price_decimals": 0}, timeout=20).json() == {
            "price_decimals": 0, "currency": "SEK"}
        assert orders(sandbox)[0]["total"] == whole(exact)
        requests.post(f"{control}/reset", timeout=20)
        assert requests.get(control, timeout=20).json()["price_decimals"] == 0
        refused = requests.post(f"{control}/settings", json={"price_decimals": -1}, timeout=20)
        assert refused.status_code == 400 and "non-negative integer" in refused.json()["error"]
        unknown = requests.post(f"{control}/settings", json={"decimals": 3}, timeout=20)
        assert unknown.status_code == 400 and "decimals" in unknown.json()["error"]
    finally:
        sandbox.stop()
