"""FortnoxSandbox: one threaded werkzeug server for the REST API (/3, /api), OAuth (/oauth-v1) and the
control API (/__sandbox). See docs/fortnox-sandbox.md."""
from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import tempfile
import threading
import time
from collections import Counter

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .._ports import ensure_free
from . import control
from .errors import ApiError, RawError
from . import errors as E
from .faults import Faults
from .oauth import Clock, OAuthStore
from .ratelimit import Jitter, make_window, too_many
from .resources.common import Ctx
from .routes import build_map
from .state import State

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # no per-request access log
        pass

    def log(self, type, message, *args):  # noqa: A002
        if type == "error":
            log.debug(message, *args)


def _json(status: int, body, content_type: str = "application/json", headers=None) -> Response:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    resp = Response(data, status=status, content_type=None if body is None else content_type)
    if body is None:
        resp.headers.pop("Content-Type", None)
    resp.headers["Server"] = "Fortnox"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class FortnoxSandbox:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, rate_limit: int = 25,
                 rate_window_seconds: float = 5.0, access_token_ttl_seconds: int = 3600,
                 clients: dict[str, str] | None = None, tenant_id: str = "1234567", warehouse: bool = False,
                 tls: bool = False, state_dir: str | None = None, fault_seed: int = 0,
                 rate_mode: str = "sliding", rate_jitter_seconds: float = 0.0, rate_jitter_seed: int = 0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox binds to loopback only")
        self.host, self.port = host, port
        self.tls = tls
        self.state_dir = state_dir
        self.tenant_id = str(tenant_id)
        self.clock = Clock()
        self.state = State(self.tenant_id, warehouse=warehouse)
        self.oauth = OAuthStore(clients or {"sandbox-client": "sandbox-secret"}, self.tenant_id, self.clock,
                                access_token_ttl_seconds)
        self.ratelimit = make_window(rate_mode, rate_limit, rate_window_seconds)  # ratelimit.py: the two modes
        self.jitter = Jitter(rate_jitter_seconds, rate_jitter_seed)
        self.faults = Faults(fault_seed)
        self.counters: Counter = Counter()
        self.counter_lock = threading.Lock()
        self.url_map, self.endpoints = build_map()
        self._server = None
        self._thread = None
        self.ca_path: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "FortnoxSandbox":
        ensure_free(self.host, self.port)
        ssl_ctx = self._ssl_context() if self.tls else None
        self._server = make_server(self.host, self.port, self.wsgi, threaded=True, request_handler=_QuietHandler,
                                   ssl_context=ssl_ctx)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        scheme = "https" if self.tls else "http"
        base = f"{scheme}://{self.host}:{self.port}"
        self.state.base_url = base
        self._thread = threading.Thread(target=self._server.serve_forever, name="fortnox-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _ssl_context(self):
        import trustme
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        d = self.state_dir or tempfile.mkdtemp(prefix="fortnox-sandbox-")
        os.makedirs(d, exist_ok=True)
        self.ca_path = os.path.join(d, "fortnox-sandbox-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        return ctx

    @property
    def base_url(self) -> str:
        return self.state.base_url

    @property
    def api_url(self) -> str:
        return self.state.base_url

    @property
    def auth_url(self) -> str:
        return self.state.base_url

    @property
    def token_url(self) -> str:
        return f"{self.state.base_url}/oauth-v1/token"

    # ------------------------------------------------------------------ Python control surface
    def issue_refresh_token(self, client_id: str = "sandbox-client", scopes=None) -> str:
        from .seed import ALL_SCOPES
        return self.oauth.issue_refresh(client_id, list(scopes or ALL_SCOPES))

    def register_client(self, client_id: str, client_secret: str, service_consent: bool = True) -> None:
        """Add an integration (Client-ID and Client-Secret) beside those given at start; with `service_consent`,
        the company's system administrator has also approved it as a service account for this tenant, as for
        the first client."""
        self.oauth.register_client(client_id, client_secret, service_consent)

    def issue_access_token(self, client_id: str = "sandbox-client", scopes=None) -> str:
        from .seed import ALL_SCOPES
        return self.oauth.issue_access(client_id, list(scopes or ALL_SCOPES), self.tenant_id)

    def issue_authorization_code(self, client_id: str = "sandbox-client", scopes=None, redirect_uri=None,
                                 service: bool = False) -> str:
        from .seed import ALL_SCOPES
        return self.oauth.issue_code(client_id, list(scopes or ALL_SCOPES), redirect_uri, service)

    def add_fault(self, kind: str, pattern: str = "*", **kw) -> dict:
        return self.faults.add(kind, pattern, **kw)

    def clear_faults(self) -> None:
        self.faults.clear()

    def seed(self, data: dict) -> None:
        control.seed(self, data)

    def reset(self) -> None:
        self.state.reset()
        self.oauth.reset()
        self.ratelimit.reset()
        self.jitter.reset()
        self.faults.clear()
        with self.counter_lock:
            self.counters.clear()

    def advance_time(self, seconds: float) -> None:
        """Move the token clock forward (access/refresh/code expiry) without sleeping."""
        self.clock.offset += seconds

    def count(self, key: str, n: int = 1) -> None:
        with self.counter_lock:
            self.counters[key] += n

    def counters_snapshot(self) -> dict:
        with self.counter_lock:
            return dict(self.counters)

    # ------------------------------------------------------------------ WSGI
    def wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._handle(request, environ)
        except _Dropped:
            return []  # connection already shut down
        return response(environ, start_response)

    def _handle(self, request: Request, environ) -> Response:
        path = request.path.rstrip("/") or "/"
        if path.startswith("/__sandbox"):
            if request.remote_addr not in ("127.0.0.1", "::1", None):
                return _json(403, {"message": "control API is loopback-only"})
            return control.handle(self, request, path)
        environ["sandbox.arrived"] = self.jitter.arrive()  # after the simulated network delay, before anything
        drop_after = False
        self.count("requests_total")
        for rule in self.faults.match(request.method, path):
            self.count(f"fault:{rule['kind']}")
            if rule["kind"] == "latency":
                time.sleep(rule["latency_ms"] / 1000.0)
            elif rule["kind"] == "error":
                return _json(rule["status"], {"message": "Sandbox injected error"})
            elif rule["kind"] == "rate_limit":
                self.count("429_sent")
                return _json(429, {"message": "Too Many Requests"}, headers={"Retry-After": "1"})
            elif rule["kind"] == "drop":
                _drop(environ)
            elif rule["kind"] == "commit_then_drop":
                drop_after = True
        response = self._route(request, path)
        self.count(f"status:{response.status_code}")
        if drop_after:
            self.count("dropped_after_commit")
            _drop(environ)
        return response

    def _route(self, request: Request, path: str) -> Response:
        try:
            if path.startswith("/oauth-v1/"):
                self.count(f"{request.method} {path}")
                return self._oauth(request, path)
            adapter = self.url_map.bind("sandbox")
            try:
                endpoint, params = adapter.match(path, method=request.method)
            except (NotFound, MethodNotAllowed):
                self.count(f"{request.method} <unknown>")
                # GUESS: unknown paths answer 404 with the capitalised envelope
                return _json(404, {"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta resursen.",
                                                        "Code": 2000000}})
            handler, scope, label = self.endpoints[endpoint]
            self.count(label)
            tenant = self._authorize(request, scope)
            files = request.files if request.mimetype == "multipart/form-data" else None
            ctx = Ctx(self.state, request.method, request.args, request.get_data(), tenant, files)
            status, body = handler(ctx, **params)
            if isinstance(body, bytes):  # a file's content (GET /3/inbox/{Id}; media type GUESS)
                return Response(body, status=status, content_type="application/octet-stream",
                                headers={"Server": "Fortnox"})
            headers = {"Location": path.split("/")[2]} if status == 201 and path.startswith("/3/") else None
            return _json(status, body, headers=headers)
        except ApiError as exc:
            return _json(exc.status, exc.body())
        except RawError as exc:
            if exc.status == 429:
                self.count("429_sent")
            return _json(exc.status, exc.body, exc.content_type, exc.headers)
        except Exception:  # a sandbox bug: answer like Fortnox's server-side error (errors page: 1000003)
            log.exception("fortnox sandbox handler failed")
            self.count("internal_errors")
            return _json(500, {"ErrorInformation": {"Error": 1, "Message": "System exception", "Code": 1000003}})

    def _authorize(self, request: Request, scope: str) -> str:
        auth = request.headers.get("Authorization", "")
        info = self.oauth.check_access(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if info is None:
            raise RawError(401, {"message": "unauthorized"})  # [VCR] authentication/expired_token.yml
        tenant = info["tenant"]
        now = request.environ["sandbox.arrived"] if self.ratelimit.at_arrival else time.monotonic()
        wait = self.ratelimit.check(tenant, now)
        if wait is not None:
            raise too_many(wait)
        if scope not in info["scopes"]:
            raise E.err(E.NO_SCOPE, status=403)  # HTTP status GUESS (reference §9.2)
        if scope not in self.state.settings.get("licensed_scopes", []):
            raise E.err(E.NO_LICENSE, status=403)  # HTTP status GUESS
        return tenant

    def _oauth(self, request: Request, path: str) -> Response:
        if path == "/oauth-v1/auth" and request.method == "GET":
            location = self.oauth.authorize(request.args)
            resp = Response("", status=302)
            resp.headers["Location"] = location
            return resp
        if path == "/oauth-v1/token" and request.method == "POST":
            status, body = self.oauth.token(request.headers, request.form)
            self.count("tokens_issued")
            return _json(status, body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        if path == "/oauth-v1/revoke" and request.method == "POST":
            status, body = self.oauth.revoke(request.headers, request.form)
            return _json(status, body)
        return _json(404, {"error": "not_found"})


class _Dropped(Exception):
    pass


def _drop(environ) -> None:
    """Close the client connection without an HTTP response (werkzeug exposes the socket)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise _Dropped()
