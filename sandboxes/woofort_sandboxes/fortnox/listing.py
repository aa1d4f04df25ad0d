"""List responses: search, filter, lastmodified, sorting, paging, MetaInformation.

Sources: reference §4 (parameters page, [CS] BaseSearch, [VCR] */search_*.yml, */all.yml).
- `limit` default 100, max 500 ([CS] ApiConstants.MaxLimit). Values > 500 are clamped to 500 (GUESS, documented);
  limit < 1 or non-numeric -> 400 2000588 "Ogiltig parameter i anropet.".
- `page` 1-based; `offset` skips records before paging ([CS] BaseSearch); @TotalPages = ceil(total/limit)
  (0 when there are no records, [VCR] search_miss: TotalPages 0, CurrentPage 1).
- Searches are case-insensitive "contains" (LIKE) ([parameters page]); several search params are ANDed
  ([VCR] multi_param_find_by_hash returns the one record matching both).
- `filter` values per resource; anything else -> 400 2000587 (lowercase) ([VCR] invoices/filter_invalid).
- `lastmodified` ("YYYY-MM-DD HH:MM" or a date): records modified at/after it.
- `sortby`/`sortorder` (ascending|descending); unknown sortby -> 2000588 (GUESS).
- Unknown query parameters are ignored (GUESS: stricter 2000588 would break clients sending e.g. `financialyear`).
- MetaInformation is the first key ([VCR] all.yml).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

from . import errors as E

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
GLOBAL = {"limit", "page", "offset", "lastmodified", "sortby", "sortorder", "filter", "financialyear",
          "financialyeardate", "fromdate", "todate"}


def _int_param(args, name, default):
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise E.err(E.INVALID_PARAMETER) from None


def paginate(args, items: list, plural: str, render: Callable[[dict], dict]) -> dict:
    limit = _int_param(args, "limit", DEFAULT_LIMIT)
    if limit < 1:
        raise E.err(E.INVALID_PARAMETER)
    limit = min(limit, MAX_LIMIT)
    page = _int_param(args, "page", 1)
    offset = _int_param(args, "offset", 0)
    if page < 1 or offset < 0:
        raise E.err(E.INVALID_PARAMETER)
    items = items[offset:]
    total = len(items)
    pages = math.ceil(total / limit) if total else 0
    chunk = items[(page - 1) * limit: page * limit]
    return {"MetaInformation": {"@TotalResources": total, "@TotalPages": pages, "@CurrentPage": page},
            plural: [render(d) for d in chunk]}


def select(args, docs: Iterable[dict], *, searches: dict[str, Callable[[dict], object]],
           filters: dict[str, Callable[[dict], bool]], sorts: dict[str, Callable[[dict], object]],
           default_sort: Callable[[dict], object], exact: dict[str, Callable[[dict], object]] | None = None,
           date_range: Callable[[dict], str] | None = None) -> list[dict]:
    """Apply filter/search/lastmodified/sort and return the matching documents."""
    out = list(docs)
    flt = args.get("filter")
    if flt:
        fn = filters.get(flt.lower())
        if fn is None:
            raise E.err(E.INVALID_FILTER)
        out = [d for d in out if fn(d)]
    for name, getter in searches.items():
        needle = args.get(name)
        if needle is None or needle == "":
            continue
        n = needle.lower()
        out = [d for d in out if n in str(getter(d) if getter(d) is not None else "").lower()]
    for name, getter in (exact or {}).items():
        val = args.get(name)
        if val not in (None, ""):
            out = [d for d in out if str(getter(d)).lower() == val.lower()]
    lm = args.get("lastmodified")
    if lm:
        stamp = lm.strip().replace("T", " ")
        out = [d for d in out if d.get("_modified", "") >= stamp]
    if date_range is not None:
        frm, to = args.get("fromdate"), args.get("todate")
        if frm:
            out = [d for d in out if (date_range(d) or "") >= frm]
        if to:
            out = [d for d in out if (date_range(d) or "") <= to]
    sortby = args.get("sortby")
    key = default_sort
    if sortby:
        key = sorts.get(sortby.lower())
        if key is None:
            raise E.err(E.INVALID_PARAMETER)
    order = (args.get("sortorder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise E.err(E.INVALID_PARAMETER)
    out.sort(key=key, reverse=(order == "descending"))
    return out


def natural(value) -> tuple:
    """Sort key: numeric strings numerically, others after them alphabetically."""
    s = str(value or "")
    return (0, int(s), "") if s.isdigit() else (1, 0, s.lower())
