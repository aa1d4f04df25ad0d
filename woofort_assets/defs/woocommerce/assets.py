"""Extraction: WooCommerce wc/v3 → raw tables, one daily partition per store-time day.

Orders and products are partitioned by modification date with half-open windows
`[day start, next day start)`: WooCommerce's `modified_after` is exclusive, so the query starts one
second early and every record is then kept only if its `date_modified_gmt` falls inside the window,
which puts a record modified exactly at midnight in exactly one partition. Orders are also crawled by
creation date (`after`/`before`, the same half-open window on `date_created_gmt`), so a range of days
holds every order created in it, whenever it was last modified (an order created on the last evening
and completed the next morning), as well as every change made in it. Listings are sorted by id
(the date sort is reported to skip or repeat records). Customers, tax rates and tax classes have no
modification filter in WooCommerce and are refreshed in full."""


from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.woocommerce.crawl import CrawlStats, crawl, record_key
from woofort_assets.defs.woocommerce.landing import RawLanding
from woofort_assets.lib.base_currency import read_store_currency, save_store_currency
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.partitions import daily_partitions
from woofort_assets.lib.settings import shop_key
from woofort_assets.resources.woocommerce import WooCommerceClient, WooCommerceError, WooCommerceResource

GMT_FORMAT = "%Y-%m-%dT%H:%M:%S"
CATALOGUE_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
COMMON = dict(group_name="woocommerce", kinds={"woocommerce", "duckdb"}, pool="duckdb")
PARTITIONED = dict(partitions_def=daily_partitions(), backfill_policy=dg.BackfillPolicy.single_run(), **COMMON)


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(GMT_FORMAT)


def window_params(start: datetime, end: datetime, after: str, before: str) -> dict[str, Any]:
    return {
        after: _gmt(start - timedelta(seconds=1)),
        before: _gmt(end),
        "dates_are_gmt": "true",
        "orderby": "id",
        "order": "asc",
    }


def inside(start: datetime, end: datetime, field: str):
    """Keeps records whose `field` (a GMT date) is in [start, end); unparseable dates are kept so
    that staging can quarantine them with a reason instead of losing them here."""
    low, high = _gmt(start), _gmt(end)

    def keep(record: dict[str, Any]) -> bool:
        value = record.get(field) if isinstance(record, dict) else None
        try:
            datetime.strptime(value, GMT_FORMAT)
        except (TypeError, ValueError):
            return True
        return low <= value < high

    return keep


def child_paths(batch: list[Any], template: str, wanted) -> dict[int, str]:
    """The nested path (`template` with the id) of every well-formed record of the batch that `wanted` accepts."""
    return {
        record["id"]: template.format(record["id"])
        for record in batch
        if isinstance(record, dict) and isinstance(record.get("id"), int) and wanted(record)
    }


def fetch_children(
    client: WooCommerceClient, paths: dict[int, str], stats: CrawlStats | None = None
) -> list[dict[str, Any]]:
    """Every record under each parent path (refunds of an order, variations of a product), with
    `parent_id` added where the nested endpoint leaves it out; `stats.child_pages` counts the requests."""

    def one_parent(item: tuple[int, str]) -> tuple[int, list[dict[str, Any]]]:
        parent_id, path = item
        children, pages = [], 0
        for page in client.pages(path, {"orderby": "id", "order": "asc"}):
            pages += 1
            children.extend({**child, "parent_id": child.get("parent_id") or parent_id} for child in page.records)
        return pages, children

    with ThreadPoolExecutor(max_workers=client.concurrency) as pool:
        results = list(pool.map(one_parent, paths.items()))
    if stats is not None:
        stats.child_pages += sum(pages for pages, _ in results)
    return [child for _, children in results for child in children]


def crawl_metadata(stats: CrawlStats, **extra: Any) -> dict[str, Any]:
    return {
        "fetched": stats.records,
        "distinct_records": stats.distinct_records,
        "pages": stats.pages,
        "crawl_passes": stats.passes,
        "crawl_consistent": stats.consistent,
        **extra,
    }


def version_key(record: Any) -> str:
    """One version of a record: its key and its modification date (the same version crawled twice has both), as
    one string: a sync keeps one per order it landed, and 100,000 (key, date) tuples take twice the memory."""
    return f"{record_key(record)}@{record.get('date_modified_gmt') if isinstance(record, dict) else None}"


def land_orders(client: WooCommerceClient, raw: RawLanding, batch: list[dict[str, Any]], stats: CrawlStats) -> int:
    """Lands a page of orders and the refunds of those that have any; returns how many refunds it landed."""
    raw.land("orders", batch)
    with_refunds = child_paths(batch, "orders/{}/refunds", lambda order: order.get("refunds"))
    return raw.land("refunds", fetch_children(client, with_refunds, stats))


def order_batches(
    client: WooCommerceClient, start: datetime, end: datetime, modified: CrawlStats, created: CrawlStats
) -> Iterator[tuple[CrawlStats, list[dict[str, Any]]]]:
    """The orders of a window to land, with the stats of the crawl each batch came from: every page of the
    modification crawl, then what the creation crawl found that the first did not land (the benchmark B1 crawls
    through this too, so it measures both crawls as a sync makes them)."""
    by_modification = {**window_params(start, end, "modified_after", "modified_before"), "status": "any"}
    by_creation = {**window_params(start, end, "after", "before"), "status": "any"}
    landed: set[str] = set()
    for batch in crawl(client, "orders", by_modification, inside(start, end, "date_modified_gmt"), modified):
        landed.update(version_key(order) for order in batch)
        yield modified, batch
    for batch in crawl(client, "orders", by_creation, inside(start, end, "date_created_gmt"), created):
        fresh = [order for order in batch if version_key(order) not in landed]
        landed.update(version_key(order) for order in fresh)
        if fresh:
            yield created, fresh


@dg.asset(key=["woocommerce", "orders"], **PARTITIONED)
def woocommerce_orders(
    context: dg.AssetExecutionContext, woocommerce: WooCommerceResource, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """Orders modified in the window and orders created in it (line items, shipping, fees, coupons and tax
    lines are part of each order), and the refunds of every such order that has any: a refund bumps its
    order's modification date on current WooCommerce, so it arrives in the same partition, and the refunds
    of an order created in the window are fetched with it whenever they were made.

    Two crawls, merged: by modification (`modified_after`/`modified_before`) and by creation
    (`after`/`before`), each kept to its half-open window. A version the first crawl landed is not landed
    again by the second (staging keeps the latest version either way). The metadata counts each crawl:
    `fetched`, `pages`, `crawl_passes` and `crawl_consistent` are the modification crawl's, `by_creation/*` the
    creation crawl's, `requests/*` the GETs of each (listing pages + refund listings)."""
    start, end = context.partition_time_window
    client = woocommerce.get_client()
    modified, created = CrawlStats(), CrawlStats()
    refunds = new_versions = 0
    with connect(duckdb.database) as con:  # for the preflight's base-currency check (lib/base_currency.py)
        save_store_currency(con, shop_key(), read_store_currency(client))
    with RawLanding(duckdb.database, shop_key(), context.run_id) as raw:
        for stats, batch in order_batches(client, start, end, modified, created):
            refunds += land_orders(client, raw, batch, stats)
            if stats is created:
                new_versions += len(batch)
    return dg.MaterializeResult(metadata=crawl_metadata(
        modified,
        refunds_fetched=refunds,
        **{
            "by_creation/fetched": created.records,
            "by_creation/distinct_records": created.distinct_records,
            "by_creation/landed": new_versions,
            "by_creation/pages": created.pages,
            "by_creation/crawl_passes": created.passes,
            "by_creation/crawl_consistent": created.consistent,
            "requests/by_modification": modified.pages + modified.child_pages,
            "requests/by_creation": created.pages + created.child_pages,
        },
    ))


@dg.asset(key=["woocommerce", "refunds"], **PARTITIONED)
def woocommerce_refunds(
    context: dg.AssetExecutionContext, woocommerce: WooCommerceResource, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """Refunds created in the window from `GET /refunds` (WooCommerce 9.0 and later), which also
    catches refunds whose gateway did not bump the order's modification date."""
    start, end = context.partition_time_window
    client, stats = woocommerce.get_client(), CrawlStats()
    try:
        with RawLanding(duckdb.database, shop_key(), context.run_id) as raw:
            for batch in crawl(client, "refunds", window_params(start, end, "after", "before"),
                               inside(start, end, "date_created_gmt"), stats):
                raw.land("refunds", batch)
    except WooCommerceError as error:
        if error.status != 404:
            raise
        context.log.info("GET /refunds is not available on this store (WooCommerce < 9.0); refunds come with their orders")
        return dg.MaterializeResult(metadata={"fetched": 0, "endpoint_available": False})
    return dg.MaterializeResult(metadata=crawl_metadata(stats, endpoint_available=True))


@dg.asset(key=["woocommerce", "products"], **PARTITIONED)
def woocommerce_products(
    context: dg.AssetExecutionContext, woocommerce: WooCommerceResource, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """Products modified in the window, and the variations of every variable product among them.
    The first partition also takes every product modified before it: invoices from the start date on
    refer to the whole catalogue, not only to products edited since."""
    start, end = context.partition_time_window
    first_partition = daily_partitions().get_first_partition_key()
    if start <= daily_partitions().time_window_for_partition_key(first_partition).start:
        start = CATALOGUE_BEGINNING
    client, stats, variations = woocommerce.get_client(), CrawlStats(), 0
    params = {**window_params(start, end, "modified_after", "modified_before"), "status": "any"}
    with RawLanding(duckdb.database, shop_key(), context.run_id) as raw:
        for batch in crawl(client, "products", params, inside(start, end, "date_modified_gmt"), stats):
            raw.land("products", batch)
            variable = child_paths(batch, "products/{}/variations", lambda product: product.get("type") == "variable")
            variations += raw.land("variations", fetch_children(client, variable))
    return dg.MaterializeResult(metadata=crawl_metadata(stats, variations_fetched=variations))


def _reference_asset(entity: str, path: str, params: dict[str, Any], paged: bool = True):
    @dg.asset(key=["woocommerce", entity], **COMMON,
              description=f"`GET /{path}` in full: WooCommerce offers no modification filter for it.")
    def reference(
        context: dg.AssetExecutionContext, woocommerce: WooCommerceResource, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        client, stats = woocommerce.get_client(), CrawlStats()
        with RawLanding(duckdb.database, shop_key(), context.run_id) as raw:
            if not paged:
                return dg.MaterializeResult(metadata={"fetched": raw.land(entity, client.get_json(path))})
            for batch in crawl(client, path, params, stats=stats):
                raw.land(entity, batch)
        return dg.MaterializeResult(metadata=crawl_metadata(stats))

    return reference


woocommerce_customers = _reference_asset("customers", "customers", {"role": "all", "orderby": "id", "order": "asc"})
woocommerce_tax_rates = _reference_asset("tax_rates", "taxes", {"orderby": "id", "order": "asc"})
woocommerce_tax_classes = _reference_asset("tax_classes", "taxes/classes", {}, paged=False)

assets = [
    woocommerce_orders,
    woocommerce_refunds,
    woocommerce_products,
    woocommerce_customers,
    woocommerce_tax_rates,
    woocommerce_tax_classes,
]
