"""E-mailing an invoice from Fortnox (GET /3/invoices/{n}/email), exactly once per order, for the payment methods
whose mapping says `email_invoice: true` (the invoice payload then carries EmailInformation.EmailAddressTo).

Ledger key: invoice_email / the order (the invoice's source_key); fortnox_number = the invoice e-mailed.
- Only an invoice woofort creates for the first time is mailed: its e-mail row is committed `pending` in the same
  commit as the invoice's own `pending` mark, before the invoice is sent. An invoice adopted from Fortnox, one that
  existed before the method was set to e-mail, a re-issued invoice and credit invoices are never mailed.
- `send_emails` then sends every e-mail row not yet done whose invoice is in Fortnox; a row whose invoice was
  rejected or is still pending waits for it.
- A `pending` row that was attempted (its last answer was lost, or the run died) is looked up first: the
  invoice's `Sent` flag (GUESS: Fortnox sets it when it e-mails the invoice; no other way to ask is documented)
  says whether the e-mail went out; only when it is false is it sent (again). A row only queued is sent at once.
  A rejection (no address, a cancelled invoice) is dead-lettered and waits for an operator's retry."""

from __future__ import annotations

from dataclasses import replace

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, is_done, send
from woofort_assets.resources.fortnox.endpoints import INVOICES

EMAIL = "invoice_email"
QUEUED = "queued"     # a `pending` row never attempted: sent without a look-up (never written to the ledger)


def address_of(row: DeltaRow) -> str | None:
    """The address the invoice is to be e-mailed to; None when its payment method does not e-mail invoices."""
    info = envelope_of(row.payload)[1].get("EmailInformation") or {}
    return str(info.get("EmailAddressTo") or "").strip() or None


def to_queue(sink: Sink, rows: list[DeltaRow]) -> list[tuple[str, str, None, int | None]]:
    """The e-mail rows to commit `pending` with these first-time invoice creates (a dry run plans them instead)."""
    queued = sink.ledger.rows(EMAIL)
    wanted = [r for r in rows if address_of(r) and r.source_key not in queued]
    if sink.dry_run:
        for r in wanted:
            sink.plan(EMAIL, r.source_key, "email", "GET", INVOICES.action_path("{DocumentNumber}", "email"), None,
                      f"e-mailed to {address_of(r)} once the invoice exists")
        return []
    return [(EMAIL, r.source_key, None, r.order_id) for r in wanted]


def email_write(sink: Sink, key: str, number: str) -> Write:
    def sent() -> dict | None:
        doc = INVOICES.get(sink.client, number)
        return doc if lookups.is_true(doc.get("Sent")) else None

    return Write("email", "GET", INVOICES.action_path(number, "email"), None, INVOICES, number=lambda doc: number,
                 booked=lambda doc: False, lookup=sent, record_payload={"email_of_invoice": number}, entity=EMAIL,
                 key=key, note=f"invoice {number} e-mailed by Fortnox")


def send_emails(sink: Sink) -> None:
    """Every queued e-mail whose invoice Fortnox holds is sent (see the module docstring)."""
    if sink.dry_run:
        return
    invoices = sink.ledger.rows("invoice")
    todo: list[tuple[LedgerRow, LedgerRow]] = []
    for key, led in sink.ledger.rows(EMAIL).items():
        invoice = invoices.get(key)
        if not is_done(led) and invoice is not None and is_done(invoice) and invoice.fortnox_number:
            todo.append((led, invoice))
    by_key = {led.source_key: (led, invoice) for led, invoice in todo}

    def one(row: DeltaRow) -> None:
        led, invoice = by_key[row.source_key]
        if led.status == "pending" and led.attempts <= 1:
            # only queued: no e-mail was ever attempted (an attempt marks it pending again, attempts 2), so there is
            # nothing to look up first: one request instead of two
            led = replace(led, status=QUEUED)
        send(sink, EMAIL, row, led, email_write(sink, row.source_key, invoice.fortnox_number))

    rows = [DeltaRow(led.source_key, EMAIL, "email", None, None, None, invoice.order_id, "invoice", led.source_key)
            for led, invoice in todo]
    each_row(sink, EMAIL, rows, one)
