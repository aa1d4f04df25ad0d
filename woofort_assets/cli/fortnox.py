"""`woofort fortnox connect` (authorize woofort for a Fortnox company) and `woofort fortnox status`
(`woofort fortnox calibrate`: cli/calibrate.py).

connect: prints Fortnox's authorize URL, waits on a loopback port for the browser's redirect, checks
`state`, exchanges the code (authorization_code grant, same redirect_uri) and stores the token in
`<data_dir>/fortnox_token.json` (0600). With `--service-account` the consent creates a Fortnox service
account (needs a system administrator of the company); woofort then stores the tenant id and uses the
client-credentials grant from then on, with no refresh token to lose.

The client id comes from FORTNOX_CLIENT_ID (or --client-id), the secret from FORTNOX_CLIENT_SECRET only
(never a command-line argument, which `ps` and shell history would show). Nothing here prints a secret.
"""

from __future__ import annotations

import argparse
import html
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

import requests

from woofort_assets.cli import calibrate
from woofort_assets.lib import settings
from woofort_assets.lib.fortnox_token import describe
from woofort_assets.lib.fortnox_token_pg import token_store
from woofort_assets.lib.settings import ConfigError
from woofort_assets.resources.fortnox import (
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    FortnoxAuthError,
    FortnoxError,
    fortnox_resource_from_env,
    jwt_claims,
    parse_error_body,
    parse_token_response,
    register_secret,
    token_request,
)

SCOPES = ("article", "customer", "invoice", "payment", "price", "bookkeeping", "settings", "companyinformation",
          "currency", "order",   # order: the probe order of `woofort fortnox calibrate`
          "inbox", "connectfile")   # a voucher's underlying record: upload, then connect (docs/accounting.md §15)
WAREHOUSE_SCOPE = "warehouse"
DEFAULT_PORT = 8765
CALLBACK_PATH = "/callback"


def scopes(warehouse: bool = False) -> list[str]:
    return [*SCOPES, WAREHOUSE_SCOPE] if warehouse else list(SCOPES)


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, state: str, scope: list[str],
                  service_account: bool = False) -> str:
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scope),
        "state": state,
        "access_type": "offline",
        "response_type": "code",
    }
    if service_account:
        params["account_type"] = "service"
    return f"{auth_url.rstrip('/')}/oauth-v1/auth?{urlencode(params, quote_via=quote)}"


class _Callback:
    def __init__(self, state: str):
        self.state = state
        self.code: str | None = None
        self.error: str | None = None
        self.done = threading.Event()


def _handler_for(result: _Callback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            if url.path != CALLBACK_PATH:
                self._answer(404, "Not the woofort callback.")
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if query.get("state") != result.state:
                result.error = "the redirect's state does not match this request (stale or forged link); start again"
                self._answer(400, "State mismatch: run `woofort fortnox connect` again.")
            elif "error" in query:
                result.error = f"Fortnox refused the authorization: {query['error']} {query.get('error_description', '')}".strip()
                self._answer(400, result.error)
            elif not query.get("code"):
                result.error = "the redirect carried no authorization code"
                self._answer(400, result.error)
            else:
                result.code = query["code"]
                register_secret(result.code)
                self._answer(200, "woofort is connected to Fortnox. You can close this window.")
            result.done.set()

        def _answer(self, status: int, text: str) -> None:
            body = f"<!doctype html><title>woofort</title><p>{html.escape(text)}</p>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the code out of stderr
            pass

    return Handler


def connect(
    *,
    client_id: str,
    client_secret: str,
    data_dir: str | os.PathLike[str],
    auth_url: str = DEFAULT_AUTH_URL,
    api_url: str = DEFAULT_API_URL,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    redirect_uri: str | None = None,
    service_account: bool = False,
    warehouse: bool = False,
    timeout_seconds: float = 600.0,
    on_authorize_url: Callable[[str], None] | None = None,
    out=print,
) -> dict[str, Any]:
    """Run the first authorization; returns a summary without secrets ({"mode", "tenant_id", "scope"})."""
    if not client_id or not client_secret:
        raise ConfigError("set FORTNOX_CLIENT_ID and FORTNOX_CLIENT_SECRET (Fortnox developer portal > your integration)")
    register_secret(client_secret)
    state = secrets.token_urlsafe(24)
    result = _Callback(state)
    server = HTTPServer((host, port), _handler_for(result))
    server.timeout = 0.5
    try:
        actual_port = server.server_address[1]
        redirect = redirect_uri or f"http://{host}:{actual_port}{CALLBACK_PATH}"
        url = authorize_url(auth_url, client_id, redirect, state, scopes(warehouse), service_account)
        out("Open this address in a browser and approve woofort"
            + (" (a system administrator of the company must approve a service account)" if service_account else "")
            + ":")
        out(f"  {url}")
        out(f"Waiting for Fortnox to redirect to {redirect} ...")
        if on_authorize_url is not None:
            on_authorize_url(url)
        deadline = time.monotonic() + timeout_seconds
        while not result.done.is_set():
            if time.monotonic() > deadline:
                raise FortnoxAuthError(0, None, f"no redirect from Fortnox within {timeout_seconds:.0f} s; "
                                       "run `woofort fortnox connect` again")
            server.handle_request()
    finally:
        server.server_close()
    if result.error or not result.code:
        raise FortnoxAuthError(0, None, result.error or "no authorization code received")

    session = requests.Session()
    try:
        response = token_request(session, auth_url, client_id, client_secret,
                                 {"grant_type": "authorization_code", "code": result.code, "redirect_uri": redirect},
                                 timeout=30.0)
    except requests.RequestException as exc:
        raise FortnoxAuthError(0, None, f"the code exchange got no answer ({type(exc).__name__}); "
                               "authorization codes are single use: run `woofort fortnox connect` again") from None
    if response.status_code != 200:
        code, message = parse_error_body(response.text)
        raise FortnoxAuthError(response.status_code, code, f"the code exchange was refused: {message}")
    body = parse_token_response(response)
    now = time.time()
    lifetime = float(body.get("expires_in") or 3600)
    store = token_store(data_dir)
    summary: dict[str, Any] = {"scope": body.get("scope")}
    if service_account:
        tenant_id = _tenant_id(body["access_token"], api_url, session)
        with store.locked():
            store.update_section("service", {
                "client_id": client_id, "tenant_id": tenant_id, "obtained_at": now,
                "access_token": body["access_token"], "access_expires_at": now + lifetime, "access_lifetime": lifetime,
                "scope": body.get("scope"),
            })
        summary.update(mode="service_account", tenant_id=tenant_id)
        out(f"Connected as a service account for tenant {tenant_id}. woofort uses the client-credentials grant "
            f"from now on (set FORTNOX_TENANT_ID={tenant_id}, or leave it unset to use the stored tenant id).")
    else:
        if not body.get("refresh_token"):
            raise FortnoxAuthError(200, None, "Fortnox returned no refresh token (was access_type=offline dropped?)")
        with store.locked():
            previous = store.section("refresh")
            store.update_section("refresh", {
                "client_id": client_id, "refresh_token": body["refresh_token"], "refresh_issued_at": now,
                "access_token": body["access_token"], "access_expires_at": now + lifetime, "access_lifetime": lifetime,
                "scope": body.get("scope"), "needs_connect": None, "spent": previous.get("spent", []),
            })
        summary.update(mode="refresh_token", tenant_id=jwt_claims(body["access_token"]).get("tenantId"))
        out("Connected. The refresh token is stored in "
            f"{store.location()} and rotated on every refresh; it expires after 45 days without use.")
    return summary


def _tenant_id(access_token: str, api_url: str, session: requests.Session) -> str:
    claim = jwt_claims(access_token).get("tenantId")
    if claim:
        return str(claim)
    response = session.get(f"{api_url.rstrip('/')}/3/companyinformation",
                           headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                           timeout=30.0)
    if response.status_code != 200:
        code, message = parse_error_body(response.text)
        raise FortnoxError(response.status_code, code, f"could not read the tenant id: {message}")
    info = response.json().get("CompanyInformation") or {}
    number = info.get("DatabaseNumber")
    if not number:
        raise FortnoxError(200, None, "companyinformation carries no DatabaseNumber (tenant id)")
    return str(number)


# --------------------------------------------------------------------------------------------- argparse
def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if getattr(args, "data_dir", None) else settings.data_dir()


def _handle_connect(args: argparse.Namespace) -> int:
    client_id = args.client_id or settings.value("FORTNOX_CLIENT_ID") or ""
    try:
        connect(
            client_id=client_id,
            client_secret=settings.value("FORTNOX_CLIENT_SECRET") or "",  # outside any run: no EnvVar to resolve
            data_dir=_data_dir(args),
            auth_url=settings.value("FORTNOX_AUTH_URL"),
            api_url=settings.value("FORTNOX_API_URL"),
            host=args.host,
            port=args.port,
            redirect_uri=args.redirect_uri,
            service_account=args.service_account,
            warehouse=args.warehouse,
            timeout_seconds=args.timeout,
            out=lambda line: print(line, flush=True),  # the URL must show before we block on the listener
        )
    except FortnoxError as error:
        print(f"woofort: {error}", file=sys.stderr)
        return 1
    return 0


def _handle_status(args: argparse.Namespace) -> int:
    store = token_store(_data_dir(args))
    try:
        data = store.read()
    except ValueError as error:
        print(f"woofort: {error}", file=sys.stderr)
        return 1
    for line in describe(data):
        print(line)
    if store.exists():
        print(f"tokens: {store.location()}")
    if args.check:
        try:
            resource = fortnox_resource_from_env(_data_dir(args)).process_config_and_initialize()  # resolve EnvVars
            client = resource.get_client()
            info = client.get("/3/companyinformation").get("CompanyInformation") or {}
        except FortnoxError as error:
            print(f"check failed: {error}", file=sys.stderr)
            return 1
        print(f"check: connected to {info.get('CompanyName', '?')} (tenant {info.get('DatabaseNumber', '?')})")
        return 0
    needs = (data.get("refresh") or {}).get("needs_connect") and not data.get("service")
    return 1 if needs or (not data.get("refresh") and not data.get("service")) else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("fortnox", help="authorize woofort in Fortnox and show the token's state")
    commands = parser.add_subparsers(dest="fortnox_command", required=True)

    c = commands.add_parser("connect", help="authorize woofort for a Fortnox company (opens a loopback listener)",
                            description=__doc__)
    c.add_argument("--port", type=int, default=DEFAULT_PORT, help="loopback port for the redirect (default 8765)")
    c.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    c.add_argument("--redirect-uri", default=None,
                   help="redirect URI registered for the integration (default http://127.0.0.1:PORT/callback)")
    c.add_argument("--service-account", action="store_true",
                   help="create a Fortnox service account (recommended; needs a system administrator)")
    c.add_argument("--warehouse", action="store_true", help="also ask for the warehouse scope (Fortnox Lager)")
    c.add_argument("--client-id", default=None, help="default: FORTNOX_CLIENT_ID (the secret is read from "
                                                     "FORTNOX_CLIENT_SECRET only)")
    c.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the redirect")
    c.add_argument("--data-dir", default=None, help="default: WOOFORT_DATA_DIR")
    c.set_defaults(handler=_handle_connect)

    s = commands.add_parser("status", help="the stored token's mode and remaining life (never the secrets)")
    s.add_argument("--check", action="store_true", help="also call Fortnox (GET /3/companyinformation)")
    s.add_argument("--data-dir", default=None, help="default: WOOFORT_DATA_DIR")
    s.set_defaults(handler=_handle_status)

    calibrate.register(commands)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="woofort")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"woofort: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
