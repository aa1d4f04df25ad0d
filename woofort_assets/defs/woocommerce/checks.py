"""Complete ranges: WooCommerce's own count of the orders created per day against the orders staged for it.

`woocommerce/orders` crawls a window by modification and by creation; this check makes sure the union
really holds every order created in it. For every day of the run (store time) it asks WooCommerce how
many orders were created that day — `X-WP-Total` of a one-item listing (`per_page=1`, `after`/`before`
= the day's half-open window, `dates_are_gmt=true`) with an explicit list of statuses that leaves out
`trash` and `checkout-draft` (`status=any` returned block-checkout drafts until WooCommerce PR #63743, see
`../shared/reference/woocommerce_api.md` §2 and §5) — and counts the orders of `staging.orders` created
that day with one of those statuses, plus the orders of that day set aside in `quarantine.records` (they
are listed with their reason, not lost). One GET per day. A day still going on is compared up to the
moment the run started, on both sides, so an order placed while the run was staging is no gap.

ERROR when staging holds fewer than WooCommerce counts (a gap: an order was never extracted); WARN when it
holds more (an order trashed, deleted or moved to another status since it was staged). The check runs
after `staging/orders` (additional dependency) and is not blocking: a gap does not make the staged orders
wrong, it says some are missing."""

from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.woocommerce.assets import window_params
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.partitions import daily_partitions
from woofort_assets.lib.settings import shop_key
from woofort_assets.resources.woocommerce import WooCommerceClient, WooCommerceResource

COUNTED_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
CHECK_NAME = "orders_created_per_day"


def woocommerce_created_count(client: WooCommerceClient, start: datetime, end: datetime) -> int | None:
    """WooCommerce's count of the orders created in [start, end) with a counted status (None: no X-WP-Total)."""
    params = {**window_params(start, end, "after", "before"), "status": ",".join(COUNTED_STATUSES),
              "per_page": 1, "page": 1, "_fields": "id"}
    total = client.get("orders", params).headers.get("X-WP-Total")
    return int(total) if total is not None and total.strip().isdigit() else None


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def staged_created_counts(con, shop: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(staged, quarantined) orders created in [start, end) with a counted status."""
    low, high, statuses = _utc_naive(start), _utc_naive(end), list(COUNTED_STATUSES)
    staged = con.execute(
        "SELECT count(*) FROM staging.orders WHERE shop = ? AND date_created_gmt >= ? AND date_created_gmt < ?"
        " AND status IN (SELECT unnest(?))", [shop, low, high, statuses]).fetchone()[0]
    quarantined = con.execute(
        "SELECT count(*) FROM quarantine.records WHERE shop = ? AND entity = 'orders'"
        " AND try_strptime(payload->>'date_created_gmt', '%Y-%m-%dT%H:%M:%S') >= ?"
        " AND try_strptime(payload->>'date_created_gmt', '%Y-%m-%dT%H:%M:%S') < ?"
        " AND (payload->>'status') IN (SELECT unnest(?))"
        " AND TRY_CAST(record_key AS BIGINT) NOT IN (SELECT order_id FROM staging.orders WHERE shop = ?)",
        [shop, low, high, statuses, shop]).fetchone()[0]
    return staged, quarantined


def compare_days(days: list[tuple[str, int | None, int, int]]) -> dg.AssetCheckResult:
    """The check's result for (day, WooCommerce's count, staged, quarantined) of every day of the run."""
    gaps = [d for d in days if d[1] is None or d[2] + d[3] < d[1]]
    surplus = [d for d in days if d[1] is not None and d[2] + d[3] > d[1]]

    def line(day: str, woo: int | None, staged: int, quarantined: int) -> str:
        aside = f" + {quarantined} quarantined" if quarantined else ""
        counted = "no X-WP-Total" if woo is None else str(woo)
        return f"{day}: WooCommerce {counted} created, staged {staged}{aside}"

    table = "\n".join(["| day | WooCommerce | staged | quarantined |", "|---|---|---|---|"]
                      + [f"| {d} | {'?' if w is None else w} | {s} | {q} |" for d, w, s, q in days])
    metadata: dict[str, Any] = {
        "day": days[0][0] if len(days) == 1 else f"{days[0][0]}..{days[-1][0]}",
        "woocommerce_count": sum(w or 0 for _, w, _, _ in days),
        "staged_count": sum(s for _, _, s, _ in days),
        "quarantined_count": sum(q for _, _, _, q in days),
        "statuses": ",".join(COUNTED_STATUSES),
        "per_day": dg.MetadataValue.md(table),
    }
    if gaps:
        metadata["gaps"] = "; ".join(line(*d) for d in gaps)
    if surplus:
        metadata["surplus"] = "; ".join(line(*d) for d in surplus)
    worst = gaps or surplus
    return dg.AssetCheckResult(
        passed=not worst,
        severity=dg.AssetCheckSeverity.ERROR if gaps else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=("orders missing from staging: " + "; ".join(line(*d) for d in gaps)) if gaps else (
            "staging holds orders WooCommerce no longer counts (trashed, deleted or in another status since): "
            + "; ".join(line(*d) for d in surplus)) if surplus else None,
    )


def run_started(context: dg.AssetCheckExecutionContext) -> datetime:
    """When the run started: a day still going on (today's partition) is compared up to then on both sides, so
    an order placed after the crawl, while the run was staging, is not taken for a gap."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record is not None and record.start_time else None
    return datetime.fromtimestamp(int(started) if started else int(datetime.now(UTC).timestamp()), UTC)


@dg.asset_check(
    asset=dg.AssetKey(["woocommerce", "orders"]),
    name=CHECK_NAME,
    additional_deps=[dg.AssetKey(["staging", "orders"])],
    partitions_def=daily_partitions(),
    blocking=False,
    pool="duckdb",
    description="WooCommerce's count of orders created per day (statuses except trash and checkout-draft) "
                "against the orders staged for that day: ERROR on a gap, WARN when staging holds more.",
)
def orders_created_per_day(
    context: dg.AssetCheckExecutionContext, woocommerce: WooCommerceResource, duckdb: DuckDBResource
) -> dg.AssetCheckResult:
    partitions, shop, client = daily_partitions(), shop_key(), woocommerce.get_client()
    cutoff = run_started(context)
    windows = [(day, window.start, min(window.end, cutoff))
               for day in context.partition_keys
               for window in [partitions.time_window_for_partition_key(day)] if window.start < cutoff]
    counts = {day: woocommerce_created_count(client, start, end) for day, start, end in windows}
    with connect(duckdb.database) as con:   # not held during the HTTP calls
        staged = {day: staged_created_counts(con, shop, start, end) for day, start, end in windows}
    if not windows:
        return dg.AssetCheckResult(passed=True, metadata={"day": ",".join(context.partition_keys),
                                                          "note": "the day had not begun when the run started"})
    return compare_days([(day, counts[day], *staged[day]) for day, _, _ in windows])


checks = [orders_created_per_day]
