"""Asset-check helpers: validate a staging table with its pandera schemas and report for the Dagster UI.

    with connect(db_path) as con:
        yield from validate_table(con, "orders", shop)          # orders_contract (ERROR), orders_oddities (WARN)

The frame is read DuckDB -> Arrow -> pandas, so DECIMAL columns are Python `Decimal` objects (never floats)
and nullable integer columns keep their type (pandas Int64).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pya

from woofort_assets.defs.staging.schemas import RULES, TableRules
from woofort_assets.lib.sql import load_sql

MAX_REPORTED_CASES = 20

_ARROW_TYPES = {
    pya.int8(): pd.Int64Dtype(),
    pya.int16(): pd.Int64Dtype(),
    pya.int32(): pd.Int64Dtype(),
    pya.int64(): pd.Int64Dtype(),
    pya.uint32(): pd.Int64Dtype(),
}


def _rules(table: str) -> TableRules:
    name = table.removeprefix("staging.")
    if name not in RULES:
        raise ValueError(f"no pandera rules for staging table {table!r}; known: {', '.join(sorted(RULES))}")
    return RULES[name]


def validation_frame(
    con: duckdb.DuckDBPyConnection, table: str, shop: str, keys: Iterable[Any] | None = None
) -> pd.DataFrame:
    """The rows of `staging.<table>` for `shop` (optionally only those whose first key column is in `keys`),
    with the derived columns the rules need, as pandas with Decimal objects for DECIMAL columns."""
    rules = _rules(table)
    sql = load_sql(rules.frame_sql) if rules.frame_sql else f"SELECT * FROM staging.{rules.table} WHERE shop = $shop"
    params: dict[str, Any] = {"shop": shop}
    if keys is not None:
        # compared as text, so that ids may be given as ints or as record keys ("727")
        sql = f"SELECT * FROM (\n{sql}\n) f WHERE f.{rules.keys[0]}::VARCHAR IN (SELECT unnest($keys::VARCHAR[]))"
        params["keys"] = [str(k) for k in keys]
    arrow = con.execute(sql, params).fetch_arrow_table()
    return arrow.to_pandas(types_mapper=_ARROW_TYPES.get)


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return "null"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.isoformat()
    return str(value)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:120]


def failure_cases(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, rules: TableRules
) -> list[dict[str, str]]:
    """Validates lazily and returns one {key, column, check, value} per failing row and check (empty if valid)."""
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    cases = cases.astype({"index": "object"}) if "index" in cases else cases
    out: list[dict[str, str]] = []
    grouped: dict[tuple[Any, str], list[tuple[str, Any]]] = {}
    for row in cases.itertuples(index=False):
        check = str(row.check)
        column = None if row.column is None or pd.isna(row.column) else str(row.column)
        index = None if row.index is None or pd.isna(row.index) else row.index
        wanted = rules.report_columns.get(check)
        if row.schema_context == "DataFrameSchema" and wanted is not None:
            group = grouped.setdefault((index, check), [])
            if column in wanted:
                group.append((column, row.failure_case))
            continue
        out.append({"index": index, "key": _key(frame, rules, index), "column": column or "—", "check": check,
                    "value": _show(row.failure_case)})
    for (index, check), columns in grouped.items():
        # a row-wise rule: show all the columns it compares, read from the frame (pandera omits null cases)
        wanted = [c for c in rules.report_columns[check] if c in frame.columns]
        values = (
            ", ".join(f"{c}={_show(frame.at[index, c])}" for c in wanted)
            if index is not None and index in frame.index
            else ", ".join(f"{c}={_show(v)}" for c, v in columns)
        )
        out.append({
            "index": index,
            "key": _key(frame, rules, index),
            "column": ", ".join(wanted),
            "check": check,
            "value": values,
        })
    out.sort(key=lambda c: (c["check"], c["key"], c["column"]))
    return out


def _key(frame: pd.DataFrame, rules: TableRules, index: Any) -> str:
    if index is None or index not in frame.index:
        return "—"
    return ", ".join(f"{k}={_show(frame.at[index, k])}" for k in rules.keys if k in frame.columns)


def _markdown(cases: Sequence[dict[str, str]]) -> str:
    if not cases:
        return "No failures."
    lines = ["| key | column | check | failing value |", "|---|---|---|---|"]
    for case in cases[:MAX_REPORTED_CASES]:
        lines.append("| " + " | ".join(_md_cell(case[c]) for c in ("key", "column", "check", "value")) + " |")
    if len(cases) > MAX_REPORTED_CASES:
        lines.append(f"\n… and {len(cases) - MAX_REPORTED_CASES} more failure cases.")
    return "\n".join(lines)


def _result(
    kind: str,
    severity: dg.AssetCheckSeverity,
    schema: pa.DataFrameSchema,
    frame: pd.DataFrame,
    rules: TableRules,
    shop: str,
    asset_key: dg.AssetKey | str | Sequence[str] | None,
) -> dg.AssetCheckResult:
    cases = failure_cases(schema, frame, rules)
    by_check: dict[str, int] = {}
    for case in cases:
        by_check[case["check"]] = by_check.get(case["check"], 0) + 1
    failing_rows = len({c["index"] for c in cases if c["index"] is not None})
    kwargs: dict[str, Any] = {"asset_key": asset_key} if asset_key is not None else {}
    return dg.AssetCheckResult(
        passed=not cases,
        check_name=f"{rules.table}_{kind}",
        severity=severity,
        description=f"pandera {kind} of staging.{rules.table} for shop {shop!r}",
        metadata={
            "table": f"staging.{rules.table}",
            "shop": shop,
            "rows_checked": len(frame),
            "failing_rows": failing_rows,
            "failure_count": len(cases),
            "failures_by_check": dg.MetadataValue.json(by_check),
            "failure_cases": dg.MetadataValue.md(_markdown(cases)),
        },
        **kwargs,
    )


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    shop: str,
    keys: Iterable[Any] | None = None,
    asset_key: dg.AssetKey | str | Sequence[str] | None = None,
) -> list[dg.AssetCheckResult]:
    """`[<table>_contract (ERROR), <table>_oddities (WARN)]` for `staging.<table>` rows of `shop`.

    `keys` limits the rows to those whose first natural-key column (order_id for orders and order lines,
    refund_id for refunds and refund lines, product_id, variation_id, customer_id, tax_rate_id, slug) is in it,
    e.g. the records a partition staged; None checks the whole table for the shop. `asset_key` is passed to
    the results when the caller checks several assets in one op."""
    rules = _rules(table)
    frame = validation_frame(con, rules.table, shop, keys)
    return [
        _result("contract", dg.AssetCheckSeverity.ERROR, rules.contract, frame, rules, shop, asset_key),
        _result("oddities", dg.AssetCheckSeverity.WARN, rules.oddities, frame, rules, shop, asset_key),
    ]
