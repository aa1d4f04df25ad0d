"""reconciliation/books: WooCommerce against what Fortnox really holds (ledger.fortnox_documents, kept by the sink
and fortnox/mirror), as tables in DuckDB (reconciliation.*) and asset checks whose metadata lists every
difference. docs/accounting.md §12."""


import dagster as dg

from woofort_assets.defs.reconciliation.build import CHECKS, build_reconciliation, evaluate, markdown, summary
from woofort_assets.defs.reconciliation.mirror import MIRROR, MirrorConfig, fortnox_mirror
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import MappingError, load_mapping
from woofort_assets.lib.settings import mapping_path, shop_key, start_date

BOOKS = dg.AssetKey(["reconciliation", "books"])
UPSTREAM = [MIRROR, dg.AssetKey(["deltas", "invoice_delta"]), dg.AssetKey(["deltas", "payment_delta"]),
            dg.AssetKey(["staging", "orders"]), dg.AssetKey(["staging", "refunds"]),
            dg.AssetKey(["deltas", "fee_voucher_delta"]), dg.AssetKey(["fortnox", "fee_vouchers"]),
            dg.AssetKey(["fortnox", "daily_vouchers"])]

SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}


@dg.asset(
    key=BOOKS, deps=UPSTREAM, group_name="reconciliation", kinds={"duckdb"}, pool="duckdb",
    required_resource_keys={"duckdb"},
    check_specs=[dg.AssetCheckSpec(name, asset=BOOKS, description=desc) for name, (_, desc, _) in CHECKS.items()],
    description="WooCommerce against Fortnox per order (revenue, VAT, open balance), per invoice date and VAT rate "
                "and per payment (reconciliation.order_balances, order_vat, by_day, by_day_currency, by_day_rate, "
                "orders, payments, fortnox_document_problems), the payment-provider fees per day "
                "(fee_days) and the daily vouchers' money per day and payment account (voucher_days).",
)
def reconciliation_books(context: dg.AssetExecutionContext, config: MirrorConfig) -> dg.MaterializeResult:
    """`dry_run` (set by `woofort sync --dry-run`): nothing was sent, so the differences are expected; the tables
    are built and the checks reported as warnings."""
    try:
        mapping = load_mapping(mapping_path())
    except MappingError as exc:
        raise dg.Failure(description=str(exc)) from None
    shop = shop_key()
    with connect(context.resources.duckdb.database) as con:
        try:
            scope = build_reconciliation(con, mapping, shop, start_date())
            reconciled = scope.orders()
        except RuntimeError as exc:
            raise dg.Failure(description=str(exc)) from None
        outcomes = evaluate(con, shop)
        figures = summary(con, shop)
        cols, rows = [d[0] for d in con.execute("SELECT * FROM reconciliation.by_day LIMIT 0").description], \
            con.execute("SELECT * FROM reconciliation.by_day WHERE shop = ? ORDER BY day", [shop]).fetchall()
    by_day = markdown(cols[1:], [r[1:] for r in rows[-62:]], len(rows))
    checks = []
    for o in outcomes:
        metadata = {"differences": dg.MetadataValue.int(o.count),
                    "rows": dg.MetadataValue.md(markdown(o.columns, o.rows, o.count))}
        severity = dg.AssetCheckSeverity.WARN if config.dry_run else SEVERITY[o.severity]
        description = ("dry run (nothing was sent to Fortnox): " if config.dry_run else "") + o.description
        checks.append(dg.AssetCheckResult(check_name=o.name, passed=o.passed, severity=severity,
                                          description=description, metadata=metadata))
    failed = [o.name for o in outcomes if not o.passed]
    context.log.info(f"reconciliation: {figures['orders']} orders, difference {figures['difference_sek']} SEK; "
                     f"failed checks: {failed or 'none'}; {reconciled} order(s) reconciled "
                     f"({'every order' if scope.full else 'those whose inputs changed'})")
    return dg.MaterializeResult(
        metadata={
            "by_day": dg.MetadataValue.md(by_day),
            "orders": dg.MetadataValue.int(figures["orders"]),
            "invoiced": dg.MetadataValue.int(figures["invoiced"]),
            "excluded": dg.MetadataValue.int(figures["excluded"]),
            "woocommerce_gross_sek": dg.MetadataValue.float(float(figures["woo_gross_sek"])),
            "fortnox_gross_sek": dg.MetadataValue.float(float(figures["fx_gross_sek"])),
            "difference_sek": dg.MetadataValue.float(float(figures["difference_sek"])),
            "order_outcomes": dg.MetadataValue.json(figures["order_outcomes"]),
            "exclusion_reasons": dg.MetadataValue.json(figures["exclusion_reasons"]),
            "failed_checks": dg.MetadataValue.json(failed),
            # how many orders this build reconciled, and whether all of them (defs/reconciliation/scope.py)
            "orders_reconciled": dg.MetadataValue.int(reconciled),
            "full_build": dg.MetadataValue.bool(scope.full),
        },
        check_results=checks,
    )


assets = [fortnox_mirror, reconciliation_books]
asset_checks: list = []      # the checks are check_specs of reconciliation/books

__all__ = ["assets", "asset_checks", "BOOKS", "MIRROR"]
