"""The Fortnox REST API v3 transport: `FortnoxClient` with `get/post/put/act/upload/iterate`.

One `requests.Session` per client (TLS always verified, REQUESTS_CA_BUNDLE honoured, no urllib3 retries), a rate
limiter shared by every process of the tenant (lib/ratelimit.py), tenacity's bounded retries of what is safe to send
again (nothing was sent, a 429, a read), one renewal of the access token on a 401, `FortnoxOutcomeUnknown` for a
write (an upload too) whose outcome is unknown, and a connect timeout of its own retried within
`CONNECT_BUDGET_SECONDS` only: a wrong FORTNOX_API_URL fails within 10 s, naming the host and port. See
docs/fortnox-client.md."""

from __future__ import annotations

import base64
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential
from urllib3.util.retry import Retry

from woofort_assets.lib.errors import host_of
from woofort_assets.lib.fortnox_token_pg import token_store
from woofort_assets.lib.ratelimit import RequestSlots, shared_limiter
from woofort_assets.lib.settings import DEFAULT_FORTNOX_API_URL as DEFAULT_API_URL
from woofort_assets.lib.settings import DEFAULT_FORTNOX_AUTH_URL as DEFAULT_AUTH_URL
from woofort_assets.lib.settings import ConfigError
from woofort_assets.resources.fortnox.auth import RefreshTokens, ServiceAccountTokens, TokenSource
from woofort_assets.resources.fortnox.errors import (
    CONNECT_HINT,
    NO_SCOPE_CODE,
    FortnoxAuthError,
    FortnoxError,
    FortnoxOutcomeUnknown,
    Retryable,
    connect_failure,
    log,
    never_sent,
    parse_error_body,
    register_secret,
    retry_after_seconds,
)

__all__ = ["DEFAULT_API_URL", "DEFAULT_AUTH_URL", "FortnoxClient"]

CONNECT_TIMEOUT_SECONDS = 2.5  # Fortnox accepts connections in well under a second
CONNECT_BUDGET_SECONDS = 5.0  # retries of a connection that cannot be made stop here: all in all under 10 s


class _ConnectTimeoutAdapter(HTTPAdapter):
    """Splits a single timeout into (connect, read): a host that does not accept connections is given up on
    after CONNECT_TIMEOUT_SECONDS whatever the read timeout (token requests pass a single number too)."""

    def send(self, request, stream=False, timeout=None, **kwargs):
        if isinstance(timeout, (int, float)):
            timeout = (min(CONNECT_TIMEOUT_SECONDS, float(timeout)), float(timeout))
        return super().send(request, stream=stream, timeout=timeout, **kwargs)


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
        self.store = token_store(self.data_dir)
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
        adapter = _ConnectTimeoutAdapter(max_retries=Retry(total=0, read=False, redirect=False), pool_maxsize=16)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._tokens: TokenSource = ServiceAccountTokens(self) if tenant_id else RefreshTokens(self)
        margin = rate_margin_seconds
        self._limiter_args = (str(self.data_dir), f"{self.api_url}|{client_id}", int(rate_limit),
                              float(rate_window_seconds)) + ((margin,) if margin is not None else ())

    @property
    def limiter(self) -> RequestSlots:
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

    def upload(self, path: str, name: str, content: bytes) -> dict:     # multipart/form-data part `file`
        return self._request("POST", path, files={"file": (name, content)})

    def act(self, path: str) -> dict:
        """A GET that acts (an invoice's /email sends it): as for a write, a lost answer is FortnoxOutcomeUnknown."""
        return self._request("GET", path, acts=True)

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
        wait = wait_random_exponential(multiplier=self.backoff_base_seconds, max=self.backoff_max_seconds)(state)
        if connect_failure(exc):  # never sleep past the connect budget
            return max(0.0, min(wait, CONNECT_BUDGET_SECONDS - state.seconds_since_start))
        return wait

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_retries + 1:
            return True
        exc = state.outcome.exception() if state.outcome else None
        if not connect_failure(exc):
            return False
        if "ConnectTimeout" in exc.error.message:  # each attempt costs CONNECT_TIMEOUT_SECONDS: one retry only
            return state.attempt_number >= 2
        return state.seconds_since_start >= CONNECT_BUDGET_SECONDS - 0.5

    def _with_retries(self, method: str, path: str, call):
        started = time.monotonic()
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(Retryable),
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
        except Retryable as exc:
            err = exc.error
            elapsed = time.monotonic() - started
            log.warning("%s %s: giving up after %d attempts in %.1f s (%s)", method, path, attempts, elapsed,
                        err.http_status or "no answer")
            host = host_of(self.auth_url if method == "TOKEN" else self.api_url)
            where = f" at {host}" if err.http_status == 0 else f" ({host})"
            raise type(err)(err.http_status, err.code,
                            f"{err.message}{where} (gave up after {attempts} attempts in {elapsed:.1f} s)",
                            method=method, path=path, attempts=attempts) from None

    def _request(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
                 acts: bool = False, files: dict | None = None) -> dict:
        if not path.startswith("/"):
            path = "/" + path
        log_path = path.split("?", 1)[0]
        return self._with_retries(method, log_path, lambda: self._attempt(method, path, log_path, params, body,
                                                                              acts=acts, files=files))

    def _attempt(self, method: str, path: str, log_path: str, params: dict | None, body: dict | None,
                 reauthenticated: bool = False, rejected: str | None = None, acts: bool = False, files=None) -> dict:
        is_write = acts or method != "GET"
        token = self._tokens.access_token(rejected)
        with self.limiter.slot() as waited:  # held until the answer, then dated by it (lib/ratelimit.py)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, f"{self.api_url}{path}", params=params, json=body, files=files,
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
                if never_sent(exc):
                    raise Retryable(FortnoxError(0, None, f"could not connect ({kind})", method=method,
                                                  path=log_path)) from None
                if is_write:
                    raise FortnoxOutcomeUnknown(
                        0, None, f"no answer after the request was sent ({kind}); it may have been committed: "
                        "look the record up before resending", method=method, path=log_path) from None
                raise Retryable(FortnoxError(0, None, f"no answer ({kind})", method=method, path=log_path)) from None

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
                raise Retryable(FortnoxError(status, None, "the answer was not JSON", method=method,
                                              path=log_path)) from None
            return data if isinstance(data, dict) else {"data": data}

        code, message = parse_error_body(response.text)
        if status == 401:
            if not reauthenticated:  # expired or revoked access token: a request with a 401 was not executed
                log.info("%s %s -> 401; renewing the access token once", method, log_path)
                return self._attempt(method, path, log_path, params, body, reauthenticated=True, rejected=token,
                                     acts=acts, files=files)
            raise FortnoxAuthError(401, code, f"{message}: a freshly issued access token was refused. "
                                   f"{CONNECT_HINT}", method=method, path=log_path)
        if status == 429:
            log.info("%s %s -> 429", method, log_path)
            raise Retryable(FortnoxError(429, code, message, method=method, path=log_path),
                             retry_after_seconds(response))
        if status >= 500:
            if is_write:
                raise FortnoxOutcomeUnknown(status, code, f"{message} (the write may have been committed: look "
                                            "the record up before resending)", method=method, path=log_path)
            raise Retryable(FortnoxError(status, code, message, method=method, path=log_path),
                             retry_after_seconds(response))
        if code == NO_SCOPE_CODE:
            raise FortnoxAuthError(status, code, f"{message}: the authorization lacks a scope; {CONNECT_HINT}",
                                   method=method, path=log_path)
        raise FortnoxError(status, code, message, method=method, path=log_path)
