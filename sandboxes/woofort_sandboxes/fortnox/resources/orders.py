"""/3/orders (scope `order`): create/read/update, cancel, createinvoice.

Sources: reference §5.6, [SPEC] paths and fortnox_Order / fortnox_Order_OrderRow, [VCR] orders/*.yml (field set
of a new order: orders/find_new.yml). Rows and totals go through the invoices' code (resources/invoices.py) with
the tenant's VAT model (arithmetic R5), except that an order row's VAT is a decimal number ([SPEC]
fortnox_Order_OrderRow.VAT "double", the invoice row's "int32") and the order's totals count OrderedQuantity
(GUESS: an order's value is what was ordered).

createinvoice (GUESS beyond the [SPEC] path and answer {"Invoice": {...}}): the invoice copies the order's
header (customer, addresses, currency, VATIncluded, price list, freight, fee, references, remarks) and every row
as it is, VAT included (25.5 stays 25.5 on the invoice row, although the invoice row's schema says integer; how
Fortnox itself books a non-whole rate is not evidenced), invoicing each row's DeliveredQuantity, or its
OrderedQuantity when nothing was marked delivered; dated today or the OrderDate, copying the external
references or not (settings createinvoice_invoice_date, createinvoice_copies_references). The invoice gets
OrderReference = the order number and the order InvoiceReference = the invoice number (reference §5.6, INFERRED).
A cancelled or already invoiced order cannot be invoiced, nor an invoiced order cancelled or changed (codes and
messages GUESS).
"""
from __future__ import annotations

import copy
import datetime as dt

from .. import arithmetic as fa
from .. import errors as E
from ..listing import natural, paginate, select
from . import invoices
from .common import Ctx, apply_blank, now_stamp, num, numstr, public, today

ORDER_CANCELLED = (2000757, "Ordern är makulerad.")                       # GUESS
ORDER_INVOICED = (2000758, "Ordern är redan fakturerad.")                 # GUESS
HEADER_TO_INVOICE = ("CustomerNumber", "CustomerName", "Address1", "Address2", "City", "ZipCode", "Country",
                     "Phone1", "Phone2", "OrganisationNumber", "DeliveryName", "DeliveryAddress1", "DeliveryAddress2",
                     "DeliveryCity", "DeliveryZipCode", "DeliveryCountry", "Currency", "CurrencyRate", "CurrencyUnit",
                     "VATIncluded", "PriceList", "TermsOfPayment", "TermsOfDelivery", "WayOfDelivery", "Freight",
                     "AdministrationFee", "YourReference", "OurReference", "YourOrderNumber", "Remarks", "Comments",
                     "ExternalInvoiceReference1", "ExternalInvoiceReference2", "CostCenter", "Project", "Language")
ROW_TO_INVOICE = ("AccountNumber", "ArticleNumber", "Description", "Price", "Discount", "DiscountType", "VAT",
                  "Unit", "CostCenter", "Project", "HouseWork", "HouseWorkType", "HouseWorkHoursToReport",
                  "StockPointCode")


def _blank(number: str, st) -> dict:
    # Field set of [VCR] orders/find_new.yml (plus EmailInformation/Credit kept internal by the invoices' code)
    t = today()
    return {"@url": st.url(f"orders/{number}"),
            "@urlTaxReductionList": f"{st.base_url}/3/taxreductions?filter=orders&referencenumber={number}",
            "AdministrationFee": 0, "AdministrationFeeVAT": 0, "Address1": "", "Address2": "", "BasisTaxReduction": 0,
            "Cancelled": False, "City": "", "Comments": "", "ContributionPercent": 0, "ContributionValue": 0,
            "CopyRemarks": False, "Country": "", "CostCenter": "", "Currency": "SEK", "CurrencyRate": 1,
            "CurrencyUnit": 1, "CustomerName": "", "CustomerNumber": "", "DeliveryState": "delivery",
            "DeliveryAddress1": "", "DeliveryAddress2": "", "DeliveryCity": "", "DeliveryCountry": "",
            "DeliveryDate": None, "DeliveryName": "", "DeliveryZipCode": "", "DocumentNumber": number,
            "EmailInformation": {"EmailAddressFrom": None, "EmailAddressTo": "", "EmailAddressCC": None,
                                 "EmailAddressBCC": None, "EmailSubject": "Order {no} bifogas", "EmailBody": " "},
            "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "", "Freight": 0, "FreightVAT": 0,
            "Gross": 0, "HouseWork": False, "InvoiceReference": "0", "Labels": [], "Language": "SV", "Net": 0,
            "NotCompleted": False, "OfferReference": "0", "OrderDate": t, "OrderRows": [], "OrderType": "Order",
            "OrganisationNumber": "", "OurReference": "", "Phone1": "", "Phone2": "", "PriceList": "A",
            "PrintTemplate": "oc", "Project": "", "WarehouseReady": True, "OutboundDate": t, "Remarks": "",
            "RoundOff": 0, "Sent": False, "TaxReduction": None, "TermsOfDelivery": "", "TermsOfPayment": "30",
            "TimeBasisReference": None, "Total": 0, "TotalToPay": 0, "TotalVAT": 0, "VATIncluded": False,
            "WayOfDelivery": "", "YourReference": "", "YourOrderNumber": "", "ZipCode": "", "StockPointCode": None,
            "StockPointId": None, "TaxReductionType": "none"}


def get(ctx: Ctx, number: str) -> dict:
    doc = ctx.state.docs["orders"].get(str(number))
    if doc is None:
        raise E.not_found("order")
    return doc


def _apply(ctx: Ctx, order: dict, data: dict, creating: bool) -> None:
    """Header fields, then rows (OrderedQuantity kept beside the invoices' row fields), then totals."""
    st = ctx.state
    cust = st.docs["customers"].get(str(order["CustomerNumber"] if "CustomerNumber" not in data
                                        else data["CustomerNumber"]))
    if cust is None:
        raise E.err(E.CUSTOMER_MISSING)
    rows = data.pop("OrderRows", None)
    if creating:
        invoices._copy_customer(order, cust, data, st)
    if isinstance(data.get("EmailInformation"), dict):
        apply_blank(order["EmailInformation"], data.pop("EmailInformation"))
    apply_blank(order, data)
    if st.docs["currencies"].get(order["Currency"]) is None:
        raise E.err((2000427, "Kan inte hitta valutan."))
    for f in ("Freight", "AdministrationFee"):
        order[f] = num(fa.round2(order[f] or 0))
    if rows is not None:
        ordered = [fa.round2(r.get("OrderedQuantity") or 0) for r in rows]
        invoices.set_rows(ctx, order, [{k: v for k, v in r.items() if k != "OrderedQuantity"} for r in rows],
                          cust, key="OrderRows")
        for row, qty in zip(order["OrderRows"], ordered):
            row["OrderedQuantity"] = numstr(qty)
            row.setdefault("ReservedQuantity", "0")
    invoices.compute_totals(st, order, order["OrderRows"], quantity="OrderedQuantity")
    for row in order["OrderRows"]:   # fields of invoice rows that order rows do not have ([VCR] orders/*)
        for internal in ("TotalExcludingVAT", "PriceExcludingVAT", "VATCode"):
            row.pop(internal, None)
    order["_modified"] = now_stamp()


def create(ctx: Ctx):
    data = ctx.body("Order", "fortnox_Order_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        given = data.pop("DocumentNumber", None)
        if given and given in st.docs["orders"]:
            raise E.err(E.DUPLICATE, given)
        number = given or st.next_number("orders")
        order = _blank(number, st)
        order["CustomerNumber"] = str(data.get("CustomerNumber") or "")
        _apply(ctx, order, data, creating=True)
        st.bump_number("orders", number)
        st.docs["orders"][number] = order
        return 201, {"Order": public(order)}


def read(ctx: Ctx, number: str):
    return 200, {"Order": public(get(ctx, number))}


def _check_open(order: dict) -> None:
    if order["Cancelled"]:
        raise E.err(ORDER_CANCELLED)
    if order["InvoiceReference"] != "0":
        raise E.err(ORDER_INVOICED)


def update(ctx: Ctx, number: str):
    data = ctx.body("Order", "fortnox_Order_Wrap", partial=True)
    st = ctx.state
    with st.lock:
        order = get(ctx, number)
        _check_open(order)
        data.pop("DocumentNumber", None)
        work = copy.deepcopy(order)
        _apply(ctx, work, data, creating=False)
        order.clear()
        order.update(work)
        return 200, {"Order": public(order)}


def cancel(ctx: Ctx, number: str):
    with ctx.state.lock:
        order = get(ctx, number)
        _check_open(order)
        order.update({"Cancelled": True, "_modified": now_stamp()})
        return 200, {"Order": public(order)}


def createinvoice(ctx: Ctx, number: str):
    st = ctx.state
    with st.lock:
        order = get(ctx, number)
        _check_open(order)
        inv_no = st.next_number("invoices")
        while inv_no in st.docs["invoices"]:
            inv_no = st.next_number("invoices")
        inv = invoices._blank(inv_no, st)
        inv.update({k: copy.deepcopy(order[k]) for k in HEADER_TO_INVOICE})
        if not st.settings.get("createinvoice_copies_references", True):
            inv.update({"ExternalInvoiceReference1": "", "ExternalInvoiceReference2": ""})
        if st.settings.get("createinvoice_invoice_date") == "order_date":
            inv.update({"InvoiceDate": order["OrderDate"], "OutboundDate": order["OrderDate"]})
        inv["EmailInformation"]["EmailAddressTo"] = order["EmailInformation"].get("EmailAddressTo") or ""
        inv["OrderReference"] = order["DocumentNumber"]
        days = int(inv["TermsOfPayment"]) if str(inv["TermsOfPayment"]).isdigit() else 30
        inv["DueDate"] = (dt.date.fromisoformat(inv["InvoiceDate"]) + dt.timedelta(days=days)).isoformat()
        for row in order["OrderRows"]:
            delivered = fa.D(row.get("DeliveredQuantity") or 0)
            copied = {k: copy.deepcopy(row.get(k)) for k in ROW_TO_INVOICE}
            copied.update({"DeliveredQuantity": numstr(delivered or fa.D(row["OrderedQuantity"])),
                           "RowId": int(st.next_number("rowid")), "ContributionPercent": "0",
                           "ContributionValue": "0", "Cost": 0, "Total": 0, "TotalExcludingVAT": 0,
                           "PriceExcludingVAT": 0, "VATCode": None})
            inv["InvoiceRows"].append(copied)
        invoices._recompute(st, inv)
        invoices.stock_effect(st, inv, +1)
        st.docs["invoices"][inv_no] = inv
        order.update({"InvoiceReference": inv_no, "_modified": now_stamp()})
        return 201, {"Invoice": public(inv)}


FILTERS = {"cancelled": lambda d: d["Cancelled"],
           "invoicecreated": lambda d: d["InvoiceReference"] != "0",
           "invoicenotcreated": lambda d: d["InvoiceReference"] == "0" and not d["Cancelled"]}
LIST_FIELDS = ["@url", "Cancelled", "Currency", "CustomerName", "CustomerNumber", "DeliveryDate", "DocumentNumber",
               "ExternalInvoiceReference1", "ExternalInvoiceReference2", "OrderDate", "OrderType", "Project", "Sent",
               "Total", "YourReference", "OurReference", "InvoiceReference"]


def list_(ctx: Ctx):
    with ctx.state.lock:
        docs = select(
            ctx.args, ctx.state.docs["orders"].values(),
            searches={k.lower(): (lambda f: (lambda d: d.get(f)))(k) for k in
                      ["CustomerName", "CustomerNumber", "DocumentNumber", "ExternalInvoiceReference1",
                       "ExternalInvoiceReference2", "OrderType", "YourReference", "OurReference", "Project"]},
            exact={}, filters=FILTERS,
            sorts={"customername": lambda d: (d["CustomerName"] or "").lower(),
                   "customernumber": lambda d: natural(d["CustomerNumber"]),
                   "documentnumber": lambda d: natural(d["DocumentNumber"]),
                   "orderdate": lambda d: d["OrderDate"], "total": lambda d: fa.D(d["Total"])},
            default_sort=lambda d: natural(d["DocumentNumber"]),
            date_range=lambda d: d["OrderDate"])
        return 200, paginate(ctx.args, docs, "Orders",
                             lambda d: {k: copy.deepcopy(d.get(k)) for k in LIST_FIELDS})
