"""An invoice with a row at a non-whole VAT rate (FI 25.5 % and 14 %, FR 5.5 %, IE 13.5 %) is booked through an
order: in Fortnox's spec an invoice row's VAT is an integer (fortnox_Invoice_InvoiceRow.VAT int32) while an order
row's is a decimal (fortnox_Order_OrderRow.VAT double), and PUT /3/orders/{n}/createinvoice turns an order into an
invoice (reference §5.6). A direct POST /3/invoices cannot carry 25.5; a voucher would book the sale without a
customer invoice to pay or credit; no VAT code in the spec names a rate. docs/accounting.md §3 "Non-whole rates".

Two writes, each under the ledger protocol (steps.send), so each is exactly-once:
1. POST /3/orders, ledger entity `invoice_order` (key: the WooCommerce order): the order's number is in the
   ledger before createinvoice is sent. After an unknown outcome it is looked up by ExternalInvoiceReference1
   (exact), not cancelled, not claimed by another ledger row, not already turned into an invoice woofort has
   superseded.
2. PUT /3/orders/{n}/createinvoice, ledger entity `invoice`, recorded exactly as a directly created invoice
   (payments, credits, reconciliation and lineage read the same row). Looked up through the order's
   InvoiceReference, which createinvoice sets (reference §5.6), else by ExternalInvoiceReference1 as a direct
   invoice is (GUESS: createinvoice copies it; the sandbox's `createinvoice_copies_references` switches it off).
Then, before it is booked (Write.prepare, idempotent), the invoice gets the invoice payload's InvoiceDate and
DueDate (GUESS: createinvoice dates the invoice the day it runs; the sandbox's `createinvoice_invoice_date`).
GUESS: the invoice keeps the order rows' decimal VAT (an invoice row that came from an order)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, envelope_of, is_done, send
from woofort_assets.resources.fortnox.endpoints import INVOICES, ORDERS

ENTITY = "invoice"
ORDER_ENTITY = "invoice_order"
INVOICE_ONLY = ("InvoiceDate", "DueDate", "InvoiceRows")   # fields of the invoice payload an order has not ([SPEC])
DATES = ("InvoiceDate", "DueDate")


def _whole(value) -> bool:
    try:
        return Decimal(str(value if value is not None else 0)) % 1 == 0
    except (InvalidOperation, ValueError):
        return True


def has_non_whole_rate(payload: dict | None) -> bool:
    """Whether an invoice payload has a row at a non-whole rate: it is booked through an order, and a refund of it
    is Fortnox's credit of the whole invoice (credit_rows.py). The delta's `via_order` says the same; the payload
    decides, so a delta without that column is booked alike."""
    return any(not _whole(r.get("VAT")) for r in envelope_of(payload)[1].get("InvoiceRows") or []
               if isinstance(r, dict))


def order_payload(payload: dict) -> dict:
    """The invoice payload as an order: the same header and rows; a row's quantity ordered and delivered (the
    invoice invoices what was delivered); the invoice date as the order date."""
    inner = envelope_of(payload)[1]
    order = {k: v for k, v in inner.items() if k not in INVOICE_ONLY}
    if inner.get("InvoiceDate"):
        order["OrderDate"] = inner["InvoiceDate"]
    order["OrderRows"] = [{**r, "OrderedQuantity": r.get("DeliveredQuantity", 1),
                           "DeliveredQuantity": r.get("DeliveredQuantity", 1)}
                          for r in inner.get("InvoiceRows") or []]
    return {"Order": order}


def create(sink: Sink, row: DeltaRow, led: LedgerRow | None, w: Write, exclude: set[str]) -> str | None:
    """Books `row` through an order. `w`: the direct create the invoices' kind built (its invoice lookup, adoption,
    book flag and chunk mark); `exclude`: invoice numbers other ledger rows hold or that were superseded."""
    client, key = sink.client, row.source_key
    orders = sink.ledger.rows(ORDER_ENTITY)
    taken = {r.fortnox_number for k, r in orders.items() if k != key and r.fortnox_number}
    ref = str(envelope_of(w.body)[1].get("ExternalInvoiceReference1") or key).strip()
    fresh = led is not None and led.status == "pending-reissue"

    def invoice_of(order: dict | None) -> dict | None:
        number = lookups.number_of((order or {}).get("InvoiceReference"))
        return INVOICES.get(client, number) if number and number not in exclude else None

    def find_order() -> dict | None:
        for item in lookups.lowest_first(lookups.search_by_ref(client, ref, ORDERS)):
            number = str(item["DocumentNumber"])
            if number in taken or lookups.is_true(item.get("Cancelled")):
                continue
            inv = lookups.number_of(item.get("InvoiceReference"))
            if inv is None or inv not in exclude:
                return ORDERS.get(client, number)
        return None

    oled = orders.get(key)
    number = oled.fortnox_number if is_done(oled) and not sink.dry_run else None
    if number is not None:
        order = sink.guard(ORDER_ENTITY, key, lambda: ORDERS.get_or_none(client, number))
        invoiced = lookups.number_of((order or {}).get("InvoiceReference"))
        if order is None or lookups.is_true(order.get("Cancelled")) or (invoiced and invoiced in exclude):
            # used up by an invoice woofort superseded (a re-issue), or gone: a new order
            number, oled = None, LedgerRow(key, "pending-reissue", None, None, False, oled.attempts)
    if number is None:
        fresh = fresh or (oled is not None and oled.status == "pending-reissue")
        number = send(sink, ENTITY, row, oled, Write(
            "create", "POST", ORDERS.path, order_payload(w.body), ORDERS, lookup=find_order,
            adopt=None if fresh else find_order, entity=ORDER_ENTITY,
            note="non-whole VAT rate: booked as an order turned into an invoice"))
        if sink.dry_run:
            number = "{DocumentNumber}"
        elif number is None:
            # rejected (dead letter, under invoice_order) or left pending: the invoice waits for its order; a
            # rejected order made no invoice, so the invoice row is not left `pending` (its chunk marked it)
            now = sink.ledger.rows(ORDER_ENTITY).get(key)
            if now is not None and now.status == "failed":
                sink.ledger.set_status(ENTITY, key, w.restore_status)
            return None

    def lookup() -> dict | None:
        found = invoice_of(ORDERS.get_or_none(client, number))
        return found if found is not None or w.lookup is None else w.lookup()

    body = envelope_of(w.body)[1]
    dates = {f: body[f] for f in DATES if body.get(f)}

    def dated(doc: dict) -> dict:
        if all(str(doc.get(f) or "")[:10] == v for f, v in dates.items()):
            return doc
        answer = sink.guard(ENTITY, key, lambda: INVOICES.unwrap(
            client.put(INVOICES.item_path(INVOICES.number_of(doc)), {"Invoice": dates})))
        sink.ledger.store_document(ENTITY, answer)
        return answer

    return send(sink, ENTITY, row, led, replace(
        w, action="create", method="PUT", path=ORDERS.action_path(number, "createinvoice"), body=None,
        lookup=lookup, adopt=None if fresh else lookup, record_payload=w.body, prepare=dated,
        note=f"createinvoice of order {number}, then its InvoiceDate/DueDate"))
