"""Secrets never reach logs, output or exception texts; TLS is verified and REQUESTS_CA_BUNDLE honoured."""

from __future__ import annotations

import base64
import logging
import threading

import pytest
import requests
from _fortnox_testlib import CLIENT_ID, CLIENT_SECRET, TENANT, client_kwargs

from woofort_assets.cli import fortnox as cli
from woofort_assets.resources.fortnox import FortnoxClient, FortnoxError


def test_no_secret_in_logs_output_or_errors(sandbox, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    texts: list[str] = []

    def follow(url):
        # The simulated browser runs in this process; its own log lines (urllib3 logs the redirect with
        # ?code=...) are the browser's, not woofort's, so they are left out below by thread name.
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True,
                         name="browser").start()

    cli.connect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, data_dir=tmp_path / "a", auth_url=sandbox.auth_url,
                api_url=sandbox.api_url, port=0, timeout_seconds=20, on_authorize_url=follow)
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path / "a", max_retries=1))
    client.get("/3/companyinformation")
    sandbox.advance_time(4000)  # the access token expires at the server: 401, refresh, retry
    client.get("/3/companyinformation")
    sandbox.add_fault("error", "/3/companyinformation", status=500)
    for call in (lambda: client.get("/3/companyinformation"),
                 lambda: client.get("/3/invoices/1"),
                 lambda: FortnoxClient(**client_kwargs(sandbox, tmp_path / "b", refresh_token="f" * 40)).get("/3/x"),
                 lambda: FortnoxClient(**client_kwargs(sandbox, tmp_path / "c", tenant_id=TENANT,
                                                       client_secret="wrong-secret-123")).get("/3/x")):
        with pytest.raises(FortnoxError) as info:
            call()
        texts += [str(info.value), repr(info.value), info.value.message]
    cli.main(["fortnox", "status", "--data-dir", str(tmp_path / "a")])
    ours = "\n".join(caplog.handler.format(r) for r in caplog.records if r.threadName != "browser")
    captured = capsys.readouterr()
    texts += [repr(client), ours, captured.out, captured.err]
    everything = "\n".join(texts)

    secrets = [CLIENT_SECRET, base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(),
               *sandbox.oauth.refresh, *sandbox.oauth.access, *sandbox.oauth.codes, "f" * 40]
    assert len(secrets) > 6
    leaked = [s[:6] + "…" for s in secrets if s in everything]
    assert leaked == []
    assert "GET /3/companyinformation -> 200" in ours  # the log does say what happened


def test_tls_verified_and_ca_bundle_honoured(make_sandbox, tmp_path, monkeypatch):
    sb = make_sandbox(tls=True, state_dir=str(tmp_path / "ca"))
    assert sb.api_url.startswith("https://")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = FortnoxClient(**client_kwargs(sb, tmp_path / "x", tenant_id=TENANT))
    with pytest.raises(FortnoxError, match="TLS certificate verification failed"):
        client.get("/3/companyinformation")
    assert sb.presented.grants == {}  # nothing was sent over an unverified connection
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sb.ca_path)
    client = FortnoxClient(**client_kwargs(sb, tmp_path / "y", tenant_id=TENANT))
    assert client.get("/3/companyinformation")["CompanyInformation"]
