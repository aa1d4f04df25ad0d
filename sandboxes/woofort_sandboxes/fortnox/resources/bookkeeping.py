"""Bookkeeping and settings resources: accounts, financialyears, currencies, predefinedaccounts,
modesofpayments, companyinformation; plus the vouchers created by invoice/payment bookkeep (resources/vouchers.py
checks and numbers them).

Voucher series B (customer invoices) and C (customer payments) are Fortnox's standard series (GUESS from the
Fortnox default set-up; not in the reference). Invoice voucher: debit CUSTCLAIM (1510) Total; credit the row
accounts (net), OUTVAT_MP1/2/3 per rate, FREIGHT, ADMFEE, ROUNDOFF; a credit invoice mirrors it (GUESS).
Payment voucher: debit ModeOfPaymentAccount, credit CUSTCLAIM (GUESS). A foreign-currency document is booked in
SEK at its CurrencyRate / CurrencyUnit; a payment at another rate than its invoice's clears the claim at the
invoice's rate and books the difference on CURRENCYWIN (3960) or CURRENCYLOSS (7960) (GUESS, docs/fortnox-fidelity.md).
"""
from __future__ import annotations

from decimal import Decimal

from ..arithmetic import D, round2

from .. import errors as E
from ..listing import natural, paginate, select
from .common import Ctx, num, public, today
from .vouchers import make_voucher

VAT_ACCOUNT = {25: "OUTVAT_MP1", 12: "OUTVAT_MP2", 6: "OUTVAT_MP3"}


def _add(rows: dict, account: int, amount: Decimal) -> None:
    """Accumulate a signed amount (positive = credit) per account."""
    if account and amount:
        rows[account] = rows.get(account, Decimal("0")) + amount


def sek_rate(doc: dict) -> Decimal:
    """SEK per 1 unit of the document's currency (CurrencyRate is per CurrencyUnit units)."""
    if (doc.get("Currency") or "SEK") == "SEK":
        return Decimal(1)
    return D(doc.get("CurrencyRate") or 1) / D(doc.get("CurrencyUnit") or 1)


def book_invoice(st, inv: dict) -> dict:
    acc_cur: dict[int, Decimal] = {}
    _book_rows(st, inv, acc_cur)
    fx = sek_rate(inv)
    acc = {a: round2(amount * fx) for a, amount in acc_cur.items()}
    return _invoice_voucher(st, inv, acc, round2(D(inv["Total"]) * fx))


def _book_rows(st, inv: dict, acc: dict[int, Decimal]) -> None:
    """The credit side of an invoice voucher per account, in the invoice's currency."""
    vat_incl = inv["VATIncluded"]
    for row in inv["InvoiceRows"]:
        if row["AccountNumber"]:
            _add(acc, int(row["AccountNumber"]), D(row["TotalExcludingVAT"]))
    by_rate: dict[Decimal, Decimal] = {}
    for row in inv["InvoiceRows"]:
        if row["AccountNumber"]:
            by_rate[D(row["VAT"])] = by_rate.get(D(row["VAT"]), Decimal("0")) + D(
                row["Total"] if vat_incl else row["TotalExcludingVAT"])
    for rate, amount in by_rate.items():
        if rate:
            vat = amount - round2(amount / (1 + rate / 100)) if vat_incl else round2(amount * rate / 100)
            # a foreign (OSS) rate's VAT: on OUTVAT_MP1's account (GUESS, Fortnox's OSS accounts are not documented)
            _add(acc, st.predefined(VAT_ACCOUNT.get(rate, "OUTVAT_MP1")), round2(vat))
    fee_vat = D(inv["FreightVAT"]) + D(inv["AdministrationFeeVAT"])
    _add(acc, st.predefined("OUTVAT_MP1"), fee_vat)
    _add(acc, st.predefined("FREIGHT"), D(inv["Freight"]))
    _add(acc, st.predefined("ADMFEE"), D(inv["AdministrationFee"]))
    _add(acc, st.predefined("ROUNDOFF"), D(inv["RoundOff"]))


def _invoice_voucher(st, inv: dict, acc: dict[int, Decimal], total: Decimal) -> dict:
    credits = sum(acc.values(), Decimal("0"))
    rows = [{"Account": st.predefined("CUSTCLAIM"), "Debit": credits, "Credit": 0} if credits >= 0 else
            {"Account": st.predefined("CUSTCLAIM"), "Debit": 0, "Credit": -credits}]
    for a, amount in acc.items():
        rows.append({"Account": a, "Debit": 0, "Credit": amount} if amount >= 0 else
                    {"Account": a, "Debit": -amount, "Credit": 0})
    # rounding differences between row VAT and header VAT go to ROUNDOFF (GUESS)
    diff = round2(total) - round2(credits)
    if diff:
        rows.append({"Account": st.predefined("ROUNDOFF"), "Debit": 0, "Credit": diff} if diff > 0 else
                    {"Account": st.predefined("ROUNDOFF"), "Debit": -diff, "Credit": 0})
        rows[0] = {"Account": rows[0]["Account"], "Debit": D(rows[0]["Debit"]) + max(diff, 0),
                   "Credit": D(rows[0]["Credit"]) + max(-diff, 0)}
    if not any(D(r["Debit"]) or D(r["Credit"]) for r in rows):
        rows = [{"Account": st.predefined("CUSTCLAIM"), "Debit": 0, "Credit": 0}]
    return make_voucher(st, "B", inv["InvoiceDate"], f"Faktura {inv['DocumentNumber']}", rows, "INVOICE",
                        inv["DocumentNumber"])


def _signed(account: int, debit: Decimal) -> dict:
    """A voucher row from a signed amount (positive = debit)."""
    return {"Account": account, "Debit": debit, "Credit": 0} if debit >= 0 else \
        {"Account": account, "Debit": 0, "Credit": -debit}


def book_payment(st, pay: dict) -> dict:
    amount = round2(pay["Amount"])
    bank, claim = int(pay["ModeOfPaymentAccount"]), st.predefined("CUSTCLAIM")
    inv = st.docs["invoices"].get(str(pay["InvoiceNumber"])) or {}
    # the claim leaves 1510 at the SEK it was booked at: the invoice's rate
    cleared = amount if pay.get("Currency", "SEK") == "SEK" else round2(D(pay["AmountCurrency"]) * sek_rate(inv))
    rows = [_signed(bank, amount), _signed(claim, -cleared)]
    if cleared != amount:  # paid at another rate: the exchange difference
        rows.append(_signed(st.predefined("CURRENCYLOSS" if cleared > amount else "CURRENCYWIN"), cleared - amount))
    for w in pay.get("WriteOffs") or []:
        wa = round2(w.get("Amount", 0))
        rows.append({"Account": int(w["AccountNumber"]), "Debit": wa, "Credit": 0})
        rows[1]["Credit"] = D(rows[1]["Credit"]) + wa
    return make_voucher(st, "C", pay["PaymentDate"], f"Inbetalning faktura {pay['InvoiceNumber']}", rows,
                        "INVOICEPAYMENT", str(pay["Number"]))


# ------------------------------------------------------------------------------------------- simple lists
def _simple_list(ctx, kind, plural, render, sort_key):
    with ctx.state.lock:
        docs = sorted(ctx.state.docs[kind].values(), key=sort_key)
        return 200, paginate(ctx.args, docs, plural, render)


def accounts_list(ctx: Ctx):
    def item(a):
        return {"@url": ctx.state.url(f"accounts/{a['Number']}"), "Active": a["Active"],
                "BalanceBroughtForward": a.get("BalanceBroughtForward", 0), "CostCenter": a.get("CostCenter"),
                "CostCenterSettings": a.get("CostCenterSettings", "ALLOWED"), "Description": a["Description"],
                "Number": a["Number"], "Project": a.get("Project", ""),
                "ProjectSettings": a.get("ProjectSettings", "ALLOWED"), "SRU": a.get("SRU"),
                "VATCode": a.get("VATCode", ""), "Year": _year_id(ctx)}
    with ctx.state.lock:
        docs = select(ctx.args, ctx.state.docs["accounts"].values(),
                      searches={"description": lambda a: a["Description"], "number": lambda a: a["Number"]},
                      filters={"active": lambda a: a["Active"], "inactive": lambda a: not a["Active"]},
                      sorts={"number": lambda a: a["Number"]}, default_sort=lambda a: a["Number"])
        return 200, paginate(ctx.args, docs, "Accounts", item)


def _year_id(ctx: Ctx) -> int:
    fy = ctx.args.get("financialyear")
    if fy and fy.isdigit():
        return int(fy)
    cur = ctx.state.financial_year_for(today())
    return cur["Id"] if cur else 0


def accounts_read(ctx: Ctx, number: str):
    a = ctx.state.docs["accounts"].get(int(number)) if number.isdigit() else None
    if a is None:
        raise E.not_found("account")
    return 200, {"Account": {"@url": ctx.state.url(f"accounts/{a['Number']}"), **public(a), "Year": _year_id(ctx)}}


def accounts_create(ctx: Ctx):
    data = ctx.body("Account", "fortnox_AccountPayload_Wrap", partial=False)
    with ctx.state.lock:
        if int(data["Number"]) in ctx.state.docs["accounts"]:
            raise E.err(E.DUPLICATE, data["Number"])
        ctx.state.seed_reference({"accounts": [data]})
        return 201, accounts_read(ctx, str(data["Number"]))[1]


def accounts_update(ctx: Ctx, number: str):
    data = ctx.body("Account", "fortnox_AccountPayload_Wrap", partial=True)
    with ctx.state.lock:
        accounts_read(ctx, number)
        data["Number"] = int(number)
        ctx.state.seed_reference({"accounts": [data]})
        return 200, accounts_read(ctx, number)[1]


def financialyears_list(ctx: Ctx):
    def item(f):
        return {"@url": ctx.state.url(f"financialyears/{f['Id']}"), **f}
    with ctx.state.lock:
        docs = sorted(ctx.state.docs["financialyears"].values(), key=lambda f: f["Id"])
        date = ctx.args.get("date")
        if date:
            docs = [f for f in docs if f["FromDate"] <= date <= f["ToDate"]]
        return 200, paginate(ctx.args, docs, "FinancialYears", item)


def financialyears_read(ctx: Ctx, fid: str):
    f = ctx.state.docs["financialyears"].get(int(fid)) if fid.isdigit() else None
    if f is None:
        raise E.not_found("financialyear")
    return 200, {"FinancialYear": {"@url": ctx.state.url(f"financialyears/{f['Id']}"), **f}}


def currencies_list(ctx: Ctx):
    return _simple_list(ctx, "currencies", "Currencies",
                        lambda c: {"@url": ctx.state.url(f"currencies/{c['Code']}"), **c}, lambda c: c["Code"])


def currencies_read(ctx: Ctx, code: str):
    c = ctx.state.docs["currencies"].get(code.upper())
    if c is None:
        raise E.not_found("currency")
    return 200, {"Currency": {"@url": ctx.state.url(f"currencies/{c['Code']}"), **c}}


def predefined_list(ctx: Ctx):
    return _simple_list(ctx, "predefinedaccounts", "PreDefinedAccounts",
                        lambda p: {"@url": ctx.state.url(f"predefinedaccounts/{p['Name']}"), **p},
                        lambda p: p["Name"])


def predefined_read(ctx: Ctx, name: str):
    p = ctx.state.docs["predefinedaccounts"].get(name.upper())
    if p is None:
        raise E.not_found("predefinedaccount")
    return 200, {"PreDefinedAccount": {"@url": ctx.state.url(f"predefinedaccounts/{p['Name']}"), **p}}


def modes_list(ctx: Ctx):
    return _simple_list(ctx, "modesofpayments", "ModesOfPayments",
                        lambda m: {"@url": ctx.state.url(f"modesofpayments/{m['Code']}"), **m},
                        lambda m: natural(m["Code"]))


def modes_read(ctx: Ctx, code: str):
    m = ctx.state.docs["modesofpayments"].get(code.upper())
    if m is None:
        raise E.not_found("modeofpayment")
    return 200, {"ModeOfPayment": {"@url": ctx.state.url(f"modesofpayments/{m['Code']}"), **m}}


def modes_create(ctx: Ctx):
    data = ctx.body("ModeOfPayment", "fortnox_ModeOfPayment_Wrap", partial=False)
    with ctx.state.lock:
        if not data.get("Code") or not data.get("AccountNumber"):
            raise E.err(E.REQUIRED, "Code" if not data.get("Code") else "AccountNumber")
        if int(data["AccountNumber"]) not in ctx.state.docs["accounts"]:
            raise E.err(E.ACCOUNT_MISSING)
        ctx.state.seed_reference({"modesofpayments": [data]})
        return 201, modes_read(ctx, data["Code"])[1]


def companyinformation(ctx: Ctx):
    return 200, {"CompanyInformation": dict(ctx.state.company)}


# ------------------------------------------------------------------------------ EU distance-sales threshold
EU_MEMBER_STATES = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}


def eu_vat_limit(ctx: Ctx):
    """GET /3/euvatlimitregulation[?year=YYYY]: the company's distance sales to consumers in other member states
    that year against the EUR 10,000 threshold. The [SPEC] gives the fields only. GUESS: Limit is the threshold in
    SEK (99 680, Skatteverket's figure) and TotalExclVat sums, in SEK, the net of the year's invoices (credits
    negative) to customers in another member state with VATType SEVAT or EUVAT, plus the tenant setting
    `eu_distance_sales_earlier` {year: SEK} for sales Fortnox knows from elsewhere."""
    year = ctx.args.get("year") or today()[:4]
    if not str(year).isdigit():
        raise E.err(E.INVALID_PARAMETER)
    st = ctx.state
    with st.lock:
        customers = st.docs["customers"]
        total = D(str((st.settings.get("eu_distance_sales_earlier") or {}).get(str(year), 0)))
        home = st.company.get("CountryCode") or "SE"
        for inv in st.docs["invoices"].values():
            cust = customers.get(inv.get("CustomerNumber")) or {}
            if (inv["Cancelled"] or not str(inv.get("InvoiceDate", "")).startswith(str(year))
                    or cust.get("CountryCode") not in EU_MEMBER_STATES - {home}
                    or cust.get("VATType") not in ("SEVAT", "EUVAT")):
                continue
            total += D(inv["Net"]) * D(inv.get("CurrencyRate") or 1) / D(inv.get("CurrencyUnit") or 1)
    limit = 99680
    return 200, {"EUVatLimitRegulation": {"IsOverLimit": total > limit, "Limit": limit,
                                          "TotalExclVat": num(round2(total)), "Year": str(year)}}
