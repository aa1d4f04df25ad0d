"""Raw -> staging for one batch: runs the SQL in `sql/staging/` and reconciles the counts.

A batch is the raw rows of one entity fetched by one run (`run_id`) for one `shop`. For every record the
batch touches, the SQL takes the latest version across *all* raw rows of its natural key (ordered by
`date_modified_gmt`, or `date_created_gmt` for refunds, then `fetched_at`), types it, and either upserts it
into staging (removing any quarantine row of that key) or, when it cannot be parsed, puts it in
`quarantine.records` with a reason and removes the key from staging. Re-running a batch is a no-op.

    with connect(path) as con:
        counts = stage_batch(con, "orders", shop="default", run_id=context.run_id)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from woofort_assets.lib.sql import STRING_OR_COMMENT, load_sql, run_sql_file, statements

ENTITIES: tuple[str, ...] = (
    "orders",
    "refunds",
    "products",
    "variations",
    "customers",
    "tax_rates",
    "tax_classes",
)

# entity -> (staging table, key column, SQL type of the key), used to count what the batch left in staging.
STAGING_KEYS: dict[str, tuple[str, str, str]] = {
    "orders": ("staging.orders", "order_id", "BIGINT"),
    "refunds": ("staging.refunds", "refund_id", "BIGINT"),
    "products": ("staging.products", "product_id", "BIGINT"),
    "variations": ("staging.variations", "variation_id", "BIGINT"),
    "customers": ("staging.customers", "customer_id", "BIGINT"),
    "tax_rates": ("staging.tax_rates", "tax_rate_id", "BIGINT"),
    "tax_classes": ("staging.tax_classes", "slug", "VARCHAR"),
}

# entity -> the JSON path of the date that orders a record's raw versions (then the fetch time), None for records
# without one: the raw rows' keys are parsed once by staging/_fill_record_keys.sql (migration 038). Refunds are never
# modified; tax_classes, keyed by slug, ranks its versions in its own file.
VERSION_DATE_PATHS: dict[str, str | None] = {
    "orders": "$.date_modified_gmt",
    "refunds": "$.date_created_gmt",
    "products": "$.date_modified_gmt",
    "variations": "$.date_modified_gmt",
    "customers": "$.date_modified_gmt",
    "tax_rates": None,
}

# The temp work tables that lead an entity's file, built before the batch's transaction opens.
_WORK_TABLE = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s", re.I)


class StagingError(RuntimeError):
    """Staging of a batch did not reconcile (fetched != staged + quarantined) or failed."""


@dataclass(frozen=True)
class StagingCounts:
    fetched: int  # distinct records (natural keys; '#md5' for records without a usable key) in the batch
    staged: int  # of those, now in staging
    quarantined: int  # of those, now in quarantine.records

    def as_metadata(self) -> dict[str, int]:
        return {"fetched": self.fetched, "staged": self.staged, "quarantined": self.quarantined}


def _counts(con: duckdb.DuckDBPyConnection, entity: str, shop: str) -> StagingCounts:
    table, key, key_type = STAGING_KEYS[entity]
    # the staged keys are looked up as the staging table's own type, so the cost follows the batch, not the table
    batch_keys = f"(SELECT TRY_CAST(record_key AS {key_type}) FROM stg_records)"
    fetched, staged, quarantined = con.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE s.present),
               count(*) FILTER (WHERE q.present)
        FROM stg_records o
        LEFT JOIN (SELECT DISTINCT {key}::VARCHAR AS record_key, true AS present
                   FROM {table} WHERE shop = $shop AND {key} IN {batch_keys}) s USING (record_key)
        LEFT JOIN (SELECT record_key, true AS present FROM quarantine.records
                   WHERE shop = $shop AND entity = $entity) q USING (record_key)
        """,
        {"shop": shop, "entity": entity},
    ).fetchone()
    both = con.execute(
        f"""
        SELECT string_agg(o.record_key, ', ' ORDER BY o.record_key) FROM stg_records o
        WHERE o.record_key IN (SELECT {key}::VARCHAR FROM {table} WHERE shop = $shop AND {key} IN {batch_keys})
          AND o.record_key IN (SELECT record_key FROM quarantine.records WHERE shop = $shop AND entity = $entity)
        """,
        {"shop": shop, "entity": entity},
    ).fetchone()[0]
    if both or fetched != staged + quarantined:
        raise StagingError(
            f"staging of {entity} for shop {shop!r} does not reconcile: fetched {fetched} != "
            f"staged {staged} + quarantined {quarantined}"
            + (f"; keys both staged and quarantined: {both}" if both else "")
        )
    return StagingCounts(fetched=fetched, staged=staged, quarantined=quarantined)


def stage_batch(con: duckdb.DuckDBPyConnection, entity: str, shop: str, run_id: str) -> StagingCounts:
    """Stages the raw rows of `entity` fetched by `run_id` for `shop`; idempotent; every write in one transaction.

    Returns the batch's counts; raises StagingError when fetched != staged + quarantined (nothing is
    committed then). Opens its own transaction, so call it outside an explicit BEGIN ... COMMIT."""
    if entity not in STAGING_KEYS:
        raise ValueError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    params = {"shop": shop, "run_id": run_id, "entity": entity}
    in_transaction = False
    try:
        run_sql_file(con, "staging/_macros.sql", params)
        fill = record_keys_fill(entity, shop)
        if fill is not None:
            con.execute(*fill)     # a cache of the payloads: kept whether the batch then commits or not
        for path in (f"staging/{entity}.sql", "staging/quarantine.sql"):
            for statement, used in statements(path, params):
                # The work tables that lead a file are built before the transaction opens: DuckDB cannot spill a
                # transaction's own temp tables to disk, and a large batch does not fit in memory_limit.
                if not in_transaction and not _WORK_TABLE.match(STRING_OR_COMMENT.sub("", statement)):
                    con.execute("BEGIN TRANSACTION")
                    in_transaction = True
                con.execute(statement, used) if used else con.execute(statement)
        counts = _counts(con, entity, shop)
        if in_transaction:
            con.execute("COMMIT")
    except Exception:
        if in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        _drop_work_tables(con)
    return counts


def record_keys_fill(entity: str, shop: str) -> tuple[str, dict[str, object]] | None:
    """staging/_fill_record_keys.sql for `entity`'s raw table, with its parameters; None for an entity whose file
    keys its raw rows itself (tax_classes). Only an entity of VERSION_DATE_PATHS names a table in the SQL."""
    if entity not in VERSION_DATE_PATHS:
        return None
    sql = load_sql("staging/_fill_record_keys.sql").replace("{raw_table}", f"raw.{entity}")
    return sql, {"shop": shop, "version_path": VERSION_DATE_PATHS[entity]}


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drops the temporary stg_* tables the SQL left on the connection (they can hold a whole batch)."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'stg\\_%' ESCAPE '\\'"
    ).fetchall()
    for (name,) in names:
        con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')
