"""Rules of the catalogue and reference tables: products, variations, customers, tax rates and tax classes."""

from __future__ import annotations

from decimal import Decimal

import pandera.pandas as pa

from woofort_assets.defs.staging.schemas.columns import (
    DATES_IN_ORDER_REPORT,
    KNOWN_PRODUCT_STATUSES,
    KNOWN_PRODUCT_TYPES,
    dates_in_order,
    flag,
    frame_check,
    ge_zero,
    key,
    known,
    money,
    not_empty,
    percent,
    recent,
    slug,
    table_rules,
)


def _prices() -> dict[str, pa.Column]:
    """price, regular_price and sale_price: optional, Decimal, not negative."""
    return {c: money(ge_zero(f"{c}_ge_0"), nullable=True) for c in ("price", "regular_price", "sale_price")}


PRODUCTS = table_rules(
    "products",
    ("product_id",),
    contract={"product_id": key(), "name": pa.Column(str, nullable=False), "status": slug("status_well_formed"),
              "type": slug("type_well_formed"), **_prices()},
    oddities={"status": known("status_known", KNOWN_PRODUCT_STATUSES, nullable=True),
              "type": known("type_known", KNOWN_PRODUCT_TYPES, nullable=True),
              "tax_class_known": flag("tax_class_known"),
              "sku": pa.Column(nullable=False),  # no SKU: the article number must be derived
              "date_modified_gmt": recent()},
    oddity_checks=[
        dates_in_order(),
        frame_check("sale_price_le_regular_price",
                    lambda sale, regular: not (isinstance(sale, Decimal) and isinstance(regular, Decimal))
                    or sale <= regular, "sale_price", "regular_price"),
    ],
    aggregates=True,
    report_columns={**DATES_IN_ORDER_REPORT, "sale_price_le_regular_price": ("sale_price", "regular_price")},
)

VARIATIONS = table_rules(
    "variations",
    ("variation_id",),
    contract={"variation_id": key(), "product_id": key(), **_prices()},
    oddities={"tax_class_known": flag("tax_class_known"), "product_exists": flag("product_in_staging"),
              "sku": pa.Column(nullable=False), "date_modified_gmt": recent()},
    oddity_checks=[dates_in_order()],
    aggregates=True,
    report_columns=DATES_IN_ORDER_REPORT,
)

CUSTOMERS = table_rules(
    "customers",
    ("customer_id",),
    contract={"customer_id": key()},
    oddities={"email": pa.Column(nullable=False), "date_modified_gmt": recent()},
    oddity_checks=[dates_in_order()],
    report_columns=DATES_IN_ORDER_REPORT,
)

TAX_RATES = table_rules(
    "tax_rates",
    ("tax_rate_id",),
    contract={"tax_rate_id": key(), "rate": percent("rate_0_100"), "tax_class": not_empty()},
    oddities={"tax_class_known": flag("tax_class_known")},
    aggregates=True,
)

TAX_CLASSES = table_rules(
    "tax_classes",
    ("slug",),
    contract={"slug": not_empty()},
    oddities={"name": pa.Column(nullable=False)},
)
