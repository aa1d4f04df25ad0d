"""WooCommerceSandbox: threaded werkzeug server (HTTPS with a trustme test CA, or plain HTTP) + CLI main()."""
from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys
import tempfile
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .._ports import ensure_free
from .app import SandboxApp
from .auth import Authenticator
from .faults import Faults
from .store import Store

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.1 keep-alive, as the web servers in front of real WooCommerce stores (nginx, Apache) answer; werkzeug's
    # default HTTP/1.0 closes every connection, which made each sandbox request pay a new TLS handshake.
    protocol_version = "HTTP/1.1"

    def log_request(self, *a, **kw):
        pass

    def log(self, type, message, *args):
        if type == "error" and "sandbox fault" in (message % args if args else message):
            return
        if os.environ.get("WOOFORT_SANDBOX_LOG"):
            super().log(type, message, *args)

    def connection_dropped(self, error, environ=None):
        pass


class WooCommerceSandbox:
    def __init__(self, orders=200, seed=7, start_date="2026-10-01", days=30, timezone="Europe/Stockholm",
                 tls=True, consumer_key="ck_sandbox", consumer_secret="cs_sandbox", host="127.0.0.1", port=0,
                 state_dir=None, any_includes_checkout_draft=False, price_decimals=2):
        if host not in LOOPBACK:
            raise ValueError("the sandbox only listens on loopback (127.0.0.1/localhost/::1)")
        self.store = Store(orders, seed, start_date, days, timezone, any_includes_checkout_draft, price_decimals)
        self.faults = Faults()
        self.auth = Authenticator(consumer_key, consumer_secret, "read")
        self.tls, self.host, self.port = tls, host, port
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self._tmp = None
        if state_dir is None and tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="woo-sandbox-")
            state_dir = self._tmp.name
        self.state_dir = state_dir
        self.ca_path = None
        self.app = SandboxApp(self.store, self.auth, self.faults, is_ssl=tls)
        self._server = None
        self._thread = None

    def _ssl_context(self):
        import trustme
        os.makedirs(self.state_dir, exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.ca_path = os.path.join(self.state_dir, "woocommerce-sandbox-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        cert.private_key_and_cert_chain_pem.write_to_path(os.path.join(self.state_dir, "woocommerce-sandbox-server.pem"))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        return ctx

    def _make(self):
        ensure_free(self.host, self.port)
        ctx = self._ssl_context() if self.tls else None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(self.host, self.port, self.app, threaded=True, ssl_context=ctx,
                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        return self._server

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/wp-json/wc/v3"

    def start(self) -> "WooCommerceSandbox":
        self._make()
        self._thread = threading.Thread(target=self._server.serve_forever, name="woo-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        if self._server is None:
            self._make()
        self._server.serve_forever()

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def set_faults(self, **kw) -> dict:
        return self.faults.set(**kw)

    def clear_faults(self):
        self.faults.reset()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m woofort_sandboxes.woocommerce",
                                description="Local WooCommerce wc/v3 sandbox (foreground).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start-date", default="2026-10-01")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--timezone", default="Europe/Stockholm")
    p.add_argument("--no-tls", action="store_true", help="plain http with OAuth 1.0a instead of HTTPS + Basic")
    p.add_argument("--consumer-key", default="ck_sandbox")
    p.add_argument("--consumer-secret", default="cs_sandbox")
    p.add_argument("--state-dir", default=None, help="where the test CA/server PEMs are written")
    p.add_argument("--any-includes-checkout-draft", action="store_true")
    p.add_argument("--price-decimals", type=int, default=2,
                   help="the store's number of decimals: money in orders and refunds asked without dp (default 2)")
    a = p.parse_args(argv)
    state_dir = a.state_dir or (None if a.no_tls else os.path.abspath(".woocommerce-sandbox"))
    sb = WooCommerceSandbox(a.orders, a.seed, a.start_date, a.days, a.timezone, not a.no_tls, a.consumer_key,
                            a.consumer_secret, a.host, a.port, state_dir, a.any_includes_checkout_draft,
                            a.price_decimals)
    sb._make()
    print(f"WooCommerce sandbox: {sb.url}/wp-json/wc/v3  ({a.orders} orders, seed {a.seed})", flush=True)
    if sb.ca_path:
        print(f"test CA: {sb.ca_path}  (export REQUESTS_CA_BUNDLE={sb.ca_path})", flush=True)
    print(f"control API: {sb.url}/__sandbox/", flush=True)
    try:
        sb.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
