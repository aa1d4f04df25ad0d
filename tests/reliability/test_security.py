"""Secrets and transport: no test secret in stdout, logs, metadata, the Dagster event log or compute logs of a
real `woofort sync` on a persistent instance; the token file is 0600; the WooCommerce client sends GET only;
sandboxes bind loopback only; TLS is verified by default and REQUESTS_CA_BUNDLE trusts a private CA."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import requests

from tests.reliability import harness as H


def _scan(root: Path, needles: dict[str, str]) -> list[tuple[str, str]]:
    """Every file under root (SQLite databases, compute logs, run storage) read as bytes."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for name, value in needles.items():
                if value.encode() in data:
                    hits.append((name, str(path)))
    return hits


@pytest.mark.slow
def test_no_secret_in_output_event_log_or_compute_logs(tmp_path, monkeypatch, small_woo, fortnox_sb):
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "compute_logs:\n  module: dagster.core.storage.local_compute_log_manager\n"
        "  class: LocalComputeLogManager\n  config:\n    base_dir: " + str(home / "compute_logs") + "\n")
    env = H.pipeline_env(small_woo, fortnox_sb, tmp_path / "data", extra={"DAGSTER_HOME": str(home)})
    proc = subprocess.run(H.sync_cmd("2026-10-01", "2026-10-10", verbose=True), env=env, cwd=H.REPO,
                          capture_output=True, text=True, timeout=300)
    assert H.sync_ok(proc), proc.stdout[-2000:] + proc.stderr[-3000:]
    token_file = tmp_path / "data" / "fortnox_token.json"
    assert (token_file.stat().st_mode & 0o777) == 0o600
    access_token = json.loads(token_file.read_text())["service"]["access_token"]
    assert H.CLIENT_SECRET not in token_file.read_text()
    needles = {
        "woocommerce consumer secret": H.WOO_SECRET,
        "fortnox client secret": H.CLIENT_SECRET,
        "fortnox access token": access_token,
        "woocommerce basic credential": base64.b64encode(f"{H.WOO_KEY}:{H.WOO_SECRET}".encode()).decode(),
        "fortnox basic credential": base64.b64encode(f"{H.CLIENT_ID}:{H.CLIENT_SECRET}".encode()).decode(),
    }
    for name, value in needles.items():
        assert value not in proc.stdout and value not in proc.stderr, f"{name} in the command's output"
    assert _scan(home, needles) == []
    assert _scan(tmp_path / "data", {k: v for k, v in needles.items() if k != "fortnox access token"}) == []
    # the event log was really written and really read: every event, its metadata and its text
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    if True:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            assert runs
            records = instance.get_records_for_run(runs[0].run_id, limit=100000).records
            assert len(records) > 50
            assert any(r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.is_step_materialization
                       for r in records)
            text = "\n".join(r.event_log_entry.to_json() if hasattr(r.event_log_entry, "to_json") else
                             repr(r.event_log_entry) for r in records)
            text += json.dumps(runs[0].run_config, default=str) + repr(runs[0].tags)
            for name, value in needles.items():
                assert value not in text, f"{name} in the event log"


def test_woocommerce_client_sends_nothing_but_get(small_woo, monkeypatch):
    from woofort_assets.resources.woocommerce import ReadOnlyViolation, WooCommerceResource

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(small_woo.ca_path))
    client = WooCommerceResource(url=small_woo.url, consumer_key=H.WOO_KEY, consumer_secret=H.WOO_SECRET).get_client()
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
        with pytest.raises(ReadOnlyViolation):
            client.session.request(method, f"{small_woo.api_url}/orders/1000", json={"status": "cancelled"})
    with pytest.raises(ReadOnlyViolation):
        client.session.post(f"{small_woo.api_url}/orders", json={})
    assert client.get_json("orders", {"per_page": 1})   # GET works


def test_sandboxes_bind_loopback_only(tmp_path):
    from woofort_sandboxes.fortnox import FortnoxSandbox
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    for host in ("0.0.0.0", "192.0.2.1", "::"):
        with pytest.raises(ValueError):
            FortnoxSandbox(host=host)
        with pytest.raises(ValueError):
            WooCommerceSandbox(orders=1, host=host, state_dir=tmp_path)


def test_tls_is_verified_by_default_and_a_private_ca_works_via_env(small_woo, monkeypatch):
    from woofort_assets.resources.woocommerce import WooCommerceResource

    resource = WooCommerceResource(url=small_woo.url, consumer_key=H.WOO_KEY, consumer_secret=H.WOO_SECRET,
                                   max_retries=0)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(requests.exceptions.SSLError):
        resource.get_client().get_json("orders", {"per_page": 1})
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(small_woo.ca_path))
    assert resource.get_client().get_json("orders", {"per_page": 1})


def test_fortnox_client_verifies_tls(tmp_path, monkeypatch):
    from woofort_assets.resources.fortnox import FortnoxError, FortnoxResource
    from woofort_sandboxes.fortnox import FortnoxSandbox

    sb = FortnoxSandbox(port=0, tls=True, state_dir=tmp_path / "ca", clients={H.CLIENT_ID: H.CLIENT_SECRET},
                        tenant_id=H.TENANT).start()
    try:
        def client(name):
            return FortnoxResource(api_url=sb.api_url, auth_url=sb.auth_url, client_id=H.CLIENT_ID,
                                   client_secret=H.CLIENT_SECRET, tenant_id=H.TENANT, data_dir=str(tmp_path / name),
                                   max_retries=0).get_client()
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        with pytest.raises((FortnoxError, requests.exceptions.SSLError)):
            client("a").get("/3/companyinformation")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sb.ca_path))
        assert client("b").get("/3/companyinformation")
    finally:
        sb.stop()
