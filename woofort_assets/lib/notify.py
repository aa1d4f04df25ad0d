"""Alerts to a Slack-compatible webhook (`WOOFORT_ALERT_WEBHOOK_URL`, JSON body `{"text": ...}`).

Without the variable an alert is only logged. Sending never raises: an alert that cannot be delivered
is logged as a warning and must not fail the sensor or run that raised it. The text is scrubbed of the
values of every secret-looking environment variable (…SECRET, …TOKEN, …PASSWORD, …KEY, the webhook URL
itself) and of anything that looks like a bearer token, so no alert can carry a credential."""

from __future__ import annotations

import logging
import os
import re

import requests

from woofort_assets.lib.settings import ConfigError, alert_webhook_url

log = logging.getLogger("woofort.notify")

WEBHOOK_ENV = "WOOFORT_ALERT_WEBHOOK_URL"  # read in lib/settings.py
TIMEOUT_SECONDS = 10.0
MAX_TEXT = 3000
_SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|_KEY$|^WOOFORT_ALERT_WEBHOOK_URL$|DATABASE_URL)", re.I)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b")


def redact(text: str) -> str:
    """`text` without secret values from the environment or token-like strings."""
    # Not a setting: every variable whose name looks secret, whoever set it (a Dagster or database password
    # too), is a value to blank out. So this scan stays here rather than in lib/settings.py.
    for name, value in os.environ.items():
        if value and len(value) >= 6 and _SECRET_NAME.search(name):
            text = text.replace(value, "***")
    text = _BEARER.sub(r"\1***", text)
    return _JWT.sub("***", text)


def notify(text: str, *, url: str | None = None) -> bool:
    """Posts `{"text": text}` (redacted, truncated) to the webhook; True when it was delivered (2xx)."""
    message = redact(text)
    if len(message) > MAX_TEXT:
        message = message[: MAX_TEXT - 1] + "…"
    try:
        target = url or alert_webhook_url()
    except ConfigError as error:  # a malformed webhook must not fail the sensor or run that raised the alert
        log.warning("alert not delivered (%s): %s", error, message)
        return False
    if not target:
        log.warning("alert (no %s set): %s", WEBHOOK_ENV, message)
        return False
    try:
        response = requests.post(target, json={"text": message}, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        log.warning("alert not delivered (%s): %s", type(error).__name__, message)
        return False
    if not 200 <= response.status_code < 300:
        log.warning("alert not delivered (webhook answered HTTP %s): %s", response.status_code, message)
        return False
    return True
