"""The WooCommerce client over real HTTP against the sandbox: read-only, TLS, OAuth 1.0a, paging."""

import pytest
import requests

from tests.conftest import SANDBOX_KEY, SANDBOX_SECRET
from woofort_assets.resources.woocommerce import ReadOnlyViolation, WooCommerceError, WooCommerceResource


def client_for(sandbox, secret=SANDBOX_SECRET, **kwargs):
    return WooCommerceResource(url=sandbox.url, consumer_key=SANDBOX_KEY, consumer_secret=secret, **kwargs).get_client()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_client_refuses_every_method_but_get_before_sending(woofort_env, woo_sandbox, method):
    client = client_for(woo_sandbox)
    before = woo_sandbox.store.info()["orders"]
    with pytest.raises(ReadOnlyViolation, match=method):
        client.session.request(method, f"{woo_sandbox.url}/wp-json/wc/v3/orders/1000", json={"status": "completed"})
    assert woo_sandbox.store.info()["orders"] == before


def test_https_with_the_sandbox_test_ca_and_basic_auth(woofort_env, woo_sandbox):
    assert woo_sandbox.url.startswith("https://")
    orders = client_for(woo_sandbox).get_json("orders", {"per_page": 5})
    assert len(orders) == 5 and all(isinstance(order["id"], int) for order in orders)


def test_tls_verification_is_on_without_the_ca(woo_sandbox, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(requests.exceptions.SSLError):
        client_for(woo_sandbox, max_retries=0).get_json("orders")


def test_wrong_secret_is_a_clear_401(woofort_env, woo_sandbox):
    with pytest.raises(WooCommerceError) as error:
        client_for(woo_sandbox, secret="cs_wrong").get_json("orders")
    assert error.value.status == 401 and "woocommerce_rest" in str(error.value)
    assert "cs_wrong" not in str(error.value)


def test_plain_http_signs_with_oauth1(tmp_path):
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    sandbox = WooCommerceSandbox(orders=20, seed=3, days=5, tls=False,
                                 consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET).start()
    try:
        assert sandbox.url.startswith("http://")
        orders = client_for(sandbox).get_json("orders", {"per_page": 3})
        assert len(orders) == 3
        with pytest.raises(WooCommerceError) as error:
            client_for(sandbox, secret="cs_wrong").get_json("orders")
        assert error.value.status == 401
    finally:
        sandbox.stop()


def test_per_page_outside_1_to_100_is_refused_by_the_resource_and_the_store(woofort_env, woo_sandbox):
    with pytest.raises(ValueError, match="per_page"):
        client_for(woo_sandbox, per_page=101)
    with pytest.raises(WooCommerceError) as error:
        client_for(woo_sandbox).get_json("orders", {"per_page": 101})
    assert error.value.status == 400 and error.value.code == "rest_invalid_param"


def test_transient_5xx_and_dropped_connections_are_retried(woofort_env, woo_sandbox):
    woo_sandbox.faults.set(error_rate=1.0, error_limit=2, error_statuses=[500, 502])
    assert len(client_for(woo_sandbox).get_json("orders", {"per_page": 2})) == 2
    woo_sandbox.faults.set(error_rate=0.0, drop_rate=1.0, drop_limit=2)
    assert len(client_for(woo_sandbox).get_json("orders", {"per_page": 2})) == 2
    assert woo_sandbox.faults.state()["counts"]["drops"] == 2
