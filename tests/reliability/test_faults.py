"""Faults on every Fortnox endpoint the sink uses and on the WooCommerce crawl: each scenario ends with the same
Fortnox state as a run without faults (same documents, rows and amounts per WooCommerce order/refund), with no
duplicates, and with a ledger that points only at existing documents. A run broken by a fault may be followed by
ordinary runs (faults off): what matters is that nothing is lost, duplicated or silently dropped."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.reliability import harness as H

FIRST, LAST = "2026-10-01", "2026-10-10"
SINK_WRITE_PATTERNS = ["/3/articles", "/3/articles/*", "/3/prices", "/3/prices/*/*", "/3/prices/*/*/*",
                       "/3/customers", "/3/customers/*", "/3/invoices", "/3/invoices/*", "/3/invoices/*/bookkeep",
                       "/3/invoices/*/credit", "/3/invoices/*/cancel", "/3/invoicepayments",
                       "/3/invoicepayments/*/bookkeep"]


@pytest.fixture(scope="module")
def env_mp():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    woo = H.start_woo(tmp_path_factory.mktemp("woo"), orders=80, days=10, seed=11)
    yield woo
    woo.stop()


def _point_env(mp, woo, fortnox, data_dir):
    env = H.pipeline_env(woo, fortnox, data_dir)
    for key, value in env.items():
        if key.startswith(("WOOFORT_", "WOOCOMMERCE_", "FORTNOX_", "REQUESTS_CA_BUNDLE")):
            mp.setenv(key, value)


@pytest.fixture(scope="module")
def baseline(shop, tmp_path_factory, env_mp):
    fx = H.start_fortnox()
    data = tmp_path_factory.mktemp("baseline")
    _point_env(env_mp, shop, fx, data)
    result = H.run_in_process(FIRST, LAST, woo=shop, fortnox=fx, data_dir=data)
    assert result.success, H.step_errors(result)
    state = H.canonical_state(fx)
    assert sum(state["invoices"].values()) >= 20 and sum(state["payments"].values()) >= 10
    yield state
    fx.stop()


def _converge(woo, fx, data, runs, first=FIRST, last=LAST, **kw):
    """The faulty run(s), then one ordinary run (the resume: a write whose outcome stayed unknown is `pending`
    and is looked up by the next run, docs/fortnox-sink.md), and up to 2 more while runs fail."""
    results = [H.run_in_process(first, last, woo=woo, fortnox=fx, data_dir=data, **kw) for _ in range(runs)]
    fx.clear_faults()
    if hasattr(woo, "clear_faults"):
        woo.clear_faults()
    for _ in range(3):
        results.append(H.run_in_process(first, last, woo=woo, fortnox=fx, data_dir=data,
                                        fortnox_kw={k: v for k, v in (kw.get("fortnox_kw") or {}).items()
                                                    if k in ("tenant_id", "refresh_token")}))
        if results[-1].success:
            break
    assert results[-1].success, H.step_errors(results[-1])
    return results


def _assert_same_books(baseline, fx, data):
    assert H.duplicate_references(fx) == {}
    assert H.diff_states(baseline, H.canonical_state(fx)) == {}
    assert H.ledger_inconsistencies(data / "woofort.duckdb", fx) == []
    assert not any(status == "pending" for (_, status) in H.ledger_counts(data / "woofort.duckdb"))


def _fresh(tmp_path, env_mp, shop, **sandbox_kw):
    fx = H.start_fortnox(**sandbox_kw)
    data = tmp_path / "data"
    _point_env(env_mp, shop, fx, data)
    return fx, data


@pytest.mark.parametrize("scenario", ["429_storm", "5xx_burst", "commit_then_drop",
                                      "latency_timeout", "drop"])
def test_fortnox_endpoint_faults(scenario, baseline, shop, tmp_path, env_mp):
    fx, data = _fresh(tmp_path, env_mp, shop, fault_seed=int(os.environ.get("WOOFORT_TEST_FAULT_SEED", "8")))
    kw = {}
    try:
        for pattern in SINK_WRITE_PATTERNS:   # the same paths serve the lookups (GET)
            if scenario == "429_storm":
                fx.add_fault("rate_limit", pattern, count=3)
            elif scenario == "5xx_burst":
                for status in (500, 502, 503, 504):
                    fx.add_fault("error", pattern, probability=0.08, status=status)
            elif scenario == "commit_then_drop":
                fx.add_fault("commit_then_drop", pattern, methods=["POST", "PUT"], probability=0.15)
            elif scenario == "drop":
                fx.add_fault("drop", pattern, probability=0.1)
            elif scenario == "latency_timeout":
                fx.add_fault("latency", pattern, probability=0.08, latency_ms=2500)
        if scenario == "latency_timeout":
            kw = {"fortnox_kw": {"timeout_seconds": 1.0}}
        results = _converge(shop, fx, data, 1, **kw)
        fired = sum(v for k, v in fx.counters_snapshot().items() if k.startswith("fault:"))
        assert fired > 0
        print(f"{scenario}: {fired} faults fired, {len(results)} run(s), first run success={results[0].success}")
        _assert_same_books(baseline, fx, data)
    finally:
        fx.stop()


def test_token_endpoint_faults_and_expiry_mid_run_service_account(baseline, shop, tmp_path, env_mp):
    fx, data = _fresh(tmp_path, env_mp, shop, access_token_ttl_seconds=1.0)   # expires many times during the run
    try:
        fx.add_fault("error", "/oauth-v1/token", count=2, status=503)
        fx.add_fault("drop", "/oauth-v1/token", count=1, skip=3)
        fx.add_fault("rate_limit", "/oauth-v1/token", count=1, skip=5)
        results = _converge(shop, fx, data, 1)
        tokens = fx.counters_snapshot().get("POST /oauth-v1/token", 0)
        assert tokens >= 3, "the access token must have been renewed mid-run"
        print(f"token requests: {tokens}, runs: {len(results)}")
        _assert_same_books(baseline, fx, data)
    finally:
        fx.stop()


def test_refresh_token_mode_expiry_mid_run(baseline, shop, tmp_path, env_mp):
    """Rotating refresh tokens, access tokens living 4 s: many refreshes during one sync, each refresh token
    presented exactly once (a second presentation would be an invalid_grant and stop the run)."""
    fx, data = _fresh(tmp_path, env_mp, shop, access_token_ttl_seconds=4)
    try:
        rt = fx.issue_refresh_token(client_id=H.CLIENT_ID)
        results = _converge(shop, fx, data, 1, fortnox_kw={"tenant_id": None, "refresh_token": rt})
        counters = fx.counters_snapshot()
        assert counters.get("POST /oauth-v1/token", 0) >= 2, "at least one refresh mid-run"
        assert results[0].success, H.step_errors(results[0])
        _assert_same_books(baseline, fx, data)
    finally:
        fx.stop()


REFRESHER = r"""
import sys, time
from woofort_assets.resources.fortnox import FortnoxResource
api, data, rt, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
client = FortnoxResource(api_url=api, auth_url=api, client_id=sys.argv[5], client_secret=sys.argv[6],
                         refresh_token=rt, data_dir=data, rate_limit=100000).get_client()
while time.time() < start:
    time.sleep(0.001)
print(sorted(client.get("/3/companyinformation")))
"""


def test_two_processes_refreshing_at_once(tmp_path):
    """Refresh-token mode: two processes meet an expired access token at the same instant. The documented limit
    (docs/fortnox-client.md): one refresh per expiry, every refresh token presented once, no invalid_grant."""
    fx = H.start_fortnox(access_token_ttl_seconds=3600)
    try:
        rt = fx.issue_refresh_token(client_id=H.CLIENT_ID)
        data = tmp_path / "shared"
        for round_ in range(2):
            if round_:
                fx.advance_time(3700)   # the stored access token is now expired for everyone
            before = fx.counters_snapshot().get("POST /oauth-v1/token", 0)
            start = time.time() + 4
            procs = [subprocess.Popen([sys.executable, "-c", REFRESHER, fx.api_url, str(data), rt, str(start),
                                       H.CLIENT_ID, H.CLIENT_SECRET], cwd=H.REPO, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outs = [p.communicate(timeout=120) for p in procs]
            assert all(p.returncode == 0 for p in procs), outs
            refreshes = fx.counters_snapshot().get("POST /oauth-v1/token", 0) - before
            assert refreshes == 1, f"round {round_}: {refreshes} refreshes for one expiry"
        assert fx.counters_snapshot().get("status:400", 0) == 0
    finally:
        fx.stop()


@pytest.mark.parametrize("fault", [
    {"error_rate": 0.2, "error_statuses": [500, 502]},
    {"drop_rate": 0.12},
    {"error_rate": 0.1, "error_statuses": [500, 502, 429], "drop_rate": 0.05, "latency_ms": 20},
], ids=["5xx", "dropped_connections", "mixed"])
def test_woocommerce_faults_mid_crawl(fault, baseline, shop, tmp_path, env_mp):
    fx, data = _fresh(tmp_path, env_mp, shop)
    try:
        shop.set_faults(seed=3, **fault)
        results = _converge(shop, fx, data, 1, woo_kw={"per_page": 10, "concurrency": 2})
        print(f"woocommerce {fault}: first run success={results[0].success}, runs={len(results)}")
        _assert_same_books(baseline, fx, data)
    finally:
        shop.clear_faults()
        fx.stop()


def test_records_modified_during_the_crawl(baseline, tmp_path, env_mp):
    woo = H.start_woo(tmp_path, orders=80, days=10, seed=11)   # its own store: the fault changes it
    fx, data = _fresh(tmp_path, env_mp, woo)
    try:
        woo.set_faults(seed=5, modify_during_crawl={"after_page": 1, "count": 4, "entity": "orders", "times": 2})
        result = H.run_in_process(FIRST, LAST, woo=woo, fortnox=fx, data_dir=data,
                                  woo_kw={"per_page": 10, "concurrency": 1})
        assert result.success, H.step_errors(result)
        moved = woo.faults.counts["modified_ids"]
        orders_meta = [e for e in result.all_events if e.is_step_materialization
                       and e.step_materialization_data.materialization.asset_key.path == ["woocommerce", "orders"]]
        passes = orders_meta[0].step_materialization_data.materialization.metadata["crawl_passes"].value
        assert passes >= 2, "the crawl must notice the shift and crawl again"
        assert moved, "the fault must really have moved records during the crawl"
        _assert_same_books(baseline, fx, data)
    finally:
        woo.stop()
        fx.stop()


def test_order_trashed_or_deleted_after_invoicing_is_reported(baseline, tmp_path, env_mp, capsys):
    from woofort_assets.cli import main

    woo = H.start_woo(tmp_path, orders=80, days=10, seed=11)
    fx, data = _fresh(tmp_path, env_mp, woo)
    try:
        assert main(["sync", "--from", FIRST, "--to", LAST]) in (0, 3)
        assert "\n  error:" not in capsys.readouterr().out
        import duckdb

        con = duckdb.connect(str(data / "woofort.duckdb"), read_only=True)
        invoiced = [int(k) for (k,) in con.execute(
            "SELECT source_key FROM ledger.documents WHERE entity = 'invoice' AND status = 'synced' "
            "ORDER BY 1 LIMIT 2").fetchall()]
        con.close()
        trashed, deleted = invoiced
        _assert_same_books(baseline, fx, data)
        woo.store.trash_order(trashed)
        woo.store.delete_order(deleted)
        code = main(["sync", "--from", LAST, "--to", LAST])   # a day already synced: nothing new to book
        out = capsys.readouterr().out
        assert code in (1, 3), out   # 3: set aside; 1 when reconciliation checks also fail
        assert f"vanished    invoice      {trashed}" in out and "trashed in WooCommerce" in out
        assert f"vanished    invoice      {deleted}" in out and "deleted in WooCommerce" in out
        assert "WARN  fortnox/invoices:vanished_orders" in out
        # woofort never credits a vanished order by itself: the invoices stay in Fortnox, nothing else changed
        _assert_same_books(baseline, fx, data)
        with fx.state.lock:
            docs = [d for d in fx.state["invoices"].values()
                    if str(d.get("ExternalInvoiceReference1")) in (str(trashed), str(deleted))]
        assert len(docs) == 2 and not any(d.get("Cancelled") or d.get("CreditInvoiceReference") not in
                                          (None, "", "0", 0) for d in docs)
        import duckdb

        con = duckdb.connect(str(data / "woofort.duckdb"), read_only=True)
        rows = con.execute("SELECT order_id, state FROM ledger.vanished_orders ORDER BY 1").fetchall()
        con.close()
        assert sorted(rows) == sorted([(trashed, "trashed"), (deleted, "deleted")])
        woo.store.modify_order(trashed, status="completed")   # restored in the shop: no longer reported
        assert main(["sync", "--from", LAST, "--to", LAST]) in (0, 1, 3)
        out = capsys.readouterr().out
        assert f"vanished    invoice      {trashed}" not in out and f"vanished    invoice      {deleted}" in out
    finally:
        woo.stop()
        fx.stop()
