"""Fortnox error bodies and codes.

Casing rule [VCR invoices/find_failure.yml vs invoices/filter_invalid.yml]: 404 not-found errors use the
capitalised `Error/Message/Code`, 400 validation errors the lowercase `error/message/code`.
Codes marked GUESS have no public source; the message text is Swedish like the real ones.
"""
from __future__ import annotations

import json


class ApiError(Exception):
    """An error that becomes a Fortnox `ErrorInformation` response."""

    def __init__(self, status: int, code: int, message: str, capitalised: bool | None = None):
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.capitalised = (status == 404) if capitalised is None else capitalised

    def body(self) -> dict:
        if self.capitalised:
            return {"ErrorInformation": {"Error": 1, "Message": self.message, "Code": self.code}}
        return {"ErrorInformation": {"error": 1, "message": self.message, "code": self.code}}


class RawError(Exception):
    """A non-ErrorInformation response (401 unauthorized, OAuth errors, 429)."""

    def __init__(self, status: int, body: dict, content_type: str = "application/json", headers=None):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}

    def payload(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


# Not-found codes/messages observed in [VCR] (*/find_failure.yml) or listed by [F4J].
NOT_FOUND = {
    "article": (2000428, "Kan inte hitta artikeln."),          # [VCR]
    "customer": (2000433, "Kan inte hitta kunden."),          # [VCR]
    "invoice": (2000434, "Kan inte hitta fakturan."),         # [VCR]
    "order": (2000439, "Kan inte hitta ordern."),             # [VCR] orders/find_failure.yml
    "account": (2000423, "Kan inte hitta kontot."),           # responses doc example
    "currency": (2000427, "Kan inte hitta valutan."),         # [F4J] code; message GUESS
    "price": (2000430, "Kan inte hitta priset."),             # [F4J] code; message GUESS
    "pricelist": (2000431, "Kan inte hitta prislistan."),     # [F4J] code; message GUESS
    "predefinedaccount": (2001403, "Kan inte hitta fördefinierat konto."),  # [F4J] code; message GUESS
    "invoicepayment": (2000600, "Kan inte hitta inbetalningen."),           # GUESS code
    "voucher": (2000616, "Kan inte hitta verifikationen."),                 # GUESS code
    "modeofpayment": (2000655, "Kan inte hitta betalningssättet."),         # GUESS code
    "financialyear": (2000666, "Kan inte hitta räkenskapsåret."),           # GUESS code
    "voucherseries": (2000617, "Kan inte hitta verifikationsserien."),      # GUESS code
    "file": (2000618, "Kan inte hitta filen."),                             # GUESS code
    "voucherfileconnection": (2000619, "Kan inte hitta kopplingen."),       # GUESS code
}


def not_found(kind: str) -> ApiError:
    code, msg = NOT_FOUND[kind]
    return ApiError(404, code, msg)


def bad_request(code: int, message: str) -> ApiError:
    return ApiError(400, code, message)


# Real codes (reference §3.3)
INVALID_FILTER = (2000587, "Ett ogiltigt filter har använts.")       # [VCR] invoices/filter_invalid
INVALID_PARAMETER = (2000588, "Ogiltig parameter i anropet.")         # errors page
ALNUM = (2000106, "Värdet måste vara alfanumeriskt ({})")             # errors page
NUMERIC = (2000108, "Värdet måste vara numeriskt ({})")               # errors page
BOOLEAN = (2000134, "Värdet måste vara en boolean ({})")              # errors page
BAD_FIELD = (2001399, "Felaktigt fältnamn")                           # errors page
NO_DATA = (2001392, "Ingen eller felaktig typ av data.")              # errors page
BAD_JSON = (2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX")   # errors page
NO_SCOPE = (2000663, "Har inte behörighet för scope")                 # scopes page
NO_LICENSE = (2001101, "Det finns ingen aktiv licens för önskat scope")  # scopes page
ACCOUNT_MISSING = (2001304, "Kunde inte hitta konto")                 # errors page
ARTICLE_MISSING = (2001302, "Kunde inte hitta artikel")               # errors page
CUSTOMER_MISSING = (2000204, "Kunde inte hitta kund")                 # errors page
CUSTOMER_NUMBER_USED = (2000637, "Kundnummer {} används redan. Kundnumret har redan använts men blivit raderat.")
ACCOUNT_INACTIVE = (2000550, "Kontot är inte aktivt.")                # [F4J] code; message GUESS
# GUESS codes (no public source): the sandbox needs *some* code for these rules.
TOO_LONG = (2001392, "Ingen eller felaktig typ av data. ({}: max {} tecken)")  # GUESS: reuse of 2001392
INVOICE_BOOKED = (2000246, "Fakturan är bokförd och kan inte ändras.")          # GUESS
INVOICE_CANCELLED = (2000247, "Fakturan är makulerad.")                         # GUESS
CANCEL_BOOKED = (2000248, "En bokförd faktura kan inte makuleras.")             # GUESS
CREDIT_UNBOOKED = (2000249, "Fakturan måste vara bokförd innan den krediteras.")  # GUESS
ALREADY_CREDITED = (2000250, "Fakturan är redan krediterad.")                   # GUESS
PAYMENT_BOOKED = (2000601, "Inbetalningen är bokförd och kan inte ändras.")     # GUESS
REQUIRED = (2000753, "Fältet {} är obligatoriskt.")  # GUESS code
DUPLICATE = (2000003, "Värdet {} används redan.")                               # GUESS
BAD_DATE = (2000762, "Ogiltigt datum ({})")                                     # GUESS
VOUCHER_UNBALANCED = (2000757, "Verifikationen är inte i balans.")              # GUESS
NO_FINANCIAL_YEAR = (2000758, "Det finns inget räkenskapsår för angivet datum.")  # GUESS
SERIES_MISSING = (2000761, "Verifikationsserien {} finns inte.")                 # GUESS
PERIOD_LOCKED = (2000763, "Perioden är låst till och med {}.")                   # GUESS
VOUCHER_MISSING = (2000616, "Kan inte hitta verifikationen.")                    # 404 code reused, GUESS
FILE_MISSING = (2000618, "Kan inte hitta filen.")                                # 404 code reused, GUESS
WAREHOUSE_STOCK = (2003127, "Lagermodulen: lagersaldo kan bara ändras via in- och utleveranser.")  # code = "warehouse module error" (§3.3); message GUESS


def err(pair, *fmt, status: int = 400) -> ApiError:
    code, msg = pair
    return ApiError(status, code, msg.format(*fmt) if fmt else msg)
