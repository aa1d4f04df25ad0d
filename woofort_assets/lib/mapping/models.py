"""The accounting mapping's settings as pydantic models: what a valid mapping/mapping.yaml is (docs/accounting.md).

Validators raise ValueError with a sentence naming the bad value; `loader.parse_mapping` adds the file and line."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

REGIONS = ("sweden", "eu_consumer", "eu_business", "export")
KINDS = ("sales", "freight", "fee")
EU_COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class MappingError(ValueError):
    """The mapping file is invalid; the message names the file and line of every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_account(value: int, low: int = 1000, high: int = 9999, what: str = "BAS account") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not (low <= value <= high):
        raise ValueError(f"account {value!r} must be a 4-digit {what} ({low}-{high})")
    return value


def _check_format(value: str, pattern: str, message: str) -> str:
    """`value` when the whole of it matches the regular expression `pattern`; ValueError(message) otherwise."""
    if not re.fullmatch(pattern, value):
        raise ValueError(message)
    return value


def _check_rate(rate: Decimal) -> Decimal:
    if rate < 0 or rate >= 100:
        raise ValueError(f"VAT rate {rate} must be between 0 and 100 (percent)")
    return rate.normalize() if rate != 0 else Decimal(0)


RevenueAccounts = int | dict[Decimal, int]


def _check_revenue(value: RevenueAccounts) -> RevenueAccounts:
    if isinstance(value, dict):
        for rate, account in value.items():
            _check_rate(rate)
            _check_account(account, 3000, 3999, "BAS revenue account (class 3)")
    else:
        _check_account(value, 3000, 3999, "BAS revenue account (class 3)")
    return value


class RegionAccounts(_Strict):
    sales: RevenueAccounts
    freight: RevenueAccounts
    fee: RevenueAccounts

    @field_validator("sales", "freight", "fee")
    @classmethod
    def _accounts(cls, v: RevenueAccounts) -> RevenueAccounts:
        return _check_revenue(v)


class SwedenAccounts(RegionAccounts):
    # negative fees (discounts added as fee lines) of Swedish sales: on this account instead of the sales account
    # of their rate (docs/accounting.md §3); None: on the sales account
    discount: RevenueAccounts | None = None

    @field_validator("discount")
    @classmethod
    def _discount(cls, v: RevenueAccounts | None) -> RevenueAccounts | None:
        return None if v is None else _check_revenue(v)


class DatedRate(_Strict):
    """An OSS rate valid only for invoice dates from `from` to `to` (both included; either may be left open),
    e.g. {rate: 24, to: 2024-08-31}: rates change, and an order is taxed at the rate of its invoice date."""
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    rate: Decimal
    valid_from: date | None = Field(default=None, alias="from")
    valid_to: date | None = Field(default=None, alias="to")

    @field_validator("rate")
    @classmethod
    def _rate(cls, v: Decimal) -> Decimal:
        return _check_rate(v)

    @model_validator(mode="after")
    def _period(self) -> "DatedRate":
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError(f"rate {self.rate}: from {self.valid_from} is after to {self.valid_to}")
        return self


class OssCountry(_Strict):
    # a plain rate (25) is valid on every date; a dated one ({rate: 24, to: 2024-08-31}) only within its period
    rates: list[DatedRate] = Field(min_length=1)
    sales: RevenueAccounts | None = None
    freight: RevenueAccounts | None = None
    fee: RevenueAccounts | None = None

    @field_validator("rates", mode="before")
    @classmethod
    def _plain_rates(cls, v: Any) -> Any:
        return [{"rate": r} if isinstance(r, (int, float, Decimal, str)) else r for r in v] if isinstance(v, list) else v

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[DatedRate]) -> list[DatedRate]:
        for i, a in enumerate(v):
            for b in v[:i]:
                if (a.rate == b.rate and (a.valid_to or date.max) >= (b.valid_from or date.min)
                        and (b.valid_to or date.max) >= (a.valid_from or date.min)):
                    raise ValueError(f"rate {a.rate} is listed twice for overlapping dates")
        return v

    @field_validator("sales", "freight", "fee")
    @classmethod
    def _accounts(cls, v):
        return None if v is None else _check_revenue(v)


class EuConsumerAccounts(RegionAccounts):
    countries: dict[str, OssCountry]

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: dict[str, OssCountry]) -> dict[str, OssCountry]:
        for code in v:
            if code not in EU_COUNTRIES:
                raise ValueError(f"{code!r} is not an EU member state code (ISO 3166-1 alpha-2, upper case)")
        return v


class Accounts(_Strict):
    round_off: int
    sweden: SwedenAccounts
    eu_consumer: EuConsumerAccounts
    eu_business: RegionAccounts
    export: RegionAccounts

    @field_validator("round_off")
    @classmethod
    def _round_off(cls, v: int) -> int:
        return _check_account(v, 3000, 3999, "BAS revenue account (class 3, e.g. 3740)")

    @model_validator(mode="after")
    def _sweden_has_rates(self) -> "Accounts":
        if not isinstance(self.sweden.sales, dict):
            raise ValueError("accounts.sweden.sales must map each Swedish VAT rate to an account, e.g. {25: 3001}")
        return self


class LegalTexts(_Strict):
    """The mention an invoice must carry when no Swedish VAT is charged (Directive 2006/112/EC art. 226 (11) and
    (11a); docs/accounting.md "Regions and VAT numbers"). Bilingual by default: the buyer is abroad."""
    reverse_charge: str = Field(default="Omvänd betalningsskyldighet / Reverse charge", min_length=1, max_length=300)
    intra_eu_goods: str = Field(
        default="Unionsintern leverans av varor, undantagen från mervärdesskatt / Intra-Community supply of goods, "
                "exempt from VAT (art. 138, Directive 2006/112/EC)", min_length=1, max_length=300)
    export: str = Field(default="Export, undantagen från mervärdesskatt / Export, exempt from VAT "
                                "(art. 146, Directive 2006/112/EC)", min_length=1, max_length=300)


class RateMetaKey(_Strict):
    """An order meta key where a multi-currency plugin keeps the rate it converted the order at. `inverse`: the
    value is order currency per base currency (1 SEK = 0.087 EUR), not base per order currency (1 EUR = 11.5 SEK);
    `per_currency`: the value is an object keyed by currency code whose entry holds `rate`."""
    key: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,255}$")
    inverse: bool = False
    per_currency: bool = False


# The common multi-currency plugins' keys (docs/accounting.md "Foreign currency"): Aelia Currency Switcher, Price
# Based on Country (both base per order currency); WOOCS and CURCY (order currency per base; GUESS: read from the
# plugins' source as remembered, not from the reference notes).
DEFAULT_RATE_META_KEYS = [RateMetaKey(key="_base_currency_exchange_rate"), RateMetaKey(key="_wcpbc_base_exchange_rate"),
                          RateMetaKey(key="_woocs_order_rate", inverse=True),
                          RateMetaKey(key="wmc_order_info", inverse=True, per_currency=True)]


class Invoicing(_Strict):
    trigger_statuses: list[str] = Field(default=["processing", "completed"], min_length=1)
    invoice_date: Literal["created", "paid", "completed"] = "created"
    bookkeep: bool = True
    price_list: str = "A"
    skip_zero_total: bool = True
    allowed_currencies: list[str] = Field(default=["SEK"], min_length=1)
    # where a foreign-currency order's rate is read first, in this order (then Fortnox's register, then the rate file)
    currency_rate_meta_keys: list[RateMetaKey] = Field(default=DEFAULT_RATE_META_KEYS)
    legal_texts: LegalTexts = LegalTexts()
    # invoices: one invoice per order; daily_vouchers: the paid Swedish SEK sales on one voucher per day
    # (docs/accounting.md §13), from `mode_from` on (by invoice date; earlier orders keep their invoices)
    mode: Literal["invoices", "daily_vouchers"] = "invoices"
    mode_from: date | None = None

    @field_validator("trigger_statuses")
    @classmethod
    def _statuses(cls, v: list[str]) -> list[str]:
        for status in v:
            if status.startswith("wc-") or not _CODE.match(status):
                raise ValueError(f"status {status!r}: use the WooCommerce slug without 'wc-', e.g. processing")
            if status in ("pending", "failed", "cancelled", "refunded", "trash", "checkout-draft"):
                raise ValueError(f"status {status!r} means the order is not (or no longer) a sale; it cannot trigger an invoice")
        return v

    @field_validator("allowed_currencies")
    @classmethod
    def _currencies(cls, v: list[str]) -> list[str]:
        for c in v:
            _check_format(c, r"[A-Z]{3}", f"currency {c!r} must be an ISO 4217 code like SEK")
        return v

    @field_validator("price_list")
    @classmethod
    def _price_list(cls, v: str) -> str:
        if not v or len(v) > 100:
            raise ValueError("price_list must be a Fortnox price list code (1-100 characters), e.g. A")
        return v

    @model_validator(mode="after")
    def _date_rule(self) -> "Invoicing":
        if self.invoice_date == "completed" and set(self.trigger_statuses) - {"completed"}:
            raise ValueError("invoice_date: completed needs trigger_statuses: [completed] (a processing order has "
                             "no completion date yet, and the invoice date would change when it completes)")
        return self


class ProviderFee(_Strict):
    """The fee a payment provider keeps from each payment, as its WooCommerce plugin stores it on the order, and
    how it is booked: a voucher per day and method, the fee account against the method's clearing account
    (docs/accounting.md §15)."""

    meta_keys: list[str] = Field(min_length=1)     # tried in this order; the first present holds the fee
    currency_meta_key: str | None = None           # the fee's currency when the provider settles in another one
    account: int = 6570                            # Bankkostnader
    # exempt: a financial service without VAT; swedish: the fee includes Swedish VAT (deductible on
    # input_vat_account, default 2641); reverse_charge: a foreign provider's taxable service, the buyer accounts for
    # the VAT (input_vat_account, default 2645, against output_vat_account 2614)
    vat: Literal["exempt", "swedish", "reverse_charge"] = "exempt"
    vat_rate: Decimal = Decimal(25)
    input_vat_account: int | None = None
    output_vat_account: int = 2614
    # orders paid before it are left out: fees were booked another way until then (default: WOOFORT_START_DATE)
    from_date: date | None = None

    @field_validator("meta_keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        for key in v:     # plugins' keys may hold spaces: "Stripe Fee", "PayPal Transaction Fee"
            _check_format(key, r"[A-Za-z0-9_. -]{1,255}", f"meta key {key!r}: 1-255 letters, digits, ' ', '_', '.', '-'")
        return v

    @field_validator("account")
    @classmethod
    def _expense(cls, v: int) -> int:
        return _check_account(v, 4000, 8999, "BAS expense account (classes 4-8, e.g. 6570)")

    @field_validator("input_vat_account", "output_vat_account")
    @classmethod
    def _vat_account(cls, v: int | None) -> int | None:
        return v if v is None else _check_account(v, 2600, 2699, "BAS VAT account (26xx, e.g. 2641)")

    @field_validator("vat_rate")
    @classmethod
    def _rate(cls, v: Decimal) -> Decimal:
        return _check_rate(v)

    @property
    def deductible_vat_account(self) -> int:
        return self.input_vat_account or (2641 if self.vat == "swedish" else 2645)


class PaymentMethod(_Strict):
    mode_of_payment: str
    account: int
    # the invoice's terms (read on `methods` and `default` only): a Fortnox TermsOfPayment code that must exist in
    # the company (preflight checks it), and/or the days to DueDate (None: Fortnox derives it from the terms);
    # `email_invoice`: Fortnox e-mails the invoice to the buyer once it is created (docs/accounting.md §1)
    terms_of_payment: str | None = None
    due_days: int | None = None
    email_invoice: bool = False
    fee: ProviderFee | None = None

    @field_validator("mode_of_payment")
    @classmethod
    def _mode(cls, v: str) -> str:
        return _check_format(v, r"[A-Z0-9_-]{1,10}",
                             f"mode_of_payment {v!r}: a Fortnox ModeOfPayment code, upper case, at most 10 characters")

    @field_validator("account")
    @classmethod
    def _account(cls, v: int) -> int:
        return _check_account(v, 1000, 1999, "BAS asset account (class 1, e.g. 1930)")

    @field_validator("terms_of_payment", mode="before")
    @classmethod
    def _terms(cls, v: object) -> str | None:
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)        # `terms_of_payment: 30` means the code "30"
        return v if v is None else _check_format(
            str(v), r"[A-Za-z0-9_-]{1,25}", f"terms_of_payment {v!r}: a Fortnox TermsOfPayment code (Inställningar > "
                                       "Betalningsvillkor), letters, digits, _ or -, at most 25 characters, e.g. 30")

    @field_validator("due_days")
    @classmethod
    def _days(cls, v: int | None) -> int | None:
        if v is not None and (isinstance(v, bool) or not 0 <= v <= 365):
            raise ValueError(f"due_days {v!r} must be a whole number of days from 0 to 365")
        return v


class Payments(_Strict):
    default: PaymentMethod | None = None
    methods: dict[str, PaymentMethod] = {}
    # money a shop paid back by hand (a refund WooCommerce did not pay through the gateway); None: the credit
    # note stays open (the customer's credit) and is listed
    manual_refunds: PaymentMethod | None = None
    # offsetting a credit note against the invoice of the same order when Fortnox leaves both open (a payment in
    # and out on the customer ledger account itself, so no money moves); None: both stay open and are listed
    clearing: PaymentMethod | None = None


class Vouchers(_Strict):
    # the voucher series woofort books in; one the company creates for it (e.g. W), not a standard series
    series: str | None = None
    # daily_vouchers: the output VAT account of each Swedish rate (BAS 2611, 2621, 2631)
    vat_accounts: dict[Decimal, int] = {}
    # a day's vouchers (sales and fees) are booked once the next day's clock, in the store's timezone, has passed
    # this time, so that the day is complete and a sync every 15 minutes does not book a correction each time
    book_after: str = "02:00"

    @field_validator("book_after", mode="before")
    @classmethod
    def _book_after(cls, v: object) -> str:
        return _check_format(v if isinstance(v, str) else "", r"([01][0-9]|2[0-3]):[0-5][0-9]",
                             f"book_after {v!r}: a time of day, hours and minutes, e.g. '02:00'")

    def book_days_before(self, now: datetime) -> date:
        """The first day whose vouchers wait: `now` (the store's local time) less `book_after`."""
        hours, minutes = map(int, self.book_after.split(":"))
        return (now - timedelta(hours=hours, minutes=minutes)).date()

    @field_validator("vat_accounts")
    @classmethod
    def _vat_accounts(cls, v: dict[Decimal, int]) -> dict[Decimal, int]:
        return {_check_rate(rate): _check_account(account, 2600, 2699, "BAS output VAT account (26xx, e.g. 2611)")
                for rate, account in v.items()}

    @field_validator("series")
    @classmethod
    def _series(cls, v: str | None) -> str | None:
        return v if v is None else _check_format(
            v, r"[A-Z0-9]{1,10}", f"series {v!r}: a Fortnox voucher series code, upper-case letters and digits, e.g. W")


class RuleWhen(_Strict):
    payment_method: str | None = None
    country: str | None = None
    currency: str | None = None
    created_via: str | None = None


class Rule(_Strict):
    when: RuleWhen
    value: str = Field(min_length=1, max_length=50)


class Dimension(_Strict):
    default: str | None = None
    rules: list[Rule] = []


class Dimensions(_Strict):
    cost_center: Dimension = Dimension()
    project: Dimension = Dimension()


class Customers(_Strict):
    registered_prefix: str = "WC"
    guest_email_prefix: str = "WCG"
    guest_order_prefix: str = "WCO"
    # Order meta keys that hold the buyer's VAT number, tried in this order: WooCommerce core's EU VAT field and
    # the common EU-VAT and checkout plugins' keys (docs/accounting.md "Regions and VAT numbers").
    vat_number_meta_keys: list[str] = Field(
        default=["_billing_vat_number", "_vat_number", "vat_number", "_billing_eu_vat_number", "_billing_vat_id",
                 "billing_vat", "_billing_vat", "_billing_vat_id_number"], min_length=1)
    # Order meta keys that hold a company buyer's organisation number (Swedish checkout fields; GUESS beyond
    # _billing_org_number).
    organisation_number_meta_keys: list[str] = Field(
        default=["_billing_org_number", "_billing_organisation_number", "_billing_org_nr", "_billing_orgnr"])

    @field_validator("vat_number_meta_keys", "organisation_number_meta_keys")
    @classmethod
    def _meta_keys(cls, v: list[str]) -> list[str]:
        for key in v:
            _check_format(key, r"[A-Za-z0-9_.-]{1,255}", f"meta key {key!r}: 1-255 letters, digits, '_', '.', '-'")
        return v

    @model_validator(mode="after")
    def _prefixes(self) -> "Customers":
        prefixes = [self.registered_prefix, self.guest_email_prefix, self.guest_order_prefix]
        for p in prefixes:
            _check_format(p, r"[A-Za-z][A-Za-z0-9_-]{0,9}",
                          f"prefix {p!r}: 1-10 letters/digits/'-'/'_', starting with a letter")
        names = ["registered_prefix", "guest_email_prefix", "guest_order_prefix"]
        for i in range(1, 3):
            if prefixes[i] in prefixes[:i]:
                raise ValueError(f"{names[i]} {prefixes[i]!r} is already used: registered_prefix, guest_email_prefix "
                                 "and guest_order_prefix must differ")
        for guest in prefixes[1:]:
            if guest.startswith(self.registered_prefix) and guest[len(self.registered_prefix):][:1].isdigit():
                raise ValueError(f"guest prefix {guest!r} could collide with registered numbers "
                                 f"{self.registered_prefix}<digits>")
        return self


class Articles(_Strict):
    sku_pattern: str = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$"
    derived_prefix: str = "WC-"
    description_max_length: int = Field(default=50, ge=1, le=200)
    prices_include_tax: bool = True
    price_source: Literal["regular_price", "price"] = "regular_price"
    tax_class_rates: dict[str, Decimal] = {}

    @field_validator("sku_pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"sku_pattern is not a regular expression: {exc}") from None
        return v

    @field_validator("derived_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return _check_format(v, r"[A-Za-z0-9_.-]{1,20}", "derived_prefix: 1-20 characters of A-Z a-z 0-9 _ . -")

    @field_validator("tax_class_rates")
    @classmethod
    def _rates(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        return {k: _check_rate(r) for k, r in v.items()}


class Mapping(_Strict):
    version: Literal[1]
    home_country: str = "SE"
    invoicing: Invoicing = Invoicing()
    accounts: Accounts
    payments: Payments = Payments()
    vouchers: Vouchers = Vouchers()
    dimensions: Dimensions = Dimensions()
    customers: Customers = Customers()
    articles: Articles = Articles()

    @field_validator("home_country")
    @classmethod
    def _home(cls, v: str) -> str:
        if v not in EU_COUNTRIES:
            raise ValueError(f"home_country {v!r} must be an EU member state code, e.g. SE")
        return v

    @model_validator(mode="after")
    def _home_not_oss(self) -> "Mapping":
        if self.home_country in self.accounts.eu_consumer.countries:
            raise ValueError(f"accounts.eu_consumer.countries lists the home country {self.home_country}: "
                             "home-country sales belong under accounts.sweden")
        return self

    @model_validator(mode="after")
    def _fees_have_a_series(self) -> "Mapping":
        with_fee = [m for m, p in self.payments.methods.items() if p.fee is not None]
        if with_fee and self.vouchers.series is None:
            raise ValueError(f"payments.methods.{with_fee[0]}.fee is booked on vouchers: set vouchers.series "
                             "(a series the Fortnox company has, e.g. W)")
        return self

    @model_validator(mode="after")
    def _daily_vouchers_mapped(self) -> "Mapping":
        if self.invoicing.mode != "daily_vouchers":
            return self
        if self.vouchers.series is None:
            raise ValueError("invoicing.mode daily_vouchers books on vouchers: set vouchers.series "
                             "(a series the Fortnox company has, e.g. W)")
        rates = [r for r in self.accounts.sweden.sales if r > 0]  # type: ignore[union-attr]
        missing = [r for r in rates if r not in self.vouchers.vat_accounts]
        if missing:
            raise ValueError(f"invoicing.mode daily_vouchers: vouchers.vat_accounts has no account for "
                             f"{', '.join(f'{r:g} %' for r in missing)} (accounts.sweden.sales has the rate), "
                             "e.g. {25: 2611, 12: 2621, 6: 2631}")
        return self

    # ---- derived lookups -------------------------------------------------------------------------------
    def account_rows(self) -> list[tuple[str, str | None, str, Decimal, int]]:
        """(region, country, kind, vat_rate, account): every accepted combination."""
        rows: list[tuple[str, str | None, str, Decimal, int]] = []

        def expand(region: str, country: str | None, rates: list[Decimal], spec: dict[str, Any]) -> None:
            for kind, accounts in spec.items():
                for rate in rates:
                    if isinstance(accounts, dict):
                        account = accounts.get(rate)
                        if account is None:
                            continue
                    else:
                        account = accounts
                    rows.append((region, country, kind, rate, account))

        a = self.accounts
        se_rates = sorted(a.sweden.sales.keys())  # type: ignore[union-attr]
        expand("sweden", None, se_rates, {"sales": a.sweden.sales, "freight": a.sweden.freight, "fee": a.sweden.fee})
        if a.sweden.discount is not None:
            expand("sweden", None, se_rates, {"discount": a.sweden.discount})
        expand("eu_business", None, [Decimal(0)], {k: getattr(a.eu_business, k) for k in KINDS})
        expand("export", None, [Decimal(0)], {k: getattr(a.export, k) for k in KINDS})
        for country, c in a.eu_consumer.countries.items():
            rates = sorted({p.rate for p in c.rates} | {Decimal(0)})
            spec = {k: (getattr(c, k) if getattr(c, k) is not None else getattr(a.eu_consumer, k)) for k in KINDS}
            expand("eu_consumer", country, rates, spec)
        return rows

    def oss_rate_periods(self) -> list[tuple[str, Decimal, date | None, date | None]]:
        """(country, rate, valid from, valid to): when each OSS rate may be booked (None: open)."""
        return [(country, p.rate, p.valid_from, p.valid_to)
                for country, c in self.accounts.eu_consumer.countries.items() for p in c.rates]
