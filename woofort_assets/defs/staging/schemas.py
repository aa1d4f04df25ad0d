"""Pandera schemas for the staging tables: an ERROR-severity *contract* and a WARN-severity *oddities* schema each.

Frames are read from DuckDB through Arrow (`validation_frame`), so DECIMAL columns arrive as Python `Decimal`
objects in object columns and every money rule is checked with Decimal arithmetic, never through float.
Aggregates a rule needs (Σ line totals of an order, Σ tax lines, ...) are summed in DuckDB as DECIMAL by the
frame queries in `sql/staging/check_<table>.sql`.

Contract (ERROR): keys unique and non-null, statuses well-formed, currency ISO-like, money DECIMAL with scale
≤ 4, order total == Σ line totals + Σ line taxes (line items, shipping and fees) to the öre, Σ tax lines ==
total_tax, refund amount ≥ 0 (0 is a restock-only refund: an oddity), order quantities ≥ 0, ...
Oddities (WARN): custom statuses, date_modified < date_created, zero-total orders, orders without e-mail,
future dates, unknown tax classes, prices_include_tax false, ...
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
import pandera.pandas as pa

ORE = Decimal("0.005")  # half an öre: amounts that round to the same öre are equal
KNOWN_ORDER_STATUSES = frozenset(
    {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"}
)
KNOWN_PRODUCT_STATUSES = frozenset({"draft", "pending", "private", "publish", "future", "trash"})
KNOWN_PRODUCT_TYPES = frozenset({"simple", "grouped", "external", "variable", "variation"})
LINE_TYPES = frozenset({"line_item", "shipping", "fee"})
STATUS_SLUG = r"^[a-z0-9][a-z0-9_-]{0,31}$"  # well-formed (custom statuses are WARN, garbage is ERROR)
FUTURE_TOLERANCE = dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- element checks
def _is_decimal(v: object, max_scale: int) -> bool:
    return isinstance(v, Decimal) and v.is_finite() and -int(v.as_tuple().exponent) <= max_scale


def money(nullable: bool = False, max_scale: int = 4) -> pa.Column:
    """A DECIMAL money column: Python Decimal objects with at most `max_scale` decimals (no floats)."""
    return pa.Column(
        object,
        pa.Check(lambda v: _is_decimal(v, max_scale), element_wise=True, name=f"decimal_scale_le_{max_scale}"),
        nullable=nullable,
        coerce=False,
    )


def _named(name: str, builtin, *args, **kwargs) -> pa.Check:
    """A built-in check reported under `name` (pandera reports built-ins by their repr otherwise)."""
    return builtin(*args, name=name, error=name, **kwargs)


def key(dtype: object = "Int64") -> pa.Column:
    return pa.Column(dtype, nullable=False)


def _ge_zero(name: str) -> pa.Check:
    return pa.Check(lambda v: v >= 0, element_wise=True, name=name)


def _gt_zero(name: str) -> pa.Check:
    return pa.Check(lambda v: v > 0, element_wise=True, name=name)


def _not_future(name: str = "not_in_future") -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        limit = pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None) + FUTURE_TOLERANCE)
        return s.isna() | (s <= limit)

    return pa.Check(check, name=name)


def _modified_after_created(created: str, modified: str) -> pa.Check:
    return pa.Check(
        lambda d: d[created].isna() | d[modified].isna() | (d[modified] >= d[created]),
        name=f"{modified}_ge_{created}",
    )


def _decimal_eq(a: object, b: object) -> bool:
    return isinstance(a, Decimal) and isinstance(b, Decimal) and abs(a - b) < ORE


def _order_total_ok(total: object, lines_total: object, lines_tax: object, total_tax: object, taxed: object) -> bool:
    """total == Σ line totals + Σ line taxes (line items, shipping, fees) to the öre.

    WooCommerce rounds each line's total_tax for display (taxes[].total "1.125" -> "1.13") but rounds the
    order's tax once, so Σ line taxes may drift from total_tax by up to half an öre per taxed line (the API's
    own orders_batch_response example: 60.00 + 2.26 vs total 62.25). That drift is accepted only when the
    order is otherwise exact: total == Σ line totals + total_tax to the öre."""
    if not all(isinstance(v, Decimal) for v in (total, lines_total, lines_tax, total_tax)):
        return False
    if _decimal_eq(total, lines_total + lines_tax):
        return True
    drift_allowed = ORE * max(int(taxed or 0), 1)
    return _decimal_eq(total, lines_total + total_tax) and abs(lines_tax - total_tax) <= drift_allowed


# ------------------------------------------------------------------------------------------------- table rules
@dataclass(frozen=True)
class TableRules:
    table: str  # staging table name without schema
    keys: tuple[str, ...]  # natural key columns (shop excluded)
    contract: pa.DataFrameSchema
    oddities: pa.DataFrameSchema
    frame_sql: str | None = None  # sql/staging/check_<table>.sql when the frame needs aggregates
    # columns to show in failure reports for DataFrame-level checks (pandera reports every column otherwise)
    report_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _schema(name: str, columns: dict, keys: tuple[str, ...], checks: list | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        columns, checks=checks or [], unique=list(keys) if keys else None, name=name, strict=False
    )


ORDER_TOTAL_CHECK = "total_eq_sum_lines_and_taxes"
ORDER_TAX_CHECK = "total_tax_eq_sum_tax_lines"

ORDERS = TableRules(
    table="orders",
    keys=("order_id",),
    frame_sql="staging/check_orders.sql",
    contract=_schema(
        "orders_contract",
        {
            "order_id": key(),
            "status": pa.Column(str, _named("status_well_formed", pa.Check.str_matches, STATUS_SLUG), nullable=False),
            "currency": pa.Column(
                str, _named("currency_iso_4217", pa.Check.str_matches, r"^[A-Z]{3}$"), nullable=False
            ),
            "date_created_gmt": pa.Column(nullable=False),
            "date_modified_gmt": pa.Column(nullable=False),
            **{c: money() for c in ("discount_total", "discount_tax", "shipping_total", "shipping_tax",
                                    "cart_tax", "total", "total_tax")},
            "lines_total": money(),
            "lines_tax": money(),
            "tax_lines_total": money(),
            "currency_rate": money(nullable=True, max_scale=6),
        },
        ("order_id",),
        checks=[
            pa.Check(
                lambda d: pd.Series(
                    [_order_total_ok(*row) for row in zip(d["total"], d["lines_total"], d["lines_tax"],
                                                          d["total_tax"], d["taxed_line_count"])],
                    index=d.index,
                ),
                name=ORDER_TOTAL_CHECK,
            ),
            pa.Check(
                lambda d: pd.Series(
                    [_decimal_eq(t, s) for t, s in zip(d["total_tax"], d["tax_lines_total"])], index=d.index
                ),
                name=ORDER_TAX_CHECK,
            ),
        ],
    ),
    oddities=_schema(
        "orders_oddities",
        {
            "status": pa.Column(str, _named("status_known", pa.Check.isin, KNOWN_ORDER_STATUSES), nullable=True),
            "total": pa.Column(object, pa.Check(lambda v: v != 0, element_wise=True, name="total_not_zero"),
                               nullable=True),
            "billing_email": pa.Column(nullable=False),  # null -> "not_nullable": an order without e-mail
            "prices_include_tax": pa.Column(
                checks=pa.Check(lambda s: s.astype(bool), name="prices_include_tax"), nullable=True),
            "date_created_gmt": pa.Column(checks=_not_future(), nullable=True),
            "date_modified_gmt": pa.Column(checks=_not_future(), nullable=True),
            "date_paid_gmt": pa.Column(checks=_not_future(), nullable=True),
        },
        (),
        checks=[
            _modified_after_created("date_created_gmt", "date_modified_gmt"),
            pa.Check(
                lambda d: ~d["status"].isin(["processing", "completed"]) | d["date_paid_gmt"].notna(),
                name="paid_status_has_date_paid",
            ),
        ],
    ),
    report_columns={
        ORDER_TOTAL_CHECK: ("total", "lines_total", "lines_tax", "total_tax"),
        ORDER_TAX_CHECK: ("total_tax", "tax_lines_total"),
        "date_modified_gmt_ge_date_created_gmt": ("date_created_gmt", "date_modified_gmt"),
        "paid_status_has_date_paid": ("status", "date_paid_gmt"),
    },
)

ORDER_LINES = TableRules(
    table="order_lines",
    keys=("order_id", "line_id"),
    frame_sql="staging/check_order_lines.sql",
    contract=_schema(
        "order_lines_contract",
        {
            "order_id": key(),
            "line_id": key(),
            "line_type": pa.Column(str, _named("line_type_known", pa.Check.isin, LINE_TYPES), nullable=False),
            "quantity": pa.Column(object, [pa.Check(lambda v: _is_decimal(v, 4), element_wise=True,
                                                    name="decimal_scale_le_4"), _ge_zero("quantity_ge_0")]),
            "price": money(nullable=True, max_scale=6),
            **{c: money() for c in ("subtotal", "subtotal_tax", "total", "total_tax")},
            "order_exists": pa.Column(bool, pa.Check(lambda s: s, name="order_exists")),
        },
        ("order_id", "line_id"),
    ),
    oddities=_schema(
        "order_lines_oddities",
        {
            "tax_class_known": pa.Column(bool, pa.Check(lambda s: s, name="tax_class_known")),
            "quantity": pa.Column(object, pa.Check(lambda v: v != 0, element_wise=True, name="quantity_not_zero")),
        },
        (),
        checks=[
            pa.Check(
                lambda d: (d["line_type"] != "line_item") | d["sku"].notna(),
                name="line_item_has_sku",
            ),
        ],
    ),
    report_columns={"line_item_has_sku": ("name", "sku")},
)

ORDER_COUPON_LINES = TableRules(
    table="order_coupon_lines",
    keys=("order_id", "line_id"),
    contract=_schema(
        "order_coupon_lines_contract",
        {"order_id": key(), "line_id": key(), "code": pa.Column(str, nullable=False),
         "discount": money(), "discount_tax": money(), "nominal_amount": money(nullable=True)},
        ("order_id", "line_id"),
    ),
    oddities=_schema(
        "order_coupon_lines_oddities",
        {"discount": pa.Column(object, _ge_zero("discount_ge_0"))},
        (),
    ),
)

ORDER_TAX_LINES = TableRules(
    table="order_tax_lines",
    keys=("order_id", "line_id"),
    contract=_schema(
        "order_tax_lines_contract",
        {"order_id": key(), "line_id": key(), "tax_total": money(), "shipping_tax_total": money(),
         "rate_percent": pa.Column(object, pa.Check(lambda v: _is_decimal(v, 4) and 0 <= v <= 100,
                                                    element_wise=True, name="rate_percent_0_100"),
                                   nullable=True)},
        ("order_id", "line_id"),
    ),
    oddities=_schema(
        "order_tax_lines_oddities",
        {"rate_id": pa.Column(nullable=False)},  # a tax line without a rate id cannot be mapped to a VAT rate
        (),
    ),
)

REFUND_LINES_CHECK = "amount_eq_minus_sum_lines"
REFUNDS = TableRules(
    table="refunds",
    keys=("refund_id",),
    frame_sql="staging/check_refunds.sql",
    contract=_schema(
        "refunds_contract",
        {"refund_id": key(), "order_id": key(),
         "amount": pa.Column(object, [pa.Check(lambda v: _is_decimal(v, 4), element_wise=True,
                                               name="decimal_scale_le_4"), _ge_zero("amount_ge_0")]),
         "date_created_gmt": pa.Column(nullable=False)},
        ("refund_id",),
    ),
    oddities=_schema(
        "refunds_oddities",
        {"order_exists": pa.Column(bool, pa.Check(lambda s: s, name="order_in_staging")),
         "amount": pa.Column(object, _gt_zero("amount_gt_0")),  # 0.00: a restock-only refund, nothing to credit
         "date_created_gmt": pa.Column(checks=_not_future(), nullable=True)},
        (),
        checks=[
            pa.Check(
                lambda d: pd.Series(
                    [n == 0 or _decimal_eq(a, -s) for a, s, n in zip(d["amount"], d["lines_total"], d["line_count"])],
                    index=d.index,
                ),
                name=REFUND_LINES_CHECK,
            ),
        ],
    ),
    report_columns={REFUND_LINES_CHECK: ("amount", "lines_total")},
)

REFUND_LINES = TableRules(
    table="refund_lines",
    keys=("refund_id", "line_id"),
    contract=_schema(
        "refund_lines_contract",
        {"refund_id": key(), "line_id": key(), "order_id": key(),
         "line_type": pa.Column(str, _named("line_type_known", pa.Check.isin, LINE_TYPES), nullable=False),
         **{c: money() for c in ("quantity", "subtotal", "subtotal_tax", "total", "total_tax")}},
        ("refund_id", "line_id"),
    ),
    oddities=_schema(
        "refund_lines_oddities",
        {"quantity": pa.Column(object, pa.Check(lambda v: v <= 0, element_wise=True, name="quantity_le_0")),
         "total": pa.Column(object, pa.Check(lambda v: v <= 0, element_wise=True, name="total_le_0")),
         "refunded_item_id": pa.Column(nullable=False)},
        (),
    ),
)

PRODUCTS = TableRules(
    table="products",
    keys=("product_id",),
    frame_sql="staging/check_products.sql",
    contract=_schema(
        "products_contract",
        {"product_id": key(), "name": pa.Column(str, nullable=False),
         "status": pa.Column(str, _named("status_well_formed", pa.Check.str_matches, STATUS_SLUG), nullable=False),
         "type": pa.Column(str, _named("type_well_formed", pa.Check.str_matches, STATUS_SLUG), nullable=False),
         **{c: pa.Column(object, [pa.Check(lambda v: _is_decimal(v, 4), element_wise=True, name="decimal_scale_le_4"),
                                  _ge_zero(f"{c}_ge_0")], nullable=True)
            for c in ("price", "regular_price", "sale_price")}},
        ("product_id",),
    ),
    oddities=_schema(
        "products_oddities",
        {"status": pa.Column(str, _named("status_known", pa.Check.isin, KNOWN_PRODUCT_STATUSES), nullable=True),
         "type": pa.Column(str, _named("type_known", pa.Check.isin, KNOWN_PRODUCT_TYPES), nullable=True),
         "tax_class_known": pa.Column(bool, pa.Check(lambda s: s, name="tax_class_known")),
         "sku": pa.Column(nullable=False),  # no SKU: the article number must be derived
         "date_modified_gmt": pa.Column(checks=_not_future(), nullable=True)},
        (),
        checks=[
            _modified_after_created("date_created_gmt", "date_modified_gmt"),
            pa.Check(lambda d: pd.Series(
                [not (isinstance(s, Decimal) and isinstance(r, Decimal)) or s <= r
                 for s, r in zip(d["sale_price"], d["regular_price"])], index=d.index),
                name="sale_price_le_regular_price"),
        ],
    ),
    report_columns={
        "date_modified_gmt_ge_date_created_gmt": ("date_created_gmt", "date_modified_gmt"),
        "sale_price_le_regular_price": ("sale_price", "regular_price"),
    },
)

VARIATIONS = TableRules(
    table="variations",
    keys=("variation_id",),
    frame_sql="staging/check_variations.sql",
    contract=_schema(
        "variations_contract",
        {"variation_id": key(), "product_id": key(),
         **{c: pa.Column(object, [pa.Check(lambda v: _is_decimal(v, 4), element_wise=True, name="decimal_scale_le_4"),
                                  _ge_zero(f"{c}_ge_0")], nullable=True)
            for c in ("price", "regular_price", "sale_price")}},
        ("variation_id",),
    ),
    oddities=_schema(
        "variations_oddities",
        {"tax_class_known": pa.Column(bool, pa.Check(lambda s: s, name="tax_class_known")),
         "product_exists": pa.Column(bool, pa.Check(lambda s: s, name="product_in_staging")),
         "sku": pa.Column(nullable=False),
         "date_modified_gmt": pa.Column(checks=_not_future(), nullable=True)},
        (),
        checks=[_modified_after_created("date_created_gmt", "date_modified_gmt")],
    ),
    report_columns={"date_modified_gmt_ge_date_created_gmt": ("date_created_gmt", "date_modified_gmt")},
)

CUSTOMERS = TableRules(
    table="customers",
    keys=("customer_id",),
    contract=_schema("customers_contract", {"customer_id": key()}, ("customer_id",)),
    oddities=_schema(
        "customers_oddities",
        {"email": pa.Column(nullable=False),
         "date_modified_gmt": pa.Column(checks=_not_future(), nullable=True)},
        (),
        checks=[_modified_after_created("date_created_gmt", "date_modified_gmt")],
    ),
    report_columns={"date_modified_gmt_ge_date_created_gmt": ("date_created_gmt", "date_modified_gmt")},
)

TAX_RATES = TableRules(
    table="tax_rates",
    keys=("tax_rate_id",),
    frame_sql="staging/check_tax_rates.sql",
    contract=_schema(
        "tax_rates_contract",
        {"tax_rate_id": key(),
         "rate": pa.Column(object, pa.Check(lambda v: _is_decimal(v, 4) and 0 <= v <= 100, element_wise=True,
                                            name="rate_0_100")),
         "tax_class": pa.Column(str, _named("not_empty", pa.Check.str_length, min_value=1), nullable=False)},
        ("tax_rate_id",),
    ),
    oddities=_schema(
        "tax_rates_oddities",
        {"tax_class_known": pa.Column(bool, pa.Check(lambda s: s, name="tax_class_known"))},
        (),
    ),
)

TAX_CLASSES = TableRules(
    table="tax_classes",
    keys=("slug",),
    contract=_schema(
        "tax_classes_contract",
        {"slug": pa.Column(str, _named("not_empty", pa.Check.str_length, min_value=1), nullable=False)},
        ("slug",),
    ),
    oddities=_schema("tax_classes_oddities", {"name": pa.Column(nullable=False)}, ()),
)

RULES: dict[str, TableRules] = {
    r.table: r
    for r in (ORDERS, ORDER_LINES, ORDER_COUPON_LINES, ORDER_TAX_LINES, REFUNDS, REFUND_LINES, PRODUCTS,
              VARIATIONS, CUSTOMERS, TAX_RATES, TAX_CLASSES)
}
