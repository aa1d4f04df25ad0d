"""Staging rows for accounting tests: WooCommerce-consistent orders written straight into staging.* tables.

WooCommerce arithmetic reproduced here (default settings: taxes rounded per line to 2 decimals):
  prices excl. tax: subtotal = unit x qty; total = subtotal - discount; tax = round2(amount x rate)
  prices incl. tax: gross = unit x qty; tax = round2(gross x rate/(100+rate)); subtotal = gross - tax; the
                    discount is taken off the gross, total_tax recomputed the same way on the discounted gross
  shipping and fees: entered excl. tax; tax = round2(amount x rate)
  order total = sum(line totals) + sum(line taxes) (+ drift, to simulate a store whose stored totals differ
  from the 2-decimal REST figures by an öre or two)."""

from __future__ import annotations

import json

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from woofort_assets.lib import duckdb as wdb

CENT = Decimal("0.01")
SHOP = "default"
# tax rate id -> (country, rate, class)
TAX_RATES = {1: ("SE", Decimal(25), "standard"), 2: ("SE", Decimal(12), "reduced-rate"),
             3: ("SE", Decimal(6), "six-rate"), 4: ("SE", Decimal(0), "zero-rate"),
             10: ("DE", Decimal(19), "standard"), 11: ("DE", Decimal(7), "reduced-rate"),
             12: ("DE", Decimal(20), "odd-rate"), 13: ("SE", Decimal(19), "odd-rate"), 14: ("FI", Decimal(24), "standard")}
RATE_ID = {("SE", Decimal(25)): 1, ("SE", Decimal(12)): 2, ("SE", Decimal(6)): 3, ("SE", Decimal(0)): 4,
           ("DE", Decimal(19)): 10, ("DE", Decimal(7)): 11, ("DE", Decimal(20)): 12, ("SE", Decimal(19)): 13}


def r2(x) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Line:
    line_id: int
    line_type: str            # line_item | shipping | fee
    name: str
    quantity: Decimal
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal
    rate: Decimal
    product_id: int = 0
    variation_id: int = 0
    sku: str | None = None
    tax_rate_ids: list[int] | None = None
    tax_class: str | None = None  # default: "" (standard), "zero-rate" for a 0 % line
    taxes: dict[Decimal, Decimal] | None = None  # WooCommerce's tax per rate of a line taxed at several rates


@dataclass
class Refund:
    refund_id: int
    amount: Decimal
    lines: list[Line] = field(default_factory=list)   # negative quantities and amounts, refunded_item_id = line_id of the order line
    refunded_items: list[int] = field(default_factory=list)
    date_created: datetime = datetime(2026, 10, 20, 12, 0)
    refunded_payment: bool = True


@dataclass
class Order:
    order_id: int
    lines: list[Line]
    prices_include_tax: bool = False
    status: str = "processing"
    currency: str = "SEK"
    currency_rate: Decimal | None = None
    rate_meta: tuple[str, object] | None = None  # (meta key, value); default: Aelia's key holding currency_rate
    country: str = "SE"
    vat_number: str | None = None
    vat_meta_key: str = "_billing_vat_number"
    org_number: str | None = None
    customer_id: int = 0
    email: str | None = "anna@example.se"
    first_name: str = "Anna"
    last_name: str = "Andersson"
    company: str | None = None
    payment_method: str = "stripe"
    date_created: datetime = datetime(2026, 10, 15, 10, 30)
    date_paid: datetime | None = datetime(2026, 10, 15, 10, 31)
    date_completed: datetime | None = None
    drift: Decimal = Decimal(0)
    coupons: list[tuple[str, Decimal]] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    number: str | None = None
    meta: dict[str, object] = field(default_factory=dict)   # further meta_data entries (payment plugins' keys)

    @property
    def total(self) -> Decimal:
        return sum((l.total + l.total_tax for l in self.lines), Decimal(0)) + self.drift

    @property
    def total_tax(self) -> Decimal:
        return sum((l.total_tax for l in self.lines), Decimal(0))

    def tax_by_rate(self) -> dict[Decimal, Decimal]:
        out: dict[Decimal, Decimal] = {}
        for l in self.lines:
            for rate, tax in (l.taxes or {l.rate: l.total_tax}).items():
                out[rate] = out.get(rate, Decimal(0)) + tax
        return out


def item(line_id: int, unit: Decimal, qty: int, rate: Decimal, gross: bool, discount: Decimal = Decimal(0),
         product_id: int = 0, name: str | None = None, sku: str | None = None) -> Line:
    """A WooCommerce line item; `unit` is the entered price (incl. tax when gross), `discount` in the same terms."""
    unit, rate, discount = Decimal(unit), Decimal(rate), Decimal(discount)
    if gross:
        g_sub = unit * qty
        sub_tax = r2(g_sub * rate / (100 + rate))
        g_tot = g_sub - discount
        tot_tax = r2(g_tot * rate / (100 + rate))
        subtotal, total = g_sub - sub_tax, g_tot - tot_tax
    else:
        subtotal = unit * qty
        total = subtotal - discount
        sub_tax, tot_tax = r2(subtotal * rate / 100), r2(total * rate / 100)
    return Line(line_id, "line_item", name or f"Produkt {line_id}", Decimal(qty), subtotal, sub_tax, total, tot_tax,
                rate, product_id=product_id, sku=sku)


def charge(line_id: int, line_type: str, amount: Decimal, rate: Decimal, name: str | None = None) -> Line:
    amount, rate = Decimal(amount), Decimal(rate)
    tax = r2(amount * rate / 100)
    return Line(line_id, line_type, name or ("Frakt" if line_type == "shipping" else "Avgift"), Decimal(1),
                amount, tax, amount, tax, rate)


def charge_at_rates(line_id: int, line_type: str, taxes: dict[Decimal, Decimal], amount: Decimal,
                    name: str | None = None) -> Line:
    """A shipping or fee line of `amount` ex VAT that WooCommerce (a split-tax plugin) taxed at several rates,
    `taxes` = {rate: its tax}."""
    line = charge(line_id, line_type, amount, max(taxes), name)
    line.taxes = {Decimal(r): Decimal(t) for r, t in taxes.items()}
    line.total_tax = line.subtotal_tax = sum(line.taxes.values(), Decimal(0))
    return line


def split_charge(line_id: int, line_type: str, amount: Decimal, goods: list[Line]) -> Line | None:
    """Shipping or a fee taxed as a split-tax plugin does: at each non-zero rate of the goods, on the exact share
    of the goods' net at that rate, the tax rounded per rate. None when the goods have no such rate."""
    nets: dict[Decimal, Decimal] = {}
    for g in goods:
        if g.line_type == "line_item" and g.rate:
            nets[g.rate] = nets.get(g.rate, Decimal(0)) + g.total
    base = sum(nets.values(), Decimal(0))
    if base <= 0:
        return None
    return charge_at_rates(line_id, line_type, {rate: r2(amount * net / base * rate / 100) for rate, net in nets.items()},
                           amount)


def connect_memory() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    wdb.migrate(con)
    return con


def insert_tax_rates(con, shop: str = SHOP) -> None:
    for rid, (country, rate, cls) in TAX_RATES.items():
        con.execute("INSERT OR REPLACE INTO staging.tax_rates (shop, tax_rate_id, country, rate, name, priority, compound, "
                    "shipping, tax_class) VALUES (?, ?, ?, ?, ?, 1, false, true, ?)",
                    [shop, rid, country, rate, f"Moms {rate}", cls])


def insert_order(con, o: Order, shop: str = SHOP) -> None:
    shipping_total = sum((l.total for l in o.lines if l.line_type == "shipping"), Decimal(0))
    shipping_tax = sum((l.total_tax for l in o.lines if l.line_type == "shipping"), Decimal(0))
    cart_tax = o.total_tax - shipping_tax
    discount = sum((l.subtotal - l.total for l in o.lines if l.line_type == "line_item"), Decimal(0))
    discount_tax = sum((l.subtotal_tax - l.total_tax for l in o.lines if l.line_type == "line_item"), Decimal(0))
    con.execute(
        "INSERT INTO staging.orders (shop, order_id, number, status, currency, prices_include_tax, date_created, "
        "date_created_gmt, date_modified, date_modified_gmt, date_paid, date_paid_gmt, date_completed, "
        "date_completed_gmt, discount_total, discount_tax, shipping_total, shipping_tax, cart_tax, total, total_tax, "
        "customer_id, billing_first_name, billing_last_name, billing_company, billing_address_1, billing_city, "
        "billing_postcode, billing_country, billing_email, meta_data, shipping_country, payment_method, "
        "currency_rate, created_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, 'checkout')",
        [shop, o.order_id, o.number or str(o.order_id), o.status, o.currency, o.prices_include_tax, o.date_created,
         o.date_created, o.date_created, o.date_created, o.date_paid, o.date_paid, o.date_completed, o.date_completed,
         discount, discount_tax, shipping_total, shipping_tax, cart_tax, o.total, o.total_tax + Decimal(0),
         o.customer_id, o.first_name, o.last_name, o.company, "Storgatan 1", "Stockholm", "11122", o.country,
         o.email, json.dumps([{"id": i, "key": key, "value": value} for i, (key, value) in enumerate(
             ((o.vat_meta_key, o.vat_number), ("_billing_org_number", o.org_number),
              o.rate_meta or ("_base_currency_exchange_rate", o.currency_rate and str(o.currency_rate)),
              *o.meta.items())) if value]),
         o.country, o.payment_method, o.currency_rate])
    country = o.country if o.country in ("SE", "DE") else "SE"
    tax_lines: dict[Decimal, list[Decimal]] = {}
    for l in o.lines:
        rid = RATE_ID.get((country, l.rate))
        # WooCommerce keeps the rate a line was taxed at even when its tax rounds to 0; a 0 % line is of the
        # zero-rate class, and a VAT-exempt order (tax 0, no VAT number test) has no rate at all
        ids = l.tax_rate_ids if l.tax_rate_ids is not None else ([rid] if rid and (l.total_tax != 0 or l.rate) else [])
        if l.taxes:
            ids = [RATE_ID[(country, rate)] for rate in l.taxes]
        con.execute(
            "INSERT INTO staging.order_lines (shop, order_id, line_id, line_type, name, product_id, variation_id, sku, "
            "quantity, tax_class, tax_status, price, subtotal, subtotal_tax, total, total_tax, tax_rate_ids, tax_totals) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'taxable', ?, ?, ?, ?, ?, ?, ?)",
            [shop, o.order_id, l.line_id, l.line_type, l.name, l.product_id, l.variation_id, l.sku, l.quantity,
             l.tax_class if l.tax_class is not None else ("" if l.rate else "zero-rate"),
             (l.total / l.quantity) if l.quantity else None, l.subtotal, l.subtotal_tax, l.total, l.total_tax, ids,
             # WooCommerce's taxes[].total per rate id
             [{"rate_id": RATE_ID.get((country, rate), ids[0]), "total": tax} for rate, tax in l.taxes.items()]
             if l.taxes else [{"rate_id": i, "total": l.total_tax} for i in ids[:1]]])
        for rate, tax in (l.taxes or ({l.rate: l.total_tax} if ids else {})).items():
            t = tax_lines.setdefault(rate, [Decimal(0), Decimal(0), RATE_ID.get((country, rate), ids[0])])
            t[1 if l.line_type == "shipping" else 0] += tax
    for i, (rate, (tax, ship_tax, rid)) in enumerate(sorted(tax_lines.items())):
        con.execute("INSERT INTO staging.order_tax_lines (shop, order_id, line_id, rate_id, rate_code, label, compound, "
                    "tax_total, shipping_tax_total, rate_percent) VALUES (?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
                    [shop, o.order_id, 90000 + i, rid, f"{TAX_RATES.get(rid, (country,))[0]}-MOMS-{rate}",
                     f"Moms {rate} %", tax, ship_tax, rate])
    for i, (code, amount) in enumerate(o.coupons):
        con.execute("INSERT INTO staging.order_coupon_lines (shop, order_id, line_id, code, discount, discount_tax, "
                    "discount_type) VALUES (?, ?, ?, ?, ?, 0, 'fixed_cart')", [shop, o.order_id, 80000 + i, code, amount])
    for rf in o.refunds:
        insert_refund(con, o, rf, shop)


def insert_refund(con, o: Order, rf: Refund, shop: str = SHOP) -> None:
    con.execute("INSERT INTO staging.refunds (shop, refund_id, order_id, date_created, date_created_gmt, amount, reason, "
                "refunded_payment) VALUES (?, ?, ?, ?, ?, ?, 'test', ?)",
                [shop, rf.refund_id, o.order_id, rf.date_created, rf.date_created, rf.amount, rf.refunded_payment])
    country = o.country if o.country in ("SE", "DE") else "SE"
    for l, item_id in zip(rf.lines, rf.refunded_items):
        rid = RATE_ID.get((country, l.rate))
        con.execute("INSERT INTO staging.refund_lines (shop, refund_id, order_id, line_id, line_type, refunded_item_id, "
                    "name, product_id, variation_id, sku, quantity, tax_class, subtotal, subtotal_tax, total, total_tax, "
                    "tax_rate_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
                    [shop, rf.refund_id, o.order_id, l.line_id, l.line_type, item_id, l.name, l.product_id,
                     l.variation_id, l.sku, l.quantity, l.subtotal, l.subtotal_tax, l.total, l.total_tax,
                     [rid] if rid and l.total_tax != 0 else []])


def refund_of(o: Order, refund_id: int, parts: list[tuple[int, Decimal]], extra: Decimal = Decimal(0)) -> Refund:
    """A WooCommerce refund of fractions of order lines: parts = [(line_id, share of the line in 0..1 or qty)]."""
    lines, items = [], []
    for n, (line_id, qty) in enumerate(parts):
        l = next(x for x in o.lines if x.line_id == line_id)
        share = Decimal(qty) / l.quantity
        total = r2(l.total * share)
        tax = r2(l.total_tax * share)
        taxes = {rate: -r2(t * share) for rate, t in l.taxes.items()} if l.taxes else None
        if taxes:
            tax = -sum(taxes.values(), Decimal(0))   # WooCommerce refunds a line's tax rate by rate
        lines.append(Line(refund_id * 100 + n, l.line_type, l.name, -Decimal(qty), -total, -tax, -total, -tax, l.rate,
                          product_id=l.product_id, sku=l.sku, taxes=taxes))
        items.append(line_id)
    amount = sum((-(x.total + x.total_tax) for x in lines), Decimal(0)) + extra
    return Refund(refund_id, amount, lines, items)


STAGING_TABLES = ("orders", "order_lines", "order_coupon_lines", "order_tax_lines", "refunds", "refund_lines",
                  "products", "variations", "customers")


def reset(con, shop: str = SHOP) -> None:
    """Empties staging (except tax rates) and the ledger, so one migrated connection serves many examples."""
    for t in STAGING_TABLES:
        con.execute(f"DELETE FROM staging.{t}")
    con.execute("DELETE FROM ledger.documents")
    con.execute("DELETE FROM ledger.fortnox_currency_rates")


def ledger_insert(con, entity: str, source_key: str, payload_hash: str | None, *, number: str | None = "1",
                  status: str = "synced", booked: bool = False, order_id: int | None = None, shop: str = SHOP) -> None:
    con.execute("INSERT OR REPLACE INTO ledger.documents (shop, entity, source_key, fortnox_number, payload_hash, status, "
                "booked, order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [shop, entity, source_key, number, payload_hash, status, booked, order_id])


def fill_ledger_from_deltas(con, tables=("article_delta", "price_delta", "stock_delta", "customer_delta",
                                         "invoice_delta", "credit_delta", "payment_delta"), booked: bool = False) -> None:
    """What the sink does after a successful run: every delta row is in the ledger with its hash."""
    for t in tables:
        for source_key, entity, h, order_id, action in con.execute(
                f"SELECT source_key, entity, payload_hash, order_id, action FROM deltas.{t}").fetchall():
            ledger_insert(con, entity, source_key, h, number=f"F{source_key}",
                          status="cancelled" if action == "cancel" else "synced", booked=booked, order_id=order_id)
