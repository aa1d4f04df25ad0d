"""Complete listings from an API that pages by offset.

WooCommerce has no cursor: a record modified during a crawl can shift every later record by one
slot, so one record is seen twice and another never. A crawl therefore counts the distinct records
it received against `X-WP-Total` (which must also stay the same on every page) and crawls again
when they differ; raw keeps every pass, so the union of the passes holds every record."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from woofort_assets.resources.woocommerce import WooCommerceClient

log = logging.getLogger("woofort.woocommerce")
MAX_PASSES = 3


@dataclass
class CrawlStats:
    passes: int = 0
    pages: int = 0
    child_pages: int = 0  # pages of nested listings fetched for the crawl's records (refunds of its orders)
    records: int = 0
    reported_total: int = 0
    consistent: bool = False
    distinct_records: int = 0


def record_key(record: Any) -> int | str:
    """The record's id, or a content hash for a record without a usable one (it is quarantined later). The id
    is the record's own int, not a string made of it: a crawl keeps the keys of every record it saw, twice
    (received and kept), and at 100,000 orders strings would cost about 10 MB more."""
    if isinstance(record, dict) and isinstance(record.get("id"), int):
        return record["id"]
    return "#" + hashlib.md5(json.dumps(record, sort_keys=True).encode()).hexdigest()


def crawl(
    client: WooCommerceClient,
    path: str,
    params: dict[str, Any],
    keep: Callable[[dict[str, Any]], bool] = lambda record: True,
    stats: CrawlStats | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yields the pages of `path` (records passing `keep`) until one pass is self-consistent."""
    stats = stats if stats is not None else CrawlStats()
    distinct: set[int | str] = set()  # over every pass; only its size outlives the crawl
    for _ in range(MAX_PASSES):
        stats.passes += 1
        totals: set[int] = set()
        received: set[int | str] = set()
        for page in client.pages(path, params):
            stats.pages += 1
            totals.add(page.total)
            received.update(record_key(record) for record in page.records)
            kept = [record for record in page.records if keep(record)]
            stats.records += len(kept)
            distinct.update(record_key(record) for record in kept)
            stats.distinct_records = len(distinct)
            if kept:
                yield kept
        stats.reported_total = max(totals, default=0)
        if len(totals) <= 1 and len(received) == stats.reported_total:
            stats.consistent = True
            return
        log.warning(
            "%s changed during the crawl (X-WP-Total %s, %d distinct records received); crawling again",
            path, sorted(totals), len(received),
        )
    log.warning("%s kept changing over %d passes; records moved out are picked up by later partitions", path, MAX_PASSES)
