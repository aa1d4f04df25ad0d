"""Fortnox REST API v3 client: OAuth2 (service account or rotating refresh token), a rate limiter shared by
every process of the tenant, bounded retries, and errors that carry Fortnox's own code and message.

Interface (docs/CONTRACTS.md, "Fortnox client"): `FortnoxResource.get_client() -> FortnoxClient` with
`get/post/put/iterate`; `FortnoxError`, `FortnoxOutcomeUnknown`, `FortnoxAuthError`. Import them from here.
Design notes and measurements: docs/fortnox-client.md.

Modules, by concern (each imports only the ones above it):
- `errors`     error types, reading Fortnox's error bodies and Retry-After, masking of secrets in messages and logs
- `auth`       the token endpoint and the two token sources (service account; rotating refresh tokens with the
               spent-token journal of the token file, lib/fortnox_token.py)
- `transport`  `FortnoxClient`: session, TLS, retries, the shared rate limiter (lib/ratelimit.py)
- `resource`   `FortnoxResource` and `fortnox_resource_from_env()` (settings from lib/settings.py)
"""

from woofort_assets.resources.fortnox.auth import jwt_claims, parse_token_response, token_request
from woofort_assets.resources.fortnox.errors import (
    CONNECT_HINT,
    NO_SCOPE_CODE,
    FortnoxAuthError,
    FortnoxError,
    FortnoxOutcomeUnknown,
    mask,
    parse_error_body,
    register_secret,
)
from woofort_assets.resources.fortnox.resource import FortnoxResource, fortnox_resource_from_env
from woofort_assets.resources.fortnox.transport import DEFAULT_API_URL, DEFAULT_AUTH_URL, FortnoxClient

__all__ = [
    "CONNECT_HINT",
    "DEFAULT_API_URL",
    "DEFAULT_AUTH_URL",
    "NO_SCOPE_CODE",
    "FortnoxAuthError",
    "FortnoxClient",
    "FortnoxError",
    "FortnoxOutcomeUnknown",
    "FortnoxResource",
    "fortnox_resource_from_env",
    "jwt_claims",
    "mask",
    "parse_error_body",
    "parse_token_response",
    "register_secret",
    "token_request",
]
