"""OAuth2 server at /oauth-v1/{auth,token,revoke}. Sources: reference §1 ([AUTHDOC], [VCR] authentication/*.yml, [CS]).

- Authorization code: 10 min, single use; redirect_uri must equal the one given to /auth (if one was given).
- Access token: JWT-like (header.claims.signature, claims tenantId/clientId/scope/exp), TTL configurable (3600 s).
- Refresh token: 45 days, single use, rotated; a used/unknown/expired/revoked one -> 400
  {"error":"invalid_grant","error_description":"Invalid refresh token"} with Content-Type "text/html; charset=UTF-8".
- Bad Basic credentials -> 401 text/plain;charset=UTF-8 {"error":"invalid_client",...} ([VCR]).
- client_credentials needs header TenantId and a service-account consent (account_type=service) for that client
  and tenant; answers an access token without refresh token ([CS], zenta PR #55).
- Error bodies not recorded (bad code, bad grant type, missing consent) use RFC 6749 names (GUESS) with the same
  Content-Type as the recorded invalid_grant.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse

from .errors import RawError
from .seed import ALL_SCOPES

CODE_TTL = 600
REFRESH_TTL = 45 * 24 * 3600
GRANT_CT = "text/html; charset=UTF-8"      # [VCR] invalid_refresh_token.yml (sic)
CLIENT_CT = "text/plain;charset=UTF-8"     # [VCR] invalid_authorization.yml


class Clock:
    """Wall clock with a test offset (sb.advance_time)."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OAuthStore:
    def __init__(self, clients: dict[str, str], tenant_id: str, clock: Clock, access_ttl: int):
        self.clients = dict(clients)
        self.tenant_id = str(tenant_id)
        self.clock = clock
        self.access_ttl = access_ttl
        self.lock = threading.Lock()
        self._extra_consents: set[str] = set()  # clients registered later with a service-account consent
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes: dict[str, dict] = {}
            self.refresh: dict[str, dict] = {}
            self.access: dict[str, dict] = {}
            # "service-account consent given for the default client" (brief); scopes = all
            first = next(iter(self.clients), None)
            self.consents: dict[tuple[str, str], list[str]] = (
                {(first, self.tenant_id): list(ALL_SCOPES)} if first else {})
            for client_id in self._extra_consents:
                self.consents[(client_id, self.tenant_id)] = list(ALL_SCOPES)

    def register_client(self, client_id: str, client_secret: str, service_consent: bool = True) -> None:
        """A client registered after start; survives reset() like those given at construction."""
        if not client_id or not client_secret:
            raise ValueError("a client needs a non-empty id and secret")
        with self.lock:
            self.clients[client_id] = client_secret
            if service_consent:
                self.consents[(client_id, self.tenant_id)] = list(ALL_SCOPES)
                self._extra_consents.add(client_id)

    # ---------------------------------------------------------------- issuing
    def issue_access(self, client_id: str, scopes: list[str], tenant: str) -> str:
        now = self.clock.now()
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = _b64(json.dumps({"iss": "sandbox.fortnox", "clientId": client_id, "tenantId": int(tenant)
                                  if tenant.isdigit() else tenant, "userId": 1, "scope": " ".join(scopes),
                                  "iat": int(now), "exp": int(now + self.access_ttl),
                                  "jti": secrets.token_hex(8)}).encode())
        token = f"{header}.{claims}.{_b64(secrets.token_bytes(32))}"
        with self.lock:
            self.access[token] = {"client_id": client_id, "scopes": list(scopes), "tenant": tenant,
                                  "expires": now + self.access_ttl}
        return token

    def issue_refresh(self, client_id: str, scopes: list[str], tenant: str | None = None) -> str:
        token = secrets.token_hex(20)  # [CS] "The refresh token is 40 characters long"
        with self.lock:
            self.refresh[token] = {"client_id": client_id, "scopes": list(scopes), "tenant": tenant or self.tenant_id,
                                   "expires": self.clock.now() + REFRESH_TTL, "used": False}
        return token

    def issue_code(self, client_id: str, scopes: list[str], redirect_uri: str | None, service: bool = False) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"client_id": client_id, "scopes": list(scopes), "redirect_uri": redirect_uri,
                                "expires": self.clock.now() + CODE_TTL, "used": False}
            if service:
                self.consents[(client_id, self.tenant_id)] = list(scopes)
        return code

    def check_access(self, token: str) -> dict | None:
        with self.lock:
            info = self.access.get(token)
        if info is None or info["expires"] <= self.clock.now():
            return None
        return info

    # ---------------------------------------------------------------- HTTP
    def _client(self, headers) -> str:
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                cid, secret = "", ""
            if cid in self.clients and secrets.compare_digest(self.clients[cid], secret):
                return cid
        raise RawError(401, {"error": "invalid_client", "error_description": "The client credentials are invalid"},
                       CLIENT_CT)

    def _token_response(self, client_id, scopes, tenant, with_refresh=True) -> tuple[int, dict]:
        body = {"access_token": self.issue_access(client_id, scopes, tenant), "expires_in": self.access_ttl,
                "token_type": "bearer", "scope": " ".join(scopes)}
        if with_refresh:
            body["refresh_token"] = self.issue_refresh(client_id, scopes, tenant)
        return 200, body

    def token(self, headers, form) -> tuple[int, dict]:
        client_id = self._client(headers)
        grant = form.get("grant_type")
        now = self.clock.now()
        if grant == "refresh_token":
            tok = form.get("refresh_token", "")
            with self.lock:
                info = self.refresh.get(tok)
                ok = (info is not None and not info["used"] and info["expires"] > now
                      and info["client_id"] == client_id)
                if ok:
                    info["used"] = True  # single use: dies when the new one is issued
            if not ok:
                raise RawError(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}, GRANT_CT)
            return self._token_response(client_id, info["scopes"], info["tenant"])
        if grant == "authorization_code":
            code = form.get("code", "")
            with self.lock:
                info = self.codes.get(code)
                ok = (info is not None and not info["used"] and info["expires"] > now
                      and info["client_id"] == client_id
                      and (info["redirect_uri"] is None or info["redirect_uri"] == form.get("redirect_uri")))
                if info is not None:
                    info["used"] = True  # a failed attempt burns the code too (GUESS)
            if not ok:
                raise RawError(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"},
                               GRANT_CT)
            return self._token_response(client_id, info["scopes"], self.tenant_id)
        if grant == "client_credentials":
            tenant = headers.get("TenantId", "").strip()
            scopes = self.consents.get((client_id, tenant))
            if not tenant or scopes is None:
                raise RawError(400, {"error": "invalid_request",
                                     "error_description": "No service account consent for the given TenantId"},
                               GRANT_CT)
            return self._token_response(client_id, scopes, tenant, with_refresh=False)
        raise RawError(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"},
                       GRANT_CT)

    def revoke(self, headers, form) -> tuple[int, dict]:
        client_id = self._client(headers)
        tok = form.get("token", "")
        with self.lock:
            info = self.refresh.get(tok)
            if info is not None and info["client_id"] == client_id:
                info["used"] = True
        return 200, {"revoked": True}

    def authorize(self, args) -> str:
        """Return the redirect Location for GET /oauth-v1/auth (raises RawError on a bad client)."""
        client_id = args.get("client_id", "")
        if client_id not in self.clients:
            raise RawError(400, {"error": "invalid_client", "error_description": "Unknown client_id"}, GRANT_CT)
        redirect_uri = args.get("redirect_uri") or None
        target = redirect_uri or "http://localhost/activation"  # registered default (GUESS)
        state = args.get("state", "")

        def back(params):
            sep = "&" if "?" in target else "?"
            return target + sep + urllib.parse.urlencode({**params, "state": state})
        if args.get("response_type") != "code":
            return back({"error": "unsupported_response_type"})
        scopes = [s for s in (args.get("scope") or "").split() if s]
        if not scopes or any(s not in ALL_SCOPES for s in scopes):
            return back({"error": "invalid_scope"})
        code = self.issue_code(client_id, scopes, redirect_uri, service=args.get("account_type") == "service")
        return back({"code": code})
