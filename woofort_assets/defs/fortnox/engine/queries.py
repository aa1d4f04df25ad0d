"""The ledger's questions, one query each, for everyone who reads or tends the ledger outside a sink run: the
operator tools, the dead-letter sensor, the reconciliation mirror and the vanished-orders check. Each takes an
open DuckDB connection (`lib/duckdb.connect`), so the caller decides how long the file is held."""

from __future__ import annotations

import json
from typing import Any

from woofort_assets.lib.duckdb import table_exists, transaction
from woofort_assets.lib.sql import load_sql

DEAD_LETTER_COLUMNS = ("entity", "source_key", "status", "error_code", "error_message", "http_status", "attempts",
                       "last_failed_at")


def _sql(name: str) -> str:
    return load_sql(f"fortnox/{name}.sql")


def dead_letters(con, shop: str, status: str | None = "open", entity: str | None = None) -> list[dict[str, Any]]:
    """Dead letters of one status (None or 'all': every status) and entity (None: every entity), newest first."""
    rows = con.execute(_sql("dead_letters"), {"shop": shop, "status": status or "all", "entity": entity}).fetchall()
    return [dict(zip(DEAD_LETTER_COLUMNS, row, strict=True)) for row in rows]


def dead_letter_keys(con, shop: str, entity: str, keys: list[str]) -> set[str]:
    return {row[0] for row in con.execute(_sql("dead_letter_keys"), [shop, entity, keys]).fetchall()}


def retry_dead_letters(con, shop: str, entity: str, keys: list[str]) -> None:
    con.execute(_sql("dead_letter_retry"), [shop, entity, keys])


def skip_dead_letters(con, shop: str, entity: str, keys: list[str]) -> None:
    con.execute(_sql("dead_letter_skip"), [shop, entity, keys])


def owned_numbers(con, shop: str) -> dict[str, set[str]]:
    """kind ('invoice' | 'invoice_payment') -> the Fortnox numbers woofort owns of that kind."""
    owned: dict[str, set[str]] = {"invoice": set(), "invoice_payment": set()}
    for kind, number in con.execute(_sql("owned_numbers"), {"shop": shop}).fetchall():
        owned[kind].add(str(number))
    return owned


def stored_documents(con, shop: str) -> dict[tuple[str, str], dict]:
    """(kind, number) -> the document as the sink or the mirror last saw it."""
    return {(kind, number): json.loads(doc) if isinstance(doc, str) else doc
            for kind, number, doc in con.execute(_sql("stored_documents"), [shop]).fetchall()}


def last_mirror_run(con, shop: str):
    """When the reconciliation mirror last started (None: never), so it lists only what changed since."""
    return con.execute(_sql("mirror_last_run"), [shop]).fetchone()[0]


def record_mirror_run(con, shop: str, documents: list[tuple[str, str, str]],
                      run: tuple[object, int, int, int]) -> dict[str, int]:
    """The documents the mirror read (kind, number, JSON) and its run (started, listed, fetched, calls), in one
    transaction. Returns how many documents of each kind are stored now."""
    with transaction(con):
        for kind, number, document in documents:
            con.execute(_sql("document_upsert"), [shop, kind, number, document, "get"])
        con.execute(_sql("mirror_run_insert"), [shop, *run])
    return dict(con.execute(_sql("stored_document_counts"), [shop]).fetchall())


def live_invoices(con, shop: str) -> dict[int, tuple[str, str | None]]:
    """order id -> (Fortnox number, staging status) of invoices that are live in Fortnox (not cancelled/credited)."""
    rows = con.execute(_sql("live_invoices"), [shop]).fetchall()
    return {order_id: (number, status) for order_id, number, status in rows if order_id is not None}


def record_vanished(con, shop: str, found: list[tuple[int, str, str]]) -> None:
    """The invoiced orders the shop no longer has (order id, Fortnox number, 'trashed' | 'deleted'), replacing
    the shop's previous list in one transaction."""
    with transaction(con):
        con.execute(_sql("vanished_clear"), [shop, [f[0] for f in found]])
        for order_id, number, state in found:
            con.execute(_sql("vanished_upsert"), [shop, order_id, number, state])


def reissue_candidates(con, shop: str, order_ids: list[str]) -> dict[str, tuple[str | None, bool, str]]:
    """order id -> (invoice number, booked, ledger status) of the orders named."""
    return {r[0]: (r[1], bool(r[2]), r[3]) for r in con.execute(_sql("reissue_candidates"), [shop, order_ids]).fetchall()}


def request_reissue(con, shop: str, order_ids: list[str]) -> list[tuple[str, str]]:
    return con.execute(_sql("reissue_request"), [shop, order_ids]).fetchall()


def settlement_orders(con, shop: str) -> list[tuple]:
    """(order id, paid, mode of payment, its account, clearing mode, its account) of the orders to settle; [] before
    the deltas ran."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'deltas' "
                         "AND table_name = 'settlement_orders'").fetchone()[0]
    return con.execute(_sql("settlement_orders"), [shop]).fetchall() if exists else []


def orders_waiting_for_rate(con, shop: str) -> int:
    """Orders excluded for want of an exchange rate on their invoice date: the currency register may bring it."""
    if not table_exists(con, "deltas", "invoice_exclusions"):
        return 0
    return con.execute(_sql("orders_waiting_for_rate"), {"shop": shop}).fetchone()[0]
