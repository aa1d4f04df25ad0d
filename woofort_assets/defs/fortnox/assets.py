"""Fortnox sink assets: one per Fortnox entity, fed by the delta tables, exactly once through the ledger.

Each asset runs document kinds (`kinds/`) on the engine (`engine/`). Order (asset deps): preflight -> articles
(+ prices), customers -> invoices -> credit_invoices -> invoice_payments; stock after invoices; fee_vouchers after
preflight. All in pool "fortnox" (one writer against the company's rate limit)."""

from collections.abc import Callable

import dagster as dg

from woofort_assets.defs.fortnox.engine.ledger import DeltaRow, Ledger
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.report import sink_metadata
from woofort_assets.defs.fortnox.kinds.credits import sync_credits
from woofort_assets.defs.fortnox.kinds.invoices import sync_invoices
from woofort_assets.defs.fortnox.kinds.master import ARTICLE, CUSTOMER, sync_master
from woofort_assets.defs.fortnox.kinds.payments import sync_payments
from woofort_assets.defs.fortnox.kinds.prices import sync_prices
from woofort_assets.defs.fortnox.kinds.stock import sync_stock
from woofort_assets.defs.fortnox.kinds.vouchers import DAYS, FEES, sync_vouchers
from woofort_assets.lib.mapping import MappingError, load_mapping
from woofort_assets.lib.settings import ConfigError, mapping_path, shop_key

GROUP = "fortnox"
KINDS = {"fortnox"}
POOL = "fortnox"
PREFLIGHT = dg.AssetKey(["fortnox", "preflight"])


def delta_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["deltas", name])


def sink_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["fortnox", name])


class FortnoxSinkConfig(dg.Config):
    """Run config shared by every Fortnox sink asset."""

    dry_run: bool = False
    """Build and show every payload (metadata + ledger.dry_run_payloads) without calling Fortnox at all:
    no writes and no lookups; the ledger documents/dead letters are not touched."""


def mapping_auto_book() -> bool:
    """invoicing.bookkeep of the mapping file (default true); a broken mapping is the preflight's to report."""
    try:
        return bool(load_mapping(mapping_path()).invoicing.bookkeep)
    except (MappingError, ConfigError):
        return True


def run_sink(context: dg.AssetExecutionContext, config: FortnoxSinkConfig, tables: tuple[str, ...],
             body: Callable[[Sink, dict[str, list[DeltaRow]]], None]) -> dg.MaterializeResult:
    auto_book = mapping_auto_book()
    with Ledger(context.resources.duckdb.database, shop_key()) as ledger:
        deltas = {t: ledger.delta_rows(t) for t in tables}
        client = None if config.dry_run else context.resources.fortnox.get_client()
        sink = Sink(context, client, ledger, config.dry_run, auto_book)
        for table, rows in deltas.items():
            if rows is None:
                sink.notes.append(f"deltas.{table} does not exist yet (materialize deltas/{table}): nothing read")
        body(sink, {t: rows or [] for t, rows in deltas.items()})
        metadata = sink_metadata(sink)
        metadata["delta_rows"] = dg.MetadataValue.json({t: len(rows or []) for t, rows in deltas.items()})
        metadata["auto_bookkeep"] = dg.MetadataValue.bool(auto_book)
        entities = sorted({r.entity for rows in deltas.values() for r in rows or [] if r.entity})
        metadata["dead_letter_open"] = dg.MetadataValue.int(sum(len(ledger.open_dead_letters(e)) for e in entities))
    context.log.info(f"fortnox {tables}: " + ", ".join(f"{k}={metadata[k].value}" for k in
                                                        ("created", "updated", "unchanged", "adopted", "failed",
                                                         "deferred", "pending")))
    return dg.MaterializeResult(metadata=metadata)


_COMMON = dict(group_name=GROUP, kinds=KINDS, pool=POOL, required_resource_keys={"duckdb", "fortnox"})


@dg.asset(key=sink_key("articles"), deps=[PREFLIGHT, delta_key("article_delta"), delta_key("price_delta")],
          description="Articles and their prices (price list rows) in Fortnox, from deltas.article_delta and "
                      "deltas.price_delta.", **_COMMON)
def fortnox_articles(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    def body(sink: Sink, deltas: dict[str, list[DeltaRow]]) -> None:
        sync_prices(sink, deltas["price_delta"], sync_master(sink, ARTICLE, deltas["article_delta"]))

    return run_sink(context, config, ("article_delta", "price_delta"), body)


@dg.asset(key=sink_key("customers"), deps=[PREFLIGHT, delta_key("customer_delta")],
          description="Customers in Fortnox (CustomerNumber chosen by woofort), from deltas.customer_delta.",
          **_COMMON)
def fortnox_customers(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("customer_delta",),
                    lambda sink, deltas: sync_master(sink, CUSTOMER, deltas["customer_delta"]))


@dg.asset(key=sink_key("invoices"),
          deps=[PREFLIGHT, delta_key("invoice_delta"), sink_key("articles"), sink_key("customers")],
          description="Customer invoices in Fortnox (create, bookkeep, update, reissue), from "
                      "deltas.invoice_delta.", **_COMMON)
def fortnox_invoices(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("invoice_delta",),
                    lambda sink, deltas: sync_invoices(sink, deltas["invoice_delta"]))


@dg.asset(key=sink_key("credit_invoices"), deps=[PREFLIGHT, delta_key("credit_delta"), sink_key("invoices")],
          description="Refunds in Fortnox: cancel (unbooked), full credit, or a partial credit invoice, from "
                      "deltas.credit_delta.", **_COMMON)
def fortnox_credit_invoices(context: dg.AssetExecutionContext,
                            config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("credit_delta",),
                    lambda sink, deltas: sync_credits(sink, deltas["credit_delta"]))


@dg.asset(key=sink_key("invoice_payments"),
          deps=[PREFLIGHT, delta_key("payment_delta"), sink_key("invoices"), sink_key("credit_invoices")],
          description="Invoice payments in Fortnox (registered and booked), from deltas.payment_delta.",
          **_COMMON)
def fortnox_invoice_payments(context: dg.AssetExecutionContext,
                             config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("payment_delta",),
                    lambda sink, deltas: sync_payments(sink, deltas["payment_delta"]))


@dg.asset(key=sink_key("stock"), deps=[PREFLIGHT, delta_key("stock_delta"), sink_key("invoices")],
          description="Absolute stock levels (Article.QuantityInStock), set after the invoices of the same run, "
                      "from deltas.stock_delta.", **_COMMON)
def fortnox_stock(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("stock_delta",),
                    lambda sink, deltas: sync_stock(sink, deltas["stock_delta"]))


@dg.asset(key=sink_key("fee_vouchers"), deps=[PREFLIGHT, delta_key("fee_voucher_delta")],
          description="The payment providers' fees in Fortnox: a voucher per day and payment method, and a "
                      "correction voucher when a day's fees change, from deltas.fee_voucher_delta.", **_COMMON)
def fortnox_fee_vouchers(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("fee_voucher_delta",),
                    lambda sink, deltas: sync_vouchers(sink, FEES, deltas["fee_voucher_delta"]))


@dg.asset(key=sink_key("daily_vouchers"), deps=[PREFLIGHT, delta_key("daily_voucher_delta")],
          description="invoicing.mode daily_vouchers: the day's paid sales and refunds as one voucher, and a "
                      "correction voucher when a day changes, from deltas.daily_voucher_delta.",
          **_COMMON)
def fortnox_daily_vouchers(context: dg.AssetExecutionContext, config: FortnoxSinkConfig) -> dg.MaterializeResult:
    return run_sink(context, config, ("daily_voucher_delta",),
                    lambda sink, deltas: sync_vouchers(sink, DAYS, deltas["daily_voucher_delta"]))


sink_assets = [fortnox_articles, fortnox_customers, fortnox_invoices, fortnox_credit_invoices,
               fortnox_invoice_payments, fortnox_stock, fortnox_fee_vouchers, fortnox_daily_vouchers]
