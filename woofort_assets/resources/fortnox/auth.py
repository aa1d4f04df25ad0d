"""Fortnox OAuth2: the token endpoint, and the two token sources a client uses.

- `ServiceAccountTokens` (recommended): client_credentials grant with the TenantId header. There is no refresh
  token, so nothing can be lost; the access token is cached in memory and in the token file.
- `RefreshTokens`: rotating refresh tokens, single-flight across threads and processes. A refresh token is
  recorded as spent (lib/fortnox_token.py, the token file's journal) before it is presented, the rotated one is
  stored before the new access token is handed out, and a token whose reply was lost is never sent again.

Both take the token file's locks (`TokenStore.locked()`) and re-read it before renewing, so every process of
the tenant shares one access token. Design notes: docs/fortnox-client.md.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from woofort_assets.lib.fortnox_token import TokenStore, forget_spent, is_spent, remember_spent
from woofort_assets.resources.fortnox.errors import (
    CONNECT_HINT,
    FortnoxAuthError,
    FortnoxError,
    Retryable,
    log,
    never_sent,
    parse_error_body,
    register_secret,
    retry_after_seconds,
)


class TokenClient(Protocol):
    """What a token source reads from its client (transport.FortnoxClient), at the time of each renewal."""

    session: requests.Session
    store: TokenStore
    auth_url: str
    client_id: str
    client_secret: str
    tenant_id: str | None
    seed_refresh_token: str | None
    timeout_seconds: float


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT access token, {} if it is not one. Used for the tenant id only."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except Exception:  # noqa: BLE001 - opaque tokens are fine
        return {}


def _skew(lifetime: float) -> float:
    """Renew this long before expiry: 60 s for Fortnox's 1 h tokens, less for very short test lifetimes."""
    return min(60.0, max(0.0, lifetime) * 0.1)


# --------------------------------------------------------------------------------------------- token endpoint
def token_request(session: requests.Session, auth_url: str, client_id: str, client_secret: str,
                  data: dict[str, str], timeout: float, headers: dict[str, str] | None = None) -> requests.Response:
    """POST {auth_url}/oauth-v1/token with Basic client authentication. Raises requests exceptions as-is."""
    register_secret(client_secret)
    started = time.monotonic()
    response = session.post(
        f"{auth_url.rstrip('/')}/oauth-v1/token",
        data=data,
        auth=(client_id, client_secret),
        headers={"Accept": "application/json", **(headers or {})},
        timeout=timeout,
        allow_redirects=False,
    )
    log.info("POST /oauth-v1/token (%s) -> %s in %.0f ms", data.get("grant_type"), response.status_code,
             (time.monotonic() - started) * 1000)
    return response


def parse_token_response(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise ValueError("the token endpoint answered without an access token")
    register_secret(body.get("access_token"))
    register_secret(body.get("refresh_token"))
    return body


@dataclass
class _CachedToken:
    token: str
    expires_at: float
    lifetime: float

    def fresh(self, rejected: str | None) -> bool:
        return self.token != rejected and self.expires_at - _skew(self.lifetime) > time.time()


class TokenSource:
    """Common parts of the two modes. `access_token(rejected)` returns a usable token, never `rejected`."""

    section_name = ""

    def __init__(self, client: TokenClient):
        self.c = client
        self.store = client.store
        self._mem: _CachedToken | None = None

    def _cached_from(self, section: dict[str, Any], rejected: str | None) -> _CachedToken | None:
        token, expires_at = section.get("access_token"), section.get("access_expires_at")
        if not token or not expires_at:
            return None
        cached = _CachedToken(token, float(expires_at), float(section.get("access_lifetime") or 3600))
        register_secret(token)
        return cached if cached.fresh(rejected) else None

    def access_token(self, rejected: str | None = None) -> str:
        mem = self._mem
        if mem is not None and mem.fresh(rejected):
            return mem.token
        with self.store.locked():  # thread lock + file lock; then re-read: another process may have renewed it
            section = self.store.section(self.section_name)
            if self._belongs_here(section):
                cached = self._cached_from(section, rejected)
                if cached is not None:
                    self._mem = cached
                    return cached.token
            self._mem = self._renew(section)
            return self._mem.token

    def _belongs_here(self, section: dict[str, Any]) -> bool:
        return section.get("client_id") == self.c.client_id

    def _renew(self, section: dict[str, Any]) -> _CachedToken:
        raise NotImplementedError

    @staticmethod
    def _token_fields(body: dict[str, Any]) -> dict[str, Any]:
        lifetime = float(body.get("expires_in") or 3600)
        return {"access_token": body["access_token"], "access_expires_at": time.time() + lifetime,
                "access_lifetime": lifetime, "scope": body.get("scope")}


class ServiceAccountTokens(TokenSource):
    """client_credentials grant with the TenantId header; no refresh token exists, so nothing can be lost."""

    section_name = "service"

    def _belongs_here(self, section: dict[str, Any]) -> bool:
        return super()._belongs_here(section) and str(section.get("tenant_id")) == str(self.c.tenant_id)

    def _renew(self, section: dict[str, Any]) -> _CachedToken:
        # (A cached token of another client or tenant is simply replaced: it is a cache, not a secret to keep.)
        c = self.c
        try:
            response = token_request(c.session, c.auth_url, c.client_id, c.client_secret,
                                     {"grant_type": "client_credentials"}, c.timeout_seconds,
                                     headers={"TenantId": str(c.tenant_id)})
        except requests.exceptions.SSLError:
            raise FortnoxError(0, None, "TLS certificate verification failed at the token endpoint "
                               "(for a private CA set REQUESTS_CA_BUNDLE)") from None
        except requests.RequestException as exc:  # asking again for a service token is harmless
            raise Retryable(FortnoxError(0, None, f"token endpoint unreachable ({type(exc).__name__})")) from None
        if response.status_code == 200:
            try:
                body = parse_token_response(response)
            except ValueError as exc:
                raise Retryable(FortnoxError(200, None, str(exc))) from None
            fields = self._token_fields(body)
            self.store.update_section("service", {"client_id": c.client_id, "tenant_id": str(c.tenant_id),
                                                  "obtained_at": time.time(), **fields})
            log.info("service-account access token obtained (valid %.0f s)", fields["access_lifetime"])
            return _CachedToken(fields["access_token"], fields["access_expires_at"], fields["access_lifetime"])
        code, message = parse_error_body(response.text)
        if response.status_code == 429 or response.status_code >= 500:
            raise Retryable(FortnoxError(response.status_code, code, f"token endpoint: {message}"),
                             retry_after_seconds(response))
        raise FortnoxAuthError(
            response.status_code, code,
            f"the service-account token was refused ({message}). Check FORTNOX_CLIENT_ID/FORTNOX_CLIENT_SECRET "
            f"and FORTNOX_TENANT_ID; if the company revoked the consent, {CONNECT_HINT} --service-account "
            "(a system administrator of the company must approve it)",
        )


class RefreshTokens(TokenSource):
    """Rotating refresh tokens: single-flight across threads and processes, stored before use, never resent."""

    section_name = "refresh"

    def _renew(self, section: dict[str, Any]) -> _CachedToken:
        c = self.c
        if section.get("client_id") not in (None, c.client_id) and section.get("refresh_token"):
            # Never overwrite another integration's rotating token: it could not be recovered.
            raise FortnoxAuthError(0, None, f"the stored refresh token belongs to client id {section['client_id']!r}, "
                                   f"not {c.client_id!r}: use that client id, another WOOFORT_DATA_DIR, or "
                                   f"{CONNECT_HINT}")
        if section.get("client_id") != c.client_id:
            section = {"client_id": c.client_id, "spent": section.get("spent", [])}
        refresh_token = section.get("refresh_token")
        if not refresh_token:
            seed = c.seed_refresh_token
            if seed and not is_spent(section, seed):
                refresh_token = seed
                log.info("using FORTNOX_REFRESH_TOKEN for the first refresh; the rotated token is stored from now on")
            else:
                why = section.get("needs_connect") or "no refresh token is stored"
                raise FortnoxAuthError(0, None, f"Fortnox is not connected: {why}. {CONNECT_HINT}")
        register_secret(refresh_token)
        if is_spent(section, refresh_token):
            section["refresh_token"] = None
            section["needs_connect"] = "the stored refresh token was already presented to Fortnox and its reply was lost"
            self.store.update_section("refresh", section)
            raise FortnoxAuthError(0, None, f"{section['needs_connect']}. {CONNECT_HINT}")

        # Record, durably, that this token is being presented BEFORE it leaves: a crash after this point can
        # never lead to the same token being sent again.
        remember_spent(section, refresh_token)
        self.store.update_section("refresh", section)
        try:
            response = token_request(c.session, c.auth_url, c.client_id, c.client_secret,
                                     {"grant_type": "refresh_token", "refresh_token": refresh_token},
                                     c.timeout_seconds)
        except requests.RequestException as exc:
            if never_sent(exc) or isinstance(exc, requests.exceptions.SSLError):
                forget_spent(section, refresh_token)
                self.store.update_section("refresh", section)
                if isinstance(exc, requests.exceptions.SSLError):
                    raise FortnoxError(0, None, "TLS certificate verification failed at the token endpoint "
                                       "(for a private CA set REQUESTS_CA_BUNDLE)") from None
                raise Retryable(FortnoxError(0, None, f"token endpoint unreachable ({type(exc).__name__})")) from None
            return self._lost(section, f"the reply to the token refresh was lost ({type(exc).__name__})")

        status = response.status_code
        if status == 200:
            try:
                body = parse_token_response(response)
            except ValueError:
                return self._lost(section, "the token endpoint answered 200 without a usable token")
            fields = self._token_fields(body)
            new_refresh = body.get("refresh_token")
            section.update(fields)
            section["refresh_token"] = new_refresh
            section["refresh_issued_at"] = time.time() if new_refresh else section.get("refresh_issued_at")
            section["needs_connect"] = None if new_refresh else "Fortnox returned no new refresh token"
            # Durable BEFORE the new access token is handed out (the old refresh token is dead now).
            self.store.update_section("refresh", section)
            log.info("access token refreshed (valid %.0f s); rotated refresh token stored", fields["access_lifetime"])
            return _CachedToken(fields["access_token"], fields["access_expires_at"], fields["access_lifetime"])

        code, message = parse_error_body(response.text)
        if status == 429 or (status == 401 and "invalid_client" in message):
            # Refused before the grant was looked at: the refresh token is still unused.
            forget_spent(section, refresh_token)
            self.store.update_section("refresh", section)
            if status == 429:
                raise Retryable(FortnoxError(429, code, f"token endpoint: {message}"), retry_after_seconds(response))
            raise FortnoxAuthError(401, code, f"Fortnox rejected the client credentials ({message}): "
                                              "check FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET")
        if status == 400 and "invalid_grant" in message:
            section.update(refresh_token=None, access_token=None, access_expires_at=None,
                           needs_connect="Fortnox rejected the refresh token (invalid_grant: used, expired or revoked)")
            self.store.update_section("refresh", section)
            raise FortnoxAuthError(400, code, f"{section['needs_connect']}. {CONNECT_HINT}")
        return self._lost(section, f"the token refresh failed with HTTP {status} ({message})", status, code)

    def _lost(self, section: dict[str, Any], why: str, status: int = 0, code: int | None = None) -> _CachedToken:
        section.update(refresh_token=None, access_token=None, access_expires_at=None,
                       needs_connect=f"{why}; the refresh token may have been used up and is never sent twice")
        self.store.update_section("refresh", section)
        raise FortnoxAuthError(status, code, f"{section['needs_connect']}. {CONNECT_HINT}")
