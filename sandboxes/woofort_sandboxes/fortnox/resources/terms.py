"""/3/termsofpayments (GET, POST, GET/PUT one; scope `settings`, GUESS as modesofpayments), an invoice's terms
and DueDate, and GET /3/invoices/{n}/email (scope `invoice`).

Sources: [SPEC] fortnox_TermsOfPayment {Code ≤ 25, Description}, paths /3/termsofpayments(/{Code}) and
/3/invoices/{DocumentNumber}/email ("You can use the properties in the EmailInformation to customize the e-mail
message"; answers the invoice); [VCR] termsofpayments/*.yml (the seeded codes, 404 2000429 "Kan inte hitta
betalningsvillkoret."), invoices/save_new.yml (TermsOfPayment "30" → DueDate = InvoiceDate + 30 days).
GUESS, see docs/fortnox-fidelity.md: the days of a code (its leading number, else 0: due at once), that an invoice
naming an unknown code is refused with 2000429 (setting `terms_of_payment_check`: "reject" | "ignore"), that an
e-mail needs an EmailAddressTo and a not cancelled invoice, and that sending sets `Sent`."""
from __future__ import annotations

import datetime as dt
import re

from .. import errors as E
from ..listing import natural
from .common import Ctx, now_stamp, public

TERMS_MISSING = (2000429, "Kan inte hitta betalningsvillkoret.")   # [VCR] termsofpayments/find_failure.yml


def _item(ctx: Ctx, t: dict) -> dict:
    return {"@url": ctx.state.url(f"termsofpayments/{t['Code']}"), "Code": t["Code"], "Description": t["Description"]}


def list_(ctx: Ctx):
    from .bookkeeping import _simple_list
    return _simple_list(ctx, "termsofpayments", "TermsOfPayments", lambda t: _item(ctx, t),
                        lambda t: natural(t["Code"]))


def read(ctx: Ctx, code: str):
    t = ctx.state.docs["termsofpayments"].get(code)
    if t is None:
        raise E.ApiError(404, *TERMS_MISSING)
    return 200, {"TermsOfPayment": _item(ctx, t)}


def create(ctx: Ctx):
    data = ctx.body("TermsOfPayment", "fortnox_TermsOfPayment_Wrap", partial=False)
    with ctx.state.lock:
        code = str(data.get("Code") or "")
        if not code:
            raise E.err(E.REQUIRED, "Code")
        if code in ctx.state.docs["termsofpayments"]:
            raise E.err(E.DUPLICATE, code)
        ctx.state.seed_reference({"termsofpayments": [{"Code": code, "Description": data.get("Description", "")}]})
        return 201, read(ctx, code)[1]


def update(ctx: Ctx, code: str):
    data = ctx.body("TermsOfPayment", "fortnox_TermsOfPayment_Wrap", partial=True)
    with ctx.state.lock:
        read(ctx, code)
        if "Description" in data:
            ctx.state.docs["termsofpayments"][code]["Description"] = data["Description"]
        return 200, read(ctx, code)[1]


def days_of(code: str) -> int:
    """GUESS: a code's days are its leading number ("30", "21DAYS"); a code without one (K, AG, PF) is due at once."""
    found = re.match(r"\d+", str(code or ""))
    return int(found.group()) if found else 0


def apply_terms(st, inv: dict, data: dict, creating: bool) -> None:
    """Checks the invoice's TermsOfPayment against the company's and sets DueDate from it unless given."""
    code = str(inv.get("TermsOfPayment") or "")
    if ("TermsOfPayment" in data and code and code not in st.docs["termsofpayments"]
            and st.settings.get("terms_of_payment_check") == "reject"):
        raise E.ApiError(400, *TERMS_MISSING)
    if (creating or "InvoiceDate" in data or "TermsOfPayment" in data) and "DueDate" not in data:
        if creating or not inv.get("DueDate") or "TermsOfPayment" in data:
            inv["DueDate"] = (dt.date.fromisoformat(inv["InvoiceDate"]) + dt.timedelta(days=days_of(code))).isoformat()


def email(ctx: Ctx, number: str):
    """Sends the invoice to EmailInformation.EmailAddressTo: recorded in `invoiceemails` (the state dump), and the
    invoice is marked Sent."""
    from .invoices import get
    st = ctx.state
    with st.lock:
        inv = get(ctx, number)
        if inv["Cancelled"]:
            raise E.err(E.INVOICE_CANCELLED)
        info = inv["EmailInformation"]
        if not (info.get("EmailAddressTo") or "").strip():
            raise E.err(E.REQUIRED, "EmailAddressTo")
        sent_no = st.next_number("invoiceemails")
        st.docs["invoiceemails"][sent_no] = {
            "Id": sent_no, "DocumentNumber": inv["DocumentNumber"], "EmailAddressTo": info["EmailAddressTo"],
            "EmailSubject": (info.get("EmailSubject") or "").replace("{no}", inv["DocumentNumber"]),
            "EmailBody": info.get("EmailBody") or "", "SentAt": now_stamp()}
        inv.update({"Sent": True, "_modified": now_stamp()})
        return 200, {"Invoice": public(inv)}
