"""Vouchers, voucher series and the locked period: the rules every voucher obeys, whether a client posts it
(POST /3/vouchers) or the sandbox books an invoice or payment (resources/bookkeeping.py).

A voucher is never changed: the [SPEC] has no PUT or DELETE under /3/vouchers, so a correction is a new voucher
(those methods answer the sandbox's unknown-path 404). Its key is (series, number, financial year): numbers count
from 1 per series and year ([SPEC] GET /3/vouchers: "the same voucher series and number is used each year").
Codes and messages of the refusals are GUESS (docs/fortnox-fidelity.md "Vouchers").
"""
from __future__ import annotations

from decimal import Decimal

from ..arithmetic import D, round2

from .. import errors as E
from ..listing import paginate, select
from .common import Ctx, now_stamp, num, public, today

LIST_ITEM = ("@url", "ApprovalState", "Comments", "Description", "ReferenceNumber", "ReferenceType",
             "TransactionDate", "VoucherNumber", "VoucherSeries", "Year")  # [SPEC] fortnox_VoucherListItem


def make_voucher(st, series: str, date: str, description: str, rows: list[dict], ref_type: str = "MANUAL",
                 ref_number: str = "", comments: str = "", year: int | None = None) -> dict:
    """Number and store a voucher after the checks Fortnox makes before booking anything: the series exists, the
    date lies in a financial year (the one asked for, if any) and after the locked period, the rows balance and
    name existing accounts."""
    if series not in st.docs["voucherseries"]:
        raise E.err(E.SERIES_MISSING, series)
    fy = st.financial_year_for(date)
    if fy is None or (year is not None and fy["Id"] != year):
        raise E.err(E.NO_FINANCIAL_YEAR)
    locked = st.settings.get("locked_period_end")
    if locked and date <= locked:
        raise E.err(E.PERIOD_LOCKED, locked)
    debit = sum((D(r.get("Debit", 0)) for r in rows), Decimal("0"))
    credit = sum((D(r.get("Credit", 0)) for r in rows), Decimal("0"))
    if round2(debit) != round2(credit) or not rows:
        raise E.err(E.VOUCHER_UNBALANCED)
    for r in rows:
        if not r.get("Account"):
            raise E.err(E.REQUIRED, "Account")
        if st.docs["accounts"].get(int(r["Account"])) is None:
            raise E.err(E.ACCOUNT_MISSING)
    key = (series, fy["Id"])
    st.voucher_seq[key] += 1
    number = st.voucher_seq[key]
    v = {"@url": st.url(f"vouchers/{series}/{number}?financialyear={fy['Id']}"), "Comments": comments,
         "CostCenter": "", "Description": description, "Project": "", "ReferenceNumber": ref_number,
         "ReferenceType": ref_type, "TransactionDate": date, "VoucherNumber": number, "VoucherSeries": series,
         "Year": fy["Id"], "ApprovalState": 0, "_modified": now_stamp(),
         "VoucherRows": [{"Account": int(r["Account"]), "CostCenter": r.get("CostCenter", ""),
                          "Credit": num(round2(r.get("Credit", 0))), "Debit": num(round2(r.get("Debit", 0))),
                          "Description": r.get("Description") or st.docs["accounts"][int(r["Account"])]["Description"],
                          "Project": r.get("Project", ""), "Quantity": r.get("Quantity", 0),
                          "Removed": False, "TransactionInformation": r.get("TransactionInformation", "")}
                         for r in rows]}
    st.docs["vouchers"][(series, number, fy["Id"])] = v
    return v


def _year_param(ctx: Ctx) -> int | None:
    fy = ctx.args.get("financialyear")
    if fy in (None, ""):
        return None
    if not fy.isdigit():
        raise E.err(E.INVALID_PARAMETER)
    return int(fy)


def create(ctx: Ctx):
    data = ctx.body("Voucher", "fortnox_Voucher_Wrap", partial=False)
    rows = data.get("VoucherRows") or []
    if len(rows) < 2:  # [SPEC] VoucherRows minItems 2; the answer is GUESS
        raise E.err(E.VOUCHER_UNBALANCED)
    with ctx.state.lock:
        v = make_voucher(ctx.state, data["VoucherSeries"], data["TransactionDate"], data["Description"], rows,
                         comments=data.get("Comments", ""), year=_year_param(ctx))
        return 201, {"Voucher": public(v)}


def find(st, series: str, number: str, year: int | None) -> dict | None:
    """The voucher (series, number) of `year`, or of the latest year that has one when no year is given (GUESS)."""
    hits = [v for (s, n, y), v in st.docs["vouchers"].items()
            if s == series and str(n) == str(number) and (year is None or y == year)]
    return max(hits, key=lambda v: v["Year"]) if hits else None


def read(ctx: Ctx, series: str, number: str):
    with ctx.state.lock:
        v = find(ctx.state, series, number, _year_param(ctx))
        if v is None:
            raise E.not_found("voucher")
        return 200, {"Voucher": public(v)}


def list_(ctx: Ctx, series: str | None = None, current: bool = False):
    """GET /3/vouchers and /3/vouchers/sublist/{series}: every financial year unless `financialyear` or
    `financialyeardate` names one (GUESS); /3/vouchers/sublist (`current`): today's year ([SPEC] summary).
    `fromdate`/`todate` select on TransactionDate (reference §4; not in the spec's voucher paths, so GUESS: the
    setting `voucher_date_filter: ignored` serves the other plausible behaviour, every date of the series)."""
    st = ctx.state
    with st.lock:
        year = _year_param(ctx)
        if year is None and ctx.args.get("financialyeardate"):
            fy = st.financial_year_for(ctx.args["financialyeardate"])
            year = fy["Id"] if fy else -1
        if year is None and current:
            fy = st.financial_year_for(today())
            year = fy["Id"] if fy else -1
        docs = [v for v in st.docs["vouchers"].values()
                if (series is None or v["VoucherSeries"] == series) and (year is None or v["Year"] == year)]
        docs = select(ctx.args, docs, searches={},
                      exact={"voucherseries": lambda v: v["VoucherSeries"], "costcenter": lambda v: v["CostCenter"]},
                      filters={}, sorts={"referencenumber": lambda v: v["ReferenceNumber"],
                                         "referencetype": lambda v: v["ReferenceType"],
                                         "vouchernumber": lambda v: v["VoucherNumber"],
                                         "voucherseries": lambda v: v["VoucherSeries"]},
                      default_sort=lambda v: (v["Year"], v["VoucherSeries"], v["VoucherNumber"]),
                      date_range=(lambda v: v["TransactionDate"])
                      if st.settings.get("voucher_date_filter", "applies") == "applies" else None)
        return 200, paginate(ctx.args, docs, "Vouchers", lambda v: {k: v[k] for k in LIST_ITEM})


def sublist_current(ctx: Ctx):
    return list_(ctx, current=True)


# ------------------------------------------------------------------------------------------- voucher series
def _series(ctx: Ctx, s: dict, single: bool) -> dict:
    """[SPEC] fortnox_VoucherSeries (single) / fortnox_VoucherSeriesListItem; Year is the financial year asked
    for or today's, NextVoucherNumber that year's next number."""
    fy = _year_param(ctx)
    if fy is None:
        cur = ctx.state.financial_year_for(today())
        fy = cur["Id"] if cur else 0
    out = {"@url": ctx.state.url(f"voucherseries/{s['Code']}"), "Approver": {"Id": 0, "Name": ""}, "Code": s["Code"],
           "Description": s["Description"], "Manual": s["Manual"], "Year": fy}
    if single:
        out["NextVoucherNumber"] = ctx.state.voucher_seq[(s["Code"], fy)] + 1
    return out


def series_list(ctx: Ctx):
    with ctx.state.lock:
        docs = select(ctx.args, ctx.state.docs["voucherseries"].values(), searches={}, filters={},
                      sorts={"code": lambda s: s["Code"]}, default_sort=lambda s: s["Code"])
        return 200, paginate(ctx.args, docs, "VoucherSeriesCollection", lambda s: _series(ctx, s, single=False))


def series_read(ctx: Ctx, code: str):
    with ctx.state.lock:
        s = ctx.state.docs["voucherseries"].get(code)
        if s is None:
            raise E.not_found("voucherseries")
        return 200, {"VoucherSeries": _series(ctx, s, single=True)}


def series_create(ctx: Ctx):
    data = ctx.body("VoucherSeries", "fortnox_VoucherSeries_Wrap", partial=False)
    with ctx.state.lock:
        if data["Code"] in ctx.state.docs["voucherseries"]:
            raise E.err(E.DUPLICATE, data["Code"])
        ctx.state.seed_reference({"voucherseries": [data]})
        return 201, series_read(ctx, data["Code"])[1]


def series_update(ctx: Ctx, code: str):
    data = ctx.body("VoucherSeries", "fortnox_VoucherSeries_Wrap", partial=True)
    with ctx.state.lock:
        series_read(ctx, code)
        ctx.state.seed_reference({"voucherseries": [{**public(ctx.state.docs["voucherseries"][code]), **data,
                                                     "Code": code}]})
        return 200, series_read(ctx, code)[1]


def locked_period(ctx: Ctx):
    """GET /3/settings/lockedperiod: [SPEC] "If no date is returned, no period is locked" (null then, GUESS)."""
    return 200, {"LockedPeriod": {"EndDate": ctx.state.settings.get("locked_period_end")}}
