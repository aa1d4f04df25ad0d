"""A shop that keeps changing: the WooCommerce sandbox's store driven the way a shop owner does, day by day, next to
the Fortnox sandbox, with the oracle (oracle.Books) judging the books after every sync.

Changes are stamped inside the (Stockholm) day they happen on, so the sync of that day sees them. Everything goes
through the store's mutation methods, the same ones the sandbox's control API (/__sandbox/...) calls.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tests.living_shop.oracle import Books, fortnox_docs, money, sync_and_check

# characters a shop's texts really contain: WordPress-encoded entities and emoji
NASTY_NAMES = ["Kaffe &amp; kaka", "Termos &#8211; 0,5 l", "Mössa 🧶 Kiruna", "Te &quot;Earl&quot; Grey ☕",
               "Ull &lt;100%&gt; &#8211; Gotland 🐑"]


def gmt(day: str, clock: str = "10:00:00") -> str:
    """A GMT time inside the Stockholm day `day` (10:00 GMT is 11:00/12:00 local)."""
    return f"{day}T{clock}"


def next_day(day: str, n: int = 1) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


class LivingShop:
    def __init__(self, woo, fortnox, mapping_path: Path):
        self.woo, self.fortnox, self.mapping_path = woo, fortnox, mapping_path
        self.store = woo.store
        self.books = Books(woo, fortnox)
        self.log: list[str] = []

    # ------------------------------------------------------------------------------------------------ syncing
    def sync(self, first: str, last: str | None = None, label: str = "") -> list[str]:
        return sync_and_check(self.books, first, last or first, label)

    def writes(self, before: dict, after: dict) -> dict[str, int]:
        """Fortnox requests other than GET between two counters_snapshot()s, per "METHOD path"."""
        return {k: after.get(k, 0) - before.get(k, 0) for k in after
                if k.split(" ")[0] in ("POST", "PUT", "DELETE", "PATCH") and k != "POST /oauth-v1/token"
                and after.get(k, 0) != before.get(k, 0)}

    # ------------------------------------------------------------------------------------------------- orders
    def order(self, oid: int) -> dict:
        return self.store.get_order(oid)

    def new_order(self, day: str, status: str = "processing", clock: str = "10:00:00", customer_id: int = 0) -> int:
        o = self.store.add_order(gmt(day, clock), status=status, customer_id=customer_id)
        self.log.append(f"{day}: new order {o['id']} {status} total {o['total']} {o['currency']}")
        return int(o["id"])

    def set_status(self, oid: int, day: str, status: str, clock: str = "10:30:00") -> None:
        self.store.modify_order(oid, gmt(day, clock), status=status)
        self.log.append(f"{day}: order {oid} -> {status}")

    def edit_line(self, oid: int, day: str, quantity_delta: int = 1, price=None, clock: str = "11:00:00") -> None:
        """Change the first line's quantity (and optionally its unit price); WooCommerce recomputes taxes and
        totals."""
        line = self.order(oid)["line_items"][0]
        change = {"id": line["id"], "quantity": max(1, int(line["quantity"]) + quantity_delta)}
        if price is not None:
            change["price"] = str(price)
        before = self.order(oid)["total"]
        self.store.edit_order_lines(oid, set_lines=[change], date_modified_gmt=gmt(day, clock))
        self.log.append(f"{day}: order {oid} line {line['id']} edited {change}: total {before} -> "
                        f"{self.order(oid)['total']}")

    def refund(self, oid: int, day: str, amount=None, manual: bool = False, clock: str = "12:00:00") -> Decimal:
        """A refund of `amount` (None: all that is left). Manual: refunded_payment false. A refund reaching the
        total makes the order `refunded`, as WooCommerce does."""
        o = self.order(oid)
        left = money(o["total"]) - sum((money(r["amount"]) for r in self.store.order_refunds(oid)), Decimal(0))
        amount = left if amount is None else min(money(amount), left)
        if amount <= 0:
            return Decimal(0)
        self.store.add_refund(oid, str(amount), "Återbetalning", gmt(day, clock),
                              refunded_payment=False if manual else None, mark_refunded=True)
        self.store.modify_order(oid, gmt(day, clock))        # the refund is the order's latest change that day
        self.log.append(f"{day}: order {oid} {'manual' if manual else 'gateway'} refund {amount}"
                        f" (status {self.order(oid)['status']})")
        return amount

    def change_billing(self, oid: int, day: str, clock: str = "13:00:00", vat_number: str | None = None,
                       **fields) -> None:
        """Change the order's billing address fields (and its VAT number meta), money untouched."""
        o = self.order(oid)
        update = {"billing": dict(o["billing"], **fields)}
        if vat_number is not None:
            meta = [m for m in o["meta_data"] if m["key"] != "_billing_vat_number"]
            meta.append({"id": oid * 10 + 9, "key": "_billing_vat_number", "value": vat_number})
            update["meta_data"] = meta
        self.store.modify_order(oid, gmt(day, clock), fields=update)
        self.log.append(f"{day}: order {oid} billing changed {fields} vat {vat_number}")

    # ----------------------------------------------------------------------------------------------- catalogue
    def sold_products(self, oids=None) -> list[int]:
        """Product/variation ids on the given (default: all) orders' lines, most sold first."""
        count: dict[int, int] = {}
        st = self.store
        ids = oids if oids is not None else [int(i) for i, gone in zip(st.ids, st.deleted) if not gone]
        for oid in ids:
            for li in self.order(oid)["line_items"]:
                pid = int(li["variation_id"] or li["product_id"])
                count[pid] = count.get(pid, 0) + 1
        return sorted(count, key=lambda p: (-count[p], p))

    def rename(self, pid: int, day: str, sku: str | None = None, name: str | None = None,
               description: str | None = None, clock: str = "14:00:00") -> None:
        self.store.rename_product(pid, sku=sku, name=name, description=description,
                                  date_modified_gmt=gmt(day, clock))
        self.log.append(f"{day}: product {pid} renamed sku={sku} name={name} description={description}")

    # ------------------------------------------------------------------------------------------------- mapping
    def edit_mapping_account(self, old: int, new: int) -> None:
        """The bookkeeper moves Swedish 25 % sales (or any account) to another account in the mapping file."""
        text = self.mapping_path.read_text(encoding="utf-8")
        edited, n = re.subn(rf"(?<![0-9]){old}(?![0-9])", str(new), text)
        assert n, f"account {old} is not in the mapping"
        self.mapping_path.write_text(edited, encoding="utf-8")
        self.log.append(f"mapping: account {old} -> {new} ({n} places)")

    # ------------------------------------------------------------------------------------------------- Fortnox
    def docs(self, oid: int):
        return fortnox_docs(self.fortnox).get(str(oid), [])

    def booked(self) -> list[int]:
        return sorted(int(k) for k, v in fortnox_docs(self.fortnox).items()
                      if k.isdigit() and any(not d.credit and not d.cancelled for d in v))

    def payments(self, oid: int) -> list[dict]:
        with self.fortnox.state.lock:
            return [dict(p) for p in self.fortnox.state.docs["invoicepayments"].values()
                    if str(p.get("ExternalInvoiceReference1") or "") == str(oid)
                    or any(str(p.get("InvoiceNumber")) == d.number for d in self.docs(oid))]


def copy_mapping(dest: Path) -> Path:
    from woofort_assets.lib.settings import mapping_path
    shutil.copyfile(mapping_path(), dest)
    return dest
