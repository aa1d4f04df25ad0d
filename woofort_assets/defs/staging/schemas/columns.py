"""Building blocks of the staging rules: column and check builders, and `TableRules` (a table's two schemas)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


def decimal_eq(a: object, b: object) -> bool:
    return isinstance(a, Decimal) and isinstance(b, Decimal) and abs(a - b) < ORE


def ge_zero(name: str) -> pa.Check:
    return pa.Check(lambda v: v >= 0, element_wise=True, name=name)


def gt_zero(name: str) -> pa.Check:
    return pa.Check(lambda v: v > 0, element_wise=True, name=name)


def not_future(name: str = "not_in_future") -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        limit = pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None) + FUTURE_TOLERANCE)
        return s.isna() | (s <= limit)

    return pa.Check(check, name=name)


def named(name: str, builtin, *args, **kwargs) -> pa.Check:
    """A built-in check reported under `name` (pandera reports built-ins by their repr otherwise)."""
    return builtin(*args, name=name, error=name, **kwargs)


# ---------------------------------------------------------------------------------------------------- columns
MONEY_SCALE = 6  # staging keeps money as DECIMAL(18, 6): what the extraction asks WooCommerce for (dp=6)


def money(*checks: pa.Check, nullable: bool = False) -> pa.Column:
    """A DECIMAL money column: Python Decimal objects with at most MONEY_SCALE decimals (no floats), then `checks`."""
    scale = pa.Check(lambda v: _is_decimal(v, MONEY_SCALE), element_wise=True, name=f"decimal_scale_le_{MONEY_SCALE}")
    return pa.Column(object, [scale, *checks] if checks else scale, nullable=nullable, coerce=False)


def percent(name: str, nullable: bool = False) -> pa.Column:
    """A VAT rate in percent: a Decimal with at most 4 decimals, 0 to 100."""
    return pa.Column(object, pa.Check(lambda v: _is_decimal(v, 4) and 0 <= v <= 100, element_wise=True, name=name),
                     nullable=nullable)


def key(dtype: object = "Int64") -> pa.Column:
    return pa.Column(dtype, nullable=False)


def slug(name: str) -> pa.Column:
    """A required, well-formed status or type slug (custom ones are fine: `known` reports them)."""
    return pa.Column(str, named(name, pa.Check.str_matches, STATUS_SLUG), nullable=False)


def known(name: str, values: frozenset[str], nullable: bool) -> pa.Column:
    return pa.Column(str, named(name, pa.Check.isin, values), nullable=nullable)


def not_empty() -> pa.Column:
    return pa.Column(str, named("not_empty", pa.Check.str_length, min_value=1), nullable=False)


def flag(name: str) -> pa.Column:
    """A boolean the frame query computes (order_exists, tax_class_known, ...): every row must be true."""
    return pa.Column(bool, pa.Check(lambda s: s, name=name))


def recent() -> pa.Column:
    """An optional date that is not in the future (more than FUTURE_TOLERANCE ahead)."""
    return pa.Column(checks=not_future(), nullable=True)


# ------------------------------------------------------------------------------------------------- table rules
DATES_IN_ORDER = "date_modified_gmt_ge_date_created_gmt"
DATES_IN_ORDER_REPORT = {DATES_IN_ORDER: ("date_created_gmt", "date_modified_gmt")}


def dates_in_order() -> pa.Check:
    """date_modified_gmt >= date_created_gmt where both are known."""
    return pa.Check(
        lambda d: d["date_created_gmt"].isna() | d["date_modified_gmt"].isna()
        | (d["date_modified_gmt"] >= d["date_created_gmt"]),
        name=DATES_IN_ORDER,
    )


def frame_check(name: str, row_ok, *columns: str) -> pa.Check:
    """A check of whole rows: `row_ok(*values)` on the values of `columns` of each row (Decimal arithmetic)."""
    return pa.Check(lambda d: pd.Series([row_ok(*values) for values in zip(*(d[c] for c in columns))],
                                        index=d.index), name=name)


@dataclass(frozen=True)
class TableRules:
    table: str  # staging table name without schema
    keys: tuple[str, ...]  # natural key columns (shop excluded)
    contract: pa.DataFrameSchema
    oddities: pa.DataFrameSchema
    frame_sql: str | None = None  # sql/staging/check_<table>.sql when the frame needs aggregates
    # columns to show in failure reports for DataFrame-level checks (pandera reports every column otherwise)
    report_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _schema(name: str, columns: dict, keys: tuple[str, ...], checks: Sequence[pa.Check]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        columns, checks=list(checks), unique=list(keys) if keys else None, name=name, strict=False
    )


def table_rules(
    table: str,
    keys: tuple[str, ...],
    contract: dict[str, pa.Column],
    oddities: dict[str, pa.Column],
    contract_checks: Sequence[pa.Check] = (),
    oddity_checks: Sequence[pa.Check] = (),
    aggregates: bool = False,
    report_columns: dict[str, tuple[str, ...]] | None = None,
) -> TableRules:
    """`<table>_contract` (the keys unique, plus `contract`) and `<table>_oddities`; `aggregates`: the frame is
    read with sql/staging/check_<table>.sql."""
    return TableRules(
        table=table,
        keys=keys,
        contract=_schema(f"{table}_contract", contract, keys, contract_checks),
        oddities=_schema(f"{table}_oddities", oddities, (), oddity_checks),
        frame_sql=f"staging/check_{table}.sql" if aggregates else None,
        report_columns=dict(report_columns or {}),
    )
