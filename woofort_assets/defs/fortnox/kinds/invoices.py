"""Customer invoices: created once per order and booked; an unbooked one is updated in place; a booked one whose
order changed is voided (credited, or cancelled when it was never booked) and issued anew.

Ledger keys:
- invoice: the order (the delta's source_key); fortnox_number = the order's *current* DocumentNumber
- invoice_reissue: "<order>#<old DocumentNumber>"; fortnox_number = the credit invoice that voided the old
  document (or the old number itself when it was unbooked and cancelled instead)
A Fortnox search by ExternalInvoiceReference1 (the order number) finds an invoice after an unknown outcome;
numbers already claimed by another ledger row are never adopted twice.
- invoice_email: the order; the invoice's e-mail, queued with its first create (kinds/invoice_emails.py)
- invoice_order: the order; the Fortnox order an invoice at a non-whole VAT rate is made from
  (kinds/invoice_orders.py)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DONE, DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.protocol import Sink, TransientError
from woofort_assets.defs.fortnox.engine.steps import (
    Write, each_row, envelope_of, is_done, record_found, send, sweep_bookkeeping, unchanged, with_fields)
from woofort_assets.defs.fortnox.kinds import invoice_emails, invoice_orders
from woofort_assets.resources.fortnox import FortnoxError
from woofort_assets.resources.fortnox.endpoints import INVOICES

ENTITY = "invoice"
REISSUE = "invoice_reissue"
PREFETCH_THRESHOLD = 50   # more first-time orders than this: list the invoices once instead of one search each
CHUNK = 25                # new orders marked `pending` in one DuckDB commit


def book_this(sink: Sink, row: DeltaRow) -> bool:
    """The delta's own `bookkeep` column when it has one (mapping invoicing.bookkeep, per row), else the mapping
    flag read by the asset (default true)."""
    value = row.extra.get("bookkeep")
    return sink.auto_book if value is None else bool(value)


def order_ref(row: DeltaRow) -> str:
    inner = envelope_of(row.payload)[1]
    return str(inner.get("ExternalInvoiceReference1") or (row.order_id if row.order_id is not None else
                                                          row.source_key)).strip()


def credit_number(doc: dict) -> str | None:
    """The answer of PUT /invoices/{n}/credit: either the credit invoice or the original pointing at it."""
    if lookups.is_true(doc.get("Credit")):
        return str(doc.get("DocumentNumber"))
    return lookups.number_of(doc.get("CreditInvoiceReference"))


def locked_until(client) -> str:
    """The last day of Fortnox's locked period ('' when nothing is locked, or the setting cannot be read)."""
    try:
        return str((client.get("/3/settings/lockedperiod").get("LockedPeriod") or {}).get("EndDate") or "")[:10]
    except FortnoxError:
        return ""


def past_lock(payload: dict, end: str) -> dict:
    """A correction is dated the day of the change, but never inside Fortnox's locked period: then the first open
    day."""
    day = str(envelope_of(payload)[1].get("InvoiceDate") or "")[:10]
    if len(end) == 10 and day <= end:
        return with_fields(payload, InvoiceDate=(date.fromisoformat(end) + timedelta(days=1)).isoformat())
    return payload


def _min_date(rows: list[DeltaRow], field: str) -> str | None:
    dates = [str(envelope_of(r.payload)[1].get(field) or "")[:10] for r in rows]
    dates = [d for d in dates if len(d) == 10]
    return min(dates) if dates else None


def sync_invoices(sink: Sink, rows: list[DeltaRow]) -> None:
    client = sink.client
    inv = sink.ledger.rows(ENTITY)
    reissues = sink.ledger.rows(REISSUE)
    superseded: dict[str, set[str]] = {}
    for rkey in reissues:
        base, _, old = rkey.rpartition("#")
        superseded.setdefault(base, set()).add(old)
    current = {r.fortnox_number for r in inv.values() if r.fortnox_number}
    claimed = current | {r.fortnox_number for r in reissues.values() if r.fortnox_number}
    claimed |= {old for olds in superseded.values() for old in olds}

    if not sink.dry_run and sink.auto_book:
        credits = sink.ledger.rows("credit_invoice")
        voided = {r.fortnox_number for r in credits.values() if r.fortnox_number} | (claimed - current)
        sweep_bookkeeping(sink, ENTITY, INVOICES, skip=voided)

    index, lock = None, {}
    first = [r for r in rows if inv.get(r.source_key) is None or inv[r.source_key].status == "failed"]
    if not sink.dry_run and len(first) > PREFETCH_THRESHOLD:
        try:
            index = sink.guard(ENTITY, "*", lambda: lookups.InvoiceIndex(client, _min_date(first, "InvoiceDate")))
        except TransientError:
            index = None

    def create_write(row: DeltaRow, led: LedgerRow | None) -> Write:
        ref = order_ref(row)
        exclude = claimed | superseded.get(row.source_key, set())

        def lookup() -> dict | None:
            return lookups.find_invoice(client, ref, exclude=exclude)

        def adopt() -> dict | None:
            if index is None:
                return lookup()
            return lookups.pick_invoice(client, index.candidates(ref), exclude=exclude, credit=False)

        fresh = led is not None and led.status == "pending-reissue"   # the old document was just voided
        if fresh and "end" not in lock:
            lock["end"] = locked_until(client)
        body = past_lock(row.payload, lock["end"]) if fresh else row.payload
        return Write("create", "POST", INVOICES.path, body, INVOICES, lookup=lookup,
                     adopt=None if fresh else adopt, book=book_this(sink, row),
                     note=f"looked up first by ExternalInvoiceReference1 = {ref} (adopted if found)")

    def create(row: DeltaRow, led: LedgerRow | None, write: Write) -> str | None:
        """A row at a non-whole VAT rate cannot be sent as an invoice: an order and its createinvoice instead."""
        if invoice_orders.has_non_whole_rate(write.body):
            exclude = claimed | superseded.get(row.source_key, set())
            return invoice_orders.create(sink, row, led, write, exclude)
        return send(sink, ENTITY, row, led, write)

    def claim(number: str | None) -> None:
        if number is not None:
            claimed.add(number)

    def reissue(row: DeltaRow, led: LedgerRow) -> None:
        old = led.fortnox_number
        rkey = f"{row.source_key}#{old}"
        rled = reissues.get(rkey)
        action = "credit" if led.booked else "cancel"
        if not is_done(rled):
            def lookup_void() -> dict | None:
                doc = INVOICES.get(client, old)
                if action == "cancel":
                    return doc if lookups.is_true(doc.get("Cancelled")) else None
                voiding = lookups.number_of(doc.get("CreditInvoiceReference"))
                return doc if voiding and voiding not in claimed else None

            def void_number(doc: dict) -> str:
                return (credit_number(doc) if action == "credit" else old) or old

            void = Write(action, "PUT", INVOICES.action_path(old, action), None, INVOICES, number=void_number,
                         booked=lambda doc: void_number(doc) == old, lookup=lookup_void,
                         book=action == "credit" and book_this(sink, row),
                         record_payload={"reissue_of": old, "action": action}, entity=REISSUE, key=rkey,
                         note=f"reissue of order {row.source_key}: void document {old}")
            voided_by = send(sink, ENTITY, row, rled, void)
            if voided_by is None and not sink.dry_run:
                return
            claim(voided_by)
        superseded.setdefault(row.source_key, set()).add(old)
        claimed.add(old)
        fresh = LedgerRow(row.source_key, "pending-reissue", None, None, False, led.attempts)
        claim(create(row, fresh, create_write(row, fresh)))

    def one(row: DeltaRow) -> None:
        led = inv.get(row.source_key)
        # an operator's re-issue has the payload the ledger holds: it is sent while its invoice is still current
        asked = row.action == "reissue" and led is not None and row.extra.get("replaces") == led.fortnox_number
        if not asked and unchanged(sink, ENTITY, row, led):
            return
        if led is None or led.fortnox_number is None or not (led.status in DONE or led.status == "pending"):
            claim(create(row, led, create_write(row, led)))
        elif row.action == "reissue" or led.booked or invoice_orders.has_non_whole_rate(row.payload):
            # an invoice row's VAT is whole: a non-whole rate's invoice is made anew from an order, never PUT
            reissue(row, led)
        else:
            number = led.fortnox_number
            claim(send(sink, ENTITY, row, led, Write(
                "update", "PUT", INVOICES.item_path(number), row.payload, INVOICES, number_before=number,
                restore_status=led.status if led.status in DONE else "synced", book=book_this(sink, row),
                note="unbooked invoice")))

    def chunk_of(chunk: list[DeltaRow]) -> None:
        """New orders of a chunk are looked up (adoption) and then marked `pending` in one commit before their
        creates are sent one by one: one DuckDB commit per chunk instead of one per invoice."""
        ready: dict[str, Write | None] = {}   # order -> its create, or None when the look-up settled it
        if not sink.dry_run:
            for row in chunk:
                led = inv.get(row.source_key)
                if led is not None and led.status != "failed":
                    continue
                write = create_write(row, led)
                ready[row.source_key] = None
                try:
                    found = sink.guard(ENTITY, row.source_key, write.adopt)
                except TransientError as err:
                    sink.transient(ENTITY, row.source_key, err)
                    continue
                if found is not None:
                    claim(record_found(sink, ENTITY, row, led, write, found))
                else:
                    ready[row.source_key] = replace(write, adopt=None, premarked=True)
            creates = [r for r in chunk if ready.get(r.source_key) is not None]
            sink.ledger.mark_pending_many([(ENTITY, r.source_key, None, r.order_id) for r in creates]
                                          + invoice_emails.to_queue(sink, creates))
        else:
            invoice_emails.to_queue(sink, [r for r in chunk if inv.get(r.source_key) is None])

        def step(row: DeltaRow) -> None:
            if row.source_key not in ready:
                one(row)
            elif ready[row.source_key] is not None:
                claim(create(row, inv.get(row.source_key), ready[row.source_key]))

        each_row(sink, ENTITY, chunk, step)

    for start in range(0, len(rows), CHUNK):
        chunk_of(rows[start:start + CHUNK])
    invoice_emails.send_emails(sink)
