"""Read-only WooCommerce REST API (wc/v3) client.

woofort never writes to the shop: the session refuses every method but GET before a byte is sent.
Over HTTPS it authenticates with Basic auth (WooCommerce honours Basic only over TLS); over plain
http it signs each request with OAuth 1.0a, as WooCommerce requires there. Transient failures
(429, 5xx, dropped connections, timeouts) are retried with bounded exponential backoff by urllib3; a
connection that cannot be made (refused, unreachable: a connect timeout of its own) is retried once only, so a
wrong address fails within seconds.

Failures an operator must act on are `OperatorError`s (lib/errors.py) naming the host and what to fix: a
refused API key (401/403: exit 2, WOOCOMMERCE_CONSUMER_KEY/SECRET), an answer that is not the REST API's JSON
(exit 2, WOOCOMMERCE_URL), a 5xx or a connection failure that outlived the retries (exit 1, with the last status
and the body's error code)."""

from __future__ import annotations

import logging
import re
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

from woofort_assets.lib.errors import EXIT_CONFIG, EXIT_OUTAGE, OperatorError, host_of
from woofort_assets.lib.settings import woocommerce_max_retries

log = logging.getLogger("woofort.woocommerce")
API_PREFIX = "/wp-json/wc/v3"
# WooCommerce formats the money of orders and refunds with the request's `dp`, which defaults to the store's
# displayed price decimals (wc_get_price_decimals(); a store showing 0 decimals answers rounded line totals and
# taxes). Every orders and refunds request asks for the 6 decimals staging keeps (DECIMAL(18, 6)), whatever the
# store displays. CORE Version2/class-wc-rest-orders-v2-controller.php and ../shared/reference/woocommerce_api.md §1.1.
MONEY_DECIMALS = 6
DP_RESOURCES = frozenset({"orders", "refunds"})


def with_money_decimals(path: str, params: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's params, with `dp=MONEY_DECIMALS` when `path` is under /orders or /refunds (listings, single
    reads, an order's refunds, counts) and the caller did not choose a `dp` itself."""
    if path.lstrip("/").split("/", 1)[0] not in DP_RESOURCES:
        return params
    return {"dp": MONEY_DECIMALS, **(params or {})}


class ReadOnlyViolation(RuntimeError):
    """Raised before sending anything but GET: woofort is one-way and never changes the shop."""


class WooCommerceError(RuntimeError):
    def __init__(self, status: int, code: str | None, message: str, url: str):
        super().__init__(f"WooCommerce answered {status} {code or ''} for {url}: {message}".strip())
        self.status, self.code = status, code


class WooCommerceOperatorError(WooCommerceError, OperatorError):
    """A WooCommerce failure the operator must fix (or wait out): still a `WooCommerceError` (status, code) for
    code that tells answers apart, and an `OperatorError` (exit code, lines) for the CLI and the run's failure."""

    def __init__(self, exit_code: int, lines: list[str], status: int = 0, code: str | None = None):
        OperatorError.__init__(self, exit_code, lines)
        self.status, self.code = status, code

    def __reduce__(self):
        return (WooCommerceOperatorError, (self.exit_code, self.lines, self.status, self.code))


CONNECT_TIMEOUT_SECONDS = 3.0  # with one retry: an unreachable store fails within 10 s
_TITLE = re.compile(r"<title[^>]*>\s*([^<]{1,120}?)\s*</title>", re.I)


def _what_answered(response: requests.Response) -> str:
    """A short description of a body that is not JSON: `HTML "502 Bad Gateway"`, `text/plain`, `an empty body`."""
    text = response.text or ""
    if not text.strip():
        return "an empty body"
    title = _TITLE.search(text)
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if "html" in content_type or text.lstrip().startswith("<"):
        return f'HTML "{title.group(1)}"' if title else "HTML"
    return content_type or "not JSON"


def _error_code(response: requests.Response) -> tuple[str | None, str]:
    """The body's (error code, message): WordPress's `{"code", "message"}`, else (None, what answered)."""
    try:
        body = response.json()
    except ValueError:
        return None, _what_answered(response)
    if isinstance(body, dict):
        return body.get("code"), str(body.get("message") or "")[:200]
    return None, str(body)[:200]


def decode_json(response: requests.Response) -> Any:
    """The JSON of a 2xx answer; an OperatorError (exit 2) naming WOOCOMMERCE_URL when it is not JSON (a
    login page, a maintenance page, a server that is not WordPress)."""
    try:
        return response.json()
    except ValueError:
        url = response.url.split("?")[0]
        raise WooCommerceOperatorError(EXIT_CONFIG, [
            f"{url} is not a WooCommerce REST API (answered {_what_answered(response)} with status "
            f"{response.status_code})",
            "check WOOCOMMERCE_URL: the store's address, whose API is WOOCOMMERCE_URL/wp-json/wc/v3",
        ], response.status_code) from None


def unreachable(url: str, error: requests.RequestException, retries: int) -> WooCommerceOperatorError:
    """A connection failure that outlived the retries (exit 1), naming the host and port."""
    kind = type(error).__name__
    reason = "refused the connection" if "refused" in str(error).lower() else f"did not answer ({kind})"
    return WooCommerceOperatorError(EXIT_OUTAGE, [
        f"WooCommerce at {host_of(url)} {reason} (after {retries} retr{'y' if retries == 1 else 'ies'})",
        "check WOOCOMMERCE_URL and that the store is up, then run again",
    ])


def site_index(base_url: str, timeout: float | tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, 30.0)) -> dict[str, Any]:
    """The WordPress root `/wp-json/` (store name, timezone; no authentication), strictly: an answer that is not
    WordPress's JSON is an OperatorError, never an empty index."""
    url = f"{base_url.rstrip('/')}/wp-json/"
    session = requests.Session()  # a passing 5xx is retried twice before it counts
    retry = Retry(total=2, connect=1, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=frozenset({"GET"}), raise_on_status=False)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    try:
        with session:
            response = session.get(url, timeout=timeout)
    except requests.exceptions.SSLError:
        raise
    except (requests.ConnectionError, requests.Timeout) as error:
        raise unreachable(url, error, 0) from None
    if response.status_code >= 500:
        code, message = _error_code(response)
        raise WooCommerceOperatorError(EXIT_OUTAGE, [
            f"WooCommerce at {host_of(url)} answered {response.status_code} "
            f"({code or 'no error code'}: {message[:80]}) to GET /wp-json/",
            "the store is failing: check its error log, or set WOOFORT_TIMEZONE, then run again",
        ], response.status_code, code)
    if response.status_code >= 400:
        code, message = _error_code(response)
        raise WooCommerceOperatorError(EXIT_CONFIG, [
            f"{url} answered {response.status_code} ({code or 'no error code'}: {message[:80]}): not a WordPress "
            "site", "check WOOCOMMERCE_URL (or set WOOFORT_TIMEZONE)"], response.status_code, code)
    index = decode_json(response)
    if not isinstance(index, dict):
        raise WooCommerceOperatorError(EXIT_CONFIG, [f"{url} is not a WordPress REST API (no JSON object)",
                                                     "check WOOCOMMERCE_URL"], response.status_code)
    return index


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
            connect=min(1, self.max_retries),  # refused or unreachable: once more, not for a minute
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
        params = with_money_decimals(path, params)
        try:
            response = self.session.get(url, params=params,
                                        timeout=(min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds), self.timeout_seconds))
        except requests.exceptions.SSLError:
            raise
        except (requests.ConnectionError, requests.Timeout) as error:
            connect = isinstance(error, requests.ConnectTimeout) or "NewConnectionError" in str(error)
            raise unreachable(url, error, min(1, self.max_retries) if connect else self.max_retries) from None
        status = response.status_code
        if status >= 400:
            code, message = _error_code(response)
            where = f"GET {API_PREFIX}/{path.lstrip('/')}"
            if status in (401, 403):
                raise WooCommerceOperatorError(EXIT_CONFIG, [
                    f"WooCommerce at {host_of(url)} refused the API key: {status} {code or ''} ({message[:100]})",
                    "check WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET (a REST API key with Read "
                    "permission, WooCommerce > Settings > Advanced > REST API)",
                ], status, code)
            if status == 429 or status >= 500:
                raise WooCommerceOperatorError(EXIT_OUTAGE, [
                    f"WooCommerce at {host_of(url)} answered {status} ({code or 'no error code'}"
                    f"{': ' + message[:80] if message and code is None else ''}) to {where} after "
                    f"{self.max_retries} retr{'y' if self.max_retries == 1 else 'ies'}",
                    "the store is failing or overloaded: check its error log, then run again",
                ], status, code)
            if code is None and not response.headers.get("Content-Type", "").startswith("application/json"):
                raise WooCommerceOperatorError(EXIT_CONFIG, [
                    f"{url.split('?')[0]} is not a WooCommerce REST API (answered {status} with {message})",
                    "check WOOCOMMERCE_URL: the store's address, whose API is WOOCOMMERCE_URL/wp-json/wc/v3",
                ], status, code)
            raise WooCommerceError(status, code, message, url.split("?")[0])
        log.debug("GET %s %s -> %s", path, params, status)
        return response

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return decode_json(self.get(path, params))

    def site_index(self) -> dict[str, Any]:
        """The WordPress root `/wp-json/` (store name, timezone); it needs no authentication."""
        return site_index(self.base_url, (min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds), self.timeout_seconds))

    def page(self, path: str, params: dict[str, Any], page: int) -> Page:
        response = self.get(path, {**params, "per_page": self.per_page, "page": page})
        records = decode_json(response)
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
    max_retries: int | None = None  # None: WOOCOMMERCE_MAX_RETRIES (lib/settings.py), default 5
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
            max_retries=woocommerce_max_retries() if self.max_retries is None else self.max_retries,
            concurrency=self.concurrency,
            per_page=self.per_page,
        )
