"""Finding in Fortnox what woofort (or a plugin before it) already wrote.

Used for two things: recovering a write whose outcome is unknown (ledger `pending`, or FortnoxOutcomeUnknown just
raised) and adopting documents that exist before woofort's first run. Fortnox searches are contains-matches
(`?externalinvoicereference1=12` also returns 112 and 1200), so every search result is filtered exactly here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from woofort_assets.resources.fortnox.endpoints import INVOICE_PAYMENTS, INVOICES, Endpoint


def is_true(value) -> bool:
    return value is True or str(value).strip().lower() == "true"


def number_of(value) -> str | None:
    """Fortnox numbers are strings; "0" and "" mean none (e.g. CreditInvoiceReference "0")."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "0") else text


def decimal2(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


# ------------------------------------------------------------------ invoices and credit invoices
def _full_invoice(client, item: dict) -> dict:
    """List items may lack Credit / CreditInvoiceReference / Cancelled: read the invoice itself then."""
    if all(k in item for k in ("Credit", "CreditInvoiceReference", "Cancelled", "Booked")):
        return item
    return INVOICES.get(client, str(item["DocumentNumber"]))


def search_by_ref(client, ref: str, endpoint: Endpoint = INVOICES) -> list[dict]:
    """Invoices (or orders) whose ExternalInvoiceReference1 is exactly `ref` (the search itself is a
    contains-match)."""
    items = endpoint.iterate(client, {"externalinvoicereference1": ref})
    return [i for i in items if str(i.get("ExternalInvoiceReference1") or "").strip() == ref]


def lowest_first(documents: Iterable[dict]) -> list[dict]:
    return sorted(documents, key=lambda i: (len(str(i["DocumentNumber"])), str(i["DocumentNumber"])))


def pick_invoice(client, candidates: Iterable[dict], *, exclude: set[str], credit: bool,
                 credit_ref: str | None = None, ext_ref2: str | None = None) -> dict | None:
    """The first (lowest-numbered) candidate that is (not) a credit invoice, not cancelled, not already
    claimed by another ledger row, and, for credit invoices, credits `credit_ref`."""
    for item in lowest_first(candidates):
        number = str(item["DocumentNumber"])
        if number in exclude:
            continue
        full = _full_invoice(client, item)
        if is_true(full.get("Credit")) != credit or is_true(full.get("Cancelled")):
            continue
        if credit and credit_ref is not None and number_of(full.get("CreditInvoiceReference")) != credit_ref:
            continue
        if ext_ref2 is not None and str(full.get("ExternalInvoiceReference2") or "").strip() != ext_ref2:
            continue
        return full
    return None


def find_invoice(client, ref: str, *, exclude: set[str]) -> dict | None:
    return pick_invoice(client, search_by_ref(client, ref), exclude=exclude, credit=False)


def find_credit_invoice(client, ref: str, original: str, *, exclude: set[str],
                        ext_ref2: str | None = None) -> dict | None:
    return pick_invoice(client, search_by_ref(client, ref), exclude=exclude, credit=True,
                        credit_ref=original, ext_ref2=ext_ref2)


class InvoiceIndex:
    """All invoices (from a date) listed once, by exact ExternalInvoiceReference1: the first-run adoption
    lookup without one search per order. Used only for records the ledger has never seen; a record whose write
    outcome is unknown is always looked up afresh."""

    def __init__(self, client, from_date: str | None = None):
        params = {"fromdate": from_date} if from_date else None
        self.by_ref: dict[str, list[dict]] = defaultdict(list)
        for item in INVOICES.iterate(client, params):
            ref = str(item.get("ExternalInvoiceReference1") or "").strip()
            if ref:
                self.by_ref[ref].append(item)

    def candidates(self, ref: str) -> list[dict]:
        return self.by_ref.get(ref, [])


# ------------------------------------------------------------------ customers, articles, prices
def existing_numbers(client, endpoint: Endpoint, number_key: str) -> set[str]:
    return {str(i.get(number_key)) for i in endpoint.iterate(client) if i.get(number_key) is not None}


# ------------------------------------------------------------------ payments
def find_payment(client, invoice_number: str, amount, payment_date: str | None, *,
                 exclude: set[str]) -> dict | None:
    """A payment on exactly this invoice with this amount (and date, when given) not claimed by another
    ledger row. `?invoicenumber=` is a contains-match too, so InvoiceNumber is compared exactly."""
    want = decimal2(amount)
    items = INVOICE_PAYMENTS.iterate(client, {"invoicenumber": invoice_number})
    matches = []
    for item in items:
        if str(item.get("InvoiceNumber")) != str(invoice_number) or str(item.get("Number")) in exclude:
            continue
        if want is not None and decimal2(item.get("Amount")) != want:
            continue
        if payment_date and str(item.get("PaymentDate") or "")[:10] != payment_date[:10]:
            continue
        matches.append(item)
    matches.sort(key=lambda i: (len(str(i["Number"])), str(i["Number"])))
    return matches[0] if matches else None
