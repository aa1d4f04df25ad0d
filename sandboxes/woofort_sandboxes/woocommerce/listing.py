"""Collection parameters (validated like WordPress) and vectorised filtering/sorting/paging."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import dates
from .generator import STATUSES

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no", ""}
ORDERBY = {
    "orders": ["date", "id", "include", "title", "slug", "modified"],
    "refunds": ["date", "id", "include", "title", "slug", "modified"],
    "products": ["date", "id", "include", "title", "slug", "price", "popularity", "rating", "modified"],
    "variations": ["date", "id", "include", "title", "slug", "price", "popularity", "rating", "modified"],
    "customers": ["id", "include", "name", "registered_date"],
    "taxes": ["id", "order", "priority"],
}
DEFAULTS = {"orders": ("date", "desc"), "refunds": ("date", "desc"), "products": ("date", "desc"),
            "variations": ("date", "desc"), "customers": ("name", "asc"), "taxes": ("order", "asc")}
DATED = {"orders", "refunds", "products", "variations"}
PRODUCT_STATUS = ["any", "future", "trash", "draft", "pending", "private", "publish"]
ID_SHIFT = np.int64(1 << 24)


class InvalidParams(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors  # param -> (code, message)


def _l(items):  # wp_sprintf_l: "a, b, and c"
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + ", and " + items[-1]


@dataclass
class Query:
    entity: str
    per_page: int = 10
    page: int = 1
    offset: int | None = None
    order: str = "desc"
    orderby: str = "date"
    gmt: bool = False
    after: int | None = None
    before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    include: list = field(default_factory=list)
    exclude: list = field(default_factory=list)
    parent: list | None = None
    parent_exclude: list = field(default_factory=list)
    status: list | None = None
    customer: int | None = None
    sku: list | None = None
    type: str | None = None
    email: str | None = None
    role: str = "customer"
    tax_class: str | None = None
    dp: int | None = None  # orders and refunds: decimals of money in the answer (None: the store's)

    @property
    def start(self) -> int:
        return max(0, self.offset) if self.offset is not None else (self.page - 1) * self.per_page


def parse(entity: str, args) -> Query:
    """args: werkzeug MultiDict of the query string. Unknown params are ignored (as WordPress does)."""
    q = Query(entity, orderby=DEFAULTS[entity][0], order=DEFAULTS[entity][1])
    errors = {}

    def get(name):
        v = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
        if not v:
            return None
        return v if name.endswith("[]") else v[-1]

    def integer(name, lo=None, hi=None):
        v = get(name)
        if v is None:
            return None
        try:
            iv = int(str(v).strip())
        except ValueError:
            errors[name] = ("rest_invalid_type", f"{name} is not of type integer.")
            return None
        if (lo is not None and iv < lo) or (hi is not None and iv > hi):
            if hi is None:
                errors[name] = ("rest_out_of_bounds", f"{name} must be greater than or equal to {lo}")
            else:
                errors[name] = ("rest_out_of_bounds", f"{name} must be between {lo} (inclusive) and {hi} (inclusive)")
            return None
        return iv

    def id_list(name):
        vals = args.getlist(name) + args.getlist(name + "[]")
        out = []
        for v in vals:
            for k, part in enumerate(p for p in str(v).replace(" ", ",").split(",") if p != ""):
                try:
                    out.append(int(part))
                except ValueError:
                    errors[name] = ("rest_invalid_type", f"{name}[{k}] is not of type integer.")
        return out

    def enum(name, allowed):
        v = get(name)
        if v is None:
            return None
        if v not in allowed:
            errors[name] = ("rest_not_in_enum", f"{name} is not one of {_l(allowed)}.")
            return None
        return v

    q.per_page = integer("per_page", 1, 100) or 10
    q.page = integer("page", 1) or 1
    q.offset = integer("offset")
    q.order = enum("order", ["asc", "desc"]) or q.order
    q.orderby = enum("orderby", ORDERBY[entity]) or q.orderby
    q.include, q.exclude = id_list("include"), id_list("exclude")
    if entity in DATED:
        g = get("dates_are_gmt")
        if g is not None:
            if str(g).lower() in TRUE:
                q.gmt = True
            elif str(g).lower() not in FALSE:
                errors["dates_are_gmt"] = ("rest_invalid_type", "dates_are_gmt is not of type boolean.")
        for name in ("after", "before", "modified_after", "modified_before"):
            v = get(name)
            if v is not None:
                ts = dates.parse_naive(v)
                if ts is None:
                    errors[name] = ("rest_invalid_date", "Invalid date.")
                setattr(q, name, ts)
    if entity in ("orders", "refunds"):
        q.parent = id_list("parent") if ("parent" in args or "parent[]" in args) else None
        q.parent_exclude = id_list("parent_exclude")
        dp = integer("dp")  # WooCommerce: type integer, sanitized with absint
        q.dp = None if dp is None else abs(dp)
    if entity == "orders":
        q.customer = integer("customer")
        raw = args.getlist("status") + args.getlist("status[]")
        if raw:
            allowed = ["any", "trash"] + [s for s in STATUSES if s != "trash"]
            sts = [p for v in raw for p in str(v).split(",") if p]
            for k, s in enumerate(sts):
                if s not in allowed:
                    errors["status"] = ("rest_not_in_enum", f"status[{k}] is not one of {_l(allowed)}.")
            q.status = sts
    if entity in ("products", "variations"):
        q.status = [enum("status", PRODUCT_STATUS) or "any"]
        sku = get("sku")
        q.sku = [s.strip() for s in sku.split(",")] if sku else None
        q.type = enum("type", ["simple", "grouped", "external", "variable"]) if entity == "products" else None
        if entity == "products" and ("parent" in args or "parent[]" in args):
            q.parent = id_list("parent")
    if entity == "customers":
        q.email = get("email")
        q.role = enum("role", ["all", "administrator", "editor", "author", "contributor", "subscriber",
                               "customer", "shop_manager"]) or "customer"
    if entity == "taxes":
        q.tax_class = get("class")
    if errors:
        raise InvalidParams(errors)
    return q


def status_codes(q: Query, any_includes_draft: bool) -> set[str]:
    sts = q.status or ["any"]
    out = set()
    for s in sts:
        if s == "any":
            out |= {x for x in STATUSES if x != "trash" and (any_includes_draft or x != "checkout-draft")}
        else:
            out.add(s)
    return out


def paginate_info(q: Query, total: int) -> dict:
    pages = math.ceil(total / q.per_page) if total else 0
    return {"total": total, "pages": pages}


# ------------------------------------------------------------------ generic row filtering
def row_matches(q: Query, row: dict, statuses: set | None) -> bool:
    """row: dict with id, created_g, created_l, mod_g, mod_l, status, customer, parent, ... (None = missing)."""
    if q.include and row["id"] not in q.include:
        return False
    if q.exclude and row["id"] in q.exclude:
        return False
    for name, col in (("after", "created"), ("before", "created"), ("modified_after", "mod"),
                      ("modified_before", "mod")):
        bound = getattr(q, name)
        if bound is None:
            continue
        v = row.get(col + ("_g" if q.gmt else "_l"))
        if v is None:
            return False
        if name.endswith("after") and not v > bound:
            return False
        if name.endswith("before") and not v < bound:
            return False
    if statuses is not None and row.get("status") not in statuses:
        # a record without a readable status is only listed by the default query (no status param)
        if not (q.status is None and not isinstance(row.get("status"), str)):
            return False
    if q.customer is not None and row.get("customer") != q.customer:
        return False
    if q.parent is not None and row.get("parent") not in q.parent:
        return False
    if q.parent_exclude and row.get("parent") in q.parent_exclude:
        return False
    return True


def sort_rows(q: Query, rows: list[dict], keyfn) -> list[dict]:
    def key(r):
        k = keyfn(r)
        return (k is None, k if k is not None else 0, r["id"] if isinstance(r["id"], int) else 0)
    rows = sorted(rows, key=key, reverse=(q.order == "desc"))
    return rows


def python_page(q: Query, rows: list[dict], keyfn):
    rows = sort_rows(q, rows, keyfn)
    s = q.start
    return len(rows), rows[s:s + q.per_page]


# ------------------------------------------------------------------ numpy path (orders, refunds)
def select(q: Query, gen_mask: np.ndarray, gen_ids: np.ndarray, gen_cols: dict, extras: list[dict],
           natural_sorted: bool):
    """Page over generated rows (numpy) + extra rows (python dicts).

    gen_cols: name -> callable(gmt: bool) -> int64 array (naive-epoch seconds) for 'created'/'mod'.
    Returns (total, [("g", index) | ("x", row)]).
    """
    m = gen_mask
    if q.include:
        m = m & np.isin(gen_ids, np.asarray(q.include, dtype=np.int64))
    if q.exclude:
        m = m & ~np.isin(gen_ids, np.asarray(q.exclude, dtype=np.int64))
    for name, col in (("after", "created"), ("before", "created"), ("modified_after", "mod"),
                      ("modified_before", "mod")):
        bound = getattr(q, name)
        if bound is None:
            continue
        arr = gen_cols[col](q.gmt)
        m = m & ((arr > bound) if name.endswith("after") else (arr < bound))
    idx = np.nonzero(m)[0]
    total = len(idx) + len(extras)
    start, stop = q.start, q.start + q.per_page
    if start >= total:
        return total, []
    if q.orderby == "include" and q.include:
        pos = {v: k for k, v in enumerate(q.include)}
        keys_g = np.array([pos.get(int(v), 1 << 30) for v in gen_ids[idx]], dtype=np.int64)
        keys_x = [pos.get(r["id"], 1 << 30) for r in extras]
        natural = False
    elif q.orderby == "id" or q.orderby == "include":
        keys_g, keys_x, natural = None, [0] * len(extras), natural_sorted
    elif q.orderby == "modified":
        keys_g, keys_x, natural = gen_cols["mod"](True)[idx], [r.get("mod_g") for r in extras], False
    else:  # date, title, slug -> creation date (GMT, HPOS ordering), ties by id
        keys_g, keys_x, natural = None, [r.get("created_g") for r in extras], natural_sorted
        if not natural_sorted:
            keys_g = gen_cols["created"](True)[idx]
    if natural and not extras:
        sel = idx if q.order == "asc" else idx[::-1]
        return total, [("g", int(i)) for i in sel[start:stop]]
    if keys_g is None:
        keys_g = gen_cols["created"](True)[idx] if q.orderby not in ("id", "include") else np.zeros(len(idx),
                                                                                                     np.int64)
    ids_all = np.concatenate([gen_ids[idx], np.array([r["id"] if isinstance(r["id"], int) else 0 for r in extras],
                                                     dtype=np.int64)])
    prim = np.concatenate([keys_g.astype(np.int64),
                           np.array([k if isinstance(k, int) else (1 << 37) for k in keys_x], dtype=np.int64)])
    key = prim * ID_SHIFT + (ids_all % ID_SHIFT)
    if q.order == "desc":
        key = -key
    if stop < len(key):
        part = np.argpartition(key, stop - 1)[:stop]
        order = part[np.argsort(key[part], kind="stable")]
    else:
        order = np.argsort(key, kind="stable")
    out = []
    ng = len(idx)
    for p in order[start:stop]:
        out.append(("g", int(idx[p])) if p < ng else ("x", extras[p - ng]))
    return total, out


def record_row(rec, parent=None) -> dict:
    """Filter/sort fields of an injected record (tolerant of malformed records)."""
    r = rec if isinstance(rec, dict) else {}
    rid = r.get("id")
    cust = r.get("customer_id")
    return {
        "id": rid if isinstance(rid, int) and not isinstance(rid, bool) else None,
        "created_g": dates.naive_of(r.get("date_created_gmt")), "created_l": dates.naive_of(r.get("date_created")),
        "mod_g": dates.naive_of(r.get("date_modified_gmt", r.get("date_created_gmt"))),
        "mod_l": dates.naive_of(r.get("date_modified", r.get("date_created"))),
        "status": r.get("status"), "customer": cust if isinstance(cust, int) else None,
        "parent": parent if parent is not None else r.get("parent_id", 0), "rec": rec,
    }


__all__ = ["parse", "Query", "InvalidParams", "select", "python_page", "row_matches", "record_row",
           "status_codes", "paginate_info"]
