"""Read-only WooCommerce REST API (wc/v3) client.

woofort never writes to the shop: the session refuses every method but GET before a byte is sent.
Over HTTPS it authenticates with Basic auth (WooCommerce honours Basic only over TLS); over plain
http it signs each request with OAuth 1.0a, as WooCommerce requires there. Transient failures
(429, 5xx, dropped connections, timeouts) are retried with bounded exponential backoff by urllib3."""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import requests
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1
from urllib3.util.retry import Retry

log = logging.getLogger("woofort.woocommerce")
API_PREFIX = "/wp-json/wc/v3"


class ReadOnlyViolation(RuntimeError):
    """Raised before sending anything but GET: woofort is one-way and never changes the shop."""


class WooCommerceError(RuntimeError):
    def __init__(self, status: int, code: str | None, message: str, url: str):
        super().__init__(f"WooCommerce answered {status} {code or ''} for {url}: {message}".strip())
        self.status, self.code = status, code


class _GetOnlySession(requests.Session):
    def request(self, method, url, *args, **kwargs):  # noqa: D401 - requests' signature
        if method.upper() != "GET":
            raise ReadOnlyViolation(f"refusing {method.upper()} {url}: the WooCommerce client is read-only")
        return super().request(method, url, *args, **kwargs)


@dataclass
class Page:
    records: list[dict[str, Any]]
    total: int
    total_pages: int


@dataclass
class WooCommerceClient:
    base_url: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    timeout_seconds: float
    max_retries: int
    concurrency: int
    per_page: int

    def __post_init__(self) -> None:
        self.session = _GetOnlySession()
        retry = Retry(
            total=self.max_retries,
            backoff_factor=0.5,
            backoff_jitter=0.5,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(self.concurrency, 4))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        if self.base_url.startswith("https://"):
            self.session.auth = (self.consumer_key, self.consumer_secret)
        else:
            self.session.auth = OAuth1(
                self.consumer_key, self.consumer_secret, signature_method="HMAC-SHA256", signature_type="query"
            )

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        url = f"{self.base_url}{API_PREFIX}/{path.lstrip('/')}"
        response = self.session.get(url, params=params, timeout=self.timeout_seconds)
        if response.status_code >= 400:
            try:
                body = response.json()
                code, message = body.get("code"), body.get("message", response.text[:200])
            except ValueError:
                code, message = None, response.text[:200]
            raise WooCommerceError(response.status_code, code, message, url.split("?")[0])
        log.debug("GET %s %s -> %s", path, params, response.status_code)
        return response

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get(path, params).json()

    def site_index(self) -> dict[str, Any]:
        """The WordPress root `/wp-json/` (store name, timezone); it needs no authentication."""
        response = requests.get(f"{self.base_url}/wp-json/", timeout=self.timeout_seconds)
        response.raise_for_status()
        return response.json()

    def page(self, path: str, params: dict[str, Any], page: int) -> Page:
        response = self.get(path, {**params, "per_page": self.per_page, "page": page})
        records = response.json()
        if not isinstance(records, list):
            raise WooCommerceError(response.status_code, None, "expected a JSON list of records", path)
        return Page(
            records=records,
            total=int(response.headers.get("X-WP-Total", len(records))),
            total_pages=int(response.headers.get("X-WP-TotalPages", 1)),
        )

    def pages(self, path: str, params: dict[str, Any]):
        """Yields every page of a listing: the first alone (it tells how many there are), then the
        rest fetched `concurrency` at a time, in page order, so memory holds a few pages at most."""
        first = self.page(path, params, 1)
        yield first
        numbers = iter(range(2, first.total_pages + 1))
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            in_flight = deque(pool.submit(self.page, path, params, n) for n in islice(numbers, self.concurrency))
            while in_flight:
                page = in_flight.popleft().result()
                following = next(numbers, None)
                if following is not None:
                    in_flight.append(pool.submit(self.page, path, params, following))
                yield page


class WooCommerceResource(dg.ConfigurableResource):
    """The shop's REST API; secrets come from the environment through EnvVar, never from run config."""

    url: str
    consumer_key: str
    consumer_secret: str
    timeout_seconds: float = 60.0
    max_retries: int = 5
    concurrency: int = 4
    per_page: int = 100

    def get_client(self) -> WooCommerceClient:
        if not 1 <= self.per_page <= 100:
            raise ValueError("per_page must be between 1 and 100, as WooCommerce allows")
        return WooCommerceClient(
            base_url=self.url.rstrip("/"),
            consumer_key=self.consumer_key,
            consumer_secret=self.consumer_secret,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            concurrency=self.concurrency,
            per_page=self.per_page,
        )
