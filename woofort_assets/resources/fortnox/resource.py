"""`FortnoxResource`, the Dagster resource that builds a `FortnoxClient`, and `fortnox_resource_from_env()`,
which builds the resource from the settings (lib/settings.py) as production does."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from woofort_assets.lib.settings import fortnox_settings
from woofort_assets.resources.fortnox.transport import DEFAULT_API_URL, DEFAULT_AUTH_URL, FortnoxClient

_SECRET_FIELDS = frozenset({"client_secret", "refresh_token"})


class FortnoxResource(dg.ConfigurableResource):
    """Fortnox API access. Build it with `fortnox_resource_from_env()` so the secrets come from the
    environment through `dg.EnvVar` and never appear in run config or the event log."""

    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    client_id: str
    client_secret: str
    tenant_id: str | None = None
    refresh_token: str | None = None
    data_dir: str
    rate_limit: int = 25
    rate_window_seconds: float = 5.0
    max_retries: int = 5
    timeout_seconds: float = 30.0

    def __repr_args__(self):  # pydantic repr/str: never show a secret
        for name, value in super().__repr_args__():
            yield name, ("***" if name in _SECRET_FIELDS and value else value)

    def get_client(self) -> FortnoxClient:
        def value(v):  # outside a Dagster run (CLI, scripts) an unresolved EnvVar still holds the variable's name
            return v.get_value() if isinstance(v, dg.EnvVar) else v

        return FortnoxClient(
            api_url=value(self.api_url) or DEFAULT_API_URL,
            auth_url=value(self.auth_url) or DEFAULT_AUTH_URL,
            client_id=value(self.client_id),
            client_secret=value(self.client_secret),
            tenant_id=value(self.tenant_id),
            refresh_token=value(self.refresh_token),
            data_dir=value(self.data_dir),
            rate_limit=self.rate_limit,
            rate_window_seconds=self.rate_window_seconds,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
        )


def fortnox_resource_from_env(data_dir: str | os.PathLike[str]) -> FortnoxResource:
    """The resource as production builds it: URLs and the rate limit from FORTNOX_API_URL, FORTNOX_AUTH_URL and
    FORTNOX_RATE_LIMIT (lib/settings.py), secrets as `dg.EnvVar` (resolved only when the run starts; run config
    shows the variable's name only). Setting both FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN is a ConfigError."""
    settings = fortnox_settings()
    optional: dict[str, Any] = {}
    if settings.service_account:
        optional["tenant_id"] = dg.EnvVar("FORTNOX_TENANT_ID")
    if settings.seed_refresh_token:
        optional["refresh_token"] = dg.EnvVar("FORTNOX_REFRESH_TOKEN")
    return FortnoxResource(
        api_url=settings.api_url,
        auth_url=settings.auth_url,
        client_id=dg.EnvVar("FORTNOX_CLIENT_ID"),
        client_secret=dg.EnvVar("FORTNOX_CLIENT_SECRET"),
        data_dir=str(data_dir),
        rate_limit=settings.rate_limit,
        **optional,
    )
