"""Rules of the sales tables: orders and their line, coupon and tax lines; refunds and their lines."""

from __future__ import annotations

from decimal import Decimal

import pandera.pandas as pa

from woofort_assets.defs.staging.schemas.columns import (
    DATES_IN_ORDER_REPORT,
    KNOWN_ORDER_STATUSES,
    LINE_TYPES,
    ORE,
    dates_in_order,
    decimal_eq,
    flag,
    frame_check,
    ge_zero,
    gt_zero,
    key,
    known,
    money,
    named,
    percent,
    recent,
    slug,
    table_rules,
)


def _order_total_ok(total: object, lines_total: object, lines_tax: object, total_tax: object, taxed: object) -> bool:
    """total == Σ line totals + Σ line taxes (line items, shipping, fees) to the öre.

    WooCommerce rounds each line's total_tax for display (taxes[].total "1.125" -> "1.13") but rounds the
    order's tax once, so Σ line taxes may drift from total_tax by up to half an öre per taxed line (the API's
    own orders_batch_response example: 60.00 + 2.26 vs total 62.25). That drift is accepted only when the
    order is otherwise exact: total == Σ line totals + total_tax to the öre."""
    if not all(isinstance(v, Decimal) for v in (total, lines_total, lines_tax, total_tax)):
        return False
    if decimal_eq(total, lines_total + lines_tax):
        return True
    drift_allowed = ORE * max(int(taxed or 0), 1)
    return decimal_eq(total, lines_total + total_tax) and abs(lines_tax - total_tax) <= drift_allowed


ORDER_TOTAL_CHECK = "total_eq_sum_lines_and_taxes"
ORDER_TAX_CHECK = "total_tax_eq_sum_tax_lines"

ORDERS = table_rules(
    "orders",
    ("order_id",),
    contract={
        "order_id": key(),
        "status": slug("status_well_formed"),
        "currency": pa.Column(str, named("currency_iso_4217", pa.Check.str_matches, r"^[A-Z]{3}$"), nullable=False),
        "date_created_gmt": pa.Column(nullable=False),
        "date_modified_gmt": pa.Column(nullable=False),
        **{c: money() for c in ("discount_total", "discount_tax", "shipping_total", "shipping_tax",
                                "cart_tax", "total", "total_tax")},
        "lines_total": money(),
        "lines_tax": money(),
        "tax_lines_total": money(),
        "currency_rate": money(nullable=True),
    },
    contract_checks=[
        frame_check(ORDER_TOTAL_CHECK, _order_total_ok, "total", "lines_total", "lines_tax", "total_tax",
                    "taxed_line_count"),
        frame_check(ORDER_TAX_CHECK, decimal_eq, "total_tax", "tax_lines_total"),
    ],
    oddities={
        "status": known("status_known", KNOWN_ORDER_STATUSES, nullable=True),
        "total": pa.Column(object, pa.Check(lambda v: v != 0, element_wise=True, name="total_not_zero"),
                           nullable=True),
        "billing_email": pa.Column(nullable=False),  # null -> "not_nullable": an order without e-mail
        "prices_include_tax": pa.Column(
            checks=pa.Check(lambda s: s.astype(bool), name="prices_include_tax"), nullable=True),
        "date_created_gmt": recent(),
        "date_modified_gmt": recent(),
        "date_paid_gmt": recent(),
    },
    oddity_checks=[
        dates_in_order(),
        pa.Check(
            lambda d: ~d["status"].isin(["processing", "completed"]) | d["date_paid_gmt"].notna(),
            name="paid_status_has_date_paid",
        ),
    ],
    aggregates=True,
    report_columns={
        ORDER_TOTAL_CHECK: ("total", "lines_total", "lines_tax", "total_tax"),
        ORDER_TAX_CHECK: ("total_tax", "tax_lines_total"),
        **DATES_IN_ORDER_REPORT,
        "paid_status_has_date_paid": ("status", "date_paid_gmt"),
    },
)

ORDER_LINES = table_rules(
    "order_lines",
    ("order_id", "line_id"),
    contract={
        "order_id": key(),
        "line_id": key(),
        "line_type": known("line_type_known", LINE_TYPES, nullable=False),
        "quantity": money(ge_zero("quantity_ge_0")),
        "price": money(nullable=True),
        **{c: money() for c in ("subtotal", "subtotal_tax", "total", "total_tax")},
        "order_exists": flag("order_exists"),
    },
    oddities={
        "tax_class_known": flag("tax_class_known"),
        "quantity": pa.Column(object, pa.Check(lambda v: v != 0, element_wise=True, name="quantity_not_zero")),
    },
    oddity_checks=[
        pa.Check(lambda d: (d["line_type"] != "line_item") | d["sku"].notna(), name="line_item_has_sku"),
    ],
    aggregates=True,
    report_columns={"line_item_has_sku": ("name", "sku")},
)

ORDER_COUPON_LINES = table_rules(
    "order_coupon_lines",
    ("order_id", "line_id"),
    contract={"order_id": key(), "line_id": key(), "code": pa.Column(str, nullable=False),
              "discount": money(), "discount_tax": money(), "nominal_amount": money(nullable=True)},
    oddities={"discount": pa.Column(object, ge_zero("discount_ge_0"))},
)

ORDER_TAX_LINES = table_rules(
    "order_tax_lines",
    ("order_id", "line_id"),
    contract={"order_id": key(), "line_id": key(), "tax_total": money(), "shipping_tax_total": money(),
              "rate_percent": percent("rate_percent_0_100", nullable=True)},
    # a tax line without a rate id cannot be mapped to a VAT rate
    oddities={"rate_id": pa.Column(nullable=False)},
)

REFUND_LINES_CHECK = "amount_eq_minus_sum_lines"
REFUNDS = table_rules(
    "refunds",
    ("refund_id",),
    contract={"refund_id": key(), "order_id": key(), "amount": money(ge_zero("amount_ge_0")),
              "date_created_gmt": pa.Column(nullable=False)},
    oddities={"order_exists": flag("order_in_staging"),
              "amount": pa.Column(object, gt_zero("amount_gt_0")),  # 0.00: a restock-only refund, nothing to credit
              "date_created_gmt": recent()},
    oddity_checks=[
        frame_check(REFUND_LINES_CHECK, lambda amount, lines_total, line_count:
                    line_count == 0 or decimal_eq(amount, -lines_total), "amount", "lines_total", "line_count"),
    ],
    aggregates=True,
    report_columns={REFUND_LINES_CHECK: ("amount", "lines_total")},
)

REFUND_LINES = table_rules(
    "refund_lines",
    ("refund_id", "line_id"),
    contract={"refund_id": key(), "line_id": key(), "order_id": key(),
              "line_type": known("line_type_known", LINE_TYPES, nullable=False),
              **{c: money() for c in ("quantity", "subtotal", "subtotal_tax", "total", "total_tax")}},
    oddities={"quantity": pa.Column(object, pa.Check(lambda v: v <= 0, element_wise=True, name="quantity_le_0")),
              "total": pa.Column(object, pa.Check(lambda v: v <= 0, element_wise=True, name="total_le_0")),
              "refunded_item_id": pa.Column(nullable=False)},
)
