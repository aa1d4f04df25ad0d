"""Retries, backoff, and writes whose outcome is unknown, against the sandbox's fault injection."""

from __future__ import annotations

import time

import pytest
from _fortnox_testlib import TENANT, client_kwargs

from woofort_assets.resources.fortnox import FortnoxClient, FortnoxError, FortnoxOutcomeUnknown

ARTICLE = {"Article": {"ArticleNumber": "WF-1", "Description": "Testartikel"}}


@pytest.fixture
def client(sandbox, tmp_path):
    return FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT, max_retries=3))


def _count(sb, key):
    return sb.counters_snapshot().get(key, 0)


def test_get_retries_5xx_and_dropped_connections_then_succeeds(sandbox, client):
    sandbox.add_fault("error", "/3/companyinformation", status=503, count=2)
    sandbox.add_fault("drop", "/3/companyinformation", count=1, skip=2)
    assert client.get("/3/companyinformation")["CompanyInformation"]
    assert _count(sandbox, "GET /3/companyinformation") == 1  # three failed tries never reached the handler
    assert _count(sandbox, "fault:error") == 2 and _count(sandbox, "fault:drop") == 1


def test_get_timeout_is_retried(sandbox, tmp_path):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT, timeout_seconds=0.4))
    client.access_token()
    sandbox.add_fault("latency", "/3/companyinformation", latency_ms=900, count=1)
    assert client.get("/3/companyinformation")["CompanyInformation"]


def test_retries_are_bounded_and_back_off_on_429(sandbox, client):
    client.access_token()
    sandbox.add_fault("rate_limit", "/3/companyinformation")  # a 429 storm that never ends (Retry-After: 1)
    started = time.monotonic()
    with pytest.raises(FortnoxError, match=r"gave up after 4 attempts") as info:
        client.get("/3/companyinformation")
    elapsed = time.monotonic() - started
    assert info.value.http_status == 429 and info.value.attempts == 4
    assert _count(sandbox, "fault:rate_limit") == 4  # 1 try + max_retries=3, then a clear error
    assert 3.0 <= elapsed < 6.0  # Retry-After (1 s) respected between the tries


def test_5xx_backoff_grows_with_full_jitter(sandbox, tmp_path):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT, max_retries=4,
                                           backoff_base_seconds=0.1, backoff_max_seconds=5))
    client.access_token()
    sandbox.add_fault("error", "/3/companyinformation", status=502)
    started = time.monotonic()
    with pytest.raises(FortnoxError, match="gave up after 5 attempts") as info:
        client.get("/3/companyinformation")
    assert info.value.http_status == 502 and info.value.message.startswith("Sandbox injected error")
    # Full jitter: each wait is uniform in [0, 0.1 * 2**n]; the bound is the sum of the caps (1.5 s).
    assert time.monotonic() - started < 1.5 + 1.0


def test_post_429_is_retried_and_committed_once(sandbox, client):
    client.access_token()
    sandbox.add_fault("rate_limit", "/3/articles", methods=["POST"], count=2)
    assert client.post("/3/articles", ARTICLE)["Article"]["ArticleNumber"] == "WF-1"
    assert list(sandbox.state["articles"]) == ["WF-1"]


@pytest.mark.parametrize("fault", [{"kind": "error", "status": 503}, {"kind": "commit_then_drop"}])
def test_post_failure_after_send_is_outcome_unknown_and_not_resent(sandbox, client, fault):
    client.access_token()
    sandbox.add_fault(pattern="/3/articles", methods=["POST"], count=1, **fault)
    with pytest.raises(FortnoxOutcomeUnknown, match="look the record up") as info:
        client.post("/3/articles", ARTICLE)
    assert _count(sandbox, f"fault:{fault['kind']}") == 1  # sent exactly once
    committed = fault["kind"] == "commit_then_drop"
    assert (list(sandbox.state["articles"]) == ["WF-1"]) is committed
    assert _count(sandbox, "POST /3/articles") == (1 if committed else 0)
    assert info.value.http_status == (0 if committed else 503)


def test_put_timeout_is_outcome_unknown(sandbox, tmp_path):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT, timeout_seconds=0.4))
    client.post("/3/articles", ARTICLE)
    sandbox.add_fault("latency", "/3/articles/WF-1", methods=["PUT"], latency_ms=900, count=1)
    with pytest.raises(FortnoxOutcomeUnknown):
        client.put("/3/articles/WF-1", {"Article": {"Description": "Ny"}})
    time.sleep(0.7)
    assert sandbox.state["articles"]["WF-1"]["Description"] == "Ny"  # it was committed after all
    assert _count(sandbox, "PUT /3/articles/<number>") == 1


def test_errors_carry_fortnox_code_and_message_in_both_casings(sandbox, client):
    with pytest.raises(FortnoxError) as info:
        client.get("/3/invoices/999999")
    assert (info.value.http_status, info.value.code) == (404, 2000434)
    assert info.value.message == "Kan inte hitta fakturan."
    assert type(info.value) is FortnoxError and _count(sandbox, "GET /3/invoices/<number>") == 1  # 4xx: no retry
    with pytest.raises(FortnoxError) as info:
        client.get("/3/invoices", {"filter": "doesntexist"})
    assert info.value.http_status == 400 and info.value.code == 2000587


def test_iterate_walks_every_page(sandbox, client):
    for i in range(7):
        client.post("/3/articles", {"Article": {"ArticleNumber": f"P{i}", "Description": f"Artikel {i}"}})
    numbers = [a["ArticleNumber"] for a in client.iterate("/3/articles", "Articles", {"limit": 3})]
    assert sorted(numbers) == [f"P{i}" for i in range(7)]
