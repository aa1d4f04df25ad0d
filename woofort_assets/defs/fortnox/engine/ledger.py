"""The sink's exactly-once memory (`ledger.documents`, `ledger.dead_letter`, `ledger.fortnox_documents`) and its
delta input, as one sink run reads and writes them. Readers outside a sink run use `engine/queries.py`.

Every ledger write is its own auto-committed statement, so a `pending` row is durable before the HTTP call it
announces. The DuckDB file is opened through `woofort_assets.lib.duckdb.connect` (file lock) and a connection is
held for at most `hold_seconds`, then closed and reopened: other processes wait at most that long (plus one
Fortnox call), and a run of 1,000 records does not pay 3,000 connects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from woofort_assets.defs.fortnox.engine import queries
from woofort_assets.defs.fortnox.engine.documents import KIND_OF_ENTITY, as_json, slim
from woofort_assets.lib.duckdb import HeldConnection, transaction
from woofort_assets.lib.sql import load_sql

DELTA_TABLES = ("article_delta", "price_delta", "stock_delta", "customer_delta", "invoice_delta", "credit_delta",
                "payment_delta", "fee_voucher_delta", "daily_voucher_delta")

DONE = ("synced", "adopted")
# A dead letter also waits for the documents it names: an invoice rejected because its customer or article was
# rejected is sent again once one of those syncs after the rejection (dead_letter_open.sql), not on every run.
UPSTREAM = {"invoice": ("customer", "article"), "invoice_order": ("customer", "article"),
            "credit_invoice": ("invoice", "customer", "article"), "invoice_payment": ("invoice", "credit_invoice"),
            "price": ("article",), "stock": ("article",)}
BOOKKEEP = "bookkeep:"   # a bookkeep rejection's dead letter: payload_hash = BOOKKEEP + the document's number
_CONTRACT_COLUMNS = {"shop", "source_key", "entity", "action", "payload", "payload_hash", "order_id", "ref_entity",
                     "ref_source_key"}


def _sql(name: str) -> str:
    return load_sql(f"fortnox/{name}.sql")


@dataclass
class DeltaRow:
    source_key: str
    entity: str
    action: str
    payload: dict | None
    payload_text: str | None
    payload_hash: str | None
    order_id: int | None
    ref_entity: str | None
    ref_source_key: str | None
    extra: dict = field(default_factory=dict)   # columns beyond the contract's (e.g. invoice_delta.bookkeep)


@dataclass
class LedgerRow:
    source_key: str
    status: str
    fortnox_number: str | None
    payload_hash: str | None
    booked: bool
    attempts: int
    order_id: int | None = None


@dataclass
class Ledger:
    database: str
    shop: str
    hold_seconds: float = 2.0
    _held: HeldConnection | None = field(default=None, repr=False)
    _open_letters: dict = field(default_factory=dict, repr=False)   # entity -> {key: hash it waits on | None}
    _deferred: list = field(default_factory=list, repr=False)       # (sql, params) written with the next commit

    # -------------------------------------------------------------- connection handling
    def con(self):
        if self._held is None:
            self._held = HeldConnection(self.database, self.hold_seconds, lambda con: self._commit(con, []))
        return self._held.get()

    def release(self) -> None:
        if self._held is not None:
            self._held.release()

    def _commit(self, con, statements: list) -> None:
        """Deferred statements plus `statements`, in one transaction (one WAL commit)."""
        batch = self._deferred + statements
        if not batch:
            return
        if len(batch) == 1:
            con.execute(*batch[0])
        else:
            with transaction(con):
                for sql, params in batch:
                    con.execute(sql, params)
        self._deferred = []

    def _write(self, sql: str, params: list, defer: bool = False) -> None:
        """`defer`: a fact that may reach the file with the next commit (a `synced` mark: if the process dies
        first, the row is still `pending` and the next run finds the document by lookup). Everything else,
        above all `pending`, is committed before this returns, together with whatever was deferred."""
        if defer:
            self._deferred.append((sql, params))
            return
        con = self.con()
        self._commit(con, [(sql, params)])

    def flush(self) -> None:
        if self._deferred:
            self._commit(self.con(), [])

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -------------------------------------------------------------- reads
    def delta_rows(self, table: str) -> list[DeltaRow] | None:
        """The rows of `deltas.<table>` for this shop; None when the table does not exist yet."""
        if table not in DELTA_TABLES:
            raise ValueError(f"unknown delta table {table}")
        self.flush()
        con = self.con()
        if not con.execute(_sql("delta_exists"), [table]).fetchone()[0]:
            return None
        cursor = con.execute(_sql("delta_select").replace("{table}", table), [self.shop])
        names = [d[0] for d in cursor.description]
        out = []
        for values in cursor.fetchall():
            rec = dict(zip(names, values))
            payload = rec.get("payload")
            parsed = json.loads(payload) if isinstance(payload, str) and payload else payload
            if isinstance(parsed, str):  # a JSON string holding the JSON text
                parsed = json.loads(parsed)
            order_id = rec.get("order_id")
            ref_key = rec.get("ref_source_key")
            extra = {k: v for k, v in rec.items() if k not in _CONTRACT_COLUMNS}
            out.append(DeltaRow(str(rec["source_key"]), rec.get("entity"), rec.get("action"), parsed,
                                payload if isinstance(payload, str) else None, rec.get("payload_hash"),
                                int(order_id) if order_id is not None else None, rec.get("ref_entity"),
                                str(ref_key) if ref_key is not None else None, extra))
        return out

    def rows(self, entity: str) -> dict[str, LedgerRow]:
        self.flush()
        result = self.con().execute(_sql("ledger_select_entity"), [self.shop, entity]).fetchall()
        return {r[0]: LedgerRow(r[0], r[1], r[2], r[3], bool(r[4]), int(r[5]), r[6]) for r in result}

    def fee_orders(self, key: str) -> list[tuple]:
        """(order id, fee) behind fee voucher `key` (deltas.fee_voucher_orders), for its file."""
        self.flush()
        return self.con().execute(_sql("fee_voucher_orders"), [self.shop, key]).fetchall()

    def voucher_lines(self, key: str) -> list[tuple]:
        """(member, payment method, account, VAT rate, amount) of daily voucher `key`'s day (deltas.voucher_lines),
        for its file."""
        self.flush()
        return self.con().execute(_sql("voucher_lines"), [self.shop, key]).fetchall()

    def unbooked(self, entity: str) -> list[tuple[str, str]]:
        self.flush()
        return self.con().execute(_sql("ledger_unbooked"), [self.shop, entity]).fetchall()

    def open_dead_letters(self, entity: str) -> list[dict]:
        self.flush()
        return queries.dead_letters(self.con(), self.shop, "open", entity)

    # -------------------------------------------------------------- writes (each one auto-committed)
    def mark_pending(self, entity: str, key: str, number: str | None, order_id: int | None) -> None:
        self._write(_sql("ledger_mark_pending"), [self.shop, entity, key, number, order_id])

    def mark_pending_many(self, rows: list[tuple[str, str, str | None, int | None]]) -> None:
        """Several (entity, key, number, order_id) marked pending in one commit, before any of them is sent."""
        if rows:
            self._commit(self.con(), [(_sql("ledger_mark_pending"), [self.shop, e, k, n, o]) for e, k, n, o in rows])

    def mark_done(self, entity: str, key: str, number: str | None, payload_hash: str | None, status: str,
                  booked: bool, order_id: int | None, digests: dict | None = None) -> None:
        """`digests`: the delta row's extra columns; an invoice's money_hash and accounts_hash are kept with it
        (a booked invoice is compared by them, not by its payload: sql/deltas/invoice_delta.sql)."""
        digests = digests or {}
        self._write(_sql("ledger_mark_done"),
                    [self.shop, entity, key, number, payload_hash, status, booked, order_id,
                     digests.get("money_hash"), digests.get("accounts_hash")], defer=True)
        letters = self._letters(entity)
        if key in letters and (booked or not str(letters[key][1] or "").startswith(BOOKKEEP)):
            # a bookkeep rejection stands while the document is recorded unbooked
            self._write(_sql("dead_letter_resolve"), [self.shop, entity, key], defer=True)
            letters.pop(key, None)

    def _letters(self, entity: str) -> dict[str, tuple[str | None, str | None]]:
        """key -> (the hash its open dead letter waits on, or None: send it once more; the stored hash)."""
        if entity not in self._open_letters:
            self.flush()
            rows = self.con().execute(_sql("dead_letter_open"),
                                      [list(UPSTREAM.get(entity, ())), self.shop, entity]).fetchall()
            self._open_letters[entity] = {r[0]: (r[1], r[2]) for r in rows}
        return self._open_letters[entity]

    def waiting(self, entity: str, key: str, payload_hash: str | None) -> bool:
        """An open dead letter holds this record, rejected with this very payload hash (or, for a bookkeep, this
        document), and nothing it depends on synced since: sending it again would be rejected again. It waits
        for a new payload or an operator's retry (which deletes the dead letter)."""
        letter = self._letters(entity).get(key)
        return letter is not None and letter[0] is not None and letter[0] == payload_hash

    def set_status(self, entity: str, key: str, status: str) -> None:
        self._write(_sql("ledger_set_status"), [status, self.shop, entity, key])

    def set_booked(self, entity: str, key: str, booked: bool = True) -> None:
        self._write(_sql("ledger_set_booked"), [booked, self.shop, entity, key], defer=True)
        letters = self._letters(entity)
        if booked and str((letters.get(key) or (None, None))[1] or "").startswith(BOOKKEEP):
            self._write(_sql("dead_letter_resolve"), [self.shop, entity, key], defer=True)   # its bookkeep letter
            letters.pop(key, None)

    def dead_letter(self, entity: str, key: str, code: int | None, message: str, http_status: int | None,
                    payload: dict | None, payload_hash: str | None = None) -> None:
        """`payload_hash`: what was rejected (steps.rejection_hash: the delta row's hash and the body as sent; a
        bookkeep: BOOKKEEP + number); the record waits until it changes (see `waiting`). None: the record is sent
        again by the next run."""
        self._write(_sql("dead_letter_upsert"),
                    [self.shop, entity, key, code, message or "(no message)", http_status,
                     json.dumps(payload, ensure_ascii=False) if payload is not None else None, payload_hash])
        self._letters(entity)[key] = (payload_hash, payload_hash)

    def store_document(self, entity: str, doc: dict | None, source: str = "response") -> None:
        """Keeps Fortnox's answer (an invoice, credit invoice or payment) for reconciliation
        (ledger.fortnox_documents, reduced to money, dates and references: docs/accounting.md §12). Deferred:
        it rides on the next commit, so it costs no extra DuckDB commit and no extra Fortnox call."""
        kind = KIND_OF_ENTITY.get(entity)
        reduced = slim(kind, doc) if kind and doc else None
        if reduced is not None:
            self._write(_sql("document_upsert"), [self.shop, kind, reduced[0], as_json(reduced[1]), source],
                        defer=True)

    def dry_run(self, run_id: str, entity: str, key: str, action: str, method: str | None, path: str | None,
                payload: dict | None, note: str | None) -> None:
        self._write(_sql("dry_run_insert"),
                    [run_id, self.shop, entity, key, action, method, path,
                     json.dumps(payload, ensure_ascii=False) if payload is not None else None, note], defer=True)
