"""/3/invoicepayments (scope `payment`). Sources: reference §5.5 ([SPEC], [CS], [WFH], legacy doc); rules marked GUESS."""
from __future__ import annotations

from ..arithmetic import D, round2

from .. import errors as E
from ..listing import natural, paginate, select
from . import bookkeeping, invoices
from .common import Ctx, apply_blank, now_stamp, num, numstr, public, today

INVOICE_NOT_FOUND_400 = (2000434, "Kan inte hitta fakturan.")  # same code as the 404, lowercase 400 (GUESS)
CANCELLED = (2000247, "Fakturan är makulerad.")                   # GUESS
MODE_MISSING = (2000655, "Kan inte hitta betalningssättet.")      # GUESS code


def get(ctx: Ctx, number: str) -> dict:
    p = ctx.state.docs["invoicepayments"].get(str(number))
    if p is None:
        raise E.not_found("invoicepayment")
    return p


def _fill(ctx: Ctx, pay: dict, data: dict, creating: bool) -> dict:
    st = ctx.state
    apply_blank(pay, data)
    inv = st.docs["invoices"].get(str(pay["InvoiceNumber"]))
    if inv is None:
        raise E.err(INVOICE_NOT_FOUND_400)
    if inv["Cancelled"]:
        raise E.err(CANCELLED)
    if pay.get("ModeOfPayment"):
        mode = st.docs["modesofpayments"].get(pay["ModeOfPayment"])
        if mode is None:
            raise E.err(MODE_MISSING)
        if "ModeOfPaymentAccount" not in data and (creating or not pay.get("ModeOfPaymentAccount")):
            pay["ModeOfPaymentAccount"] = int(mode["AccountNumber"])
    if not pay.get("ModeOfPaymentAccount"):
        pay["ModeOfPaymentAccount"] = st.predefined("BG")  # GUESS default: bank account
    if int(pay["ModeOfPaymentAccount"]) not in st.docs["accounts"]:
        raise E.err(E.ACCOUNT_MISSING)
    pay["PaymentDate"] = pay.get("PaymentDate") or today()
    if pay["PaymentDate"] < inv["InvoiceDate"]:
        raise E.err(invoices.PAYDATE_BEFORE)  # integrator FAQ text; code GUESS
    # a payment's own CurrencyRate (per the invoice's CurrencyUnit, read-only here) unless the tenant books
    # every payment at its invoice's rate (setting exchange_difference, GUESS)
    invoice_rate = st.settings.get("exchange_difference") == "invoice_rate"
    sent_rate = None if invoice_rate else data.get("CurrencyRate") if creating else pay.get("CurrencyRate")
    rate = D(sent_rate or inv["CurrencyRate"] or 1)
    unit = D(inv["CurrencyUnit"] or 1)
    if invoice_rate and inv["Currency"] != "SEK" and "AmountCurrency" in data:
        data = {k: v for k, v in data.items() if k != "Amount"}  # recomputed at the invoice's rate
    if creating and "Amount" not in data and "AmountCurrency" not in data:
        pay["AmountCurrency"] = inv["Balance"]  # GUESS: default = remaining balance
    if "AmountCurrency" not in data and creating:
        pay["AmountCurrency"] = num(round2(D(pay["Amount"]) * unit / rate)) if inv["Currency"] != "SEK" else \
            pay["Amount"]
    if "Amount" not in data and creating:
        pay["Amount"] = num(round2(D(pay["AmountCurrency"]) * rate / unit)) if inv["Currency"] != "SEK" else \
            pay["AmountCurrency"]
    pay.update({"Amount": num(round2(pay["Amount"])), "AmountCurrency": num(round2(pay["AmountCurrency"])),
                "CurrencyRate": num(rate), "Currency": inv["Currency"], "CurrencyUnit": inv["CurrencyUnit"],
                "ExternalInvoiceReference1": inv["ExternalInvoiceReference1"],
                "ExternalInvoiceReference2": inv["ExternalInvoiceReference2"],
                "InvoiceCustomerName": inv["CustomerName"], "InvoiceCustomerNumber": inv["CustomerNumber"],
                "InvoiceDueDate": inv["DueDate"], "InvoiceOCR": inv["OCR"], "InvoiceTotal": numstr(inv["Total"]),
                "InvoiceNumber": int(pay["InvoiceNumber"]), "ModeOfPaymentAccount": int(pay["ModeOfPaymentAccount"]),
                "_modified": now_stamp()})
    return inv


def create(ctx: Ctx):
    data = ctx.body("InvoicePayment", "fortnox_InvoicePayment_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        number = st.next_number("invoicepayments")
        pay = {"@url": st.url(f"invoicepayments/{number}"), "Amount": 0, "AmountCurrency": 0, "Booked": False,
               "Currency": "SEK", "CurrencyRate": 1, "CurrencyUnit": 1, "ExternalInvoiceReference1": "",
               "ExternalInvoiceReference2": "", "InvoiceCustomerName": "", "InvoiceCustomerNumber": "",
               "InvoiceDueDate": None, "InvoiceNumber": 0, "InvoiceOCR": "", "InvoiceTotal": "0",
               "ModeOfPayment": "", "ModeOfPaymentAccount": 0, "Number": number, "PaymentDate": None,
               "Source": "direct", "VoucherNumber": None, "VoucherSeries": None, "VoucherYear": None,
               "WriteOffs": []}
        inv = _fill(ctx, pay, data, creating=True)
        st.docs["invoicepayments"][number] = pay
        invoices.refresh_balance(st, inv)
        return 201, {"InvoicePayment": public(pay)}


def read(ctx: Ctx, number: str):
    return 200, {"InvoicePayment": public(get(ctx, number))}


def update(ctx: Ctx, number: str):
    data = ctx.body("InvoicePayment", "fortnox_InvoicePayment_Wrap", partial=True)
    st = ctx.state
    with st.lock:
        pay = get(ctx, number)
        if pay["Booked"]:
            raise E.err(E.PAYMENT_BOOKED)
        old_invoice = str(pay["InvoiceNumber"])
        work = dict(pay)
        inv = _fill(ctx, work, data, creating=False)
        pay.update(work)
        invoices.refresh_balance(st, inv)
        if old_invoice != inv["DocumentNumber"] and old_invoice in st.docs["invoices"]:
            invoices.refresh_balance(st, st.docs["invoices"][old_invoice])
        return 200, {"InvoicePayment": public(pay)}


def delete(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        pay = get(ctx, number)
        if pay["Booked"]:
            raise E.err(E.PAYMENT_BOOKED)  # GUESS: booked payments can't be deleted
        del st.docs["invoicepayments"][number]
        inv = st.docs["invoices"].get(str(pay["InvoiceNumber"]))
        if inv:
            invoices.refresh_balance(st, inv)
    return 204, None


def bookkeep(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        pay = get(ctx, number)
        if pay["Booked"]:
            raise E.err(E.PAYMENT_BOOKED)
        v = bookkeeping.book_payment(st, pay)
        pay.update({"Booked": True, "VoucherNumber": v["VoucherNumber"], "VoucherSeries": v["VoucherSeries"],
                    "VoucherYear": v["Year"], "_modified": now_stamp()})
        return 200, {"InvoicePayment": public(pay)}


def render_item(p: dict) -> dict:
    return {"@url": p["@url"], "Amount": p["Amount"], "Booked": p["Booked"], "Currency": p["Currency"],
            "CurrencyRate": p["CurrencyRate"], "CurrencyUnit": p["CurrencyUnit"], "InvoiceNumber": p["InvoiceNumber"],
            "Number": p["Number"], "PaymentDate": p["PaymentDate"], "Source": p["Source"],
            "WriteOffExist": bool(p.get("WriteOffs"))}


def list_(ctx: Ctx):
    with ctx.state.lock:
        docs = select(ctx.args, ctx.state.docs["invoicepayments"].values(),
                      searches={"invoicenumber": lambda p: p["InvoiceNumber"]}, filters={},
                      sorts={"paymentdate": lambda p: (p["PaymentDate"], natural(p["Number"]))},
                      default_sort=lambda p: (p["PaymentDate"], natural(p["Number"])))  # legacy doc: by date
        return 200, paginate(ctx.args, docs, "InvoicePayments", render_item)
