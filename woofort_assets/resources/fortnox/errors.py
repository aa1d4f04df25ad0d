"""Fortnox errors, how a failed answer is read and classified, and the masking of secrets.

Secrets (client secret, access and refresh tokens, the Basic/Bearer headers) are never put in a log record, an
exception message or a repr: every message built by this package goes through `mask()`, which replaces every
secret this process has registered with `***`, and the `woofort.fortnox` logger carries a filter that does the
same to any record. Every module of the package logs through `log` from here, so the filter is always installed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

log = logging.getLogger("woofort.fortnox")

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


class Retryable(Exception):
    """Within this package: a failure that is safe to try again (nothing committed). Carries the error to raise
    when the retries are spent (transport.FortnoxClient._with_retries); never leaves the package."""

    def __init__(self, error: FortnoxError, retry_after: float | None = None):
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


# --------------------------------------------------------------------------------------------- reading failures
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


def retry_after_seconds(response: requests.Response) -> float | None:
    """The answer's Retry-After (seconds or an HTTP date) in seconds from now, None without one."""
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


def never_sent(exc: requests.RequestException) -> bool:
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


def connect_failure(exc: BaseException | None) -> bool:
    """A Retryable for a connection that was never made (transport's "could not connect", auth's "token endpoint
    unreachable (ConnectionError|ConnectTimeout)"): retried within the transport's connect budget only."""
    if not isinstance(exc, Retryable) or exc.error.http_status != 0:
        return False
    message = exc.error.message
    return message.startswith("could not connect") or (
        "unreachable" in message and ("ConnectionError" in message or "ConnectTimeout" in message))
