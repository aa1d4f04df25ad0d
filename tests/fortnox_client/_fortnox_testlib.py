"""Helpers and fixtures for the Fortnox client tests: real HTTP against the in-process Fortnox sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest


CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret-9f3c"  # long enough to be masked (and distinctive in captured output)
TENANT = "1234567"
WORKER = Path(__file__).with_name("_worker.py")


class Presented:
    """Records, inside the sandbox, every refresh token presented to its token endpoint."""

    def __init__(self, sb):
        self.tokens: Counter = Counter()
        self.grants: Counter = Counter()
        self.lock = threading.Lock()
        original = sb.oauth.token

        def token(headers, form):
            with self.lock:
                self.grants[form.get("grant_type")] += 1
                if form.get("grant_type") == "refresh_token":
                    self.tokens[form.get("refresh_token")] += 1
            return original(headers, form)

        sb.oauth.token = token

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.grants.clear()


@pytest.fixture
def make_sandbox():
    from woofort_sandboxes.fortnox import FortnoxSandbox

    started = []

    def make(**kw):
        params = {"port": 0, "rate_limit": 25, "rate_window_seconds": 5.0, "access_token_ttl_seconds": 3600,
                  "clients": {CLIENT_ID: CLIENT_SECRET}, "tenant_id": TENANT}
        params.update(kw)
        sb = FortnoxSandbox(**params).start()
        sb.presented = Presented(sb)
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture(scope="session")
def _shared_sandbox():
    from woofort_sandboxes.fortnox import FortnoxSandbox

    sb = FortnoxSandbox(port=0, rate_limit=25, rate_window_seconds=5.0, access_token_ttl_seconds=3600,
                        clients={CLIENT_ID: CLIENT_SECRET}, tenant_id=TENANT).start()
    sb.presented = Presented(sb)
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(_shared_sandbox):
    """A sandbox with default settings, reset (documents, tokens, faults, counters, rate window) for each test:
    starting and stopping a server costs half a second, resetting one nothing."""
    sb = _shared_sandbox
    sb.reset()
    sb.clock.offset = 0.0
    sb.presented.reset()
    return sb


def client_kwargs(sb, data_dir, **kw) -> dict:
    args = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "data_dir": str(data_dir),
            "api_url": sb.api_url, "auth_url": sb.auth_url, "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.5}
    args.update(kw)
    return args


def run_workers(n: int, args: dict | list[dict], timeout: float = 60.0) -> list[dict]:
    """`n` worker processes (_worker.py) with the same `args`, or each with its own."""
    each = args if isinstance(args, list) else [args] * n
    procs = [subprocess.Popen([sys.executable, str(WORKER), json.dumps(a)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for a in each]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out
