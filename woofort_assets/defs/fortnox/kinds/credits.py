"""Credit notes for refunds: an unbooked invoice is cancelled; a whole-order reversal is Fortnox's own credit of
the original (PUT /credit, which Fortnox allows on booked invoices only); a partial refund, and the remainder of
an order cancelled after refunds, is a credit invoice of its own rows that refers to the original
(CreditInvoiceReference), found again by order number and refund id (or "order <status>"); one with a row at a
non-whole VAT rate is Fortnox's own credit with its rows then set to the refund's (credit_rows.py).

Ledger key: the refund (the delta's source_key, `order-<id>` for a whole-order reversal); fortnox_number = the
credit invoice's DocumentNumber, or the original's number for a `cancel`."""

from __future__ import annotations

from functools import cache

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DONE, DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import (
    Write, bookkeep, each_row, envelope_of, is_done, keep, send, sweep_bookkeeping, unchanged, with_fields)
from woofort_assets.defs.fortnox.kinds import credit_rows
from woofort_assets.defs.fortnox.kinds.invoice_orders import has_non_whole_rate
from woofort_assets.defs.fortnox.kinds.invoices import book_this, credit_number
from woofort_assets.resources.fortnox.endpoints import INVOICES

ENTITY = "credit_invoice"


class References:
    """The ledger rows credits and payments refer to (an invoice, or a credit invoice), read once per entity."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.rows: dict[str, dict[str, LedgerRow]] = {}

    def resolve(self, row: DeltaRow) -> LedgerRow | None:
        """The referenced document when it is in Fortnox, else None (the row waits)."""
        entity = row.ref_entity or "invoice"
        if entity not in self.rows:
            self.rows[entity] = self.sink.ledger.rows(entity)
        ref = self.rows[entity].get(row.ref_source_key or "")
        return ref if ref is not None and ref.fortnox_number and ref.status in DONE else None


def sync_credits(sink: Sink, rows: list[DeltaRow]) -> None:
    client = sink.client
    creds = sink.ledger.rows(ENTITY)
    references = References(sink)
    claimed = {r.fortnox_number for r in creds.values() if r.fortnox_number}
    claimed |= {r.fortnox_number for r in sink.ledger.rows("invoice_reissue").values() if r.fortnox_number}
    if not sink.dry_run and sink.auto_book:
        # credit invoices whose bookkeep failed or was interrupted; a cancel's number is an invoice's (the order's
        # current one, or one a reissue voided), and a cancelled invoice is never booked
        invoices = {r.fortnox_number for r in sink.ledger.rows("invoice").values() if r.fortnox_number}
        invoices |= {key.rpartition("#")[2] for key in sink.ledger.rows("invoice_reissue")}
        sweep_bookkeeping(sink, ENTITY, INVOICES, skip=invoices)

    def action_write(row: DeltaRow, original: LedgerRow) -> Write:
        """The write for `row`. Against an original woofort adopted, what its look-up finds is adopted first: a
        plugin before woofort may have credited or cancelled it already."""
        n = original.fortnox_number
        inner = envelope_of(row.payload)[1]
        adopted = original.status == "adopted"

        @cache
        def original_before_sending() -> dict:
            """Read once for what is checked before sending (the refusal, the adoption); a look-up after an
            unknown outcome reads it anew."""
            return INVOICES.get(client, n)

        def credited(doc: dict) -> dict | None:
            voiding = lookups.number_of(doc.get("CreditInvoiceReference"))
            return doc if voiding and voiding not in claimed else None

        def number(doc: dict) -> str:
            return credit_number(doc) or n

        def book_original() -> None:
            """Fortnox credits booked invoices only ([WFH]): the original is booked first."""
            if not original.booked and bookkeep(sink, row.ref_entity or "invoice", row.ref_source_key, INVOICES, n):
                original.booked = True

        def whole_credit(note: str, prepare=None, refusal=None) -> Write:
            return Write("credit", "PUT", INVOICES.action_path(n, "credit"), None, INVOICES, number=number,
                         booked=lambda doc: number(doc) == str(doc.get("DocumentNumber"))
                         and lookups.is_true(doc.get("Booked")),
                         lookup=lambda: credited(INVOICES.get(client, n)),
                         adopt=(lambda: credited(original_before_sending())) if adopted else None,
                         book=book_this(sink, row), prepare=prepare, refusal=refusal, before_sending=book_original,
                         record_payload={"action": "credit", "invoice": n}, note=note)

        if row.action == "cancel":
            def cancelled() -> dict | None:
                doc = INVOICES.get(client, n)
                return doc if lookups.is_true(doc.get("Cancelled")) else None

            return Write("cancel", "PUT", INVOICES.action_path(n, "cancel"), None, INVOICES,
                         number=lambda doc: n, booked=lambda doc: False, lookup=cancelled,
                         adopt=cancelled if adopted else None,
                         record_payload={"action": "cancel", "invoice": n}, note=f"cancel of invoice {n}")
        if not inner.get("InvoiceRows") or (row.source_key.startswith("order-") and not row.extra.get("remainder")):
            return whole_credit(f"credit (full) of invoice {n}")
        if has_non_whole_rate(row.payload):
            return whole_credit(f"credit of invoice {n}, then its rows set to the refund's (a non-whole VAT rate)",
                                prepare=lambda doc: credit_rows.fit_credit(sink, row, doc),
                                refusal=lambda: credit_rows.refusal(original_before_sending(), row.payload))
        order = str(inner.get("ExternalInvoiceReference1") or (row.order_id if row.order_id is not None
                                                                else row.ref_source_key)).strip()
        refund = inner.get("ExternalInvoiceReference2")
        refund = str(refund).strip() if refund not in (None, "") else None

        def credit_invoice() -> dict | None:
            return lookups.find_credit_invoice(client, order, n, exclude=claimed, ext_ref2=refund)

        return Write("credit", "POST", INVOICES.path, with_fields(row.payload, CreditInvoiceReference=n), INVOICES,
                     lookup=credit_invoice, adopt=credit_invoice if adopted else None,
                     book=book_this(sink, row), note=f"credit (partial) of invoice {n}")

    def one(row: DeltaRow) -> None:
        led = creds.get(row.source_key)
        if unchanged(sink, ENTITY, row, led):
            return
        original = references.resolve(row)
        if is_done(led) and row.action == "credit" and led.fortnox_number \
                and envelope_of(row.payload)[1].get("InvoiceRows"):
            number = led.fortnox_number       # a changed partial credit already in Fortnox: update it
            body = row.payload if original is None else \
                with_fields(row.payload, CreditInvoiceReference=original.fortnox_number)
            if has_non_whole_rate(row.payload):
                body = credit_rows.rows_body(sink.guard(ENTITY, row.source_key,
                                                        lambda: INVOICES.get(client, number)), row.payload)
            send(sink, ENTITY, row, led, Write("update", "PUT", INVOICES.item_path(number), body, INVOICES,
                                               number_before=number, restore_status=led.status))
            return
        if is_done(led):
            keep(sink, ENTITY, row, led)      # a cancel or a full credit is done: nothing more can be sent
            return
        waits_for = f"waits for {row.ref_entity or 'invoice'} {row.ref_source_key}"
        if original is None:
            if sink.dry_run:
                sink.plan(ENTITY, row.source_key, row.action, "PUT" if row.action == "cancel" else None, None,
                          row.payload, f"{waits_for} to be in the ledger")
            else:
                sink.defer(ENTITY, row.source_key, waits_for)
            return
        number = send(sink, ENTITY, row, led, action_write(row, original))
        if number is not None:
            claimed.add(number)
            if row.action == "cancel":
                # the original's ledger row becomes `cancelled`: a new invoice only if the order changes again
                sink.ledger.set_status(row.ref_entity or "invoice", row.ref_source_key, "cancelled")
                original.status = "cancelled"

    each_row(sink, ENTITY, rows, one)
