"""The Fortnox documents woofort keeps for reconciliation (ledger.fortnox_documents), reduced to the fields the
reconciliation reads: money, dates, references and rows. Names, addresses, e-mail addresses and phone numbers are
never stored, nor the customer number (for guests it is derived from the e-mail address): the mirror is
not a second customer register."""

from __future__ import annotations

import json

INVOICE_FIELDS = ("DocumentNumber", "InvoiceDate", "Currency", "CurrencyRate", "CurrencyUnit", "VATIncluded",
                  "Net", "Gross", "TotalVAT", "RoundOff", "Total", "Balance", "Booked", "Cancelled", "Credit",
                  "CreditInvoiceReference", "ExternalInvoiceReference1", "ExternalInvoiceReference2",
                  "Freight", "FreightVAT", "AdministrationFee", "AdministrationFeeVAT",
                  "VoucherNumber", "VoucherSeries", "VoucherYear", "LastModified")
ROW_FIELDS = ("AccountNumber", "ArticleNumber", "DeliveredQuantity", "Price", "Discount", "DiscountType", "VAT",
              "Total", "TotalExcludingVAT", "Description")
PAYMENT_FIELDS = ("Number", "InvoiceNumber", "Amount", "AmountCurrency", "Currency", "CurrencyRate",
                  "CurrencyUnit", "PaymentDate", "ModeOfPayment", "ModeOfPaymentAccount", "Booked", "Source",
                  "ExternalInvoiceReference1", "LastModified")

VOUCHER_FIELDS = ("VoucherSeries", "VoucherNumber", "Year", "TransactionDate", "Description", "ReferenceType")
VOUCHER_ROW_FIELDS = ("Account", "Debit", "Credit", "Removed")

# ledger entity -> mirrored kind
KIND_OF_ENTITY = {"invoice": "invoice", "credit_invoice": "invoice", "invoice_reissue": "invoice",
                  "invoice_payment": "invoice_payment", "fee_voucher": "voucher",
                  "daily_voucher": "voucher"}


def voucher_number(doc: dict) -> str:
    """A voucher's key in the ledger: series, number and financial year (numbers restart every year)."""
    return f"{doc['VoucherSeries']}-{doc['VoucherNumber']}-{doc['Year']}"


def slim(kind: str, doc: dict) -> tuple[str, dict] | None:
    """(number, reduced document) of a complete Fortnox document, or None when `doc` is not one (a list item,
    which lacks the rows or the document-currency amount, is never stored as a document)."""
    if not isinstance(doc, dict):
        return None
    if kind == "invoice":
        if doc.get("DocumentNumber") in (None, "") or not isinstance(doc.get("InvoiceRows"), list):
            return None
        out = {k: doc.get(k) for k in INVOICE_FIELDS if k in doc}
        out["InvoiceRows"] = [{k: r.get(k) for k in ROW_FIELDS if k in r} for r in doc["InvoiceRows"]]
        return str(doc["DocumentNumber"]), out
    if kind == "invoice_payment":
        if doc.get("Number") in (None, "") or "AmountCurrency" not in doc:
            return None
        return str(doc["Number"]), {k: doc.get(k) for k in PAYMENT_FIELDS if k in doc}
    if kind == "voucher":
        if doc.get("VoucherNumber") in (None, "") or not isinstance(doc.get("VoucherRows"), list):
            return None
        out = {k: doc.get(k) for k in VOUCHER_FIELDS if k in doc}
        out["VoucherRows"] = [{k: r.get(k) for k in VOUCHER_ROW_FIELDS if k in r} for r in doc["VoucherRows"]]
        return voucher_number(doc), out
    return None


def as_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)
