"""Invoice payments: registered on the invoice (or credit invoice) the ledger holds for the order, then booked;
then what corrections left open is settled (settlements.py).
A payment in a foreign currency is sent with its currency amount and the SEK amount at the rate of its day (the
delta's, docs/accounting.md "Foreign currency"), so Fortnox books the exchange difference; one the delta has no SEK
amount for (an invoice booked before woofort sent rates) is sent at the Fortnox invoice's rate.
After an unknown outcome the payment is found by invoice number, amount and date.

Ledger key: the delta's source_key; fortnox_number = the payment's Number."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import (
    Write, each_row, envelope_of, is_done, send, sweep_bookkeeping, unchanged, with_fields)
from woofort_assets.defs.fortnox.kinds.credits import References
from woofort_assets.defs.fortnox.kinds.settlements import settle_orders
from woofort_assets.resources.fortnox.endpoints import INVOICE_PAYMENTS, INVOICES

ENTITY = "invoice_payment"
CENT = Decimal("0.01")


def _as_int(number: str):
    return int(number) if str(number).isdigit() else number


def sync_payments(sink: Sink, rows: list[DeltaRow]) -> None:
    client = sink.client
    pays = sink.ledger.rows(ENTITY)
    references = References(sink)
    claimed = {r.fortnox_number for r in pays.values() if r.fortnox_number}
    if not sink.dry_run:
        sweep_bookkeeping(sink, ENTITY, INVOICE_PAYMENTS)

    def in_sek(row: DeltaRow, body: dict, invoice_number: str) -> dict:
        """Amount (SEK) = AmountCurrency x the Fortnox invoice's CurrencyRate, read at send time."""
        doc = sink.guard(ENTITY, row.source_key, lambda: INVOICES.get(client, invoice_number))
        rate = Decimal(str(doc.get("CurrencyRate") or 1))
        unit = Decimal(str(doc.get("CurrencyUnit") or 1)) or Decimal(1)
        amount = (Decimal(str(envelope_of(body)[1]["AmountCurrency"])) * rate / unit).quantize(CENT, ROUND_HALF_UP)
        return with_fields(body, Amount=float(amount), CurrencyRate=float(rate))

    def one(row: DeltaRow) -> None:
        led = pays.get(row.source_key)
        if unchanged(sink, ENTITY, row, led):
            return
        inner = envelope_of(row.payload)[1]
        invoice = references.resolve(row)
        if is_done(led):
            number = led.fortnox_number
            body = row.payload if invoice is None else \
                with_fields(row.payload, InvoiceNumber=_as_int(invoice.fortnox_number))
            send(sink, ENTITY, row, led, Write("update", "PUT", INVOICE_PAYMENTS.item_path(number), body,
                                               INVOICE_PAYMENTS, number_before=number, restore_status=led.status))
            return
        if invoice is None:
            if sink.dry_run:
                sink.plan(ENTITY, row.source_key, "create", "POST", INVOICE_PAYMENTS.path, row.payload,
                          f"InvoiceNumber resolved at send time from {row.ref_entity or 'invoice'} "
                          f"{row.ref_source_key} (not in the ledger yet)")
            else:
                sink.defer(ENTITY, row.source_key, f"waits for {row.ref_entity or 'invoice'} {row.ref_source_key}")
            return
        n = invoice.fortnox_number
        body = with_fields(row.payload, InvoiceNumber=_as_int(n))
        note = f"payment of invoice {n}"
        if inner.get("Amount") is None and inner.get("AmountCurrency") is not None:
            if sink.dry_run:
                note = in_sek.__doc__
            else:
                body = in_sek(row, body, n)
        sent = envelope_of(body)[1]
        amount, date = sent.get("Amount"), sent.get("PaymentDate")

        def lookup() -> dict | None:
            return lookups.find_payment(client, n, amount, str(date) if date else None, exclude=claimed)

        number = send(sink, ENTITY, row, led, Write(
            "create", "POST", INVOICE_PAYMENTS.path, body, INVOICE_PAYMENTS, lookup=lookup,
            adopt=lookup if invoice.status == "adopted" else None, book=True, note=note))
        if number is not None:
            claimed.add(number)

    each_row(sink, ENTITY, rows, one)
    settle_orders(sink, pays, claimed)
