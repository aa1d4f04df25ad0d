"""Pandera schemas for the staging tables: an ERROR-severity *contract* and a WARN-severity *oddities* schema each.

Frames are read from DuckDB through Arrow (`validation_frame`), so DECIMAL columns arrive as Python `Decimal`
objects in object columns and every money rule is checked with Decimal arithmetic, never through float.
Aggregates a rule needs (Σ line totals of an order, Σ tax lines, ...) are summed in DuckDB as DECIMAL by the
frame queries in `sql/staging/check_<table>.sql`.

Contract (ERROR): keys unique and non-null, statuses well-formed, currency ISO-like, money DECIMAL with scale
≤ 6, order total == Σ line totals + Σ line taxes (line items, shipping and fees) to the öre, Σ tax lines ==
total_tax, refund amount ≥ 0 (0 is a restock-only refund: an oddity), order quantities ≥ 0, ...
Oddities (WARN): custom statuses, date_modified < date_created, zero-total orders, orders without e-mail,
future dates, unknown tax classes, prices_include_tax false, ...

`columns` holds the building blocks (column and check builders, `TableRules`), `sales` the rules of orders,
refunds and their lines, `catalog` those of products, variations, customers and the tax tables.
"""

from woofort_assets.defs.staging.schemas.catalog import CUSTOMERS, PRODUCTS, TAX_CLASSES, TAX_RATES, VARIATIONS
from woofort_assets.defs.staging.schemas.columns import (
    FUTURE_TOLERANCE,
    KNOWN_ORDER_STATUSES,
    KNOWN_PRODUCT_STATUSES,
    KNOWN_PRODUCT_TYPES,
    LINE_TYPES,
    ORE,
    STATUS_SLUG,
    TableRules,
    key,
    money,
)
from woofort_assets.defs.staging.schemas.sales import (
    ORDER_COUPON_LINES,
    ORDER_LINES,
    ORDER_TAX_CHECK,
    ORDER_TAX_LINES,
    ORDER_TOTAL_CHECK,
    ORDERS,
    REFUND_LINES,
    REFUND_LINES_CHECK,
    REFUNDS,
)

RULES: dict[str, TableRules] = {
    r.table: r
    for r in (ORDERS, ORDER_LINES, ORDER_COUPON_LINES, ORDER_TAX_LINES, REFUNDS, REFUND_LINES, PRODUCTS,
              VARIATIONS, CUSTOMERS, TAX_RATES, TAX_CLASSES)
}

__all__ = [
    "CUSTOMERS", "FUTURE_TOLERANCE", "KNOWN_ORDER_STATUSES", "KNOWN_PRODUCT_STATUSES", "KNOWN_PRODUCT_TYPES",
    "LINE_TYPES", "ORDERS", "ORDER_COUPON_LINES", "ORDER_LINES", "ORDER_TAX_CHECK", "ORDER_TAX_LINES",
    "ORDER_TOTAL_CHECK", "ORE", "PRODUCTS", "REFUNDS", "REFUND_LINES", "REFUND_LINES_CHECK", "RULES",
    "STATUS_SLUG", "TAX_CLASSES", "TAX_RATES", "TableRules", "VARIATIONS", "key", "money",
]
