"""/3/customers (scope `customer`). Sources: reference §5.3, [VCR] customers/*.yml."""
from __future__ import annotations

from .. import errors as E
from ..listing import natural, paginate, select
from .common import Ctx, apply_blank, now_stamp, public

# Country names derived from CountryCode ([VCR] save_new_with_country_code_SE: "SE" -> "Sverige"; others GUESS).
COUNTRIES = {"SE": "Sverige", "NO": "Norge", "DK": "Danmark", "FI": "Finland", "DE": "Tyskland",
             "GB": "Storbritannien", "US": "USA", "FR": "Frankrike", "NL": "Nederländerna", "ES": "Spanien",
             "IT": "Italien", "PL": "Polen", "AT": "Österrike", "BE": "Belgien", "IE": "Irland"}


def _blank(number: str, url: str) -> dict:
    # Defaults and null/"" pattern from [VCR] customers/save_new.yml.
    return {"@url": url, "Address1": None, "Address2": None, "City": None, "Country": None, "Comments": None,
            "Currency": "SEK", "CostCenter": None, "CountryCode": None, "Active": True, "CustomerNumber": number,
            "DefaultDeliveryTypes": {"Invoice": "PRINT", "Order": "PRINT", "Offer": "PRINT"},
            "DefaultTemplates": {"Order": "DEFAULTTEMPLATE", "Offer": "DEFAULTTEMPLATE",
                                 "Invoice": "DEFAULTTEMPLATE", "CashInvoice": "DEFAULTTEMPLATE"},
            "DeliveryAddress1": None, "DeliveryAddress2": None, "DeliveryCity": None, "DeliveryCountry": None,
            "DeliveryCountryCode": None, "DeliveryFax": None, "DeliveryName": None, "DeliveryPhone1": None,
            "DeliveryPhone2": None, "DeliveryZipCode": None, "Email": "", "EmailInvoice": "", "EmailInvoiceBCC": "",
            "EmailInvoiceCC": "", "EmailOffer": "", "EmailOfferBCC": "", "EmailOfferCC": "", "EmailOrder": "",
            "EmailOrderBCC": "", "EmailOrderCC": "", "ExternalReference": None, "Fax": None, "GLN": None,
            "GLNDelivery": None, "InvoiceAdministrationFee": None, "InvoiceDiscount": None, "InvoiceFreight": None,
            "InvoiceRemark": "", "Name": "", "OrganisationNumber": "", "OurReference": "", "Phone1": None,
            "Phone2": None, "PriceList": "A", "Project": "", "SalesAccount": None, "ShowPriceVATIncluded": False,
            "TermsOfDelivery": "", "TermsOfPayment": "", "Type": "COMPANY", "VATNumber": "", "VATType": "SEVAT",
            "VisitingAddress": None, "VisitingCity": None, "VisitingCountry": None, "VisitingCountryCode": None,
            "VisitingZipCode": None, "WayOfDelivery": "", "WWW": "", "YourReference": "", "ZipCode": None}


def render_item(doc: dict) -> dict:
    # [VCR] customers/all.yml: nulls shown as "" in list items; Phone = Phone1.
    def s(k):
        return doc.get(k) or ""
    return {"@url": doc["@url"], "Address1": s("Address1"), "Address2": s("Address2"), "City": s("City"),
            "CustomerNumber": doc["CustomerNumber"], "Email": s("Email"), "Name": s("Name"),
            "OrganisationNumber": s("OrganisationNumber"), "Phone": s("Phone1"), "ZipCode": s("ZipCode")}


def get(ctx: Ctx, number: str) -> dict:
    doc = ctx.state.docs["customers"].get(str(number))
    if doc is None:
        raise E.not_found("customer")
    return doc


def _apply(doc: dict, data: dict) -> None:
    apply_blank(doc, data)
    for code_f, name_f in (("CountryCode", "Country"), ("DeliveryCountryCode", "DeliveryCountry"),
                           ("VisitingCountryCode", "VisitingCountry")):
        if code_f in data:
            code = (doc.get(code_f) or "").upper()
            doc[name_f] = COUNTRIES.get(code, code) if code else None
    if doc.get("Type") not in ("PRIVATE", "COMPANY"):
        raise E.ApiError(400, 2000359, f"Värdet innehåller ej tillåtna tecken. ({doc.get('Type')})")
    if doc.get("VATType") not in ("SEVAT", "SEREVERSEDVAT", "EUREVERSEDVAT", "EUVAT", "EXPORT"):
        raise E.ApiError(400, 2000359, f"Värdet innehåller ej tillåtna tecken. ({doc.get('VATType')})")
    doc["_modified"] = now_stamp()


def create(ctx: Ctx):
    data = ctx.body("Customer", "fortnox_Customer_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        given = data.pop("CustomerNumber", None)
        if given:
            if given in st.deleted_customers:
                raise E.err(E.CUSTOMER_NUMBER_USED, given)  # reference §5.3: reserved after delete
            if given in st.docs["customers"]:
                raise E.err(E.CUSTOMER_NUMBER_USED, given)  # GUESS: same error for a live duplicate
            number = given
        else:
            number = st.next_number("customers")
            while number in st.docs["customers"] or number in st.deleted_customers:
                number = st.next_number("customers")
        st.bump_number("customers", number)
        doc = _blank(number, st.url(f"customers/{number}"))
        _apply(doc, data)
        st.docs["customers"][number] = doc
        return 201, {"Customer": public(doc)}


def read(ctx: Ctx, number: str):
    return 200, {"Customer": public(get(ctx, number))}


def update(ctx: Ctx, number: str):
    data = ctx.body("Customer", "fortnox_Customer_Wrap", partial=True)
    with ctx.state.lock:
        doc = get(ctx, number)
        data.pop("CustomerNumber", None)
        _apply(doc, data)
        return 200, {"Customer": public(doc)}


def delete(ctx: Ctx, number: str):
    with ctx.state.lock:
        get(ctx, number)
        del ctx.state.docs["customers"][number]
        ctx.state.deleted_customers.add(number)
    return 204, None


def list_(ctx: Ctx):
    with ctx.state.lock:
        docs = select(
            ctx.args, ctx.state.docs["customers"].values(),
            searches={"customernumber": lambda d: d["CustomerNumber"], "name": lambda d: d["Name"],
                      "zipcode": lambda d: d["ZipCode"], "city": lambda d: d["City"], "email": lambda d: d["Email"],
                      "phone": lambda d: d["Phone1"], "organisationnumber": lambda d: d["OrganisationNumber"],
                      "gln": lambda d: d["GLN"], "glndelivery": lambda d: d["GLNDelivery"]},
            filters={"active": lambda d: d["Active"], "inactive": lambda d: not d["Active"]},
            sorts={"customernumber": lambda d: natural(d["CustomerNumber"]),
                   "name": lambda d: (d["Name"] or "").lower()},
            default_sort=lambda d: natural(d["CustomerNumber"]))
        return 200, paginate(ctx.args, docs, "Customers", render_item)
