"""Money in order and refund answers, formatted the way WooCommerce formats it: with the request's `dp`, else with
the store's price decimals (WooCommerce > Settings > General > "Number of decimals", `wc_get_price_decimals()`).

A store set to show 0 decimals therefore answers rounded totals and taxes unless the client asks for more. The
sandbox keeps every amount exact (Decimal) and rounds only here, on the way out.

Which fields, per CORE (woocommerce/woocommerce):
- `Version2/class-wc-rest-orders-v2-controller.php` @01ddd4f, `prepare_object_for_response()`: `dp` is
  `wc_get_price_decimals()` when the request has none, else `absint(dp)`; `get_formatted_item_data()` formats the
  order's discount_total, discount_tax, shipping_total, shipping_tax, cart_tax, total, total_tax and each
  `refunds[].total` ('-' . formatted amount); `get_order_item_data()` formats subtotal, subtotal_tax, total,
  total_tax, tax_total, shipping_tax_total of every line item, shipping, fee and tax line. Coupon lines'
  discount and discount_tax are not in that list, nor is a line item's `price` (the float total / quantity).
- `Version2/class-wc-rest-order-refunds-v2-controller.php` @0379e4e: the refund's `amount` and its lines, the same
  way (`/wc/v3/refunds` inherits it).
- A line's nested `taxes[].total` / `subtotal`: raw at @01ddd4f; formatted with `dp` on current trunk according to
  issue woocommerce/woocommerce#33143 (../shared/reference/woocommerce_api.md §1.1). The sandbox formats them
  (GUESS: which of the two a given store version does).
- Products' and variations' prices are stored strings, never formatted with `dp`: not touched here.

Rounding is `wc_format_decimal($number, $dp)`, i.e. PHP's `number_format(floatval($number), $dp, '.', '')`: half
away from zero, no thousands separator, trailing zeros kept, never "-0" (PHP >= 7.2)."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ORDER_MONEY = ("discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax", "total", "total_tax")
ITEM_MONEY = ("subtotal", "subtotal_tax", "total", "total_tax", "tax_total", "shipping_tax_total")
ORDER_ITEM_LISTS = ("line_items", "tax_lines", "shipping_lines", "fee_lines", "coupon_lines")
REFUND_ITEM_LISTS = ("line_items", "shipping_lines", "tax_lines", "fee_lines")
LEADING_INTEGER = re.compile(r"\s*[+-]?(\d+)")


def wc_format_decimal(value, dp: int):
    """`value` (a decimal string) rounded to `dp` decimals as WooCommerce does. A value that is not a decimal
    string (a test's deliberately broken override such as "12,50 kr") is returned as it is."""
    if not isinstance(value, str):
        return value
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    rounded = number.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if rounded == 0 else rounded:f}"


def _format_fields(record: dict, fields: tuple[str, ...], dp: int) -> None:
    for name in fields:
        if name in record:
            record[name] = wc_format_decimal(record[name], dp)


def _format_items(record: dict, lists: tuple[str, ...], dp: int) -> None:
    for list_name in lists:
        items = record.get(list_name)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            _format_fields(item, ITEM_MONEY, dp)
            for tax in item.get("taxes") or []:
                if isinstance(tax, dict):
                    _format_fields(tax, ("total", "subtotal"), dp)


def format_order(order: dict, dp: int) -> dict:
    """The order (a copy the caller owns) with its money formatted to `dp` decimals."""
    _format_fields(order, ORDER_MONEY, dp)
    _format_items(order, ORDER_ITEM_LISTS, dp)
    for refund in order.get("refunds") or []:
        if isinstance(refund, dict) and isinstance(refund.get("total"), str):
            refund["total"] = "-" + wc_format_decimal(refund["total"].lstrip("-"), dp)
    return order


def format_refund(refund: dict, dp: int) -> dict:
    """The refund (a copy the caller owns) with its money formatted to `dp` decimals."""
    _format_fields(refund, ("amount",), dp)
    _format_items(refund, REFUND_ITEM_LISTS, dp)
    return refund


def absint(text: str) -> int:
    """PHP's absint() of a query string value: its leading integer without the sign; 0 when there is none."""
    match = LEADING_INTEGER.match(text)
    return int(match.group(1)) if match else 0
