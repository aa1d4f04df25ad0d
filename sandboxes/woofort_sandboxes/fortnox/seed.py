"""Seed data for the sandbox's one company (reference §6 unless marked GUESS)."""
from __future__ import annotations

# BAS accounts (reference §6: Odoo l10n_se / bas.se names; [WFH] constants for 6570, 2614, 2645, 1540).
ACCOUNTS = [
    (1510, "Kundfordringar", "", True),
    (1540, "Fordringar för kontokort (PSP)", "", True),  # [WFH] PayPal default; name GUESS
    (1580, "Fordringar för kontokort och kuponger", "", True),
    (1790, "Övriga förutbetalda kostnader och upplupna intäkter", "", True),
    (1910, "Kassa", "", True),
    (1920, "PlusGiro", "", True),
    (1930, "Företagskonto/checkkonto/affärskonto", "", True),
    (2440, "Leverantörsskulder", "", True),
    (2611, "Utgående moms på försäljning inom Sverige, 25 %", "MP1", True),
    (2614, "Utgående moms omvänd skattskyldighet, 25 %", "", True),
    (2615, "Utgående moms import av varor, 25 %", "", True),
    (2617, "Utgående moms omvänd skattskyldighet bygg, 25 %", "", True),
    (2621, "Utgående moms på försäljning inom Sverige, 12 %", "MP2", True),
    (2631, "Utgående moms på försäljning inom Sverige, 6 %", "MP3", True),
    (2641, "Debiterad ingående moms", "", True),
    (2645, "Beräknad ingående moms på förvärv från utlandet", "", True),
    (2647, "Ingående moms omvänd skattskyldighet bygg", "", True),
    (2990, "Övriga upplupna kostnader och förutbetalda intäkter", "", True),
    (3001, "Försäljning inom Sverige, 25 % moms", "05", True),
    (3002, "Försäljning inom Sverige, 12 % moms", "05", True),
    (3003, "Försäljning inom Sverige, 6 % moms", "05", True),
    (3004, "Försäljning inom Sverige, momsfri", "", True),
    (3105, "Försäljning varor till land utanför EU", "36", True),
    (3106, "Försäljning varor till annat EU-land, momspliktig", "05", True),
    (3108, "Försäljning varor till annat EU-land, momsfri", "35", True),
    (3231, "Försäljning inom byggsektorn, omvänd skattskyldighet", "41", True),
    (3305, "Försäljning av tjänster till land utanför EU", "40", True),
    (3308, "Försäljning av tjänster till annat EU-land", "39", True),
    (3520, "Fakturerade frakter", "05", True),
    (3521, "Fakturerade frakter, EU-land", "", True),
    (3522, "Fakturerade frakter, export", "", True),
    (3540, "Faktureringsavgifter", "05", True),
    (3541, "Faktureringsavgifter, EU-land", "", True),
    (3542, "Faktureringsavgifter, export", "", True),
    (3730, "Lämnade rabatter", "", True),
    (3740, "Öres- och kronutjämning", "", True),
    (3960, "Valutakursvinster på fordringar och skulder av rörelsekaraktär", "", True),
    (3990, "Övriga ersättningar och intäkter", "", True),
    (4000, "Inköp av varor från Sverige", "", True),
    (4011, "Inköp av varor", "", True),
    (4730, "Erhållna rabatter", "", True),
    (5710, "Frakter och transporter", "", True),
    (6570, "Bankkostnader", "", True),
    (7960, "Valutakursförluster på fordringar och skulder av rörelsekaraktär", "", True),
    (8313, "Ränteintäkter från kundfordringar", "", True),
    (1250, "Datorer", "", False),  # inactive example; [VCR] articles/save_new sends SalesAccount 1250
]

# Predefined accounts (reference §6 table; [F4J] log 2020-03-03).
PREDEFINED = [
    ("ACCRCOST", 0), ("ACCRINCOME", 3990), ("ACCRINVOICE", 2990), ("ACCRSINVOICE", 1790), ("ADMFEE", 3540),
    ("AG", 0), ("BG", 1930), ("CASH", 1910), ("CASHBYCARD", 1930), ("CASHDISCOUNTIN", 4730),
    ("CASHDISCOUNTOUT", 3730), ("CONSTRUCTION_CRE", 2617), ("CONSTRUCTION_DEB", 2647), ("CURRENCYLOSS", 7960),
    ("CURRENCYWIN", 3960), ("CUSTCLAIM", 1510), ("DEMAND", 3540), ("FREIGHT", 3520), ("INTEREST", 8313),
    ("INVAT", 2641), ("OUTVAT_MP1", 2611), ("OUTVAT_MP2", 2621), ("OUTVAT_MP3", 2631), ("OUTVAT_MP4", 0),
    ("PG", 1920), ("PRODUCT_CRE", 2615), ("PRODUCT_DEB", 2645), ("PURCASE", 4011), ("ROUNDOFF", 3740),
    ("SALES", 3001), ("SALES2", 3001), ("SALESCONSTR2", 3231), ("SALESEUREV", 3108), ("SALESEUREV2", 3308),
    ("SALESEUVAT", 3106), ("SALESEUVAT2", 3308), ("SALESEXPORT", 3105), ("SALESEXPORT2", 3305),
    ("SERVICE_CRE", 2614), ("SERVICE_DEB", 2645), ("SUPADMFEE", 0), ("SUPDEBT", 2440), ("SUPFREIGHT", 5710),
    ("WCARD", 1580),
]

# Modes of payment: BG/PG/KONT/KORT per reference §5.5 (GUESS typical set-up); SWISH/KLARNA GUESS.
MODES_OF_PAYMENT = [
    ("BG", "Bankgiro", "1930"), ("PG", "Plusgiro", "1920"), ("KONT", "Kontant", "1910"),
    ("KORT", "Kortbetalning", "1580"), ("SWISH", "Swish", "1930"), ("KLARNA", "Klarna", "1580"),
]

# Terms of payment: the codes of a real company's list ([VCR] termsofpayments/all.yml, without the two its test
# suite created, 19DAYS and 21DAYS).
TERMS_OF_PAYMENT = [("0", "0 dagar"), ("10", "10 dagar"), ("15", "15 dagar"), ("20", "20 dagar"),
                    ("30", "30 dagar"), ("AG", "Autogiro"), ("K", "Kontant"), ("PF", "Postförskott")]

# Currencies (SEK base; rates GUESS, late-2025 levels).
CURRENCIES = [
    ("SEK", "Svensk krona", 1, 1, 1), ("EUR", "Euro", 11.0, 11.2, 1),
    ("USD", "US-dollar", 9.5, 9.7, 1), ("NOK", "Norsk krona", 0.93, 0.95, 1),
]

# Voucher series: Fortnox's standard table (A–M), as a third party quotes Fortnox's own system documentation
# (erp-mafia/accounted PR #2120); that a new company has every one of them is GUESS. B and C carry the vouchers of
# booked invoices and payments (resources/bookkeeping.py); docs/accounting.md §13 plans its daily vouchers in a series
# of the shop's own (default K, here Lön). Seed more with seed_reference({"voucherseries": [{"Code": "W"}]}).
VOUCHER_SERIES = [
    ("A", "Redovisning"), ("B", "Kundfakturor"), ("C", "Inbetalningar från kunder"), ("D", "Leverantörsfakturor"),
    ("E", "Utbetalningar till leverantörer"), ("F", "Kassa"), ("G", "Avskrivning"), ("H", "Periodisering"),
    ("I", "Bokslut"), ("J", "Revisor"), ("K", "Lön"), ("L", "Kontantfaktura"), ("M", "Momsrapport"),
]

FINANCIAL_YEARS = [(1, "2025-01-01", "2025-12-31"), (2, "2026-01-01", "2026-12-31")]

ALL_SCOPES = [
    "article", "customer", "invoice", "payment", "price", "bookkeeping", "companyinformation", "settings",
    "currency", "warehouse", "order", "offer", "project", "costcenter", "print", "profile", "connectfile",
    "archive", "inbox", "supplier", "supplierinvoice", "salary", "noxfinansinvoice", "deletevoucher",
]

DEFAULT_SETTINGS = {
    "warehouse": False,            # Fortnox Lager module
    "round_off": True,             # öresavrundning for SEK (GUESS default, see arithmetic R10)
    "fee_vat_rate": 25,            # freight/admin-fee VAT rate (GUESS)
    "terms_of_payment": "30",      # [VCR] invoices get TermsOfPayment "30"
    # An invoice naming a TermsOfPayment the company lacks: "reject" (400 2000429, GUESS) or "ignore" (kept as sent,
    # GUESS); resources/terms.py
    "terms_of_payment_check": "reject",
    "licensed_scopes": list(ALL_SCOPES),
    "allow_negative_stock": False,  # Lager setting "allow negative stock": GUESS default off
    # How a credit invoice settles against the invoice it credits (GUESS, not evidenced; see
    # resources/invoices.py::settle_credit): "clears" offsets it against the original's open balance when the
    # credit is created; "open" leaves both balances open until payments are registered.
    "credit_settlement": "clears",
    # How Fortnox rounds VAT (arithmetic R5, GUESS either way; `woofort fortnox calibrate` measures it):
    # "per_rate_sum" rounds the VAT of each rate's row sum, "per_row" each row's VAT; an exact half öre goes "up"
    # or to the "even" öre. Öresavrundning is `round_off` above.
    "vat_rounding": "per_rate_sum",
    "half_rounding": "up",
    # VAT rates beyond Sweden's 25/12/6/0 that rows may carry: a company registered for OSS has its destination
    # countries' rates (GUESS: how Fortnox enables them is not documented; default none, as a new company).
    "foreign_vat_rates": [],
    # EU distance sales (SEK, per year) the company made outside what this sandbox holds, for
    # /3/euvatlimitregulation (resources/bookkeeping.py::eu_vat_limit).
    "eu_distance_sales_earlier": {},
    # A foreign-currency payment at another rate than its invoice's (resources/bookkeeping.py::book_payment; GUESS
    # which one Fortnox does, docs/fortnox-fidelity.md): "currency_accounts" keeps the payment's CurrencyRate and
    # books the difference on CURRENCYWIN (3960) / CURRENCYLOSS (7960); "invoice_rate" ignores the payment's rate and
    # books the payment at the invoice's, so there is no difference.
    "exchange_difference": "currency_accounts",
    # PUT /3/orders/{n}/createinvoice (resources/orders.py; GUESS both, not evidenced): whether the invoice is dated
    # the day it is created ("today") or the order's OrderDate ("order_date"), and whether it copies the order's
    # ExternalInvoiceReference1/2 (the sink finds an invoice by them after a lost answer).
    "createinvoice_invoice_date": "today",
    "createinvoice_copies_references": True,
    # PUT /3/invoices/{n} with a row's RowId and no VAT, on a row at a non-whole rate (a credit of an invoice made
    # from an order; resources/invoices.py::_row): the row keeps 25.5 (true), or Fortnox reads it back as a whole
    # rate, 25 (false). GUESS both: the sink checks the answer's rates (kinds/credit_rows.py).
    "put_keeps_row_vat": True,
    # GET /3/settings/lockedperiod's EndDate ([SPEC]: "If no date is returned, no period is locked"): no voucher,
    # and so no bookkeep of an invoice or payment, may be dated on or before it (GUESS: the refusal and its code).
    "locked_period_end": None,
}

CREDIT_SETTLEMENT_MODES = ("clears", "open")
VAT_ROUNDING_MODES = ("per_rate_sum", "per_row")
HALF_ROUNDING_MODES = ("up", "even")
# the tenant settings that take one of a few values: the first is the default
CHOICE_SETTINGS = {"credit_settlement": CREDIT_SETTLEMENT_MODES, "vat_rounding": VAT_ROUNDING_MODES,
                   "half_rounding": HALF_ROUNDING_MODES, "terms_of_payment_check": ("reject", "ignore"),
                   "exchange_difference": ("currency_accounts", "invoice_rate"),
                   "createinvoice_invoice_date": ("today", "order_date")}
