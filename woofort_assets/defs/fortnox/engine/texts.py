"""Texts Fortnox accepts. Fortnox refuses a text with a character outside its published set (2000359 "Värdet
innehåller ej tillåtna tecken") and a text longer than its field; WooCommerce hands us names HTML-encoded
(`&amp;`, `&#8211;`) and shoppers type emoji. One refused name would dead-letter an article or a customer and, with
it, every invoice that needs it. So every text field of a payload is fitted just before it is sent (`fit`, called
once, in `steps.send`): entities decoded, characters outside the set replaced by a close equivalent or dropped,
cut to the field's length. The deltas (and their payload hashes) and DuckDB keep the original text.

The set (https://www.fortnox.se/developer/guides-and-good-to-know/formats-and-encoding, "Valid characters";
reference ../shared/reference/fortnox_api.md §4): any letter (\\p{L}), U+0308, U+030A, digits 0-9, space, U+00A0,
newline, CR and `– : . ` ´ ’ ‘ , ; ^ ¤ # % § £ $ € ¢ ¥ © ™ ° & / ( ) = + - * _ ! ? ² ³ ® ½ @ \\`.
The straight apostrophe and double quotes are not in the list: `'` becomes `’` (so does `‘`, which only
the page's explanation lists), double quotes are dropped. Lengths: the OpenAPI spec
(../shared/fortnox/openapi-fortnox.json, maxLength) and reference §5.4; see docs/fortnox-fidelity.md."""

from __future__ import annotations

import html
import re
import unicodedata

from woofort_assets.resources.fortnox.endpoints import Endpoint

PUNCTUATION = frozenset("–:.`´’,;^¤#%§£$€¢¥©™°&/()=+-*_!?²³®½@\\ \u00a0\n\r\u0308\u030a")
# Characters outside the set with an obvious stand-in inside it (NFKD covers the rest: "…" -> "...", "¼" -> "1/4").
REPLACE = {"'": "’", "‘": "’", "‚": ",", "‛": "’", "′": "’", "—": "–", "―": "–", "‒": "–", "‐": "-", "‑": "-",
           "−": "-", "⁄": "/", "\t": " ", "×": "x", "•": "-", "·": ".", '"': "", "“": "", "”": "", "„": "",
           "«": "", "»": "", "\u2028": "\n", "\u2029": "\n"}
BLANK = "API_BLANK"

# Text fields per envelope and their maxLength: [SPEC] = openapi-fortnox.json, [REF] = reference §5.4 / [VCR],
# GUESS = no limit documented, the Customer card's limit is used. Fields with a format of their own (e-mail
# addresses, numbers, codes, dates) are cut to length only (LENGTH_ONLY).
FIELDS: dict[str, dict[str, int]] = {
    "Article": {"Description": 200, "Manufacturer": 50, "Note": 10000, "StockPlace": 100},          # [SPEC]
    "Customer": {"Name": 1024, "Address1": 1024, "Address2": 1024, "City": 1024, "ZipCode": 10,      # [SPEC]
                 "Phone1": 1024, "Phone2": 1024, "Comments": 1024, "InvoiceRemark": 1024, "YourReference": 50,
                 "OurReference": 50, "DeliveryName": 1024, "DeliveryAddress1": 1024, "DeliveryAddress2": 1024,
                 "DeliveryCity": 1024, "DeliveryZipCode": 10, "Email": 1024},
    "Invoice": {"CustomerName": 1024, "Address1": 1024, "Address2": 1024,                           # GUESS (no limit)
                "City": 1024, "ZipCode": 1024, "Remarks": 1024, "Comments": 1024, "Phone1": 1024,   # [SPEC]
                "YourReference": 50, "OurReference": 50, "YourOrderNumber": 75, "DeliveryName": 1024,
                "DeliveryAddress1": 1024, "DeliveryAddress2": 1024, "DeliveryCity": 1024, "DeliveryZipCode": 1024},
    "Voucher": {"Description": 200, "Comments": 1000},                                               # [SPEC]
}
ROW_FIELDS = {"InvoiceRows": {"Description": 255}}           # [SPEC] Invoice_InvoiceRow, [VCR] row_description_limit
LENGTH_ONLY = frozenset({"Email"})
# Required texts that must never become empty, and what stands in for them: the record's own number.
REQUIRED = {"Article": ("Description", "ArticleNumber"), "Customer": ("Name", "CustomerNumber")}


def allowed(ch: str) -> bool:
    """True when Fortnox accepts the character in a text value."""
    return ch in PUNCTUATION or ("0" <= ch <= "9") or unicodedata.category(ch).startswith("L")


def valid(text: str) -> bool:
    return all(allowed(ch) for ch in text)


def clean(text: str, limit: int | None = None) -> str:
    """The text decoded, restricted to the set and cut to `limit`."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    if not valid(text):
        out = []
        for ch in text:
            if allowed(ch):
                out.append(ch)
            elif ch in REPLACE:
                out.append(REPLACE[ch])
            else:   # NFKD's compatibility form, its combining marks and unknown symbols (emoji) dropped
                out.extend(c if allowed(c) else REPLACE.get(c, "") for c in unicodedata.normalize("NFKD", ch))
        text = re.sub(" {2,}", " ", "".join(out)).strip(" ")
    if limit is not None and len(text) > limit:
        text = text[:limit].rstrip(" ")
    return text


def _fit_fields(obj: dict, fields: dict[str, int]) -> dict:
    out = dict(obj)
    for field, limit in fields.items():
        value = out.get(field)
        if not isinstance(value, str) or value == BLANK:
            continue
        if field in LENGTH_ONLY:
            out[field] = value[:limit]
        else:
            out[field] = clean(value, limit)
    return out


def fit(endpoint: Endpoint, body: dict | None) -> dict | None:
    """A copy of `body` (`{"<Envelope>": {...}}`) with every text field valid for Fortnox; a body without text
    fields (payments, prices, actions) is returned as it is."""
    if not body or endpoint.single not in FIELDS or not isinstance(body.get(endpoint.single), dict):
        return body
    name = endpoint.single
    inner = _fit_fields(body[name], FIELDS[name])
    for rows_field, fields in ROW_FIELDS.items():
        rows = inner.get(rows_field)
        if isinstance(rows, list):
            inner[rows_field] = [_fit_fields(r, fields) if isinstance(r, dict) else r for r in rows]
    if name in REQUIRED:
        field, fallback = REQUIRED[name]
        if field in inner and isinstance(inner[field], str) and not inner[field].strip():
            inner[field] = clean(str(inner.get(fallback) or "-"), FIELDS[name][field]) or "-"
    return {**body, name: inner}
