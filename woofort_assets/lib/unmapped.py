"""Values seen in the staged orders that the accounting mapping lacks: payment methods of paid orders (their
payment is never registered in Fortnox) and VAT rates without a revenue account (the order is not invoiced).

One function, `unmapped_values`, computed from staging + mapping by sql/operations/summary_unmapped_*.sql; the
Fortnox preflight warns with it before anything is sent and `woofort sync`'s summary lists it with the lines to add to
mapping/mapping.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from woofort_assets.defs.deltas.scope import price_every_order
from woofort_assets.lib.buyers import register_buyer_numbers
from woofort_assets.lib.duckdb import table_exists
from woofort_assets.lib.mapping import DatedRate, Mapping, register_mapping
from woofort_assets.lib.sql import load_sql, run_sql_file


@dataclass(frozen=True)
class Unmapped:
    kind: str                      # payment_method | vat_rate
    value: str                     # the method id, or the rate in percent ("18")
    where: str                     # what it applies to, e.g. "sweden sales, freight" or "eu_consumer DE sales"
    orders: int
    first_orders: list[int] = field(default_factory=list)
    mapping_lines: str = ""        # the YAML to add to mapping/mapping.yaml
    effect: str = ""

    def message(self) -> str:
        first = ", ".join(str(o) for o in self.first_orders)
        label = f"payment method {self.value or '(none)'}" if self.kind == "payment_method" else \
            f"VAT {self.value} % ({self.where})"
        return f"{label} is not in the mapping: {self.orders} order(s) (first: {first}); {self.effect}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "where": self.where, "orders": self.orders,
                "first_orders": list(self.first_orders), "mapping_lines": self.mapping_lines, "effect": self.effect}


def _rate(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _dated_rate(r: DatedRate) -> str:
    """A rate as the mapping writes it: 25, or {rate: 24, to: 2024-08-31} when it has validity dates."""
    ends = "".join(f", {name}: {day}" for name, day in (("from", r.valid_from), ("to", r.valid_to)) if day)
    return f"{{rate: {_rate(r.rate)}{ends}}}" if ends else _rate(r.rate)


def _method_lines(method: str) -> str:
    if not method:
        return ("payments:\n  default: {mode_of_payment: BG, account: 1930}"
                "   # orders without a payment method; check both in Fortnox")
    code = (re.sub(r"[^A-Z0-9_-]", "", method.upper()) or "BG")[:10]
    return (f"payments:\n  methods:\n    {method}: {{mode_of_payment: {code}, account: 1930}}"
            "   # your Fortnox Betalningssätt and bank account")


def _rate_lines(mapping: Mapping, region: str, country: str | None, rate: str) -> str:
    if region == "sweden":
        sales = mapping.accounts.sweden.sales
        rows = {**(sales if isinstance(sales, dict) else {}), Decimal(rate): "3001"}
        shown = ", ".join(f"{_rate(r)}: {a}" for r, a in sorted(rows.items()))
        return (f"accounts:\n  sweden:\n    sales: {{{shown}}}"
                f"   # the revenue account for {rate} % VAT")
    if region == "eu_consumer" and country:
        known = mapping.accounts.eu_consumer.countries.get(country)
        rates = [*(known.rates if known else []), DatedRate(rate=Decimal(rate))]
        listed = ", ".join(_dated_rate(r) for r in sorted(rates, key=lambda r: (-r.rate, r.valid_from or date.min)))
        return (f"accounts:\n  eu_consumer:\n    countries:\n      {country}: {{rates: [{listed}]}}"
                "   # verify the rate against the EU's TEDB")
    return f"# {region} sales carry no VAT in the mapping: check the shop's tax settings for these orders"


def unmapped_values(con, mapping: Mapping, shop: str, start_date: str) -> list[Unmapped]:
    """Payment methods and VAT rates of the shop's staged, invoiceable orders that `mapping` lacks."""
    if not table_exists(con, "staging", "orders"):
        return []
    register_mapping(con, mapping, shop, start_date)
    run_sql_file(con, "deltas/_macros.sql", {})
    price_every_order(con)
    register_buyer_numbers(con)
    out: list[Unmapped] = []
    methods = con.execute(load_sql("operations/summary_unmapped_payment_methods.sql")).fetchall()
    for method, _title, orders, first in methods:
        out.append(Unmapped("payment_method", method, "paid orders", orders, list(first), _method_lines(method),
                            "their payments are not registered in Fortnox (deltas.payment_exclusions)"))
    for region, country, rate, kinds, orders, first in con.execute(
            load_sql("operations/summary_unmapped_tax_rates.sql")).fetchall():
        value = _rate(rate)
        where = " ".join(x for x in (region, country, ", ".join(kinds)) if x)
        out.append(Unmapped("vat_rate", value, where, orders, list(first), _rate_lines(mapping, region, country, value),
                            "these orders are not invoiced (vat_rate_not_in_mapping)"))
    return out
