"""`woofort fortnox connect` end to end (the test follows the authorize URL like a browser) and `status`."""

from __future__ import annotations

import os
import stat
import threading
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from _fortnox_testlib import CLIENT_ID, CLIENT_SECRET, TENANT

from woofort_assets.cli import fortnox as cli
from woofort_assets.lib.fortnox_token import TokenStore
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxClient


def _browser(answers: list):
    """Follows the authorize URL: the sandbox approves and redirects to the loopback listener."""

    def follow(url: str) -> None:
        def go():
            response = requests.get(url, timeout=10)
            answers.append((response.status_code, response.text))

        threading.Thread(target=go, daemon=True).start()

    return follow


def _connect(sb, tmp_path, **kw):
    printed, answers = [], []
    summary = cli.connect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, data_dir=tmp_path, auth_url=sb.auth_url,
                          api_url=sb.api_url, port=0, timeout_seconds=20, on_authorize_url=_browser(answers),
                          out=printed.append, **kw)
    return summary, printed, answers


def test_connect_refresh_token_mode(sandbox, tmp_path):
    summary, printed, answers = _connect(sandbox, tmp_path)
    url = next(line.strip() for line in printed if "/oauth-v1/auth?" in line)
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert query["scope"].split() == list(cli.SCOPES)
    assert query["access_type"] == "offline" and query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and len(query["state"]) >= 32
    assert "account_type" not in query
    assert answers and answers[0][0] == 200 and "connected" in answers[0][1]
    assert summary["mode"] == "refresh_token"

    store = TokenStore(tmp_path)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    stored = store.section("refresh")["refresh_token"]
    assert sandbox.oauth.refresh[stored]["used"] is False

    client = FortnoxClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, data_dir=tmp_path,
                           api_url=sandbox.api_url, auth_url=sandbox.auth_url)
    assert client.mode == "refresh_token"
    assert client.get("/3/companyinformation")["CompanyInformation"]["DatabaseNumber"] == int(TENANT)
    assert sandbox.presented.grants == {"authorization_code": 1}  # the stored access token was used as is


def test_connect_service_account(sandbox, tmp_path):
    sandbox.oauth.consents.clear()  # no consent until the administrator approves
    summary, printed, _ = _connect(sandbox, tmp_path, service_account=True, warehouse=True)
    url = next(line.strip() for line in printed if "/oauth-v1/auth?" in line)
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert query["account_type"] == "service" and query["scope"].split()[-1] == "warehouse"
    assert summary == {"mode": "service_account", "tenant_id": TENANT, "scope": " ".join(cli.scopes(True))}
    client = FortnoxClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, data_dir=tmp_path,
                           api_url=sandbox.api_url, auth_url=sandbox.auth_url)
    assert client.mode == "service_account" and client.tenant_id == TENANT
    TokenStore(tmp_path).update_section("service", {**TokenStore(tmp_path).section("service"), "access_token": None})
    client.get("/3/companyinformation")
    assert sandbox.presented.grants == {"authorization_code": 1, "client_credentials": 1}


def test_connect_rejects_a_forged_state(sandbox, tmp_path):
    def forged(url):
        redirect = parse_qs(urlparse(url).query)["redirect_uri"][0]
        threading.Thread(target=requests.get, args=(f"{redirect}?code=x&state=forged",), kwargs={"timeout": 10},
                         daemon=True).start()

    with pytest.raises(FortnoxAuthError, match="state"):
        cli.connect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, data_dir=tmp_path, auth_url=sandbox.auth_url,
                    api_url=sandbox.api_url, port=0, timeout_seconds=20, on_authorize_url=forged, out=lambda s: None)
    assert not TokenStore(tmp_path).path.exists()
    assert sandbox.presented.grants == {}


def test_status_shows_mode_and_life_but_no_secret(sandbox, tmp_path, capsys):
    _connect(sandbox, tmp_path)
    assert cli.main(["fortnox", "status", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mode: refresh-token" in out and "remaining life 44d 23h" in out and "valid for 59m" in out
    assert "(mode 0o600)" in out
    section = TokenStore(tmp_path).section("refresh")
    assert section["refresh_token"] not in out and section["access_token"] not in out and CLIENT_SECRET not in out


def test_register_adds_the_fortnox_group():
    import argparse

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fortnox", "connect", "--port", "9000", "--service-account"])
    assert args.port == 9000 and args.service_account and args.handler is cli._handle_connect
    assert parser.parse_args(["fortnox", "status"]).handler is cli._handle_status


def test_woofort_fortnox_connect_command_end_to_end(sandbox, tmp_path):
    """The real command line (`python -m woofort_assets.cli fortnox connect`), driven like a user would."""
    import subprocess
    import sys

    env = {**os.environ, "FORTNOX_CLIENT_ID": CLIENT_ID,
           "FORTNOX_CLIENT_SECRET": CLIENT_SECRET, "FORTNOX_AUTH_URL": sandbox.auth_url,
           "FORTNOX_API_URL": sandbox.api_url, "WOOFORT_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "woofort_assets.cli", "fortnox", "connect", "--port", "0",
                             "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "/oauth-v1/auth?" in line:
            assert requests.get(line.strip(), timeout=10).status_code == 200
            break
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Connected." in rest and CLIENT_SECRET not in "".join(lines) + rest + err
    stored = TokenStore(tmp_path).section("refresh")
    assert stored["client_id"] == CLIENT_ID and sandbox.oauth.refresh[stored["refresh_token"]]["used"] is False
