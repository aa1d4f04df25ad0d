"""Request-body validation against the Fortnox OpenAPI schemas (subset in openapi_subset.json).

Rules (source / GUESS):
- Body not JSON -> 400 2002115 "Error deserializing JSON: JSON_ERROR_SYNTAX" (errors page).
- Body not an object with the singular envelope key -> 400 2001392 "Ingen eller felaktig typ av data." (errors page).
- Field in neither the payload schema nor the entity (response) schema -> 400 2001399 "Felaktigt fältnamn"
  (errors page: "invalid field name (unknown property in body)").
- Field in the entity schema but not in the payload schema (read-only, e.g. Invoice.Booked, Article.@url,
  Article.DisposableQuantity) -> silently ignored (GUESS; clients such as [WFH] re-POST copies of read documents).
- Wrong type: number/integer field with a non-numeric value -> 2000108 "Värdet måste vara numeriskt (v)";
  boolean field -> 2000134 "Värdet måste vara en boolean (v)"; string field given an object/array/bool
  -> 2000106 "Värdet måste vara alfanumeriskt (v)" (errors page). Numeric strings are accepted for numbers and
  numbers for strings (GUESS: the [SPEC] types DeliveredQuantity as string while clients send numbers).
- String longer than maxLength -> 400 2001392 "Ingen eller felaktig typ av data. (Field: max n tecken)"
  (GUESS code and text; real Fortnox rejects rather than truncates per the brief; [VCR] row_description_limit
  shows 255 chars accepted for a row Description, so the reference limit 255 is used there).
- Date field not YYYY-MM-DD -> 400 2000762 "Ogiltigt datum (v)" (GUESS code/text).
- Enum violation -> 400 2000359 "Värdet innehåller ej tillåtna tecken. (v)" (errors page code; use GUESS).
- Text with a character outside Fortnox's published set -> 400 2000359 "Värdet innehåller ej tillåtna tecken. (v)"
  (set: formats-and-encoding page "Valid characters", reference §4: letters \\p{L}, U+0308, U+030A, 0-9, space,
  U+00A0, \\n, \\r and – : . ` ´ ’ ‘ , ; ^ ¤ # % § £ $ € ¢ ¥ © ™ ° & / ( ) = + - * _ ! ? ² ³ ® ½ @ \\; code and
  message: errors page). Checked on every string field except e-mail fields (GUESS: which fields Fortnox checks;
  e-mail addresses follow the spec's own e-mail pattern, which allows ' { | } ~). docs/fortnox-fidelity.md.
- PUT with "" leaves the field unchanged ([VCR] invoices/save_old_with_empty_*.yml); clear with API_BLANK.
- "API_BLANK" is accepted for every field (clears it) ([CS] ApiConstants.BlankValue, [WFH]); null is accepted
  and means "not sent" (GUESS).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import unicodedata
from functools import lru_cache

from . import errors as E

_HERE = os.path.dirname(__file__)

# Extra limits from the reference (§5.4) that the spec lacks.
EXTRA_MAXLEN = {
    ("fortnox_InvoicePayload_InvoiceRow", "Description"): 255,
    ("fortnox_Order_OrderRow", "Description"): 255,   # GUESS: as invoice rows
    ("fortnox_InvoicePayload", "YourOrderNumber"): 75,
    ("fortnox_InvoicePayload", "YourReference"): 50,
    ("fortnox_InvoicePayload", "OurReference"): 50,
    ("fortnox_InvoicePayload", "Remarks"): 1024,
}
# entity (response) schema giving the read-only superset for a payload schema
ENTITY_FOR = {"fortnox_InvoicePayload": "fortnox_Invoice",
              "fortnox_InvoicePayload_InvoiceRow": "fortnox_Invoice_InvoiceRow",
              "fortnox_AccountPayload": "fortnox_AccountSingleItem"}
# read-only fields inside schemas used for both directions ([CS] [ReadOnly] attributes, reference §5)
READ_ONLY = {
    "fortnox_Article": {"@url", "SalesPrice", "DisposableQuantity", "ReservedQuantity", "StockValue",
                        "SupplierName"},
    "fortnox_Customer": {"@url", "Country", "DeliveryCountry", "VisitingCountry"},
    "fortnox_InvoicePayment": {"@url", "Number", "Booked", "Currency", "CurrencyUnit", "ExternalInvoiceReference1",
                               "ExternalInvoiceReference2", "InvoiceCustomerName", "InvoiceCustomerNumber",
                               "InvoiceDueDate", "InvoiceOCR", "InvoiceTotal", "Source", "VoucherNumber",
                               "VoucherSeries", "VoucherYear"},
    "fortnox_Voucher": {"@url", "VoucherNumber", "Year", "ApprovalState", "ReferenceNumber", "ReferenceType"},
    # the spec marks none of these; they are what Fortnox computes (GUESS)
    "fortnox_VoucherSeries": {"@url", "Approver", "NextVoucherNumber", "Year"},
    "fortnox_VoucherFileConnection": {"@url", "VoucherDescription"},
    "fortnox_Price": {"@url", "Date"},
    # the [SPEC] has no OrderPayload: the fields an invoice payload lacks are read-only on orders too (GUESS)
    "fortnox_Order": {"@url", "@urlTaxReductionList", "AdministrationFeeVAT", "BasisTaxReduction", "Cancelled",
                      "ContributionPercent", "ContributionValue", "FreightVAT", "Gross", "HouseWork",
                      "InvoiceReference", "Net", "OfferReference", "OrganisationNumber", "RoundOff", "Sent",
                      "TaxReduction", "TimeBasisReference", "Total", "TotalToPay", "TotalVAT", "WarehouseReady"},
    "fortnox_Order_OrderRow": {"ContributionPercent", "ContributionValue", "ReservedQuantity", "Total"},
}
BLANK = "API_BLANK"
# Fortnox's text character class besides letters (\p{L}) and 0-9 (formats-and-encoding, "Valid characters")
TEXT_PUNCTUATION = frozenset("–:.`´’‘,;^¤#%§£$€¢¥©™°&/()=+-*_!?²³®½@\\ \u00a0\n\r\u0308\u030a")
INVALID_CHARS = (2000359, "Värdet innehåller ej tillåtna tecken. ({})")   # errors page
DATE_FIELDS = {"PaymentDate", "TransactionDate", "InvoiceDate", "DueDate", "DeliveryDate", "OutboundDate", "OrderDate"}
# PUT with "" leaves a field unchanged; clearing needs API_BLANK ([VCR] invoices/save_old_with_empty_comments.yml
# and save_old_with_empty_country.yml). Applied to all document schemas (GUESS beyond invoices).
PUT_EMPTY_IGNORED = {"fortnox_InvoicePayload", "fortnox_Order", "fortnox_Article", "fortnox_Customer", "fortnox_InvoicePayment",
                     "fortnox_InvoicePayload_EmailInformation", "fortnox_InvoicePayload_EDIInformation"}


@lru_cache(maxsize=1)
def schemas() -> dict:
    with open(os.path.join(_HERE, "openapi_subset.json"), encoding="utf-8") as fh:
        return json.load(fh)["schemas"]


def _ref(node: dict) -> str | None:
    r = node.get("$ref")
    return r.rsplit("/", 1)[-1] if r else None


def parse_json(raw: bytes):
    if not raw or not raw.strip():
        raise E.err(E.NO_DATA)
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise E.err(E.BAD_JSON) from None


def validate_envelope(body, key: str, wrap_schema: str, partial: bool) -> dict:
    """Check `{key: {...}}` against `wrap_schema`; return the inner dict with read-only fields removed."""
    if not isinstance(body, dict) or key not in body or not isinstance(body[key], dict):
        raise E.err(E.NO_DATA)
    extra = [k for k in body if k != key]
    if extra:
        raise E.err(E.BAD_FIELD)
    inner_schema = _ref(schemas()[wrap_schema]["properties"][key])
    return validate_object(body[key], inner_schema, partial=partial)


def validate_object(obj: dict, schema_name: str, partial: bool) -> dict:
    sch = schemas()[schema_name]
    props = sch.get("properties", {})
    entity = schemas().get(ENTITY_FOR.get(schema_name, ""), {}).get("properties", {})
    ro = READ_ONLY.get(schema_name, set())
    clean: dict = {}
    for field, value in obj.items():
        if field not in props:
            if field in entity:
                continue  # read-only on write: ignored (GUESS)
            raise E.err(E.BAD_FIELD)
        if field in ro:
            continue
        if value is None:
            continue
        if partial and value == "" and schema_name in PUT_EMPTY_IGNORED:
            continue  # [VCR] invoices/save_old_with_empty_comments: PUT "" leaves the value unchanged
        clean[field] = check_value(value, props[field], schema_name, field)
    if not partial:
        for req in sch.get("required", []):
            if req not in clean and req not in ro and req in props and not _auto_assigned(schema_name, req):
                raise E.err(E.REQUIRED, req)
    return clean


def _auto_assigned(schema_name: str, field: str) -> bool:
    return (schema_name, field) in {("fortnox_Article", "ArticleNumber"), ("fortnox_Customer", "CustomerNumber"),
                                    ("fortnox_Price", "PriceList")}


def check_value(value, prop: dict, schema_name: str, field: str):
    if isinstance(value, str) and value == BLANK:
        return value
    ref = _ref(prop)
    if ref:
        if not isinstance(value, dict):
            raise E.err(E.NO_DATA)
        return validate_object(value, ref, partial=True)
    typ = prop.get("type")
    if typ == "array":
        if not isinstance(value, list):
            raise E.err(E.NO_DATA)
        item_ref = _ref(prop.get("items", {}))
        out = []
        for item in value:
            if item_ref:
                if not isinstance(item, dict):
                    raise E.err(E.NO_DATA)
                out.append(validate_object(item, item_ref, partial=True))
            else:
                out.append(item)
        return out
    if typ in ("number", "integer"):
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise E.err(E.NUMERIC, value)
        if isinstance(value, str):
            try:
                num = float(value.replace(",", "."))
            except ValueError:
                raise E.err(E.NUMERIC, value) from None
            value = num if typ == "number" else value
        if typ == "integer":
            try:
                f = float(value)
            except ValueError:
                raise E.err(E.NUMERIC, value) from None
            if f != int(f):
                raise E.err(E.NUMERIC, value)
            value = int(f)
        return value
    if typ == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise E.err(E.BOOLEAN, value)
    if typ == "string":
        if isinstance(value, (dict, list, bool)):
            raise E.err(E.ALNUM, json.dumps(value))
        if isinstance(value, (int, float)):
            value = _num_str(value)
        if prop.get("minLength") and len(value) < prop["minLength"]:
            raise E.err(E.REQUIRED, field)
        limit = EXTRA_MAXLEN.get((schema_name, field), prop.get("maxLength"))
        if limit is not None and len(value) > limit:
            raise E.err(E.TOO_LONG, field, limit)
        if prop.get("format") == "date" or field in DATE_FIELDS:
            try:
                _dt.date.fromisoformat(value)
            except ValueError:
                raise E.err(E.BAD_DATE, value) from None
        enum = prop.get("enum")
        if enum and value not in enum and value.upper() not in enum:
            raise E.ApiError(400, 2000359, f"Värdet innehåller ej tillåtna tecken. ({value})")
        if "Email" not in field and not valid_text(value):
            raise E.err(INVALID_CHARS, value)
        return value
    return value


def valid_text(value: str) -> bool:
    """Every character in Fortnox's published set for text values."""
    return all(ch in TEXT_PUNCTUATION or "0" <= ch <= "9" or unicodedata.category(ch).startswith("L") for ch in value)


def _num_str(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
