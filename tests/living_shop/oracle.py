"""The oracle of issue #13 ("Books that stay right while the shop changes").

It reads the truth from the two systems themselves: WooCommerce through the sandbox's store (what its REST API
serves) and Fortnox through the sandbox's documents. It never reads woofort's reconciliation; of woofort's DuckDB it
reads only what woofort *declares*: the orders it excludes with a reason (deltas.invoice_exclusions), the payments it
excludes with a reason (deltas.payment_exclusions) and its dead letters (ledger.dead_letter).

Per order woofort should book (a trigger status of the mapping, created on/after WOOFORT_START_DATE, or a paid
order later cancelled/refunded), after every sync:

  1. revenue:  Σ Total of its live Fortnox documents (not cancelled invoices and credit invoices whose
               ExternalInvoiceReference1 is the order id, credits negative) == what WooCommerce kept:
               0 for a cancelled/refunded order, else total − Σ refunds;
  2. balance:  Σ Balance of those documents == WooCommerce's outstanding:
               kept − (total if the order has date_paid) + Σ refunds paid back
               (gateway refunds `refunded_payment: true`, and manual ones unless payments.manual_refunds is null);
  3. no booked document was credited or re-issued unless the order's money changed since the last sync;
  4. at most one live (not cancelled, not fully credited) invoice per order;
  5. no open dead letter.

Money is Decimal throughout, compared to the öre.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CLOSED_STATUSES = ("cancelled", "refunded")


def money(x) -> Decimal:
    return Decimal(str(x if x not in (None, "") else 0)).quantize(CENT)


# ------------------------------------------------------------------------------------------------ WooCommerce side
@dataclass
class Refund:
    id: int
    amount: Decimal
    refunded_payment: bool


@dataclass
class ShopOrder:
    id: int
    status: str
    currency: str
    total: Decimal
    created_local: str
    date_paid: str | None
    payment_method: str
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), ZERO)

    @property
    def kept(self) -> Decimal:
        return ZERO if self.status in CLOSED_STATUSES else self.total - self.refunded

    def paid_back(self, manual_refunds_paid: bool) -> Decimal:
        return sum((r.amount for r in self.refunds if r.refunded_payment or manual_refunds_paid), ZERO)

    def outstanding(self, manual_refunds_paid: bool, payment_registered: bool = True) -> Decimal:
        paid = self.total if (self.date_paid and payment_registered) else ZERO
        return self.kept - paid + self.paid_back(manual_refunds_paid)

    @property
    def money_key(self) -> tuple:
        """What the books depend on: a change of any of these may justify a credit note or a re-issue."""
        return (self.total, self.status in CLOSED_STATUSES,
                tuple(sorted((r.id, r.amount, r.refunded_payment) for r in self.refunds)))


def shop_orders(woo) -> dict[int, ShopOrder]:
    st = woo.store
    out = {}
    with st.lock:
        ids = [int(oid) for oid, gone in zip(st.ids, st.deleted) if not gone]
        ids += [k for k in st.injected["orders"] if isinstance(k, int)]
    for oid in ids:
        o = st.get_order(oid)
        if not isinstance(o, dict):
            continue
        refunds = [Refund(int(r["id"]), money(r["amount"]), bool(r.get("refunded_payment")))
                   for r in st.order_refunds(oid)]
        out[oid] = ShopOrder(oid, o["status"], (o.get("currency") or "SEK").upper(), money(o["total"]),
                             o["date_created"], o.get("date_paid"), o.get("payment_method") or "", refunds)
    return out


# --------------------------------------------------------------------------------------------------- mapping side
def mapping_file() -> Path:
    from woofort_assets.lib.settings import mapping_path
    return Path(mapping_path())


def mapping() -> dict:
    return yaml.safe_load(mapping_file().read_text(encoding="utf-8"))


def should_book(o: ShopOrder, triggers, start: str) -> bool:
    if o.created_local[:10] < start:
        return False
    return o.status in triggers or (o.status in CLOSED_STATUSES and bool(o.date_paid))


# ------------------------------------------------------------------------------------------------------ Fortnox side
@dataclass
class Doc:
    number: str
    order_id: str
    credit: bool
    cancelled: bool
    total: Decimal
    balance: Decimal
    credits: str          # CreditInvoiceReference


def fortnox_docs(fortnox) -> dict[str, list[Doc]]:
    """Fortnox invoices and credit invoices per order id (ExternalInvoiceReference1; a credit invoice without one is
    attributed through the invoice it credits)."""
    with fortnox.state.lock:
        raw = {k: dict(v) for k, v in fortnox.state.docs["invoices"].items()}
    out: dict[str, list[Doc]] = {}
    for number, d in raw.items():
        credit = str(d.get("Credit")).lower() == "true"
        ref = str(d.get("ExternalInvoiceReference1") or "")
        if not ref and credit:
            ref = str(raw.get(str(d.get("CreditInvoiceReference")), {}).get("ExternalInvoiceReference1") or "")
        total, balance = money(d.get("Total")), money(d.get("Balance"))
        if credit and total > 0:          # a credit invoice counts negative, however it is signed
            total, balance = -total, -balance
        out.setdefault(ref, []).append(Doc(str(number), ref, credit, bool(d.get("Cancelled")), total, balance,
                                           str(d.get("CreditInvoiceReference") or "0")))
    for docs in out.values():
        docs.sort(key=lambda x: int(x.number) if x.number.isdigit() else 0)
    return out


def live(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if not d.cancelled]


def live_invoices(docs: list[Doc]) -> list[Doc]:
    """Invoices not cancelled and not fully credited (credit notes referencing them sum to at least their total)."""
    out = []
    for inv in live(docs):
        if inv.credit:
            continue
        credited = -sum((c.total for c in live(docs) if c.credit and c.credits == inv.number), ZERO)
        if credited < inv.total:
            out.append(inv)
    return out


# ----------------------------------------------------------------------------------------------- woofort's word
def _rows(sql: str):
    from tests.conftest import duckdb_rows
    try:
        return duckdb_rows(sql)
    except Exception as exc:  # the table does not exist (yet): woofort declares nothing
        if "does not exist" in str(exc) or "Catalog Error" in str(exc):
            return []
        raise


def invoice_exclusions() -> dict[str, str]:
    return {str(o): f"{r}: {d or ''}" for o, r, d in
            _rows("SELECT order_id, reason, detail FROM deltas.invoice_exclusions")}


def payment_exclusions() -> dict[str, str]:
    return {str(o): f"{r}: {d or ''}" for o, r, d in
            _rows("SELECT order_id, reason, detail FROM deltas.payment_exclusions")}


def open_dead_letters() -> list[tuple]:
    return _rows("SELECT entity, source_key, error_message FROM ledger.dead_letter WHERE status = 'open' "
                 "ORDER BY entity, source_key")


def orders_listed_for_mapping_change() -> list[str] | None:
    """The orders woofort lists as affected by a mapping (account) change, or None while woofort has no such
    listing. Reads deltas.invoice_drift (drift = 'accounts'), the table being designed for issue #13."""
    rows = _rows("SELECT order_id FROM deltas.invoice_drift WHERE drift = 'accounts' ORDER BY order_id")
    if not rows and not _rows("SELECT 1 FROM information_schema.tables WHERE table_schema = 'deltas' "
                              "AND table_name = 'invoice_drift'"):
        return None
    return [str(r[0]) for r in rows]


# ------------------------------------------------------------------------------------------------------- the oracle
@dataclass
class Figure:
    order_id: str
    status: str
    currency: str
    total: Decimal
    refunded: Decimal
    kept: Decimal
    outstanding: Decimal
    revenue: Decimal
    balance: Decimal
    documents: str

    def line(self) -> str:
        return (f"order {self.order_id} [{self.status} {self.currency}] total {self.total} refunded {self.refunded}"
                f" | kept {self.kept} vs Fortnox revenue {self.revenue} | outstanding {self.outstanding} vs Fortnox"
                f" balance {self.balance} | {self.documents}")


class Books:
    """Tracks the shop and Fortnox across syncs. `checked()` after each sync returns the problems (empty: right)."""

    def __init__(self, woo, fortnox):
        self.woo, self.fortnox = woo, fortnox
        self.money_at_last_sync: dict[int, tuple] = {}
        self.docs_at_last_sync: dict[str, set[str]] = {}
        self.figures: dict[str, Figure] = {}
        self.skipped: dict[str, str] = {}

    def settings(self):
        m = mapping()
        triggers = set((m.get("invoicing") or {}).get("trigger_statuses") or [])
        manual = (m.get("payments") or {}).get("manual_refunds", "absent")
        # manual refunds count as paid back unless the mapping says null (the default will be a bank mode)
        return triggers, manual is not None, os.environ.get("WOOFORT_START_DATE", "2026-10-01")

    def problems(self) -> list[str]:
        triggers, manual_paid, start = self.settings()
        orders = shop_orders(self.woo)
        docs = fortnox_docs(self.fortnox)
        excluded, pay_excluded = invoice_exclusions(), payment_exclusions()
        out: list[str] = []
        self.figures, self.skipped = {}, {}
        for oid, o in sorted(orders.items()):
            key = str(oid)
            mine = docs.get(key, [])
            if not should_book(o, triggers, start):
                continue
            if key in excluded:
                self.skipped[key] = excluded[key]
                continue
            ld = live(mine)
            revenue = sum((d.total for d in ld), ZERO)
            balance = sum((d.balance for d in ld), ZERO)
            outstanding = o.outstanding(manual_paid, payment_registered=key not in pay_excluded)
            fig = Figure(key, o.status, o.currency, o.total, o.refunded, o.kept, outstanding, revenue, balance,
                         ", ".join(f"{'credit' if d.credit else 'invoice'} {d.number}"
                                   f"{' cancelled' if d.cancelled else ''} total {d.total} balance {d.balance}"
                                   for d in mine) or "no Fortnox document")
            self.figures[key] = fig
            if revenue != o.kept:
                out.append(f"[1 revenue] {fig.line()}")
            if balance != outstanding:
                why = f" (payment excluded: {pay_excluded[key]})" if key in pay_excluded else ""
                out.append(f"[2 balance] {fig.line()}{why}")
            invoices = live_invoices(mine)
            if len(invoices) > 1:
                out.append(f"[4 duplicate] order {key} has {len(invoices)} live invoices: "
                           f"{', '.join(d.number for d in invoices)}")
        # 3: a booked order got a new credit note or invoice although its money did not change
        for key, mine in docs.items():
            before = self.docs_at_last_sync.get(key)
            if not before or not key.isdigit():
                continue
            new = [d for d in mine if d.number not in before]
            o = orders.get(int(key))
            if new and o is not None and self.money_at_last_sync.get(int(key)) == o.money_key:
                out.append(f"[3 needless correction] order {key}: money unchanged since the last sync "
                           f"(total {o.total}, refunded {o.refunded}, status {o.status}) but Fortnox got "
                           + ", ".join(f"{'credit' if d.credit else 'invoice'} {d.number} total {d.total}"
                                       for d in new))
        for entity, source_key, message in open_dead_letters():
            out.append(f"[5 dead letter] {entity} {source_key}: {message}")
        return out

    def synced(self) -> None:
        """Remember the shop's money and Fortnox's documents as of this sync."""
        self.money_at_last_sync = {oid: o.money_key for oid, o in shop_orders(self.woo).items()}
        self.docs_at_last_sync = {k: {d.number for d in v} for k, v in fortnox_docs(self.fortnox).items()}

    def money_changed_since_last_sync(self) -> set[int]:
        return {oid for oid, o in shop_orders(self.woo).items()
                if oid in self.money_at_last_sync and self.money_at_last_sync[oid] != o.money_key}

    def report(self, limit: int = 12) -> str:
        """The figures: every order when few, else the orders with more than one document or a difference."""
        figs = list(self.figures.values())
        if len(figs) > limit:
            figs = [f for f in figs if "," in f.documents or f.revenue != f.kept or f.balance != f.outstanding]
        lines = [f"{len(self.figures)} orders to book, {len(self.skipped)} excluded by woofort; "
                 f"Σ kept {sum((f.kept for f in self.figures.values()), ZERO)} vs Σ Fortnox revenue "
                 f"{sum((f.revenue for f in self.figures.values()), ZERO)}; Σ outstanding "
                 f"{sum((f.outstanding for f in self.figures.values()), ZERO)} vs Σ Fortnox balance "
                 f"{sum((f.balance for f in self.figures.values()), ZERO)}"]
        lines += [f.line() for f in figs[:3 * limit]]
        lines += [f"order {k}: excluded by woofort ({v[:120]})" for k, v in list(self.skipped.items())[:limit]]
        return "\n".join(lines)


def sync_and_check(books: Books, first: str, last: str, label: str = "") -> list[str]:
    """Run woofort's sync for the days first..last; return the oracle's problems (the run's failure is one)."""
    from tests.conftest import sync_range
    result = sync_range(first, last)
    problems = [] if result.success else [f"[run] sync {first}..{last} failed: " + "; ".join(
        str(e.message)[:300] for e in result.all_events if e.event_type_value == "STEP_FAILURE")]
    problems += books.problems()
    books.synced()
    if label:
        print(f"--- {label}: sync {first}..{last}\n{books.report()}")
    return problems
