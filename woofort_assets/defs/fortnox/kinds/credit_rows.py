"""A partial credit (a refund) of an invoice with a row at a non-whole VAT rate (FI 25.5 %). A credit invoice's own
rows cannot carry 25.5 (fortnox_Invoice_InvoiceRow.VAT is int32: 2000108), but Fortnox's credit of the whole
invoice (PUT /3/invoices/{n}/credit) copies the original's rows with their rates. So, as woo-fortnox-hub does for
every refund (reference §5.5 "Bookkeep / cancel / credit semantics": credit, then PUT the credit invoice with the
refund's rows), the sink credits the whole invoice and, before booking it (Write.prepare), PUTs the refund's rows
onto the credit invoice: a refund row at a non-whole rate takes over a copied row at that rate by its RowId and
sends no VAT, so that it keeps the rate ([SPEC] PUT: a RowId row is updated; GUESS that its VAT is kept, sandbox
setting `put_keeps_row_vat`); a row at a whole rate is a new row; copied rows the refund does not use are left
out, which deletes them ([SPEC]). The answer's rates are checked: when Fortnox did not keep them, the credit
invoice (still unbooked) is cancelled and the refund waits in the dead letter with that reason.

Fortnox credits an invoice once ([WFH] POSTs a second credit instead, whose rows cannot carry 25.5): a refund of an
invoice that already has a credit is refused before anything is sent (Write.refusal: not even the original's
booking), with its reason (docs/accounting.md §11)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink, TransientError, auth_failure, is_rejection
from woofort_assets.defs.fortnox.engine.steps import Refusal, envelope_of
from woofort_assets.defs.fortnox.kinds.invoices import credit_number
from woofort_assets.resources.fortnox import FortnoxAuthError, FortnoxError
from woofort_assets.resources.fortnox.endpoints import INVOICES

ENTITY = "credit_invoice"
HEADER_FIXED = ("CreditInvoiceReference", "InvoiceRows")    # set by the credit itself


def _rate(row: dict) -> Decimal:
    return Decimal(str(row.get("VAT") if row.get("VAT") is not None else 0))


def _refund_rows(payload: dict | None) -> list[dict]:
    return [r for r in envelope_of(payload)[1].get("InvoiceRows") or [] if isinstance(r, dict)]


def _non_whole(rows: list[dict]) -> Counter:
    return Counter(_rate(r) for r in rows if _rate(r) % 1)


def refusal(original: dict, payload: dict | None) -> str | None:
    """Why this refund cannot be booked this way, from the original invoice as Fortnox holds it."""
    n = original.get("DocumentNumber")
    earlier = lookups.number_of(original.get("CreditInvoiceReference"))
    if earlier:
        return (f"invoice {n} has a row at a non-whole VAT rate and Fortnox credited it already (credit invoice "
                f"{earlier}): a second credit invoice's rows cannot carry that rate (Fortnox takes whole VAT "
                f"percentages on credit invoice rows); credit this refund by hand in Fortnox")
    have, need = _non_whole(original.get("InvoiceRows") or []), _non_whole(_refund_rows(payload))
    short = sorted(rate for rate, count in need.items() if have[rate] < count)
    if short:
        return (f"the refund has more rows at VAT {', '.join(f'{r} %' for r in short)} than invoice {n}, whose "
                f"credit must carry them; credit this refund by hand in Fortnox")
    return None


def rows_body(credit: dict, payload: dict | None) -> dict:
    """The PUT that turns Fortnox's credit of the whole invoice into this refund's credit invoice."""
    free: dict[Decimal, list[int]] = {}
    for r in credit.get("InvoiceRows") or []:
        free.setdefault(_rate(r), []).append(r["RowId"])
    rows = []
    for r in _refund_rows(payload):
        ids = free.get(_rate(r)) if _rate(r) % 1 else None
        # a rate with no row left keeps its VAT: Fortnox refuses it (2000108) rather than booking another rate
        rows.append({**{k: v for k, v in r.items() if k != "VAT"}, "RowId": ids.pop(0)} if ids else r)
    header = {k: v for k, v in envelope_of(payload)[1].items() if k not in HEADER_FIXED}
    return {"Invoice": {**header, "InvoiceRows": rows}}


def fit_credit(sink: Sink, row: DeltaRow, answer: dict) -> dict:
    """Write.prepare of the credit: the refund's rows on the credit invoice. Refusal when Fortnox refuses them or
    does not keep the non-whole rates, after cancelling the credit invoice so that none of it is left open."""
    client, key, number = sink.client, row.source_key, credit_number(answer)
    credit = sink.guard(ENTITY, key, lambda: INVOICES.get(client, number))
    if lookups.is_true(credit.get("Cancelled")):      # a refusal whose record was lost after the cancel
        raise Refusal(f"credit invoice {number} of a refund at a non-whole VAT rate was cancelled; credit this "
                      "refund by hand in Fortnox")
    wanted = [_rate(r) for r in _refund_rows(row.payload)]
    try:
        done = INVOICES.unwrap(client.put(INVOICES.item_path(number), rows_body(credit, row.payload)))
        got = [_rate(r) for r in done.get("InvoiceRows") or []]
        why = None if got == wanted else (f"Fortnox did not keep the VAT rates {[str(w) for w in wanted]} on its "
                                          f"rows (it answered {[str(g) for g in got]})")
    except FortnoxAuthError as err:
        raise auth_failure(err) from err
    except FortnoxError as err:
        if not is_rejection(err):
            raise TransientError(str(err)) from err
        why = f"Fortnox refused the refund's rows on it: {err.message}"
    if why:
        sink.guard(ENTITY, key, lambda: client.put(INVOICES.action_path(number, "cancel")))
        raise Refusal(f"credit invoice {number} of a refund at a non-whole VAT rate: {why}; it is cancelled; "
                      "credit this refund by hand in Fortnox")
    sink.ledger.store_document(ENTITY, done)
    return done
