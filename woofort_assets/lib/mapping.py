"""The accounting mapping file (mapping/mapping.yaml): loaded, validated, and handed to the delta SQL.

`load_mapping(path)` parses the YAML with PyYAML's node tree (so every value keeps its line), validates it
with pydantic and raises `MappingError` whose message names the file, the line and the setting, e.g.
`mapping.yaml:31: accounts.sweden.sales.25: account 30011 must be a 4-digit BAS account (1000-9999)`.
`register_mapping(con, mapping, shop, start_date)` turns it into small TEMP lookup tables (`map_*`) that the
SQL files in sql/deltas/ join against; the SQL itself never sees Python values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REGIONS = ("sweden", "eu_consumer", "eu_business", "export")
KINDS = ("sales", "freight", "fee")
EU_COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class MappingError(ValueError):
    """The mapping file is invalid; the message names the file and line of every problem."""


# ----------------------------------------------------------------------------------------------------------
# models

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_account(value: int, low: int = 1000, high: int = 9999, what: str = "BAS account") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not (low <= value <= high):
        raise ValueError(f"account {value!r} must be a 4-digit {what} ({low}-{high})")
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


class OssCountry(_Strict):
    rates: list[Decimal] = Field(min_length=1)
    sales: RevenueAccounts | None = None
    freight: RevenueAccounts | None = None
    fee: RevenueAccounts | None = None

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[Decimal]) -> list[Decimal]:
        return [_check_rate(r) for r in v]

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
    sweden: RegionAccounts
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


class Invoicing(_Strict):
    trigger_statuses: list[str] = Field(default=["processing", "completed"], min_length=1)
    invoice_date: Literal["created", "paid", "completed"] = "created"
    bookkeep: bool = True
    price_list: str = "A"
    skip_zero_total: bool = True
    allowed_currencies: list[str] = Field(default=["SEK"], min_length=1)

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
            if not re.fullmatch(r"[A-Z]{3}", c):
                raise ValueError(f"currency {c!r} must be an ISO 4217 code like SEK")
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


class PaymentMethod(_Strict):
    mode_of_payment: str
    account: int

    @field_validator("mode_of_payment")
    @classmethod
    def _mode(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z0-9_-]{1,10}", v):
            raise ValueError(f"mode_of_payment {v!r}: a Fortnox ModeOfPayment code, upper case, at most 10 characters")
        return v

    @field_validator("account")
    @classmethod
    def _account(cls, v: int) -> int:
        return _check_account(v, 1000, 1999, "BAS asset account (class 1, e.g. 1930)")


class Payments(_Strict):
    default: PaymentMethod | None = None
    methods: dict[str, PaymentMethod] = {}


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

    @model_validator(mode="after")
    def _prefixes(self) -> "Customers":
        prefixes = [self.registered_prefix, self.guest_email_prefix, self.guest_order_prefix]
        for p in prefixes:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,9}", p):
                raise ValueError(f"prefix {p!r}: 1-10 letters/digits/'-'/'_', starting with a letter")
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
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,20}", v):
            raise ValueError("derived_prefix: 1-20 characters of A-Z a-z 0-9 _ . -")
        return v

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

    # ---- derived lookups -------------------------------------------------------------------------------
    def account_rows(self) -> list[tuple[str, str | None, str, Decimal, int]]:
        """(region, country, kind, vat_rate, account): every accepted combination."""
        rows: list[tuple[str, str | None, str, Decimal, int]] = []

        def expand(region: str, country: str | None, rates: list[Decimal], spec: dict[str, Any]) -> None:
            for kind in KINDS:
                accounts = spec[kind]
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
        expand("eu_business", None, [Decimal(0)], {k: getattr(a.eu_business, k) for k in KINDS})
        expand("export", None, [Decimal(0)], {k: getattr(a.export, k) for k in KINDS})
        for country, c in a.eu_consumer.countries.items():
            rates = sorted(set(c.rates) | {Decimal(0)})
            spec = {k: (getattr(c, k) if getattr(c, k) is not None else getattr(a.eu_consumer, k)) for k in KINDS}
            expand("eu_consumer", country, rates, spec)
        return rows


# ----------------------------------------------------------------------------------------------------------
# loading with line numbers

@dataclass(frozen=True)
class _Located:
    data: Any
    lines: dict[tuple[str, ...], int]


def _construct(node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int], source: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise MappingError(f"{source}:{key_node.start_mark.line + 1}: {'.'.join(path + (str(key),))}: "
                                   "duplicate key (the earlier value would be silently dropped)")
            child = path + (str(key),)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child, lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = path + (str(i),)
            lines[child] = item.start_mark.line + 1
            items.append(_construct(item, child, lines, source))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise MappingError(f"line {node.start_mark.line + 1}: a key must be a plain value")
    loader = yaml.SafeLoader("")
    value = loader.construct_object(node)
    if isinstance(value, float):
        # money and rates are never floats: keep the text as written (25.5 -> Decimal('25.5'))
        return Decimal(node.value)
    return value


def _parse(text: str, source: str) -> _Located:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise MappingError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise MappingError(f"{source}:1: the mapping file is empty")
    lines: dict[tuple[str, ...], int] = {}
    return _Located(_construct(root, (), lines, source), lines)


def _line_for(loc: tuple, lines: dict[tuple[str, ...], int], msg: str = "") -> int:
    path = tuple(str(p) for p in loc if not (isinstance(p, str) and (p in ("int",)
                                                                        or p.startswith(("dict[", "function-", "list[")))))
    while path:
        if path in lines:
            # a validator of a whole block that names one of its keys ('DX', guest_email_prefix): point at that key
            named = [(msg.find(k[-1]), k) for k in lines
                     if len(k) == len(path) + 1 and k[:-1] == path and not k[-1].isdigit()
                     and re.search(rf"(?<![\w-]){re.escape(k[-1])}(?![\w-])", msg)]
            if named:
                return lines[min(named)[1]]
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def _clean_loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and (p in ("int",) or p.startswith(("dict[", "function-",
                                                                                               "list["))))]
    return ".".join(parts) or "(top level)"


def parse_mapping(text: str, source: str = "mapping.yaml") -> Mapping:
    located = _parse(text, source)
    if not isinstance(located.data, dict):
        raise MappingError(f"{source}:1: the mapping file must be a YAML mapping (key: value)")
    try:
        return Mapping.model_validate(located.data)
    except ValidationError as exc:
        messages = []
        seen = set()
        for err in exc.errors():
            loc = err["loc"]
            msg = err["msg"].removeprefix("Value error, ")
            line = _line_for(loc, located.lines, msg)
            if err["type"] == "extra_forbidden":
                msg = "unknown setting (check the spelling; see docs/accounting.md)"
            elif err["type"] == "missing":
                msg = "required setting is missing"
            text_ = f"{source}:{line}: {_clean_loc(loc)}: {msg}"
            if text_ not in seen:
                seen.add(text_)
                messages.append(text_)
        raise MappingError("invalid accounting mapping:\n  " + "\n  ".join(messages)) from None


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
    return parse_mapping(text, str(path))


# ----------------------------------------------------------------------------------------------------------
# the mapping as SQL lookup tables

def _insert(con, table: str, rows: list[list]) -> None:
    """One multi-row INSERT (executemany is slow in DuckDB)."""
    if not rows:
        return
    width = len(rows[0])
    values = ", ".join(["(" + ", ".join(["?"] * width) + ")"] * len(rows))
    con.execute(f"INSERT INTO {table} VALUES {values}", [v for row in rows for v in row])


def register_mapping(con, mapping: Mapping, shop: str, start_date: str) -> None:
    """Creates the TEMP tables map_* on this connection (replaced on every call)."""
    inv, art, cust = mapping.invoicing, mapping.articles, mapping.customers
    con.execute(
        """CREATE OR REPLACE TEMP TABLE map_settings AS SELECT
            ?::VARCHAR AS shop, ?::DATE AS start_date, ?::VARCHAR AS home_country, ?::VARCHAR AS price_list,
            ?::VARCHAR AS invoice_date_rule, ?::BOOLEAN AS bookkeep, ?::BOOLEAN AS skip_zero_total,
            ?::INTEGER AS round_off_account, ?::VARCHAR AS registered_prefix, ?::VARCHAR AS guest_email_prefix,
            ?::VARCHAR AS guest_order_prefix, ?::VARCHAR AS sku_pattern, ?::VARCHAR AS derived_prefix,
            ?::INTEGER AS description_max_length, ?::BOOLEAN AS article_prices_include_tax,
            ?::VARCHAR AS price_source""",
        [shop, start_date, mapping.home_country, inv.price_list, inv.invoice_date, inv.bookkeep,
         inv.skip_zero_total, mapping.accounts.round_off, cust.registered_prefix, cust.guest_email_prefix,
         cust.guest_order_prefix, art.sku_pattern, art.derived_prefix, art.description_max_length,
         art.prices_include_tax, art.price_source],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE map_trigger_statuses (status VARCHAR)")
    _insert(con, "map_trigger_statuses", [[s] for s in inv.trigger_statuses])
    con.execute("CREATE OR REPLACE TEMP TABLE map_currencies (currency VARCHAR)")
    _insert(con, "map_currencies", [[c] for c in inv.allowed_currencies])
    con.execute("CREATE OR REPLACE TEMP TABLE map_eu_countries (country VARCHAR)")
    _insert(con, "map_eu_countries", [[c] for c in EU_COUNTRIES if c != mapping.home_country])
    con.execute("CREATE OR REPLACE TEMP TABLE map_accounts (region VARCHAR, country VARCHAR, kind VARCHAR, "
                "vat_rate DECIMAL(9, 4), account INTEGER)")
    _insert(con, "map_accounts", [[r, c, k, str(rate), acc] for r, c, k, rate, acc in mapping.account_rows()])
    con.execute("CREATE OR REPLACE TEMP TABLE map_payment_methods (payment_method VARCHAR, mode_of_payment VARCHAR, "
                "account INTEGER, is_default BOOLEAN)")
    rows = [[m, p.mode_of_payment, p.account, False] for m, p in mapping.payments.methods.items()]
    if mapping.payments.default is not None:
        rows.append([None, mapping.payments.default.mode_of_payment, mapping.payments.default.account, True])
    _insert(con, "map_payment_methods", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE map_dimension_rules (dimension VARCHAR, priority INTEGER, "
                "payment_method VARCHAR, country VARCHAR, currency VARCHAR, created_via VARCHAR, value VARCHAR)")
    rows = []
    for name in ("cost_center", "project"):
        dim: Dimension = getattr(mapping.dimensions, name)
        for i, rule in enumerate(dim.rules):
            w = rule.when
            rows.append([name, i, w.payment_method, w.country, w.currency, w.created_via, rule.value])
        if dim.default is not None:
            rows.append([name, 1_000_000, None, None, None, None, dim.default])
    _insert(con, "map_dimension_rules", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE map_tax_classes (tax_class VARCHAR, vat_rate DECIMAL(9, 4))")
    rows = [[k, str(v)] for k, v in art.tax_class_rates.items()]
    _insert(con, "map_tax_classes", rows)
