"""WooCommerce REST authentication (class-wc-rest-authentication.php): Basic/query over HTTPS, OAuth 1.0a over HTTP.

Signature checks use oauthlib (no hand-rolled crypto).
"""
from __future__ import annotations

import hmac
import threading
import time
from urllib.parse import unquote

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature as oauth_sig
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

BASIC_REALM = ('Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in '
               'the password field."')
OAUTH_REQUIRED = ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature",
                  "oauth_signature_method"]
WINDOW = 15 * 60


class AuthError(Exception):
    def __init__(self, code, message, status=401, headers=None):
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}


def _err(message, basic=False):
    return AuthError("woocommerce_rest_authentication_error", message, 401,
                     {"WWW-Authenticate": BASIC_REALM} if basic else None)


class Authenticator:
    def __init__(self, consumer_key: str, consumer_secret: str, permissions: str = "read"):
        self.key, self.secret, self.permissions = consumer_key, consumer_secret, permissions
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()

    def authenticate(self, request, is_ssl: bool) -> bool:
        """True if a valid key was used; False if no credentials (request proceeds unauthenticated).

        Raises AuthError for the errors WooCommerce reports from the authentication filter.
        """
        if is_ssl:
            return self._basic(request)
        return self._oauth(request)

    # -------------------------------------------------------------- HTTPS
    def _basic(self, request) -> bool:
        args = request.args
        if args.get("consumer_key") and args.get("consumer_secret"):  # query string is checked first
            ck, cs = args.get("consumer_key"), args.get("consumer_secret")
        elif request.authorization is not None and request.authorization.type == "basic" \
                and request.authorization.username and request.authorization.password:
            ck, cs = request.authorization.username, request.authorization.password
        else:
            return False
        if not hmac.compare_digest(ck.encode(), self.key.encode()):
            return False  # unknown key: no error set, request continues unauthenticated (reference §1.7, GUESS)
        if not hmac.compare_digest(cs.encode(), self.secret.encode()):
            raise _err("Consumer secret is invalid.", basic=True)
        return True

    # --------------------------------------------------------------- HTTP
    def _oauth(self, request) -> bool:
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "oauth ":
            params = {k: unquote(v) for k, v in parse_authorization_header(header)}
            source = "header"
        else:
            params = {k: v for k, v in request.args.items() if k.startswith("oauth_")}
            source = "query"
        if not any(k in params for k in OAUTH_REQUIRED):
            return False
        missing = [k for k in OAUTH_REQUIRED if not params.get(k)]
        if missing:
            raise AuthError("woocommerce_rest_authentication_missing_parameter",
                            "Missing OAuth parameter(s) " + ", ".join(missing), 401)
        if params["oauth_consumer_key"] != self.key:
            raise _err("Consumer key is invalid.")
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise _err("Invalid signature - signature method is invalid.")
        uri = request.url  # absolute URL incl. query string
        headers = {"Authorization": header} if source == "header" else {}
        oreq = OAuthRequest(uri, http_method=request.method, body=None, headers=headers)
        collected = oauth_sig.collect_parameters(uri_query=request.query_string.decode("latin-1"),
                                                 headers=headers, exclude_oauth_signature=True)
        oreq.params = collected
        oreq.signature = unquote(params["oauth_signature"])
        verify = oauth_sig.verify_hmac_sha1 if method == "HMAC-SHA1" else oauth_sig.verify_hmac_sha256
        if not verify(oreq, self.secret, None):
            raise _err("Invalid signature - provided signature does not match.")
        try:
            ts = int(params["oauth_timestamp"])
        except ValueError:
            raise _err("Invalid timestamp.")
        now = int(time.time())
        if abs(now - ts) > WINDOW:
            raise _err("Invalid timestamp.")
        nonce = params["oauth_nonce"]
        with self._lock:
            for k, t in list(self._nonces.items()):
                if t < now - WINDOW:
                    del self._nonces[k]
            if nonce in self._nonces:
                raise _err("Invalid nonce - nonce has already been used.")
            self._nonces[nonce] = ts
        return True

    def check_permission(self, method: str):
        if method in ("GET", "HEAD") and self.permissions not in ("read", "read_write"):
            raise _err("The API key provided does not have read permissions.")
        if method in ("POST", "PUT", "PATCH", "DELETE") and self.permissions not in ("write", "read_write"):
            raise _err("The API key provided does not have write permissions.")
