"""What a correction leaves open is settled after the payments. How Fortnox settles a credit note against the
invoice it credits is not documented (GUESS, docs/fortnox-fidelity.md): it may offset them itself, or leave both
open. So the sink reads each touched order's documents back (Balance) instead of assuming either, and:
1. offsets the documents of an order that are open in opposite directions (a credit note or an overpaid invoice
   against an invoice or an over-refunded credit note; which of these arises depends on the order Fortnox saw the
   documents and payments in) with a payment out and in on `payments.clearing` (the customer ledger account, so
   no money moves);
2. registers what is still open on a paid order's re-issued invoice (the order's total went up) or on the credit
   note that voided its old invoice (it went down) on the order's own mode of payment, in or out: WooCommerce says
   the order is paid, for its current total.
What stays open after that (a customer's credit, an order WooCommerce says is unpaid) is what the
reconciliation's open balances compare with WooCommerce.

Ledger (entity invoice_payment): "clear:<owed>:<due>:out" and ":in", "topup:<invoice>", "payback:<credit>".
An order is not read again while its documents and registered payments are those it was settled with (entity
settlement, key = order, hash)."""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from woofort_assets.defs.fortnox.engine import lookups, queries
from woofort_assets.defs.fortnox.engine.ledger import DONE, DeltaRow, LedgerRow
from woofort_assets.defs.fortnox.engine.protocol import Sink, TransientError
from woofort_assets.defs.fortnox.engine.steps import Write, is_done, send
from woofort_assets.resources.fortnox.endpoints import INVOICE_PAYMENTS, INVOICES

ENTITY = "invoice_payment"
SETTLED = "settlement"
CENT = Decimal("0.01")
OWN_KEYS = ("clear:", "topup:", "payback:")


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


class Documents:
    """The Fortnox documents of each order, from the ledger: its current invoice, the invoices a re-issue voided
    and the credit notes that voided them, and its refunds' credit notes (a `cancel` records the invoice itself)."""

    def __init__(self, sink: Sink):
        self.invoices = sink.ledger.rows("invoice")
        self.reissues = sink.ledger.rows("invoice_reissue")
        self.credits = sink.ledger.rows("credit_invoice")

    def of(self, order: str) -> tuple[str | None, set[str], set[str]]:
        """(current invoice number, all numbers, the credit notes that voided re-issued invoices)."""
        current = self.invoices.get(order)
        numbers = {current.fortnox_number} if current and current.fortnox_number and current.status in DONE else set()
        voiding = set()
        for key, row in self.reissues.items():
            base, _, old = key.rpartition("#")
            if base == order and row.fortnox_number:
                numbers |= {old, row.fortnox_number}
                voiding.add(row.fortnox_number)
        numbers |= {r.fortnox_number for r in self.credits.values()
                    if r.order_id is not None and str(r.order_id) == order and r.fortnox_number and r.status in DONE}
        return (current.fortnox_number if current else None), numbers, voiding


def settle_orders(sink: Sink, payments: dict[str, LedgerRow], claimed: set[str]) -> None:
    if sink.dry_run:
        return
    orders = queries.settlement_orders(sink.ledger.con(), sink.ledger.shop)
    if not orders:
        return
    documents, settled = Documents(sink), sink.ledger.rows(SETTLED)
    registered: dict[str, list[str]] = {}     # the order's payments (not this module's) the balances read reflect
    for key, row in sink.ledger.rows(ENTITY).items():
        if row.order_id is not None and is_done(row) and not key.startswith(OWN_KEYS):
            registered.setdefault(str(row.order_id), []).append(key)
    client = sink.client

    def pay(order: str, key: str, doc: dict, amount: Decimal, mode: str, account: int, day: str) -> bool:
        """One payment (negative on a credit note) on `doc`, exactly once; True once Fortnox and the ledger hold it."""
        number = str(doc["DocumentNumber"])
        inner = {"InvoiceNumber": int(number) if number.isdigit() else number, "PaymentDate": day,
                 "ModeOfPayment": mode, "ModeOfPaymentAccount": account}
        if str(doc.get("Currency") or "SEK").upper() == "SEK":
            inner["Amount"] = float(amount)
        else:
            rate = Decimal(str(doc.get("CurrencyRate") or 1)) / (Decimal(str(doc.get("CurrencyUnit") or 1)) or 1)
            inner.update(AmountCurrency=float(amount), CurrencyRate=float(rate),
                         Amount=float((amount * rate).quantize(CENT, ROUND_HALF_UP)))
        body = {"InvoicePayment": inner}
        digest = hashlib.md5(repr(sorted(inner.items())).encode()).hexdigest()
        row = DeltaRow(key, ENTITY, "create", body, None, digest, int(order), "invoice", order)
        led = payments.get(key)
        if is_done(led):
            return True

        def lookup() -> dict | None:
            return lookups.find_payment(client, number, inner["Amount"], day, exclude=claimed)

        paid = send(sink, ENTITY, row, led, Write("create", "POST", INVOICE_PAYMENTS.path, body, INVOICE_PAYMENTS,
                                                  lookup=lookup, book=True, note=f"settles {number} ({key})"))
        if paid is not None:
            claimed.add(paid)
        return paid is not None

    own_clearing = {r.fortnox_number for key, r in payments.items() if key.startswith("clear:") and r.fortnox_number}

    def cleared(number: str, doc: dict, clearing_mode: str) -> Decimal:
        """What clearing payments moved on `doc`, so that its balance is paired as before any of them: the pairs
        are then the same at every run, and a pair whose `out` landed unseen (an unknown outcome, pending) is
        looked up and completed with its `in`, not forgotten because the balances moved. A payment is a clearing
        one when the ledger says so, or, unknown to the ledger, when it was made on the clearing mode."""
        foreign = str(doc.get("Currency") or "SEK").upper() != "SEK"
        total = Decimal(0)
        for item in sink.guard(ENTITY, f"settle:{number}",
                               lambda: list(INVOICE_PAYMENTS.iterate(client, {"invoicenumber": number}))):
            payment = str(item.get("Number"))
            if str(item.get("InvoiceNumber")) != number or (payment in claimed and payment not in own_clearing):
                continue
            full = item if payment in own_clearing and not foreign else \
                sink.guard(ENTITY, f"settle:{number}", lambda: INVOICE_PAYMENTS.get(client, payment))
            if payment in own_clearing or str(full.get("ModeOfPayment") or "") == clearing_mode:
                total += _money(full.get("AmountCurrency") if foreign else full.get("Amount"))
        return total

    for order_id, paid, mode, account, clearing_mode, clearing_account in orders:
        order = str(order_id)
        current, numbers, voiding = documents.of(order)
        state = (sorted(numbers), bool(paid), sorted(registered.get(order, [])))
        digest = hashlib.md5(repr(state).encode()).hexdigest()
        done = settled.get(order)
        if not numbers or (done is not None and done.payload_hash == digest):
            continue
        try:
            docs = {n: sink.guard(ENTITY, f"settle:{order}", lambda n=n: INVOICES.get(client, n)) for n in numbers}
        except TransientError as err:
            sink.transient(ENTITY, f"settle:{order}", err)
            continue
        live = {n: d for n, d in docs.items() if not lookups.is_true(d.get("Cancelled"))}
        try:
            balance = {n: _money(d.get("Balance")) + (cleared(n, d, clearing_mode) if clearing_mode else 0)
                       for n, d in live.items()}
        except TransientError as err:
            sink.transient(ENTITY, f"settle:{order}", err)
            continue
        complete = True
        owed = sorted((n for n in live if balance[n] < 0),      # credit notes first, then overpaid invoices
                      key=lambda n: (not lookups.is_true(live[n].get("Credit")), len(n), n))
        due = sorted((n for n in live if balance[n] > 0),        # the voided invoices first, then the current
                     key=lambda n: (n == current, len(n), n))
        for c in owed:
            for i in due:
                amount = min(-balance[c], balance[i])
                if amount <= 0 or clearing_mode is None:
                    continue
                day = max(str(live[c].get("InvoiceDate") or ""), str(live[i].get("InvoiceDate") or ""))
                ok = pay(order, f"clear:{c}:{i}:out", live[c], -amount, clearing_mode, clearing_account, day) and \
                    pay(order, f"clear:{c}:{i}:in", live[i], amount, clearing_mode, clearing_account, day)
                if ok:
                    balance[c] += amount
                    balance[i] -= amount
                complete &= ok
        if paid and voiding and mode is not None and is_done(payments.get(order)):
            if current in balance and balance[current] > 0:
                complete &= pay(order, f"topup:{current}", live[current], balance[current], mode, account,
                                str(live[current].get("InvoiceDate")))
            for c in sorted(n for n in voiding & set(owed) if balance[n] < 0):
                complete &= pay(order, f"payback:{c}", live[c], balance[c], mode, account,
                                str(live[c].get("InvoiceDate")))
        if complete:
            sink.ledger.mark_done(SETTLED, order, None, digest, "synced", False, int(order))
