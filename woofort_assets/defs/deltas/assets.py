"""The delta tables as one unpartitioned Dagster multi-asset: deltas/<name> rebuilt by sql/deltas/<name>.sql.

One step builds every selected delta so that the work they share (sql/deltas/_orders.sql: every order priced
as its Fortnox invoice) is done once per run, not once per delta; each delta is still its own asset in the
graph, with its own metadata, and can be materialized alone (the others are then left as they are).

Every delta reads the accounting mapping (WOOFORT_MAPPING or mapping/mapping.yaml, validated at run start so a
bad mapping fails the run with the file and line), staging, and ledger.documents (the sink's memory, which is
state rather than an asset: the Fortnox assets write it downstream of the deltas, so it cannot be an upstream
asset without a cycle; every delta re-reads it when it runs)."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.deltas.build import COMPANIONS, build_deltas
from woofort_assets.defs.deltas.scope import WRITES
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import MappingError, load_mapping
from woofort_assets.lib.settings import mapping_path, shop_key, start_date
from woofort_assets.resources.vies import ViesResource

STAGING = {
    "orders": dg.AssetKey(["staging", "orders"]),
    "refunds": dg.AssetKey(["staging", "refunds"]),
    "products": dg.AssetKey(["staging", "products"]),
    "customers": dg.AssetKey(["staging", "customers"]),
    "tax_rates": dg.AssetKey(["staging", "tax_rates"]),
}


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["deltas", name])


# delta -> (upstream staging assets, upstream delta assets, description)
SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "article_delta": (("products", "tax_rates"), (),
                      "Articles (simple products and variations) to upsert in Fortnox."),
    "price_delta": (("products", "tax_rates"), ("article_delta",),
                    "Article prices (excl. VAT) in the mapping's price list, FromQuantity 0."),
    "stock_delta": (("products",), ("article_delta",),
                    "Absolute QuantityInStock of managed-stock articles; the sink runs it after the invoices."),
    "customer_delta": (("orders", "customers", "tax_rates"), (),
                       "Customers of invoiceable orders under a stable CustomerNumber."),
    "invoice_delta": (("orders", "products", "customers", "tax_rates"), ("customer_delta", "article_delta"),
                      "Invoices to create/update/reissue; deltas.invoice_exclusions lists the orders left out."),
    "credit_delta": (("orders", "refunds", "products", "customers", "tax_rates"), ("invoice_delta",),
                     "Credit invoices for refunds and cancels of invoiced orders."),
    "payment_delta": (("orders", "refunds", "products", "customers", "tax_rates"), ("invoice_delta", "credit_delta"),
                      "Invoice payments of paid orders and refunds paid back."),
    "daily_voucher_delta": (("orders", "refunds", "products", "customers", "tax_rates"), ("credit_delta",),
                            "invoicing.mode daily_vouchers: the paid Swedish sales and their refunds on one voucher "
                            "per day, and a correction voucher when a day changes; "
                            "deltas.voucher_lines holds each order's and refund's rows."),
    "fee_voucher_delta": (("orders",), (),
                          "Payment-provider fees from the orders' meta: a voucher per day and payment method, and "
                          "a correction voucher when a day's fees change; deltas.fee_exclusions lists the rest."),
}

PREVIEW_COLUMNS = "source_key, action, order_id, left(CAST(payload AS VARCHAR), 120) AS payload"


def _markdown(con, table: str, shop: str, limit: int = 5) -> str:
    cur = con.execute(f"SELECT {PREVIEW_COLUMNS} FROM deltas.{table} WHERE shop = ? ORDER BY ALL LIMIT {limit}", [shop])
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return "_no rows: nothing to send_"
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in r) + " |")
    return "\n".join(lines)


def _metadata(con, name: str, count: int, shop: str) -> dict[str, object]:
    actions = dict(con.execute(f"SELECT action, count(*) FROM deltas.{name} WHERE shop = ? GROUP BY ALL",
                               [shop]).fetchall())
    metadata: dict[str, object] = {
        "dagster/row_count": dg.MetadataValue.int(count),
        "actions": dg.MetadataValue.json(actions),
        "preview": dg.MetadataValue.md(_markdown(con, name, shop)),
    }
    for extra in (t for t in (*WRITES.get(name, ()), *COMPANIONS.get(name, ())) if t.endswith("_exclusions")):
        reasons = con.execute(f"SELECT reason, count(*) FROM deltas.{extra} WHERE shop = ? GROUP BY ALL "
                              "ORDER BY 2 DESC", [shop]).fetchall()
        metadata[f"{extra}_count"] = dg.MetadataValue.int(sum(n for _, n in reasons))
        metadata[f"{extra}_reasons"] = dg.MetadataValue.json(dict(reasons))
    if name in ("invoice_delta", "credit_delta"):
        ro = con.execute(f"SELECT count(*) FILTER (WHERE round_off <> 0), coalesce(sum(abs(round_off)), 0) "
                         f"FROM deltas.{name} WHERE shop = ?", [shop]).fetchone()
        metadata["round_off_rows"] = dg.MetadataValue.int(ro[0])
        metadata["round_off_abs_total"] = dg.MetadataValue.float(float(ro[1]))
    return metadata


def _scope_metadata(con, shop: str) -> dict[str, object]:
    """How many orders the order deltas priced, and whether all of them (defs/deltas/scope.py); none after a
    build of only some of the order deltas, which prices every order and leaves the next build full."""
    build = con.execute("SELECT orders_priced, full_build FROM deltas.delta_builds WHERE shop = ?", [shop]).fetchone()
    if build is None:
        return {}
    return {"orders_priced": dg.MetadataValue.int(build[0]), "full_build": dg.MetadataValue.bool(build[1])}


@dg.multi_asset(
    name="deltas",
    specs=[
        dg.AssetSpec(_key(name), deps=[STAGING[s] for s in staging] + [_key(u) for u in upstream],
                     group_name="deltas", kinds={"duckdb"},
                     description=description + f" Built by sql/deltas/{name}.sql; reads ledger.documents.")
        for name, (staging, upstream, description) in SPECS.items()
    ],
    can_subset=True,
    pool="duckdb",
)
def deltas_asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource, vies: ViesResource):
    try:
        mapping = load_mapping(mapping_path())
    except MappingError as exc:
        raise dg.Failure(description=str(exc)) from None
    shop = shop_key()
    names = [key.path[-1] for key in context.selected_asset_keys]
    with connect(duckdb.database) as con:
        counts = build_deltas(con, names, mapping, shop, start_date(), vies)
        scope = _scope_metadata(con, shop)
        results = [dg.MaterializeResult(
            asset_key=_key(name), metadata={**_metadata(con, name, count, shop), **(scope if name in WRITES else {})})
            for name, count in counts.items()]
    if scope:
        context.log.info(f"order deltas: {scope['orders_priced'].value} order(s) priced "
                         f"({'every order' if scope['full_build'].value else 'those whose inputs changed'})")
    for result in results:
        context.log.info(f"{result.asset_key.to_user_string()}: {result.metadata['dagster/row_count'].value} row(s) "
                         f"{result.metadata['actions'].value}")
    yield from results


assets = [deltas_asset]
