"""Operator tools on the DuckDB file: quarantine and dead-letter list/retry/skip, and forcing one order.

One code path for the terminal (`woofort quarantine|deadletter|resync-order`, cli/ops.py) and the UI
(the operator jobs in ops.py). Every function takes an open connection from `lib.duckdb.connect()`
(file-locked), works on one shop, and raises `UnknownIdError` naming every id it does not know before
changing anything.

What each action does (docs/operations.md repeats this for operators):

- quarantine retry ENTITY KEY...: re-stages the latest raw version of each record by running
  `stage_batch(entity, run_id)` on the run that fetched that version. A record that now parses moves to
  staging (its quarantine row is deleted by the staging SQL); one that still fails stays quarantined with
  its new reason and status 'open'.
- quarantine skip ENTITY KEY...: status 'skipped' (kept for audit; re-opened automatically when a new,
  different version of the record is fetched).
- deadletter retry ENTITY KEY...: deletes the dead-letter row so the next sync's sink tries the record
  again as new (attempt count starts over). The ledger is not touched: a record that Fortnox rejected has
  no accepted payload hash, so it is in the next delta anyway.
- deadletter skip ENTITY KEY...: status 'skipped': kept for audit, no longer counted as open. (The sink does not
  filter skipped records yet: a new rejection re-opens the row; see docs/operations.md.)
- resync-order ID: GET orders/ID (and orders/ID/refunds when it has any) from WooCommerce into raw under a
  run id `resync-<uuid>` (or the Dagster run id), stages that batch, and clears `payload_hash` of the
  order's ledger rows that are not booked and not pending, so the next sync rebuilds the deltas and the
  sink re-sends (updates) them even when the payload did not change. Booked documents are left alone:
  Fortnox cannot change a booked invoice, so an unchanged payload must not trigger a credit + reissue;
  a changed one is picked up by the delta without any reset.
- reissue ORDER...: asks the next sync to credit each order's booked invoice and issue it anew from the order as it
  is now (ledger.reissue_requests, keyed by the invoice's number: spent once the order has a new one). For the
  accountant's decision after an account change (deltas.invoice_drift); nothing else re-issues a booked invoice
  whose sale did not change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb

from woofort_assets.defs.fortnox.engine import queries
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.staging import ENTITIES, StagingCounts, stage_batch
from woofort_assets.resources.woocommerce import WooCommerceError

QUARANTINE_STATUSES = ("open", "skipped")
DEAD_LETTER_STATUSES = ("open", "skipped", "resolved")
DEAD_LETTER_ENTITIES = ("article", "price", "customer", "invoice", "credit_invoice", "invoice_payment", "stock",
                        "invoice_email", "invoice_order")


class UnknownIdError(LookupError):
    """An id given by the operator does not exist; nothing was changed."""


class OperatorUsageError(ValueError):
    """A bad entity or status name."""


def _raw_key_sql(entity: str) -> str:
    if entity == "tax_classes":
        return ("CASE WHEN json_type(payload, '$.slug') = 'VARCHAR' AND trim(json_extract_string(payload, '$.slug')) <> '' "
                "THEN trim(json_extract_string(payload, '$.slug')) ELSE '#' || md5(payload::VARCHAR) END")
    # Same key as the staging SQL (wc_record_key): the positive integer id as text, else '#' || md5(payload).
    return ("CASE WHEN regexp_full_match(trim(coalesce(json_extract_string(payload, '$.id'), '')), '[0-9]{1,18}') "
            "AND TRY_CAST(trim(json_extract_string(payload, '$.id')) AS BIGINT) > 0 "
            "THEN CAST(TRY_CAST(trim(json_extract_string(payload, '$.id')) AS BIGINT) AS VARCHAR) "
            "ELSE '#' || md5(payload::VARCHAR) END")


def _check_entity(entity: str, allowed: tuple[str, ...]) -> None:
    if entity not in allowed:
        raise OperatorUsageError(f"unknown entity {entity!r}; expected one of {', '.join(allowed)}")


def _check_status(status: str | None, allowed: tuple[str, ...]) -> None:
    if status not in (None, "all", *allowed):
        raise OperatorUsageError(f"unknown status {status!r}; expected one of {', '.join((*allowed, 'all'))}")


def _missing(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "SELECT record_key FROM quarantine.records WHERE shop = ? AND entity = ? AND list_contains(?, record_key)",
            [shop, entity, keys],
        ).fetchall()
    }
    return [key for key in keys if key not in present]


# ------------------------------------------------------------------------------------------ quarantine
def quarantine_list(con: duckdb.DuckDBPyConnection, shop: str, status: str | None = "open",
                    entity: str | None = None) -> list[dict[str, Any]]:
    _check_status(status, QUARANTINE_STATUSES)
    if entity is not None:
        _check_entity(entity, ENTITIES)
    rows = con.execute(
        """
        SELECT entity, record_key, status, reason, fetched_at, quarantined_at FROM quarantine.records
        WHERE shop = $shop AND ($status = 'all' OR status = $status) AND ($entity IS NULL OR entity = $entity)
        ORDER BY entity, record_key
        """,
        {"shop": shop, "status": status or "all", "entity": entity},
    ).fetchall()
    names = ("entity", "record_key", "status", "reason", "fetched_at", "quarantined_at")
    return [dict(zip(names, row, strict=True)) for row in rows]


@dataclass
class RetryOutcome:
    entity: str
    record_key: str
    run_id: str
    staged: bool
    reason: str | None = None   # the new quarantine reason when it still fails
    counts: StagingCounts | None = None


def quarantine_retry(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> list[RetryOutcome]:
    """Re-stages the latest raw version of each record (stage_batch on the run that fetched it)."""
    _check_entity(entity, ENTITIES)
    missing = _missing(con, shop, entity, keys)
    if missing:
        raise UnknownIdError(f"not in quarantine ({entity}, shop {shop}): {', '.join(missing)}")
    latest = dict(
        con.execute(
            f"""
            SELECT record_key, arg_max(run_id, fetched_at) FROM (
                SELECT {_raw_key_sql(entity)} AS record_key, run_id, fetched_at FROM raw.{entity} WHERE shop = ?)
            WHERE list_contains(?, record_key) GROUP BY record_key
            """,
            [shop, keys],
        ).fetchall()
    )
    no_raw = [key for key in keys if key not in latest]
    if no_raw:
        raise UnknownIdError(f"no raw version of {entity} {', '.join(no_raw)} to re-stage (shop {shop})")
    counts_by_run: dict[str, StagingCounts] = {}
    for run_id in sorted(set(latest.values())):
        counts_by_run[run_id] = stage_batch(con, entity, shop, run_id)
    outcomes = []
    for key in keys:
        reason = con.execute(
            "SELECT reason FROM quarantine.records WHERE shop = ? AND entity = ? AND record_key = ?",
            [shop, entity, key],
        ).fetchone()
        outcomes.append(RetryOutcome(entity, key, latest[key], staged=reason is None,
                                     reason=reason[0] if reason else None, counts=counts_by_run[latest[key]]))
    return outcomes


def quarantine_skip(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> int:
    _check_entity(entity, ENTITIES)
    missing = _missing(con, shop, entity, keys)
    if missing:
        raise UnknownIdError(f"not in quarantine ({entity}, shop {shop}): {', '.join(missing)}")
    con.execute(
        "UPDATE quarantine.records SET status = 'skipped' WHERE shop = ? AND entity = ? AND list_contains(?, record_key)",
        [shop, entity, keys],
    )
    return len(keys)


# ----------------------------------------------------------------------------------------- dead letter
def deadletter_list(con: duckdb.DuckDBPyConnection, shop: str, status: str | None = "open",
                    entity: str | None = None) -> list[dict[str, Any]]:
    _check_status(status, DEAD_LETTER_STATUSES)
    if entity is not None:
        _check_entity(entity, DEAD_LETTER_ENTITIES)
    return sorted(queries.dead_letters(con, shop, status, entity), key=lambda r: (r["entity"], r["source_key"]))


def _known_dead_letters(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> None:
    _check_entity(entity, DEAD_LETTER_ENTITIES)
    present = queries.dead_letter_keys(con, shop, entity, keys)
    missing = [key for key in keys if key not in present]
    if missing:
        raise UnknownIdError(f"not in the dead-letter table ({entity}, shop {shop}): {', '.join(missing)}")


def deadletter_retry(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> int:
    """Clears the dead letters so that the next sync's sink sends the records again."""
    _known_dead_letters(con, shop, entity, keys)
    queries.retry_dead_letters(con, shop, entity, keys)
    return len(keys)


def deadletter_skip(con: duckdb.DuckDBPyConnection, shop: str, entity: str, keys: list[str]) -> int:
    _known_dead_letters(con, shop, entity, keys)
    queries.skip_dead_letters(con, shop, entity, keys)
    return len(keys)


# ------------------------------------------------------------------------------------------ re-issue
def reissue(con: duckdb.DuckDBPyConnection, shop: str, order_ids: list[int]) -> list[tuple[str, str]]:
    """Records re-issue requests; returns (order, invoice number) of each. Every order must have a booked invoice
    in the ledger (an unbooked one is updated in place when its order changes)."""
    keys = [str(o) for o in order_ids]
    known = queries.reissue_candidates(con, shop, keys)
    missing = [k for k in keys if k not in known or known[k][0] is None or known[k][2] == "cancelled"]
    if missing:
        raise UnknownIdError(f"no invoice in the ledger (shop {shop}) for order(s): {', '.join(missing)}")
    unbooked = [f"{k} (invoice {known[k][0]})" for k in keys if not known[k][1]]
    if unbooked:
        raise OperatorUsageError(f"not booked, so not history yet: {', '.join(unbooked)}; the next sync updates "
                                 "an unbooked invoice in place when its order changes")
    queries.request_reissue(con, shop, keys)
    return [(k, known[k][0]) for k in keys]


# -------------------------------------------------------------------------------------- resync an order
@dataclass
class ResyncOutcome:
    order_id: int
    run_id: str
    refunds: int
    staged: bool
    reason: str | None
    ledger_rows_reset: list[tuple[str, str]] = field(default_factory=list)


def fetch_order(client, order_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """GET orders/ID (+ its refunds); UnknownIdError when WooCommerce answers 404."""
    try:
        order = client.get_json(f"orders/{order_id}")
    except WooCommerceError as error:
        if error.status == 404:
            raise UnknownIdError(f"order {order_id} does not exist in WooCommerce ({error.code or 'HTTP 404'})") from None
        raise
    refunds = client.get_json(f"orders/{order_id}/refunds") if order.get("refunds") else []
    return order, list(refunds or [])


def resync_order(database: str, shop: str, client, order_id: int, run_id: str | None = None) -> ResyncOutcome:
    """Re-extracts one order into raw, restages it and makes the sink reconsider its ledger rows."""
    # Lazy: landing imports pyarrow, ~0.1-0.15 s that every `woofort` command would pay (cli/ops.py imports this
    # module, so `woofort --help` went from ~0.8 s to ~0.95 s); only a resync lands records.
    from woofort_assets.defs.woocommerce.landing import land

    order, refunds = fetch_order(client, order_id)
    run_id = run_id or f"resync-{uuid.uuid4()}"
    land(database, "orders", shop, run_id, [order])
    refund_count = land(database, "refunds", shop, run_id, refunds)
    with connect(database) as con:
        stage_batch(con, "orders", shop, run_id)
        if refund_count:
            stage_batch(con, "refunds", shop, run_id)
        quarantined = con.execute(
            "SELECT reason FROM quarantine.records WHERE shop = ? AND entity = 'orders' AND record_key = ?",
            [shop, str(order_id)],
        ).fetchone()
        reset = con.execute(
            """
            UPDATE ledger.documents SET payload_hash = NULL
            WHERE shop = ? AND order_id = ? AND NOT booked AND status IN ('synced', 'adopted', 'failed')
            RETURNING entity, source_key
            """,
            [shop, order_id],
        ).fetchall()
    return ResyncOutcome(order_id, run_id, refund_count, staged=quarantined is None,
                         reason=quarantined[0] if quarantined else None, ledger_rows_reset=sorted(reset))
