"""/3/invoices (scope `invoice`): create/read/update, bookkeep, cancel, credit.

Sources: reference §5.4, [VCR] invoices/*.yml; arithmetic in woofort_sandboxes.fortnox.arithmetic (mostly GUESS).
"""
from __future__ import annotations

import copy
from decimal import Decimal

from .. import arithmetic as fa
from ..arithmetic import D, round2

from .. import errors as E
from ..listing import natural, paginate, select
from . import bookkeeping
from .common import Ctx, apply_blank, now_stamp, num, numstr, public, today
from .terms import apply_terms

VALID_VAT = {0, 6, 12, 25}  # MP0..MP3 ([F4J]; "only 25/12/6 exist by default")
VAT_BY_ACCOUNT = {3001: 25, 3002: 12, 3003: 6, 3004: 0, 3105: 0, 3108: 0, 3106: 25, 3305: 0, 3308: 0,
                  3231: 0}  # INFERRED from BAS names (§6); other accounts default to 25 (GUESS)
# Row account by customer VATType (reference §5.4 "Row VAT/account defaults", INFERRED)
ARTICLE_ACCOUNT_BY_VATTYPE = {"SEVAT": ("SalesAccount", "SALES"), "SEREVERSEDVAT": ("SalesAccount", "SALESCONSTR2"),
                              "EUREVERSEDVAT": ("EUAccount", "SALESEUREV"), "EUVAT": ("EUVATAccount", "SALESEUVAT"),
                              "EXPORT": ("ExportAccount", "SALESEXPORT")}
ZERO_VAT_TYPES = {"EUREVERSEDVAT", "EXPORT", "SEREVERSEDVAT"}  # GUESS: no Swedish VAT on these
VAT_MISSING = (2000760, "Kunde inte hämta/hitta moms")  # message from integrator FAQ; code GUESS
PAYDATE_BEFORE = (2000759, "Betalningsdatum kan inte vara före fakturadatum.")  # GUESS code/message (FAQ text)
ALREADY_BOOKED = (2000251, "Fakturan är redan bokförd.")  # GUESS


def _blank(number: str, st) -> dict:
    # Field set/order of the 2024 recordings ([VCR] invoices/row_delivered_quantity_decimals.yml).
    t = today()
    return {"@url": st.url(f"invoices/{number}"),
            "@urlTaxReductionList": f"{st.base_url}/3/taxreductions?filter=invoices&referencenumber={number}",
            "AccountingMethod": "ACCRUAL", "Address1": "", "Address2": "", "AdministrationFee": 0,
            "AdministrationFeeVAT": 0, "Balance": 0, "BasisTaxReduction": 0, "Booked": False, "Cancelled": False,
            "City": "", "Comments": "", "ContractReference": "0", "ContributionPercent": 0, "ContributionValue": 0,
            "CostCenter": "", "Country": "", "Credit": "false", "CreditInvoiceReference": "0", "Currency": "SEK",
            "CurrencyRate": 1, "CurrencyUnit": 1, "CustomerName": "", "CustomerNumber": "", "DeliveryAddress1": "",
            "DeliveryAddress2": "", "DeliveryCity": "", "DeliveryCountry": "", "DeliveryDate": None,
            "DeliveryName": "", "DeliveryZipCode": "", "DocumentNumber": number,
            "DueDate": None,
            "EDIInformation": {"EDIGlobalLocationNumber": None, "EDIGlobalLocationNumberDelivery": None,
                               "EDIInvoiceExtra1": None, "EDIInvoiceExtra2": None, "EDIOurElectronicReference": None,
                               "EDIYourElectronicReference": None, "EDIStatus": ""},
            "EUQuarterlyReport": False,
            "EmailInformation": {"EmailAddressFrom": None, "EmailAddressTo": "", "EmailAddressCC": None,
                                 "EmailAddressBCC": None, "EmailSubject": "Faktura {no} bifogas", "EmailBody": " "},
            "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "", "FinalPayDate": None, "Freight": 0,
            "FreightVAT": 0, "Gross": 0, "HouseWork": False, "InvoiceDate": t, "InvoicePeriodEnd": "",
            "InvoicePeriodStart": "", "InvoiceReference": "0", "InvoiceRows": [], "InvoiceType": "INVOICE",
            "Labels": [], "Language": "SV", "LastRemindDate": None, "Net": 0, "NotCompleted": False,
            "NoxFinans": False, "OCR": fa.ocr_for(number), "OfferReference": "0", "OrderReference": "0",
            "OrganisationNumber": "", "OurReference": "", "OutboundDate": t, "PaymentWay": "", "Phone1": "",
            "Phone2": "", "PriceList": "A", "PrintTemplate": "st", "Project": "", "Remarks": "", "Reminders": 0,
            "RoundOff": 0, "Sent": False, "TaxReduction": None, "TaxReductionType": "none", "TermsOfDelivery": "",
            "TermsOfPayment": "30", "TimeBasisReference": None, "Total": 0, "TotalToPay": 0, "TotalVAT": 0,
            "VATIncluded": False, "VoucherNumber": None, "VoucherSeries": None, "VoucherYear": None,
            "WarehouseReady": True, "WayOfDelivery": "", "YourOrderNumber": "", "YourReference": "", "ZipCode": ""}


LIST_FIELDS = ["@url", "Balance", "Booked", "Cancelled", "CostCenter", "Currency", "CurrencyRate", "CurrencyUnit",
               "CustomerName", "CustomerNumber", "DocumentNumber", "DueDate", "ExternalInvoiceReference1",
               "ExternalInvoiceReference2", "InvoiceDate", "InvoiceType", "NoxFinans", "OCR", "VoucherNumber",
               "VoucherSeries", "VoucherYear", "WayOfDelivery", "TermsOfPayment", "Project", "Sent", "Total",
               "FinalPayDate"]


def render_item(doc: dict) -> dict:
    out = {k: copy.deepcopy(doc[k]) for k in LIST_FIELDS}
    out["CurrencyRate"] = numstr(doc["CurrencyRate"])  # string in lists ([VCR] invoices/all.yml)
    return out


def get(ctx: Ctx, number: str) -> dict:
    doc = ctx.state.docs["invoices"].get(str(number))
    if doc is None:
        raise E.not_found("invoice")
    return doc


# ---------------------------------------------------------------------------------------------- rows
def _row(ctx: Ctx, inv: dict, data: dict, customer: dict, old: dict | None = None, decimal_vat: bool = False) -> dict:
    """One row of an invoice (or, decimal_vat, of an order: [SPEC] fortnox_Order_OrderRow.VAT is a number, the
    invoice row's an integer, so an order row keeps 25.5 where an invoice row would take 25)."""
    st = ctx.state
    # a row that came from an order (createinvoice, or a credit of such an invoice) keeps its decimal VAT while a PUT
    # leaves VAT alone (GUESS; setting put_keeps_row_vat false: the PUT reads it back as a whole rate, 25.5 -> 25)
    decimal_vat = decimal_vat or (old is not None and "VAT" not in data and D(old.get("VAT") or 0) % 1 != 0
                                  and st.settings.get("put_keeps_row_vat", True))
    row = old or {"AccountNumber": None, "ArticleNumber": "", "ContributionPercent": "0", "ContributionValue": "0",
                  "Cost": 0, "CostCenter": "", "DeliveredQuantity": "0", "Description": "", "Discount": 0,
                  "DiscountType": "PERCENT", "HouseWork": False, "HouseWorkHoursToReport": None,
                  "HouseWorkType": None, "Price": 0, "PriceExcludingVAT": 0, "Project": "", "RowId": 0,
                  "StockPointCode": None, "Total": 0, "TotalExcludingVAT": 0, "Unit": "", "VAT": None,
                  "VATCode": None}
    data = dict(data)
    data.pop("RowId", None)
    text_only = old is None and set(data) <= {"Description"}
    article = None
    art_no = data.get("ArticleNumber", row.get("ArticleNumber"))
    if art_no and art_no != "API_BLANK":
        article = st.docs["articles"].get(str(art_no))
        if article is None:
            raise E.err(E.ARTICLE_MISSING)
    apply_blank(row, data, blank_values={"AccountNumber": 0, "Price": 0, "DeliveredQuantity": "0",
                                         "ArticleNumber": ""})
    vat_type = customer.get("VATType") or "SEVAT"
    if article is not None and old is None:
        if "Description" not in data:
            row["Description"] = article["Description"]
        if "Unit" not in data:
            row["Unit"] = article.get("Unit") or ""
        if "Price" not in data:
            p = st.docs["prices"].get((inv["PriceList"], article["ArticleNumber"], Decimal("0")))
            row["Price"] = p["Price"] if p else 0  # GUESS: price from the invoice's price list
    if row["AccountNumber"] is None:
        if text_only:
            row["AccountNumber"] = 0  # text row (GUESS)
        else:
            field, predefined = ARTICLE_ACCOUNT_BY_VATTYPE.get(vat_type, ("SalesAccount", "SALES"))
            acc = article.get(field) if article else None
            row["AccountNumber"] = int(acc) if acc else st.predefined(predefined) or st.predefined("SALES")
    acc = int(row["AccountNumber"] or 0)
    if acc:
        account = st.docs["accounts"].get(acc)
        if account is None:
            raise E.err(E.ACCOUNT_MISSING)
        if not account.get("Active", True):
            raise E.err(E.ACCOUNT_INACTIVE)
    if "VAT" not in data and (old is None or row["VAT"] is None):
        if vat_type in ZERO_VAT_TYPES or text_only:
            row["VAT"] = 0
        elif article is not None and article.get("VAT") is not None and acc == int(article.get("SalesAccount") or 0):
            row["VAT"] = int(article["VAT"])
        else:
            row["VAT"] = VAT_BY_ACCOUNT.get(acc, 25)
    row["VAT"] = num(D(row["VAT"] or 0)) if decimal_vat else int(D(row["VAT"] or 0))
    if D(row["VAT"]) not in {D(v) for v in VALID_VAT | set(st.settings.get("foreign_vat_rates") or ())}:
        raise E.err(VAT_MISSING)
    qty = round2(row.get("DeliveredQuantity") or 0)
    if st.warehouse and article is not None and article.get("StockGoods") and old is None:
        # reference §5.7 (third party): stock <= 0 forces DeliveredQuantity 0 unless negative stock is allowed
        if D(article["QuantityInStock"]) <= 0 and not st.settings.get("allow_negative_stock"):
            qty = Decimal("0")
    if inv.get("Credit") == "true" and qty > 0:
        qty = fa.credit_quantity(qty)
    row["DeliveredQuantity"] = numstr(qty)
    row["Price"] = num(round2(row["Price"] or 0))
    row["Discount"] = num(round2(row["Discount"] or 0))
    return row


def _recompute(st, inv: dict) -> None:
    compute_totals(st, inv, inv["InvoiceRows"])
    refresh_balance(st, inv)


def compute_totals(st, inv: dict, rows: list, quantity: str = "DeliveredQuantity") -> None:
    """R2-R11 on a document's rows (an invoice's, or an order's on OrderedQuantity), with the tenant's VAT model."""
    results = []
    cost_total = Decimal("0")
    for row in rows:
        r = fa.row_amounts(row[quantity], row["Price"], row["Discount"], row["DiscountType"], row["VAT"],
                           inv["VATIncluded"])
        row["PriceExcludingVAT"] = num(r.price_excluding_vat)
        row["Total"] = num(r.total)
        row["TotalExcludingVAT"] = num(r.total_excluding_vat)
        art = st.docs["articles"].get(row.get("ArticleNumber") or "")
        cost = round2(D(art["PurchasePrice"]) * r.delivered_quantity) if art else Decimal("0")
        row["Cost"] = num(cost)
        cv = r.total_excluding_vat - cost
        row["ContributionValue"] = numstr(cv)  # strings on rows ([VCR])
        row["ContributionPercent"] = numstr(cv / r.total_excluding_vat * 100) if r.total_excluding_vat else "0"
        cost_total += cost
        if row["AccountNumber"]:
            results.append(r)
    t = fa.invoice_totals(results, inv["Freight"], inv["AdministrationFee"], inv["VATIncluded"], inv["Currency"],
                          st.settings.get("round_off", True), st.settings.get("fee_vat_rate", 25),
                          vat_rounding=st.settings["vat_rounding"], half_rounding=st.settings["half_rounding"])
    inv.update({"Net": num(t.net), "Gross": num(t.gross), "FreightVAT": num(t.freight_vat),
                "AdministrationFeeVAT": num(t.administration_fee_vat), "TotalVAT": num(t.total_vat),
                "RoundOff": num(t.round_off), "Total": num(t.total), "TotalToPay": num(t.total_to_pay)})
    cv = t.net - cost_total
    inv["ContributionValue"] = num(cv)
    inv["ContributionPercent"] = num(round2(cv / t.net * 100)) if t.net else 0


def stock_effect(st, inv: dict, sign: int) -> None:
    """Lager only: an invoice is an outbound delivery that changes the stock when saved (reference §5.7);
    sign +1 applies the invoice (credit rows carry negative quantities), -1 reverts it. GUESS: without Lager
    invoices leave QuantityInStock alone."""
    if not st.warehouse:
        return
    for row in inv["InvoiceRows"]:
        art = st.docs["articles"].get(row.get("ArticleNumber") or "")
        if art is None or not art.get("StockGoods"):
            continue
        qty = D(art["QuantityInStock"]) - sign * D(row["DeliveredQuantity"])
        art["QuantityInStock"] = num(qty)
        art["DisposableQuantity"] = num(qty - D(art["ReservedQuantity"]))
        art["_modified"] = now_stamp()


def refresh_balance(st, inv: dict) -> None:
    """R12: Balance = Total - payments (+ write-offs) - credit offsets (`_settled`, see settle_credit);
    FinalPayDate (latest payment or offset date) when it reaches 0."""
    pays = [p for p in st.docs["invoicepayments"].values() if str(p["InvoiceNumber"]) == inv["DocumentNumber"]]
    amounts, dates = [], []
    for p in pays:
        amounts.append(p["AmountCurrency"] if inv["Currency"] != "SEK" else p["Amount"])
        amounts.extend(w.get("Amount", 0) for w in p.get("WriteOffs") or [])
        dates.append(p["PaymentDate"])
    for s in (inv.get("_settled") or {}).values():
        amounts.append(s["Amount"])
        dates.append(s["Date"])
    bal = fa.balance(inv["Total"], amounts)
    inv["Balance"] = num(bal)
    if dates and bal == 0:
        inv["FinalPayDate"] = max(dates)
    else:
        inv["FinalPayDate"] = None
    inv["_modified"] = now_stamp()


# ---------------------------------------------------------------------------------------------- credit offsets
def _drop_offset(a: dict, b: dict) -> bool:
    """Remove the offset between documents a and b (both sides); True if there was one."""
    found = False
    for x, y in ((a, b), (b, a)):
        if (x.get("_settled") or {}).pop(y["DocumentNumber"], None) is not None:
            found = True
    return found


def settle_credit(st, cr: dict) -> None:
    """Tenant setting `credit_settlement` (GUESS, not evidenced; docs/fortnox-fidelity.md, hand-written part).

    "clears": a credit invoice is offset against the open balance of the invoice it references
    (`CreditInvoiceReference`) when it is created, and again whenever it is saved (its rows/date may change, as
    [WFH] PUTs the credit invoice after PUT /credit): m = min(original Balance, -credit Balance) when the original's
    Balance > 0 and the credit's Balance < 0 (before any earlier offset between the two); the original's Balance
    goes down by m, the credit's up by m. Both keep the offset in `_settled` {other DocumentNumber: {Amount, Date}}
    (Amount in the document's own sign, subtracted from its Total like a payment; Date = the credit's InvoiceDate),
    so later payments keep it (refresh_balance). No offset for a cancelled document or between currencies.
    "open": no offset (an earlier one between the two is dropped); payments settle them."""
    if cr.get("Credit") != "true":
        return
    orig = st.docs["invoices"].get(str(cr.get("CreditInvoiceReference") or ""))
    if orig is None or orig is cr or st.docs["invoices"].get(cr["DocumentNumber"]) is not cr:
        return
    _drop_offset(cr, orig)
    refresh_balance(st, cr)
    refresh_balance(st, orig)
    if (st.settings.get("credit_settlement", "clears") == "clears" and not cr["Cancelled"]
            and not orig["Cancelled"] and cr["Currency"] == orig["Currency"]):
        ob, cb = D(orig["Balance"]), D(cr["Balance"])
        if ob > 0 and cb < 0:
            m = round2(min(ob, -cb))
            orig.setdefault("_settled", {})[cr["DocumentNumber"]] = {"Amount": str(m), "Date": cr["InvoiceDate"]}
            cr.setdefault("_settled", {})[orig["DocumentNumber"]] = {"Amount": str(-m), "Date": cr["InvoiceDate"]}
            refresh_balance(st, cr)
            refresh_balance(st, orig)


def unsettle_all(st, inv: dict) -> None:
    """Drop every offset of `inv` (cancel): the counterparts' balances go back up."""
    for other_no in list(inv.get("_settled") or {}):
        other = st.docs["invoices"].get(other_no)
        if other is not None:
            _drop_offset(inv, other)
            refresh_balance(st, other)
        else:
            inv["_settled"].pop(other_no, None)
    refresh_balance(st, inv)


def resettle(st, inv: dict) -> None:
    """After `inv` was saved: re-offset it (a credit invoice) or its credit invoices (an original)."""
    if inv.get("Credit") == "true":
        settle_credit(st, inv)
        return
    for other_no in list(inv.get("_settled") or {}):
        other = st.docs["invoices"].get(other_no)
        if other is not None:
            settle_credit(st, other)


# ---------------------------------------------------------------------------------------------- header
def _copy_customer(inv: dict, cust: dict, data: dict, st) -> None:
    def s(k):
        return cust.get(k) or ""
    defaults = {"CustomerName": s("Name"), "Address1": s("Address1"), "Address2": s("Address2"), "City": s("City"),
                "ZipCode": s("ZipCode"), "Country": s("Country"), "Phone1": s("Phone1"), "Phone2": s("Phone2"),
                "OrganisationNumber": s("OrganisationNumber"), "DeliveryName": s("DeliveryName"),
                "DeliveryAddress1": s("DeliveryAddress1"), "DeliveryAddress2": s("DeliveryAddress2"),
                "DeliveryCity": s("DeliveryCity"), "DeliveryZipCode": s("DeliveryZipCode"),
                "DeliveryCountry": s("DeliveryCountry"), "Currency": cust.get("Currency") or "SEK",
                "PriceList": cust.get("PriceList") or "A",
                "TermsOfPayment": cust.get("TermsOfPayment") or st.settings.get("terms_of_payment", "30"),
                "VATIncluded": bool(cust.get("ShowPriceVATIncluded")), "YourReference": s("YourReference"),
                "OurReference": s("OurReference"), "WayOfDelivery": s("WayOfDelivery"),
                "TermsOfDelivery": s("TermsOfDelivery"), "CostCenter": s("CostCenter"), "Project": s("Project")}
    for k, v in defaults.items():
        if k not in data:
            inv[k] = v
    if "EmailInformation" not in data or "EmailAddressTo" not in data.get("EmailInformation", {}):
        inv["EmailInformation"]["EmailAddressTo"] = s("EmailInvoice") or s("Email")


def _apply_header(ctx: Ctx, inv: dict, data: dict, creating: bool) -> None:
    st = ctx.state
    rows = data.pop("InvoiceRows", None)
    for nested in ("EmailInformation", "EDIInformation"):
        if nested in data and isinstance(data[nested], dict):
            apply_blank(inv[nested], data.pop(nested))
    apply_blank(inv, data)
    cur = st.docs["currencies"].get(inv["Currency"])
    if cur is None:
        raise E.err((2000427, "Kan inte hitta valutan."))
    if "CurrencyRate" not in data and creating:
        inv["CurrencyRate"] = num(D(cur["SellRate"])) if inv["Currency"] != "SEK" else 1
        inv["CurrencyUnit"] = cur.get("Unit", 1)
    for f in ("Freight", "AdministrationFee"):
        inv[f] = num(round2(inv[f] or 0))
    apply_terms(st, inv, data, creating)
    if (creating or "InvoiceDate" in data) and "OutboundDate" not in data:
        inv["OutboundDate"] = inv["InvoiceDate"]
    inv["WarehouseReady"] = not st.warehouse or inv.get("WarehouseReady", False)
    return rows


def set_rows(ctx: Ctx, inv: dict, rows: list | None, customer: dict, key: str = "InvoiceRows") -> None:
    """Replace the document's rows (`key`: InvoiceRows, or OrderRows with decimal VAT) as a PUT or POST does."""
    if rows is None:
        return
    decimal_vat = key == "OrderRows"
    old_rows = inv[key]
    if any("RowId" in r for r in rows):
        # [SPEC] PUT: RowId matches update, rows without RowId are new, unlisted rows are deleted.
        by_id = {r["RowId"]: r for r in old_rows}
        new = []
        for r in rows:
            old = by_id.get(r.get("RowId"))
            new.append(_row(ctx, inv, r, customer, copy.deepcopy(old) if old else None, decimal_vat))
    else:
        # [SPEC] PUT without RowId: rows mapped by position; all rows that should remain must be sent.
        new = [_row(ctx, inv, r, customer,
                    copy.deepcopy(old_rows[i]) if i < len(old_rows) and r.keys() - {"Description"} else None,
                    decimal_vat)
               for i, r in enumerate(rows)]
    for r in new:  # "new RowIds are generated for all rows every time an invoice is updated" [SPEC]
        r["RowId"] = int(ctx.state.next_number("rowid"))
    inv[key] = new


# ---------------------------------------------------------------------------------------------- handlers
def create(ctx: Ctx):
    data = ctx.body("Invoice", "fortnox_InvoicePayload_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        cust = st.docs["customers"].get(str(data.get("CustomerNumber")))
        if cust is None:
            raise E.err(E.CUSTOMER_MISSING)
        given = data.pop("DocumentNumber", None)
        if given:
            if given in st.docs["invoices"]:
                raise E.err(E.DUPLICATE, given)
            number = given
        else:
            number = st.next_number("invoices")
            while number in st.docs["invoices"]:
                number = st.next_number("invoices")
        inv = _blank(number, st)
        credit_ref = data.get("CreditInvoiceReference")
        if credit_ref and credit_ref not in ("0", "API_BLANK"):
            orig = st.docs["invoices"].get(str(credit_ref))
            if orig is None:
                raise E.not_found("invoice")
            inv["Credit"] = "true"  # GUESS: a POST referencing an invoice is a credit invoice
        _copy_customer(inv, cust, data, st)
        rows = _apply_header(ctx, inv, data, creating=True)
        set_rows(ctx, inv, rows or [], cust)
        _recompute(st, inv)
        stock_effect(st, inv, +1)
        st.bump_number("invoices", number)
        st.docs["invoices"][number] = inv
        if inv["Credit"] == "true":
            orig = st.docs["invoices"][str(credit_ref)]
            if orig["CreditInvoiceReference"] == "0":
                orig["CreditInvoiceReference"] = number
                orig["_modified"] = now_stamp()
            settle_credit(st, inv)
        return 201, {"Invoice": public(inv)}


def read(ctx: Ctx, number: str):
    return 200, {"Invoice": public(get(ctx, number))}


def _check_editable(inv: dict) -> None:
    if inv["Cancelled"]:
        raise E.err(E.INVOICE_CANCELLED)
    if inv["Booked"]:
        raise E.err(E.INVOICE_BOOKED)


def update(ctx: Ctx, number: str):
    data = ctx.body("Invoice", "fortnox_InvoicePayload_Wrap", partial=True)
    st = ctx.state
    with st.lock:
        inv = get(ctx, number)
        _check_editable(inv)
        data.pop("DocumentNumber", None)
        data.pop("CreditInvoiceReference", None)  # GUESS: not changeable after create
        if "CustomerNumber" in data and data["CustomerNumber"] != inv["CustomerNumber"]:
            cust = st.docs["customers"].get(str(data["CustomerNumber"]))
            if cust is None:
                raise E.err(E.CUSTOMER_MISSING)
            if "CustomerName" not in data:
                inv["CustomerName"] = cust.get("Name") or ""
        cust = st.docs["customers"].get(str(data.get("CustomerNumber", inv["CustomerNumber"]))) or {}
        work = copy.deepcopy(inv)
        rows = _apply_header(ctx, work, data, creating=False)
        set_rows(ctx, work, rows, cust)
        _recompute(st, work)
        stock_effect(st, inv, -1)
        stock_effect(st, work, +1)
        inv.clear()
        inv.update(work)
        resettle(st, inv)
        return 200, {"Invoice": public(inv)}


def bookkeep(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        inv = get(ctx, number)
        if inv["Cancelled"]:
            raise E.err(E.INVOICE_CANCELLED)
        if inv["Booked"]:
            raise E.err(ALREADY_BOOKED)
        v = bookkeeping.book_invoice(st, inv)
        inv.update({"Booked": True, "VoucherNumber": v["VoucherNumber"], "VoucherSeries": v["VoucherSeries"],
                    "VoucherYear": v["Year"], "_modified": now_stamp()})
        return 200, {"Invoice": public(inv)}


def cancel(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        inv = get(ctx, number)
        if inv["Cancelled"]:
            raise E.err(E.INVOICE_CANCELLED)
        if inv["Booked"]:
            raise E.err(E.CANCEL_BOOKED)  # [WFH] "Can't cancel invoice after it is booked"
        inv.update({"Cancelled": True, "_modified": now_stamp()})
        stock_effect(st, inv, -1)  # GUESS: a cancelled invoice returns its goods
        unsettle_all(st, inv)  # GUESS: a cancelled credit invoice no longer offsets the original
        return 200, {"Invoice": public(inv)}


def credit(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        inv = get(ctx, number)
        if inv["Cancelled"]:
            raise E.err(E.INVOICE_CANCELLED)
        if not inv["Booked"]:
            raise E.err(E.CREDIT_UNBOOKED)  # GUESS ([WFH] bookkeeps before crediting)
        if inv["Credit"] == "true" or inv["CreditInvoiceReference"] != "0":
            raise E.err(E.ALREADY_CREDITED)
        new_no = st.next_number("invoices")
        while new_no in st.docs["invoices"]:
            new_no = st.next_number("invoices")
        cr = copy.deepcopy(inv)
        cr.update({"@url": st.url(f"invoices/{new_no}"),
                   "@urlTaxReductionList": f"{st.base_url}/3/taxreductions?filter=invoices&referencenumber={new_no}",
                   "DocumentNumber": new_no, "OCR": fa.ocr_for(new_no), "Credit": "true",
                   "CreditInvoiceReference": inv["DocumentNumber"], "Booked": False, "Sent": False,
                   "VoucherNumber": None, "VoucherSeries": None, "VoucherYear": None, "FinalPayDate": None,
                   "InvoiceDate": today(), "OutboundDate": today(), "DueDate": today(), "Freight":
                   num(-D(inv["Freight"])), "AdministrationFee": num(-D(inv["AdministrationFee"])), "_settled": {}})
        for row in cr["InvoiceRows"]:
            row["DeliveredQuantity"] = numstr(fa.credit_quantity(row["DeliveredQuantity"]))
            if str(row.get("DiscountType") or "").upper() == "AMOUNT" and row.get("Discount"):
                # GUESS: the credit mirrors the original row, so a krona discount changes sign with the quantity
                # (the credit's Total is minus the original's)
                row["Discount"] = num(-D(row["Discount"]))
            row["RowId"] = int(st.next_number("rowid"))
        st.docs["invoices"][new_no] = cr
        _recompute(st, cr)
        stock_effect(st, cr, +1)
        inv.update({"CreditInvoiceReference": new_no, "_modified": now_stamp()})
        settle_credit(st, cr)
        return 200, {"Invoice": public(inv)}


def externalprint(ctx: Ctx, number: str):
    with ctx.state.lock:
        inv = get(ctx, number)
        inv.update({"Sent": True, "_modified": now_stamp()})
        return 200, {"Invoice": public(inv)}


def _overdue(d):
    return d["Balance"] != 0 and not d["Cancelled"] and (d["DueDate"] or "9999") < today()


FILTERS = {"cancelled": lambda d: d["Cancelled"],
           # INFERRED from [VCR] invoices/filter_hit.yml: booked invoices with Balance 0 count as fully paid
           "fullypaid": lambda d: d["Booked"] and d["Balance"] == 0 and not d["Cancelled"],
           "unpaid": lambda d: d["Balance"] != 0 and not d["Cancelled"],
           "unpaidoverdue": _overdue,
           "unbooked": lambda d: not d["Booked"] and not d["Cancelled"]}


def list_(ctx: Ctx):
    with ctx.state.lock:
        docs = select(
            ctx.args, ctx.state.docs["invoices"].values(),
            searches={k.lower(): (lambda f: (lambda d: d.get(f)))(k) for k in
                      ["CustomerName", "CustomerNumber", "DocumentNumber", "OCR", "OurReference", "YourReference",
                       "ExternalInvoiceReference1", "ExternalInvoiceReference2", "YourOrderNumber", "Project",
                       "CostCenter", "InvoiceType", "Currency"]},
            exact={"credit": lambda d: d["Credit"], "sent": lambda d: str(d["Sent"]).lower(),
                   "notcompleted": lambda d: str(d["NotCompleted"]).lower()},
            filters=FILTERS,
            sorts={"customername": lambda d: (d["CustomerName"] or "").lower(),
                   "customernumber": lambda d: natural(d["CustomerNumber"]),
                   "documentnumber": lambda d: natural(d["DocumentNumber"]),
                   "invoicedate": lambda d: d["InvoiceDate"], "ocr": lambda d: natural(d["OCR"]),
                   "total": lambda d: D(d["Total"])},
            default_sort=lambda d: natural(d["DocumentNumber"]),
            date_range=lambda d: d["InvoiceDate"])
        return 200, paginate(ctx.args, docs, "Invoices", render_item)
