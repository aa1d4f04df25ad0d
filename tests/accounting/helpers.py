"""Running the delta SQL on a test connection and recomputing payloads with Fortnox's arithmetic."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache

from woofort_assets.defs.deltas.build import build_delta
from woofort_sandboxes.fortnox import arithmetic as fa
from woofort_assets.lib.mapping import Mapping, load_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

START = "2026-10-01"
SHOP = "default"


@cache
def default_mapping() -> Mapping:
    return load_mapping(CHECKOUT_DIR / "mapping" / "mapping.yaml")


def build(con, name: str, mapping: Mapping | None = None) -> int:
    return build_delta(con, name, mapping or default_mapping(), SHOP, START)


def rows(con, table: str, where: str = "true") -> list[dict]:
    cur = con.execute(f"SELECT * FROM deltas.{table} WHERE {where} ORDER BY ALL")
    cols = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        d = dict(zip(cols, r))
        if d.get("payload") is not None:
            d["payload"] = json.loads(d["payload"], parse_float=Decimal)
        out.append(d)
    return out


def fortnox_totals(invoice: dict, round_off_enabled: bool = False, vat_rounding: str = "per_rate_sum",
                   half_rounding: str = "up") -> fa.InvoiceTotals:
    """What Fortnox computes for an {"Invoice": {...}} payload (sandboxes/woofort_sandboxes/fortnox/arithmetic.py),
    with the company's VAT model (R5)."""
    inv = invoice["Invoice"]
    vat_included = bool(inv.get("VATIncluded", False))
    computed = [fa.row_amounts(r["DeliveredQuantity"], r["Price"], r.get("Discount", 0),
                               r.get("DiscountType", "PERCENT"), r.get("VAT", 0), vat_included)
                for r in inv["InvoiceRows"]]
    return fa.invoice_totals(computed, vat_included=vat_included, currency=inv.get("Currency", "SEK"),
                             round_off_enabled=round_off_enabled, vat_rounding=vat_rounding,
                             half_rounding=half_rounding)


def vat_by_rate(totals: fa.InvoiceTotals) -> dict[Decimal, Decimal]:
    return {Decimal(k).normalize(): v for k, v in totals.vat_by_rate.items() if v != 0}


def nonzero(d: dict) -> dict[Decimal, Decimal]:
    return {Decimal(k).normalize(): Decimal(v) for k, v in d.items() if Decimal(v) != 0}
