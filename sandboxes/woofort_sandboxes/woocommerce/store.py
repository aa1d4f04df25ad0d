"""The store: compact numpy index of orders/refunds, small catalogue, mutations, injected raw records."""
from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal

import numpy as np

from . import dates
from .catalog import Catalog
from .generator import PAID, REFUND_AMOUNT, REFUND_FULL, REFUND_ITEM, REFUND_SHIPPING, S, STATUSES, OrderBuilder

ENTITIES = ("orders", "refunds", "products", "variations", "customers", "taxes", "tax_classes")
FIRST_ORDER_ID = 1000
STATUS_P = [0.03, 0.12, 0.03, 0.63, 0.04, 0.04, 0.03, 0.02, 0.06]  # order of generator.STATUSES
MISSING = np.int64(-(2 ** 62))


class NotFound(KeyError):
    pass



def json_copy(value):
    """A deep copy of JSON-shaped data (dicts, lists, immutable scalars): what a response may mutate, copied about
    4x faster than copy.deepcopy, which matters for pages of 100 orders."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value

class Store:
    def __init__(self, orders=200, seed=7, start_date="2026-10-01", days=30, timezone="Europe/Stockholm",
                 any_includes_checkout_draft=False, price_decimals=2):
        self.params = dict(orders=orders, seed=seed, start_date=start_date, days=days, timezone=timezone)
        self.any_includes_checkout_draft = any_includes_checkout_draft
        self.set_price_decimals(price_decimals)
        self.currency = "SEK"  # the store's base currency (settings/general woocommerce_currency)
        self.lock = threading.RLock()
        self._init()

    def set_price_decimals(self, price_decimals) -> None:
        """The store's "Number of decimals" setting (WooCommerce's default is 2): the decimals of money in order and
        refund answers whose request has no `dp` (decimals.py). Amounts stay exact inside the store; a reset keeps
        the setting."""
        if isinstance(price_decimals, bool) or not isinstance(price_decimals, int) or price_decimals < 0:
            raise ValueError(f"price_decimals must be a non-negative integer, not {price_decimals!r}")
        self.price_decimals = price_decimals

    # ------------------------------------------------------------------ setup
    def _init(self):
        p = self.params
        n, seed = int(p["orders"]), int(p["seed"])
        self.seed = seed
        self.start = dates.start_ts(p["start_date"], p["timezone"])
        self.end = self.start + dates.days(p["days"])
        self.clock = dates.Clock(p["timezone"], self.start, self.end)
        self.catalog = Catalog(seed, self.start, max(20, min(5000, 20 + n // 20)))
        self._finish_catalog()
        self.builder = OrderBuilder(seed, self.catalog, self.clock)
        rng = np.random.default_rng(seed)
        self.n = n
        self.ids = FIRST_ORDER_ID + np.arange(n, dtype=np.int64)
        self.created = np.sort(rng.integers(self.start, self.end, n, dtype=np.int64))
        status = rng.choice(len(STATUSES), n, p=STATUS_P).astype(np.int16)
        ncust = len(self.catalog.customers)
        self.customer = np.where(rng.random(n) < 0.4, rng.integers(2, 2 + ncust, n), 0).astype(np.int64)
        delta = rng.integers(5, 600, n, dtype=np.int64)
        done = np.isin(status, [S["completed"], S["refunded"], S["trash"]])
        delta += np.where(done, rng.integers(dates.days(0.3), dates.days(5), n), 0)
        late = rng.random(n) < 0.10
        delta += np.where(late, rng.integers(dates.days(1), dates.days(10), n), 0)
        mod0 = self.created + delta
        # refunds: full refund for "refunded", 0-2 partial ones for some completed orders
        u = rng.random(n)
        nref = np.zeros(n, dtype=np.int64)
        nref[status == S["refunded"]] = 1
        comp = status == S["completed"]
        nref[comp & (u < 0.10)] = 1
        nref[comp & (u < 0.025)] = 2
        r_order = np.repeat(np.arange(n), nref)
        r_seq = np.arange(len(r_order)) - np.repeat(np.cumsum(nref) - nref, nref)
        step = rng.integers(dates.days(0.5), dates.days(6), len(r_order), dtype=np.int64)
        r_ts = mod0[r_order] + (r_seq + 1) * step
        r_kind = np.where(status[r_order] == S["refunded"], REFUND_FULL,
                          rng.choice([REFUND_ITEM, REFUND_SHIPPING, REFUND_AMOUNT], len(r_order), p=[.6, .2, .2]))
        if len(r_order):
            last = np.zeros(n, dtype=np.int64)
            np.maximum.at(last, r_order, r_ts)
            mod0 = np.maximum(mod0, last)  # a refund bumps the order's date_modified (PR #37047)
        self.mod0 = mod0
        self.mod = mod0.copy()
        self.status = status
        self.deleted = np.zeros(n, dtype=bool)
        order = np.lexsort((r_order, r_ts))  # refund ids ascend with creation time
        self.refund_base = int(FIRST_ORDER_ID + n + 100)
        self.r_order = r_order[order]
        self.r_ts = r_ts[order]
        self.r_kind = r_kind[order].astype(np.int8)
        self.r_ids = self.refund_base + np.arange(len(order), dtype=np.int64)
        self.r_by_order = np.argsort(self.r_order, kind="stable")
        self.r_order_sorted = self.r_order[self.r_by_order]
        self.next_id = self.refund_base + len(order) + 100
        self.extra_refunds: dict[int, list] = {}    # order id -> [(rid, ts, kind, amount, reason)]
        self.overrides: dict[int, dict] = {}        # order id -> shallow field overrides
        self.edits: dict[int, list] = {}            # order id -> line item edits (generator.OrderBuilder.build)
        self.was_paid: set[int] = set()             # orders moved out of a paid status: they keep date_paid
        self.injected: dict[str, OrderedDict] = {e: OrderedDict() for e in ENTITIES}
        self.inj_parent: dict[str, dict] = {"refunds": {}, "variations": {}}
        self._cache: OrderedDict = OrderedDict()
        self.created_local = self.clock.to_local(self.created)
        self.r_ts_local = self.clock.to_local(self.r_ts)

    def _finish_catalog(self):
        def fix(rec, keys=("date_created", "date_modified")):
            for k in keys:
                ts = rec[k + "_gmt"]
                rec[k], rec[k + "_gmt"] = self.clock.pair(ts)
        for coll in (self.catalog.products, self.catalog.variations, self.catalog.customers):
            for rec in coll.values():
                fix(rec)

    def reset(self):
        with self.lock:
            self._init()

    # ----------------------------------------------------------- order access
    def _idx(self, oid: int) -> int | None:
        i = int(oid) - FIRST_ORDER_ID
        if 0 <= i < self.n and not self.deleted[i]:
            return i
        return None

    def _plans(self, i: int) -> tuple:
        lo = np.searchsorted(self.r_order_sorted, i, "left")
        hi = np.searchsorted(self.r_order_sorted, i, "right")
        plans = [(int(self.r_ids[j]), int(self.r_ts[j]), int(self.r_kind[j]), None, None)
                 for j in self.r_by_order[lo:hi]]
        return tuple(plans + self.extra_refunds.get(int(self.ids[i]), []))

    def _bundle(self, i: int):
        oid = int(self.ids[i])
        key = (oid, int(self.created[i]), int(self.mod0[i]), int(self.mod[i]), int(self.status[i]),
               int(self.customer[i]), self._plans(i), tuple(self.edits.get(oid, ())), oid in self.was_paid)
        with self.lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        bundle = self.builder.build(*key)
        with self.lock:
            self._cache[key] = bundle
            while len(self._cache) > 4096:
                self._cache.popitem(last=False)
        return bundle

    def get_order(self, oid: int):
        """The order's JSON (without _links) or None. Injected records win over generated ones."""
        oid = int(oid)
        if oid in self.injected["orders"]:
            return json_copy(self.injected["orders"][oid])
        i = self._idx(oid)
        if i is None:
            return None
        order = json_copy(self._bundle(i)[0])
        order.update(json_copy(self.overrides.get(oid, {})))
        return order

    def order_refunds(self, oid: int) -> list[dict]:
        oid = int(oid)
        out = [json_copy(r) for r in self.injected["refunds"].values()
               if self.inj_parent["refunds"].get(id(r)) == oid]
        i = self._idx(oid)
        if i is not None and oid not in self.injected["orders"]:
            out += [json_copy(r) for r in self._bundle(i)[1]]
        return out

    def get_refund(self, rid: int, parent: int | None = None):
        rid = int(rid)
        if rid in self.injected["refunds"]:
            rec = self.injected["refunds"][rid]
            if parent is None or self.inj_parent["refunds"].get(id(rec)) == int(parent):
                return json_copy(rec)
            return None
        oid = self.refund_parent(rid)
        if oid is None or (parent is not None and int(parent) != oid):
            return None
        for r in self.order_refunds(oid):
            if r["id"] == rid:
                return r
        return None

    def refund_parent(self, rid: int) -> int | None:
        rid = int(rid)
        if rid in self.injected["refunds"]:
            return self.inj_parent["refunds"].get(id(self.injected["refunds"][rid]))
        j = rid - self.refund_base
        if 0 <= j < len(self.r_ids):
            i = int(self.r_order[j])
            return None if self.deleted[i] else int(self.ids[i])
        for oid, plans in self.extra_refunds.items():
            if any(p[0] == rid for p in plans):
                return oid if self._idx(oid) is not None else None
        return None

    # -------------------------------------------------------------- mutations
    def _ts(self, value) -> int:
        if value is None:
            return dates.now_ts()
        if isinstance(value, (int, float)):
            return int(value)
        ts = dates.parse_naive(value)
        if ts is None:
            raise ValueError(f"invalid date {value!r} (want YYYY-MM-DDTHH:MM:SS, GMT)")
        return ts

    def modify_order(self, oid: int, date_modified_gmt=None, status=None, fields=None) -> dict:
        """Bump date_modified(_gmt) (to now or the given GMT time) and optionally change status/fields."""
        oid = int(oid)
        with self.lock:
            ts = self._ts(date_modified_gmt)
            if oid in self.injected["orders"]:
                rec = self.injected["orders"][oid]
                if isinstance(rec, dict):
                    rec["date_modified"], rec["date_modified_gmt"] = self.clock.pair(ts)
                    if status is not None:
                        rec["status"] = status
                    rec.update(fields or {})
                return json_copy(rec)
            i = self._idx(oid)
            if i is None:
                raise NotFound(oid)
            self.mod[i] = ts
            if status is not None:
                if status not in S:
                    raise ValueError(f"unknown status {status!r}")
                if STATUSES[int(self.status[i])] in PAID:
                    self.was_paid.add(oid)
                self.status[i] = S[status]
            if fields:
                self.overrides.setdefault(oid, {}).update(json_copy(fields))
            return self.get_order(oid)

    def trash_order(self, oid: int, date_modified_gmt=None) -> dict:
        return self.modify_order(oid, date_modified_gmt, status="trash")

    def delete_order(self, oid: int) -> None:
        oid = int(oid)
        with self.lock:
            if self.injected["orders"].pop(oid, None) is not None:
                return
            i = self._idx(oid)
            if i is None:
                raise NotFound(oid)
            self.deleted[i] = True
            self.extra_refunds.pop(oid, None)

    def add_refund(self, oid: int, amount=None, reason=None, date_created_gmt=None, kind="amount",
                   bump_modified=True, refunded_payment=None, mark_refunded=False) -> dict:
        """Add a refund: kind full|item|shipping|amount (amount given -> plain amount refund).
        refunded_payment: None = paid back through the gateway when the order's gateway can (klarna, stripe,
        swish), False = a manual refund ("Refund manually": the shop pays it back outside WooCommerce).
        mark_refunded: as WooCommerce does, an order whose refunds reach its total becomes `refunded`."""
        oid = int(oid)
        kinds = {"full": REFUND_FULL, "item": REFUND_ITEM, "shipping": REFUND_SHIPPING, "amount": REFUND_AMOUNT}
        with self.lock:
            i = self._idx(oid)
            if i is None or oid in self.injected["orders"]:
                raise NotFound(oid)
            ts = self._ts(date_created_gmt)
            rid = self.next_id
            self.next_id += 1
            plan = (rid, ts, kinds[kind], None if amount is None else str(amount), reason,
                    None if refunded_payment is None else bool(refunded_payment))
            self.extra_refunds.setdefault(oid, []).append(plan)
            if bump_modified:
                self.mod[i] = max(int(self.mod[i]), ts)
            if mark_refunded:
                order = self.get_order(oid)
                refunded = sum((Decimal(r["amount"]) for r in self.order_refunds(oid)), Decimal(0))
                if refunded >= Decimal(order["total"]):
                    self.status[i] = S["refunded"]
            return self.get_refund(rid)

    def add_order(self, created_gmt=None, status="processing", customer_id=0, date_modified_gmt=None) -> dict:
        """A new order placed in the shop (generated from the seed and its id like the others: lines, party, payment
        method), created at `created_gmt` (not before the newest order). Its id is the next free one below the
        refund ids of the seeded store: up to 100 orders can be added."""
        with self.lock:
            ts = self._ts(created_gmt)
            if self.n and ts < int(self.created[self.n - 1]):
                raise ValueError("a new order cannot be older than the newest order")
            oid = FIRST_ORDER_ID + self.n
            if oid >= self.refund_base:
                raise ValueError("no free order id left (at most 100 orders can be added)")
            if status not in S:
                raise ValueError(f"unknown status {status!r}")
            mod = ts + 600 if date_modified_gmt is None else self._ts(date_modified_gmt)
            arr = lambda a, v: np.append(a, np.asarray([v], dtype=a.dtype))  # noqa: E731
            self.ids = arr(self.ids, oid)
            self.created = arr(self.created, ts)
            self.created_local = arr(self.created_local, int(self.clock.to_local(np.array([ts]))[0]))
            self.status = arr(self.status, S[status])
            self.customer = arr(self.customer, int(customer_id or 0))
            self.mod0 = arr(self.mod0, mod)
            self.mod = arr(self.mod, mod)
            self.deleted = arr(self.deleted, False)
            self.n += 1
            return self.get_order(oid)

    def edit_order_lines(self, oid: int, set_lines=None, add_lines=None, date_modified_gmt=None) -> dict:
        """Edit an order's line items as the shop admin does (quantities, unit prices, added/removed products),
        then "Recalculate": line taxes, coupon discounts and the order's totals are recomputed, shipping lines
        stay. set_lines: [{"id": line item id, "quantity": n (0 removes it), "price": unit price incl. the
        shop's base VAT (optional)}]; add_lines: [{"product_id": id (a variation id for a variable product),
        "quantity": n, "price": optional}]. Bumps date_modified."""
        oid = int(oid)
        with self.lock:
            i = self._idx(oid)
            if i is None or oid in self.injected["orders"]:
                raise NotFound(oid)
            current = self.get_order(oid)
            by_id = {int(li["id"]): li for li in current["line_items"]}
            new = list(self.edits.get(oid, ()))
            for change in set_lines or []:
                lid = int(change["id"])
                if lid not in by_id:
                    raise ValueError(f"order {oid} has no line item {lid}")
                index = lid - oid * 20 - 1
                qty = int(change.get("quantity", by_id[lid]["quantity"]))
                if qty < 0:
                    raise ValueError("quantity must be >= 0")
                price = change.get("price")
                new.append(("set", index, qty, None if price is None else str(Decimal(str(price)))))
            for change in add_lines or []:
                pid = int(change["product_id"])
                if pid not in self.catalog.info:
                    raise ValueError(f"product {pid} is not sellable (a variable product needs a variation id)")
                qty = int(change.get("quantity", 1))
                if qty <= 0:
                    raise ValueError("quantity must be > 0")
                if len([e for e in new if e[0] == "add"]) >= 5:
                    raise ValueError("at most 5 added line items per order")
                price = change.get("price")
                new.append(("add", pid, qty, None if price is None else str(Decimal(str(price)))))
            self.edits[oid] = new
            self.mod[i] = self._ts(date_modified_gmt)
            return self.get_order(oid)

    def rename_product(self, pid: int, sku=None, name=None, description=None, date_modified_gmt=None) -> dict:
        """Rename a product or variation (SKU, name, description) as the shop does in its catalogue: the product
        record changes (date_modified bumped); every order line of it shows the new SKU (the REST API reads the
        product's), while lines sold before keep the name they were sold under and later orders get the new one.
        Orders' date_modified do not change."""
        pid = int(pid)
        with self.lock:
            cat = self.catalog
            rec = cat.products.get(pid) or cat.variations.get(pid)
            if rec is None:
                raise NotFound(pid)
            ts = self._ts(date_modified_gmt)
            rec["date_modified"], rec["date_modified_gmt"] = self.clock.pair(ts)
            if description is not None:
                rec["description"] = description
            if sku is not None:
                rec["sku"] = sku
                if pid in cat.info:
                    cat.info[pid]["sku"] = sku
            if name is not None:
                affected = [pid] if pid in cat.info else []
                if pid in cat.products:
                    rec["name"] = name
                    affected += [vid for vid, par in cat.var_parent.items() if par == pid]
                for vid in affected:
                    info = cat.info[vid]
                    if info["variation_id"]:
                        opt = info["meta"][0][1] if info["meta"] else ""
                        new_name, info["parent_name"] = f"{name} - {opt}", name
                    else:
                        new_name = name
                    info.setdefault("names", []).append((ts, info["name"]))
                    info["name"] = new_name
            self._cache.clear()
            return json_copy(rec)

    def inject(self, entity: str, records, parent_id=None) -> list:
        """Store raw records verbatim; they are served by get/list as far as their fields allow."""
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}")
        recs = records if isinstance(records, list) else [records]
        keys = []
        with self.lock:
            for rec in recs:
                rec = json_copy(rec)
                key = rec.get("slug") if (entity == "tax_classes" and isinstance(rec, dict)) else (
                    rec.get("id") if isinstance(rec, dict) else None)
                if not isinstance(key, (int, str)) or isinstance(key, bool):
                    key = f"_injected_{self.next_id}"
                    self.next_id += 1
                if isinstance(key, str) and key.isdigit() and entity != "tax_classes":
                    key = int(key)
                self.injected[entity].pop(key, None)
                self.injected[entity][key] = rec
                if entity in self.inj_parent:
                    par = parent_id
                    if par is None and isinstance(rec, dict):
                        par = rec.get("parent_id") or _parent_from_links(rec)
                    self.inj_parent[entity][id(rec)] = int(par) if par not in (None, "") else None
                keys.append(key)
        return keys

    def modify_record(self, entity: str, rid: int, date_modified_gmt=None, fields=None) -> dict:
        """Bump date_modified(_gmt) of a product, variation or customer and optionally override fields."""
        colls = {"products": self.catalog.products, "variations": self.catalog.variations,
                 "customers": self.catalog.customers}
        if entity == "orders":
            return self.modify_order(rid, date_modified_gmt, (fields or {}).get("status"), fields)
        if entity not in colls:
            raise ValueError(f"cannot modify {entity!r}; one of orders, products, variations, customers")
        rid = int(rid)
        with self.lock:
            rec = self.injected[entity].get(rid)
            if rec is None:
                rec = colls[entity].get(rid)
            if not isinstance(rec, dict):
                raise NotFound(rid)
            rec["date_modified"], rec["date_modified_gmt"] = self.clock.pair(self._ts(date_modified_gmt))
            rec.update(json_copy(fields or {}))
            return json_copy(rec)

    # ------------------------------------------------------------- catalogue
    def product(self, pid):
        pid = int(pid)
        if pid in self.injected["products"]:
            return json_copy(self.injected["products"][pid])
        p = self.catalog.products.get(pid)
        return json_copy(p) if p else None

    def variation(self, pid, vid):
        vid = int(vid)
        if vid in self.injected["variations"]:
            rec = self.injected["variations"][vid]
            par = self.inj_parent["variations"].get(id(rec))
            return json_copy(rec) if par in (None, int(pid)) else None
        v = self.catalog.variations.get(vid)
        if v is None or self.catalog.var_parent[vid] != int(pid):
            return None
        return json_copy(v)

    def info(self) -> dict:
        return {"orders": int((~self.deleted).sum()) + len(self.injected["orders"]), **self.params,
                "first_order_id": FIRST_ORDER_ID, "last_order_id": FIRST_ORDER_ID + self.n - 1,
                "refunds": int(len(self.r_ids)) + sum(len(v) for v in self.extra_refunds.values()),
                "injected": {e: len(v) for e, v in self.injected.items()},
                "any_includes_checkout_draft": self.any_includes_checkout_draft,
                "price_decimals": self.price_decimals, "currency": self.currency}


def _parent_from_links(rec: dict):
    try:
        href = rec["_links"]["up"][0]["href"]
        return int(href.rstrip("/").rsplit("/", 1)[1])
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
