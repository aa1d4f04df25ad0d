"""Fortnox REST API v3 client: OAuth2 (service account or rotating refresh token), a rate limiter shared by
every process of the tenant, bounded retries, and errors that carry Fortnox's own code and message.

Interface (docs/CONTRACTS.md, "Fortnox client"): `FortnoxResource.get_client() -> FortnoxClient` with
`get/post/put/iterate`; `FortnoxError`, `FortnoxOutcomeUnknown`, `FortnoxAuthError`. Design notes and
measurements: docs/fortnox-client.md.

Secrets (client secret, access and refresh tokens, the Basic/Bearer headers) are never put in a log
record, an exception message or a repr: every message built here goes through `mask()`, which replaces
every secret this process knows with `***`, and the `woofort.fortnox` logger carries a filter that does
the same to any record.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import dagster as dg
import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from woofort_assets.lib.fortnox_token import TokenStore, forget_spent, is_spent, remember_spent
from woofort_assets.lib.ratelimit import SharedRateLimiter, shared_limiter
from woofort_assets.lib.settings import ConfigError

log = logging.getLogger("woofort.fortnox")

DEFAULT_API_URL = "https://api.fortnox.se"
DEFAULT_AUTH_URL = "https://apps.fortnox.se"
CONNECT_HINT = "run `woofort fortnox connect` to authorize woofort again"
NO_SCOPE_CODE = 2000663  # "Har inte behörighet för scope": the authorization lacks a scope


# --------------------------------------------------------------------------------------------- secrets
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret so that `mask()` removes it from every message this process builds."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def mask(text: str) -> str:
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class _MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logging module's business
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


if not any(isinstance(f, _MaskingFilter) for f in log.filters):
    log.addFilter(_MaskingFilter())


# --------------------------------------------------------------------------------------------- errors
class FortnoxError(Exception):
    """A failed Fortnox call. `http_status` is 0 when no HTTP answer came back; `code` and `message` are
    Fortnox's own (ErrorInformation in either casing, `{"message"}` or OAuth `{"error_description"}`)."""

    def __init__(self, http_status: int, code: int | None, message: str, *, method: str | None = None,
                 path: str | None = None, attempts: int = 1):
        self.http_status = int(http_status)
        self.code = code
        self.message = mask(str(message))
        self.method, self.path, self.attempts = method, path, attempts
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f"HTTP {self.http_status}" if self.http_status else "no HTTP answer"
        code = f", code {self.code}" if self.code is not None else ""
        return f"Fortnox {where}{status}{code}: {self.message}"

    def __reduce__(self):  # picklable across Dagster's process boundaries
        return (_rebuild_error, (type(self), self.http_status, self.code, self.message, self.method, self.path,
                                 self.attempts))


def _rebuild_error(cls, http_status, code, message, method, path, attempts):
    return cls(http_status, code, message, method=method, path=path, attempts=attempts)


class FortnoxOutcomeUnknown(FortnoxError):
    """A write was sent and no usable answer came back (connection dropped, timeout, 5xx): it may or may not
    have been committed. Look the record up before resending."""


class FortnoxAuthError(FortnoxError):
    """The authorization is missing, lost or revoked (or the client credentials are wrong). Never retried:
    a person must run `woofort fortnox connect` (or fix the credentials)."""


class _Retryable(Exception):
    """Internal: a failure that is safe to try again (nothing committed). Carries the error to raise at the end."""

    def __init__(self, error: FortnoxError, retry_after: float | None = None):
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


def parse_error_body(text: str) -> tuple[int | None, str]:
    """Fortnox's (code, message) from any of its error shapes."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        info = body.get("ErrorInformation") or body.get("errorInformation")
        if isinstance(info, dict):
            code = info.get("Code", info.get("code"))
            message = info.get("Message", info.get("message"))
            try:
                code = int(code) if code is not None else None
            except (TypeError, ValueError):
                code = None
            return code, str(message if message is not None else info)
        if "error" in body and isinstance(body.get("error"), str):  # OAuth / warehouse
            desc = body.get("error_description") or body.get("message")
            return None, f"{body['error']}: {desc}" if desc else str(body["error"])
        if "message" in body:
            return None, str(body["message"])
    return None, (text or "").strip()[:300] or "(empty body)"


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _never_sent(exc: requests.RequestException) -> bool:
    """True only when the request certainly never left this machine (no connection was made)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError)
    ):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, (NewConnectionError, NameResolutionError))
    return False


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


class _TokenSource:
    """Common parts of the two modes. `access_token(rejected)` returns a usable token, never `rejected`."""

    section_name = ""

    def __init__(self, client: FortnoxClient):
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


class _ServiceAccountTokens(_TokenSource):
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
            raise _Retryable(FortnoxError(0, None, f"token endpoint unreachable ({type(exc).__name__})")) from None
        if response.status_code == 200:
            try:
                body = parse_token_response(response)
            except ValueError as exc:
                raise _Retryable(FortnoxError(200, None, str(exc))) from None
            fields = self._token_fields(body)
            self.store.update_section("service", {"client_id": c.client_id, "tenant_id": str(c.tenant_id),
                                                  "obtained_at": time.time(), **fields})
            log.info("service-account access token obtained (valid %.0f s)", fields["access_lifetime"])
            return _CachedToken(fields["access_token"], fields["access_expires_at"], fields["access_lifetime"])
        code, message = parse_error_body(response.text)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(FortnoxError(response.status_code, code, f"token endpoint: {message}"),
                             _retry_after_seconds(response))
        raise FortnoxAuthError(
            response.status_code, code,
            f"the service-account token was refused ({message}). Check FORTNOX_CLIENT_ID/FORTNOX_CLIENT_SECRET "
            f"and FORTNOX_TENANT_ID; if the company revoked the consent, {CONNECT_HINT} --service-account "
            "(a system administrator of the company must approve it)",
        )


class _RefreshTokens(_TokenSource):
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
            if _never_sent(exc) or isinstance(exc, requests.exceptions.SSLError):
                forget_spent(section, refresh_token)
                self.store.update_section("refresh", section)
                if isinstance(exc, requests.exceptions.SSLError):
                    raise FortnoxError(0, None, "TLS certificate verification failed at the token endpoint "
                                       "(for a private CA set REQUESTS_CA_BUNDLE)") from None
                raise _Retryable(FortnoxError(0, None, f"token endpoint unreachable ({type(exc).__name__})")) from None
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
                raise _Retryable(FortnoxError(429, code, f"token endpoint: {message}"), _retry_after_seconds(response))
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


# --------------------------------------------------------------------------------------------- client
class FortnoxClient:
    """Thread-safe Fortnox API client. Build it with `FortnoxResource.get_client()`."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        data_dir: str | os.PathLike[str],
        api_url: str = DEFAULT_API_URL,
        auth_url: str = DEFAULT_AUTH_URL,
        tenant_id: str | None = None,
        refresh_token: str | None = None,
        rate_limit: int = 25,
        rate_window_seconds: float = 5.0,
        max_retries: int = 5,
        timeout_seconds: float = 30.0,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        rate_margin_seconds: float | None = None,
    ):
        if not client_id or not client_secret:
            raise ConfigError("set FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET (from the Fortnox developer portal)")
        tenant_id = str(tenant_id).strip() if tenant_id not in (None, "") else None
        refresh_token = refresh_token or None
        if tenant_id and refresh_token:
            raise ConfigError(
                "both FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN are set: choose one mode. A service account "
                "(FORTNOX_TENANT_ID, recommended) needs no refresh token; unset FORTNOX_REFRESH_TOKEN. "
                "Or unset FORTNOX_TENANT_ID to use the refresh-token mode."
            )
        register_secret(client_secret)
        register_secret(refresh_token)
        register_secret(base64.b64encode(f"{client_id}:{client_secret}".encode()).decode())
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed_refresh_token = refresh_token
        self.data_dir = Path(data_dir)
        self.max_retries = max(0, int(max_retries))
        self.timeout_seconds = float(timeout_seconds)
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.store = TokenStore(self.data_dir)

        if not tenant_id and not refresh_token:
            stored = self.store.read()
            refresh = stored.get("refresh") or {}
            service = stored.get("service") or {}
            if refresh.get("client_id") == client_id:
                pass  # refresh-token mode with the token `woofort fortnox connect` stored
            elif service.get("client_id") == client_id and service.get("tenant_id"):
                tenant_id = str(service["tenant_id"])
            else:
                raise FortnoxAuthError(
                    0, None, "no Fortnox authorization found: set FORTNOX_TENANT_ID for a service account, or "
                    f"{CONNECT_HINT.replace('again', 'once')}")
        self.tenant_id = tenant_id
        self.mode = "service_account" if tenant_id else "refresh_token"

        self.session = requests.Session()  # trust_env stays on: REQUESTS_CA_BUNDLE is honoured, TLS verified
        adapter = HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False), pool_maxsize=16)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._tokens: _TokenSource = _ServiceAccountTokens(self) if tenant_id else _RefreshTokens(self)
        margin = rate_margin_seconds
        self._limiter_args = (str(self.data_dir), f"{self.api_url}|{client_id}", int(rate_limit),
                              float(rate_window_seconds)) + ((margin,) if margin is not None else ())

    @property
    def limiter(self) -> SharedRateLimiter:
        return shared_limiter(*self._limiter_args)  # per process (safe after fork)

    def __repr__(self) -> str:
        return f"FortnoxClient(api_url={self.api_url!r}, client_id={self.client_id!r}, mode={self.mode!r})"

    # -- public API ----------------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None) -> dict:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict) -> dict:
        return self._request("POST", path, body=body)

    def put(self, path: str, body: dict | None = None) -> dict:
        return self._request("PUT", path, body=body)

    def iterate(self, path: str, list_key: str, params: dict | None = None) -> Iterator[dict]:
        """Every record of a /3/ listing, page by page (MetaInformation @TotalPages; limit 500 unless given)."""
        params = dict(params or {})
        params.setdefault("limit", 500)
        page = int(params.pop("page", 1))
        while True:
            data = self.get(path, {**params, "page": page})
            yield from data.get(list_key) or []
            meta = data.get("MetaInformation") or {}
            try:
                total_pages = int(meta.get("@TotalPages") or 1)
            except (TypeError, ValueError):
                total_pages = 1
            if page >= total_pages:
                return
            page += 1

    def access_token(self) -> str:
        """A valid access token (for diagnostics such as `woofort fortnox status --check`)."""
        return self._with_retries("TOKEN", "/oauth-v1/token", lambda: self._tokens.access_token())

    # -- machinery -----------------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, 300.0) + random.uniform(0, 0.1 * max(retry_after, 1.0))
        return wait_random_exponential(multiplier=self.backoff_base_seconds, max=self.backoff_max_seconds)(state)

    def _with_retries(self, method: str, path: str, call):
        started = time.monotonic()
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            before_sleep=lambda s: log.info(
                "%s %s: %s; retry %d/%d in %.2f s", method, path,
                s.outcome.exception().error.message if s.outcome else "?",
                s.attempt_number, self.max_retries, s.upcoming_sleep),
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    return call()
        except _Retryable as exc:
            err = exc.error
            elapsed = time.monotonic() - started
            log.warning("%s %s: giving up after %d attempts in %.1f s (%s)", method, path, attempts, elapsed,
                        err.http_status or "no answer")
            raise type(err)(err.http_status, err.code,
                            f"{err.message} (gave up after {attempts} attempts in {elapsed:.1f} s)",
                            method=method, path=path, attempts=attempts) from None

    def _request(self, method: str, path: str, params: dict | None = None, body: dict | None = None) -> dict:
        if not path.startswith("/"):
            path = "/" + path
        log_path = path.split("?", 1)[0]
        return self._with_retries(method, log_path, lambda: self._attempt(method, path, log_path, params, body))

    def _attempt(self, method: str, path: str, log_path: str, params: dict | None, body: dict | None,
                 reauthenticated: bool = False, rejected: str | None = None) -> dict:
        is_write = method != "GET"
        token = self._tokens.access_token(rejected)
        waited = self.limiter.acquire()
        started = time.monotonic()
        try:
            response = self.session.request(
                method, f"{self.api_url}{path}", params=params, json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout_seconds, allow_redirects=False,
            )
        except requests.exceptions.SSLError:
            # Permanent until someone fixes the trust store; nothing was sent over an unverified channel.
            raise FortnoxError(0, None, "TLS certificate verification failed (verification is always on; for a "
                               "private CA set REQUESTS_CA_BUNDLE)", method=method, path=log_path) from None
        except requests.RequestException as exc:
            elapsed_ms = (time.monotonic() - started) * 1000
            kind = type(exc).__name__
            log.info("%s %s -> %s after %.0f ms", method, log_path, kind, elapsed_ms)
            if _never_sent(exc):
                raise _Retryable(FortnoxError(0, None, f"could not connect ({kind})", method=method,
                                              path=log_path)) from None
            if is_write:
                raise FortnoxOutcomeUnknown(
                    0, None, f"no answer after the request was sent ({kind}); it may have been committed: "
                    "look the record up before resending", method=method, path=log_path) from None
            raise _Retryable(FortnoxError(0, None, f"no answer ({kind})", method=method, path=log_path)) from None

        status = response.status_code
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %s in %.0f ms (waited %.0f ms for a rate slot)", method, log_path, status, elapsed_ms,
                  waited * 1000)
        if 200 <= status < 300:
            if not response.content:
                return {}
            try:
                data = response.json()
            except ValueError:
                if is_write:
                    raise FortnoxOutcomeUnknown(status, None, "the answer was not JSON; the write may have been "
                                                "committed: look the record up", method=method, path=log_path) from None
                raise _Retryable(FortnoxError(status, None, "the answer was not JSON", method=method,
                                              path=log_path)) from None
            return data if isinstance(data, dict) else {"data": data}

        code, message = parse_error_body(response.text)
        if status == 401:
            if not reauthenticated:  # expired or revoked access token: a request with a 401 was not executed
                log.info("%s %s -> 401; renewing the access token once", method, log_path)
                return self._attempt(method, path, log_path, params, body, reauthenticated=True, rejected=token)
            raise FortnoxAuthError(401, code, f"{message}: a freshly issued access token was refused. "
                                   f"{CONNECT_HINT}", method=method, path=log_path)
        if status == 429:
            log.info("%s %s -> 429", method, log_path)
            raise _Retryable(FortnoxError(429, code, message, method=method, path=log_path),
                             _retry_after_seconds(response))
        if status >= 500:
            if is_write:
                raise FortnoxOutcomeUnknown(status, code, f"{message} (the write may have been committed: look "
                                            "the record up before resending)", method=method, path=log_path)
            raise _Retryable(FortnoxError(status, code, message, method=method, path=log_path),
                             _retry_after_seconds(response))
        if code == NO_SCOPE_CODE:
            raise FortnoxAuthError(status, code, f"{message}: the authorization lacks a scope; {CONNECT_HINT}",
                                   method=method, path=log_path)
        raise FortnoxError(status, code, message, method=method, path=log_path)


# --------------------------------------------------------------------------------------------- resource
_SECRET_FIELDS = frozenset({"client_secret", "refresh_token"})


class FortnoxResource(dg.ConfigurableResource):
    """Fortnox API access. Build it with `fortnox_resource_from_env()` so the secrets come from the
    environment through `dg.EnvVar` and never appear in run config or the event log."""

    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    client_id: str
    client_secret: str
    tenant_id: str | None = None
    refresh_token: str | None = None
    data_dir: str
    rate_limit: int = 25
    rate_window_seconds: float = 5.0
    max_retries: int = 5
    timeout_seconds: float = 30.0

    def __repr_args__(self):  # pydantic repr/str: never show a secret
        for name, value in super().__repr_args__():
            yield name, ("***" if name in _SECRET_FIELDS and value else value)

    def get_client(self) -> FortnoxClient:
        def value(v):  # outside a Dagster run (CLI, scripts) an unresolved EnvVar still holds the variable's name
            return v.get_value() if isinstance(v, dg.EnvVar) else v

        return FortnoxClient(
            api_url=value(self.api_url) or DEFAULT_API_URL,
            auth_url=value(self.auth_url) or DEFAULT_AUTH_URL,
            client_id=value(self.client_id),
            client_secret=value(self.client_secret),
            tenant_id=value(self.tenant_id),
            refresh_token=value(self.refresh_token),
            data_dir=value(self.data_dir),
            rate_limit=self.rate_limit,
            rate_window_seconds=self.rate_window_seconds,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
        )


def fortnox_resource_from_env(data_dir: str | os.PathLike[str]) -> FortnoxResource:
    """The resource as production builds it: URLs from FORTNOX_API_URL / FORTNOX_AUTH_URL (defaults: Fortnox),
    secrets as `dg.EnvVar` (resolved only when the run starts; run config shows the variable's name only)."""
    if os.environ.get("FORTNOX_TENANT_ID") and os.environ.get("FORTNOX_REFRESH_TOKEN"):
        raise ConfigError("both FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN are set: choose one mode "
                          "(unset FORTNOX_REFRESH_TOKEN to use the service account, recommended)")
    optional: dict[str, Any] = {}
    if os.environ.get("FORTNOX_TENANT_ID"):
        optional["tenant_id"] = dg.EnvVar("FORTNOX_TENANT_ID")
    if os.environ.get("FORTNOX_REFRESH_TOKEN"):
        optional["refresh_token"] = dg.EnvVar("FORTNOX_REFRESH_TOKEN")
    rate_limit = os.environ.get("FORTNOX_RATE_LIMIT", "25")
    if not rate_limit.isdigit() or int(rate_limit) < 1:
        raise ConfigError(f"FORTNOX_RATE_LIMIT={rate_limit!r}: requests per 5 s, a positive integer (Fortnox allows 25)")
    return FortnoxResource(
        api_url=os.environ.get("FORTNOX_API_URL") or DEFAULT_API_URL,
        auth_url=os.environ.get("FORTNOX_AUTH_URL") or DEFAULT_AUTH_URL,
        client_id=dg.EnvVar("FORTNOX_CLIENT_ID"),
        client_secret=dg.EnvVar("FORTNOX_CLIENT_SECRET"),
        data_dir=str(data_dir),
        rate_limit=int(rate_limit),
        **optional,
    )
