"""Fortnox client parts that need no server: token file, error parsing, masking, configuration."""

from __future__ import annotations

import json
import os
import stat
import threading

import dagster as dg
import pytest

from woofort_assets.lib import fortnox_token
from woofort_assets.lib.fortnox_token import TokenStore, describe, write_json_atomic
from woofort_assets.lib.settings import ConfigError
from woofort_assets.resources.fortnox import (
    FortnoxAuthError,
    FortnoxClient,
    FortnoxError,
    FortnoxOutcomeUnknown,
    FortnoxResource,
    fortnox_resource_from_env,
    mask,
    parse_error_body,
)

SECRET = "offline-client-secret-0123"


def test_token_file_is_0600_and_replaced_atomically(tmp_path, monkeypatch):
    store = TokenStore(tmp_path)
    with store.locked():
        store.update_section("refresh", {"client_id": "c", "refresh_token": "r1" * 10})
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.lock_path).st_mode) == 0o600

    # A crash between writing the temp file and the rename leaves the old file intact and no stray temp file.
    real_replace = os.replace

    def crash(*args):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(fortnox_token.os, "replace", crash)
    with pytest.raises(OSError), store.locked():
        store.update_section("refresh", {"client_id": "c", "refresh_token": "r2" * 10})
    monkeypatch.setattr(fortnox_token.os, "replace", real_replace)
    assert store.section("refresh")["refresh_token"] == "r1" * 10
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

    # Readers never see a torn file while writers replace it concurrently.
    errors: list[Exception] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                json.loads(store.path.read_text())
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    for i in range(200):
        write_json_atomic(store.path, {"refresh": {"refresh_token": str(i) * 500}})
    stop.set()
    t.join()
    assert errors == []
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ('{"ErrorInformation":{"Error":1,"Message":"Kan inte hitta fakturan.","Code":2000434}}', 2000434,
         "Kan inte hitta fakturan."),
        ('{"ErrorInformation":{"error":1,"message":"Ett ogiltigt filter har använts.","code":2000587}}', 2000587,
         "Ett ogiltigt filter har använts."),
        ('{"message":"unauthorized"}', None, "unauthorized"),
        ('{"error":"invalid_grant","error_description":"Invalid refresh token"}', None,
         "invalid_grant: Invalid refresh token"),
        ("<html>Bad gateway</html>", None, "<html>Bad gateway</html>"),
        ("", None, "(empty body)"),
    ],
)
def test_error_bodies_in_every_casing(body, code, message):
    assert parse_error_body(body) == (code, message)


def test_exceptions_carry_code_and_mask_secrets(tmp_path):
    FortnoxClient(client_id="c", client_secret=SECRET, data_dir=tmp_path, tenant_id="1")  # registers the secret
    err = FortnoxOutcomeUnknown(502, 7, f"echo {SECRET}", method="POST", path="/3/invoices")
    assert isinstance(err, FortnoxError) and err.http_status == 502 and err.code == 7
    assert SECRET not in str(err) and SECRET not in repr(err) and "***" in err.message
    assert mask(f"Basic {SECRET}") == "Basic ***"


def test_both_modes_set_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN"):
        FortnoxResource(client_id="c", client_secret=SECRET, data_dir=str(tmp_path), tenant_id="1",
                        refresh_token="r" * 40).get_client()


def test_no_credentials_names_the_connect_command(tmp_path):
    with pytest.raises(FortnoxAuthError, match="woofort fortnox connect"):
        FortnoxResource(client_id="c", client_secret=SECRET, data_dir=str(tmp_path)).get_client()


def test_resource_repr_hides_secrets(tmp_path):
    res = FortnoxResource(client_id="c", client_secret=SECRET, data_dir=str(tmp_path), refresh_token="r" * 40)
    for text in (repr(res), str(res)):
        assert SECRET not in text and "r" * 40 not in text
    client = res.get_client()
    assert SECRET not in repr(client)


def test_resource_from_env_uses_envvars(tmp_path, monkeypatch):
    monkeypatch.setenv("FORTNOX_CLIENT_ID", "env-client")
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("FORTNOX_TENANT_ID", "1234567")
    monkeypatch.delenv("FORTNOX_REFRESH_TOKEN", raising=False)
    monkeypatch.delenv("FORTNOX_API_URL", raising=False)
    res = fortnox_resource_from_env(tmp_path)
    assert isinstance(res.client_secret, dg.EnvVar) and res.client_secret.env_var_name == "FORTNOX_CLIENT_SECRET"
    assert res.api_url == "https://api.fortnox.se"

    @dg.asset
    def probe(fortnox: FortnoxResource) -> None:
        client = fortnox.get_client()
        assert client.mode == "service_account" and client.tenant_id == "1234567"

    result = dg.materialize([probe], resources={"fortnox": res})
    assert result.success
    for event in result.all_events:
        assert SECRET not in str(event)
    monkeypatch.setenv("FORTNOX_REFRESH_TOKEN", "r" * 40)
    with pytest.raises(ConfigError):
        fortnox_resource_from_env(tmp_path)


def test_status_lines_never_show_secrets(tmp_path):
    store = TokenStore(tmp_path)
    with store.locked():
        store.update_section("refresh", {"client_id": "c", "refresh_token": "R" * 40, "refresh_issued_at": 1000.0,
                                         "access_token": "A" * 40, "access_expires_at": 1000.0 + 3600})
    lines = "\n".join(describe(store.read(), now=1000.0 + 86400))
    assert "refresh-token" in lines and "remaining life 44d" in lines and "expired" in lines
    assert "R" * 40 not in lines and "A" * 40 not in lines


def test_resource_from_env_works_outside_dagster(tmp_path, monkeypatch):
    monkeypatch.setenv("FORTNOX_CLIENT_ID", "env-client")
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("FORTNOX_TENANT_ID", "1234567")
    monkeypatch.delenv("FORTNOX_REFRESH_TOKEN", raising=False)
    client = fortnox_resource_from_env(tmp_path).get_client()
    assert (client.client_id, client.tenant_id, client.client_secret) == ("env-client", "1234567", SECRET)
