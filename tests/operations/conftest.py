"""Fixtures for the operations tests: a real Chromium, skipped with a visible reason on a machine without it and a
failure under CI=true (.ci/run installs it), as the PostgreSQL server of tests/conftest.py is."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
