"""Token handling against the sandbox: rotating refresh tokens (single-flight, never resent), service accounts."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest
from _fortnox_testlib import CLIENT_ID, TENANT, client_kwargs, run_workers

from tests.conftest import postgres_url
from woofort_assets.lib.fortnox_token import TOKEN_FILENAME, TokenStore
from woofort_assets.lib.fortnox_token_pg import PostgresTokenStore, token_store
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxClient


def _unused_refresh_tokens(sb) -> list[str]:
    return [t for t, info in sb.oauth.refresh.items() if not info["used"]]


@pytest.fixture(params=["file", "postgresql"])
def store_kind(request, monkeypatch) -> str:
    """The token file, or PostgreSQL (WOOFORT_SHARED_STATE_URL) as workers on several machines share it."""
    if request.param == "postgresql":
        monkeypatch.setenv("WOOFORT_SHARED_STATE_URL", postgres_url(request.getfixturevalue("postgres_database")))
    return request.param


def test_refresh_is_single_flight_across_processes_and_threads(make_sandbox, tmp_path, store_kind):
    sb = make_sandbox(access_token_ttl_seconds=1)
    seed = sb.issue_refresh_token(client_id=CLIENT_ID)
    rounds, gap = 3, 1.6
    args = {"client": client_kwargs(sb, tmp_path, refresh_token=seed), "mode": "rounds", "threads": 4,
            "rounds": rounds, "gap": gap, "start_at": time.time() + 3.0}
    # Two processes x 4 threads all find the access token expired at the same moment, three times over.
    results = run_workers(2, args)
    assert [r["errors"] for r in results] == [[], []]
    assert sum(r["ok"] for r in results) == 2 * 4 * rounds

    presented = sb.presented.tokens
    assert presented and set(presented.values()) == {1}, "a refresh token was presented more than once"
    assert presented[seed] == 1
    # At most one refresh per expiry, however many threads and processes wanted one (fewer if a slow worker
    # start merged two rounds inside one token's life).
    assert 1 <= len(presented) <= rounds
    assert sb.counters_snapshot().get("status:400", 0) == 0

    # The stored token is the one live refresh token, the file is private (or there is none), and it works afterwards.
    store = token_store(tmp_path)
    section = store.section("refresh")
    assert _unused_refresh_tokens(sb) == [section["refresh_token"]]
    if store_kind == "file":
        assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    else:
        assert isinstance(store, PostgresTokenStore) and not (tmp_path / TOKEN_FILENAME).exists()
    time.sleep(1.1)
    client = FortnoxClient(**client_kwargs(sb, tmp_path, refresh_token=seed))  # env seed ignored: stored wins
    assert client.get("/3/companyinformation")["CompanyInformation"]["DatabaseNumber"] == int(TENANT)
    assert presented[seed] == 1 and set(presented.values()) == {1}


def test_refresh_only_when_needed_and_stored_before_use(sandbox, tmp_path, monkeypatch):
    seed = sandbox.issue_refresh_token(client_id=CLIENT_ID)
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, refresh_token=seed))
    store = TokenStore(tmp_path)
    seen_in_file_at_first_use: list[str] = []
    original = client.session.request

    def spy(method, url, **kw):
        if "/3/" in url:
            seen_in_file_at_first_use.append(store.section("refresh").get("refresh_token"))
        return original(method, url, **kw)

    monkeypatch.setattr(client.session, "request", spy)
    for _ in range(5):
        client.get("/3/companyinformation")
    assert sum(sandbox.presented.tokens.values()) == 1  # one refresh for five calls (token valid 1 h)
    rotated = _unused_refresh_tokens(sandbox)
    assert seen_in_file_at_first_use[0] == rotated[0]  # the rotated token was durable before the first API call

    # Another process (fresh client, same data_dir) reuses the stored access token: no refresh at all.
    other = FortnoxClient(**client_kwargs(sandbox, tmp_path))
    other.get("/3/companyinformation")
    assert sum(sandbox.presented.tokens.values()) == 1


def test_invalid_grant_asks_for_connect_and_is_never_retried(sandbox, tmp_path):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, refresh_token="0" * 40))  # never issued
    with pytest.raises(FortnoxAuthError, match="woofort fortnox connect") as info:
        client.get("/3/companyinformation")
    assert info.value.http_status == 400 and "invalid_grant" in str(info.value)
    assert sandbox.presented.grants["refresh_token"] == 1
    with pytest.raises(FortnoxAuthError, match="woofort fortnox connect"):
        FortnoxClient(**client_kwargs(sandbox, tmp_path, refresh_token="0" * 40)).get("/3/companyinformation")
    assert sandbox.presented.grants["refresh_token"] == 1  # the dead token is not sent again, not even by a new client


def test_lost_token_reply_is_not_resent(sandbox, tmp_path):
    seed = sandbox.issue_refresh_token(client_id=CLIENT_ID)
    sandbox.add_fault("commit_then_drop", "/oauth-v1/token", count=1)
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, refresh_token=seed))
    with pytest.raises(FortnoxAuthError, match="woofort fortnox connect") as info:
        client.get("/3/companyinformation")
    assert "never sent twice" in str(info.value)
    with pytest.raises(FortnoxAuthError):
        client.get("/3/companyinformation")
    assert sandbox.presented.tokens == {seed: 1}
    assert seed not in (TokenStore(tmp_path).path.read_text())


def test_service_account_gets_reuses_and_reauthenticates_once(make_sandbox, tmp_path):
    sb = make_sandbox(access_token_ttl_seconds=2)
    client = FortnoxClient(**client_kwargs(sb, tmp_path, tenant_id=TENANT))
    for _ in range(3):
        client.get("/3/companyinformation")
    assert sb.presented.grants == {"client_credentials": 1}
    FortnoxClient(**client_kwargs(sb, tmp_path, tenant_id=TENANT)).get("/3/companyinformation")
    assert sb.presented.grants == {"client_credentials": 1}  # shared through the token file

    # The server-side token expires while the client still believes it valid (clock skew): one 401, one re-auth.
    sb.advance_time(2.5)
    assert client.get("/3/companyinformation")["CompanyInformation"]
    assert sb.presented.grants == {"client_credentials": 2}
    assert sb.counters_snapshot().get("status:401") == 1

    # Expired by the client's own clock: renewed before use, without a 401.
    time.sleep(2.0)
    client.get("/3/companyinformation")
    assert sb.presented.grants == {"client_credentials": 3}
    assert sb.counters_snapshot().get("status:401") == 1


def test_service_account_401_twice_gives_up(sandbox, tmp_path, monkeypatch):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT))
    monkeypatch.setattr(sandbox.oauth, "check_access", lambda token: None)  # every token refused
    with pytest.raises(FortnoxAuthError, match="woofort fortnox connect"):
        client.get("/3/companyinformation")
    assert sandbox.presented.grants == {"client_credentials": 2}
    assert sandbox.counters_snapshot().get("status:401") == 2


def test_threads_share_one_service_token(sandbox, tmp_path):
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, tenant_id=TENANT))
    threads = [threading.Thread(target=client.get, args=("/3/companyinformation",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sandbox.presented.grants == {"client_credentials": 1}


def test_another_clients_refresh_token_is_never_overwritten(sandbox, tmp_path):
    store = TokenStore(tmp_path)
    with store.locked():
        store.update_section("refresh", {"client_id": "other-client", "refresh_token": "o" * 40})
    client = FortnoxClient(**client_kwargs(sandbox, tmp_path, refresh_token=sandbox.issue_refresh_token()))
    with pytest.raises(FortnoxAuthError, match="belongs to client id 'other-client'"):
        client.get("/3/companyinformation")
    assert store.section("refresh") == {"client_id": "other-client", "refresh_token": "o" * 40}
    assert sandbox.presented.grants == {}


def test_the_postgresql_store_never_shows_its_password():
    store = PostgresTokenStore("postgresql://woofort:s3cret-pw@db.example:5433/dagster", "shop-a")
    assert "s3cret-pw" not in repr(store) + store.location()
    assert store.location() == "PostgreSQL db.example:5433/dagster, table woofort_fortnox_tokens, key 'shop-a'"
