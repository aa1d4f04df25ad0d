"""Fixtures for the operations tests: real servers (PostgreSQL, Chromium) that are skipped with a visible
reason on a machine without them, and are a failure under CI=true (.ci/run installs and starts them)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEFAULT_POSTGRES_URL = "postgresql://woofort:woofort@127.0.0.1:5432/woofort_test"


def require(condition: bool, reason: str) -> None:
    """Skip with `reason` when `condition` is false; under CI=true that is a failure instead."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true and a required server is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def postgres_database():
    """A fresh, empty database on the test PostgreSQL server (WOOFORT_TEST_POSTGRES_URL, else
    postgresql://woofort:woofort@127.0.0.1:5432/woofort_test), dropped afterwards. Yields its settings."""
    from urllib.parse import urlparse

    try:
        import psycopg2
    except ImportError:
        require(False, "psycopg2 is not installed (it comes with dagster-postgres)")
    url = os.environ.get("WOOFORT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    parts = urlparse(url)
    settings = dict(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "woofort",
                    password=parts.password or "", dbname=(parts.path or "/woofort_test").lstrip("/"))
    try:
        admin = psycopg2.connect(connect_timeout=3, **settings)
    except psycopg2.OperationalError as error:
        require(False, f"no PostgreSQL server at {parts.hostname}:{parts.port} for the instance test "
                       f"(.ci/run starts one; set WOOFORT_TEST_POSTGRES_URL): {str(error).strip().splitlines()[0]}")
    admin.autocommit = True
    name = f"woofort_dagster_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**settings, "dbname": name}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# -------------------------------------------------------------------------------------------- Chromium
@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("WOOFORT_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(path).is_file(), f"no Chromium at {path} (Debian package `chromium`; .ci/run installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the Python package `playwright` is not installed")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    require(version.returncode == 0, f"{path} --version failed: {version.stderr.strip()[:200]}")
    return path


# ------------------------------------------------------------------------------------- webhook receiver
class WebhookReceiver:
    """A Slack-compatible webhook on 127.0.0.1 that records every JSON body it receives."""

    def __init__(self, status: int = 200):
        self.received: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                import json

                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                          "json": json.loads(body or b"null")})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        return [item["json"]["text"] for item in self.received]


@pytest.fixture
def webhook(monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("WOOFORT_ALERT_WEBHOOK_URL", receiver.url)
        yield receiver
