"""Invoiced orders that vanished from WooCommerce: trashed or deleted in the shop after their invoice was created.

`woocommerce/orders` lists `status=any`, which leaves trash out, and a deleted order is a 404: without this check
such an order would silently keep its invoice. The asset check `fortnox/invoices:vanished_orders` (WARN) asks the
shop for every order with a live invoice in the ledger (`GET orders?include=<100 ids>&status=<all statuses incl.
trash>&_fields=id,status`: one request per 100 invoices) and also reads staging (status `trash`). What it finds is
written to `ledger.vanished_orders` (removed again once the order is back or its invoice is credited/cancelled),
shown in the check's metadata, and listed by `woofort sync` (exit code 3). Nothing is credited automatically: a
booked invoice for goods that were delivered may be right; the bookkeeper decides."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.fortnox.engine.queries import live_invoices, record_vanished
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import shop_key
from woofort_assets.resources.woocommerce import WooCommerceResource

ALL_STATUSES = "pending,processing,on-hold,completed,cancelled,refunded,failed,trash,checkout-draft"


def find_vanished(invoices: dict[int, tuple[str, str | None]], client) -> list[tuple[int, str, str]]:
    """(order id, Fortnox number, 'trashed' | 'deleted') for every invoiced order the shop no longer has."""
    ids = sorted(invoices)
    seen: dict[int, str] = {}
    for start in range(0, len(ids), 100):
        chunk = ids[start:start + 100]
        params = {"include": ",".join(map(str, chunk)), "status": ALL_STATUSES, "_fields": "id,status",
                  "orderby": "id", "order": "asc"}
        for page in client.pages("orders", params):
            for record in page.records:
                if isinstance(record, dict) and isinstance(record.get("id"), int):
                    seen[record["id"]] = str(record.get("status"))
    found = []
    for order_id in ids:
        number, staged_status = invoices[order_id]
        if order_id not in seen:
            found.append((order_id, number, "deleted"))
        elif seen[order_id] == "trash" or staged_status == "trash":
            found.append((order_id, number, "trashed"))
    return found


@dg.asset_check(asset=dg.AssetKey(["fortnox", "invoices"]), name="vanished_orders", blocking=False,
                description="Invoiced orders that were trashed or deleted in WooCommerce afterwards (their invoice "
                            "stays in Fortnox until someone credits it).")
def vanished_orders(woocommerce: WooCommerceResource, duckdb: DuckDBResource) -> dg.AssetCheckResult:
    shop = shop_key()
    with connect(duckdb.database) as con:   # not held during the HTTP calls
        invoices = live_invoices(con, shop)
    found = find_vanished(invoices, woocommerce.get_client()) if invoices else []
    with connect(duckdb.database) as con:
        record_vanished(con, shop, found)
    table = "\n".join(["| order | Fortnox invoice | state |", "|---|---|---|"]
                      + [f"| {o} | {n} | {s} |" for o, n, s in found[:200]])
    return dg.AssetCheckResult(
        passed=not found, severity=dg.AssetCheckSeverity.WARN,
        metadata={"vanished_count": len(found), "checked_invoices": len(invoices),
                  "vanished": dg.MetadataValue.md(table if found else "_none_"),
                  "what_to_do": "credit the invoice in Fortnox (or restore the order in WooCommerce); "
                                "woofort never credits a vanished order by itself"})
