"""/3/prices (scope `price`). Source: reference §5.2 ([SPEC] fortnox_Price; [WFH] uses /prices/{list}/{art}/0).

Key = (PriceList, ArticleNumber, FromQuantity). `/3/prices/{PriceList}/{ArticleNumber}` addresses FromQuantity 0.
Article SalesPrice = price list A, FromQuantity 0 (GUESS, reference §5.2).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..arithmetic import D, round2

from .. import errors as E
from ..listing import natural, paginate, select
from .common import Ctx, now_stamp, num, public


def _qty(raw) -> Decimal:
    try:
        return round2(D(raw or 0)).normalize() + 0
    except (InvalidOperation, ValueError):
        raise E.err(E.NUMERIC, raw) from None


def _key(pl: str, art: str, fq) -> tuple:
    return (pl, str(art), _qty(fq))


def _get(ctx: Ctx, pl: str, art: str, fq="0") -> dict:
    p = ctx.state.docs["prices"].get(_key(pl, art, fq))
    if p is None:
        raise E.not_found("price")
    return p


def _check_refs(ctx: Ctx, pl: str, art: str) -> None:
    if pl not in ctx.state.docs["pricelists"]:
        raise E.err((2000431, "Kan inte hitta prislistan."))  # [F4J] code, 400 on write (GUESS)
    if art not in ctx.state.docs["articles"]:
        raise E.err(E.ARTICLE_MISSING)


def _doc(ctx: Ctx, pl: str, art: str, fq: Decimal, data: dict, old: dict | None) -> dict:
    doc = old or {"ArticleNumber": art, "Date": None, "FromQuantity": num(fq), "Percent": 0, "Price": 0,
                  "PriceList": pl}
    for f in ("Price", "Percent"):
        if f in data and data[f] != "API_BLANK":
            doc[f] = num(round2(data[f]))
    doc["@url"] = ctx.state.url(f"prices/{pl}/{art}/{num(fq)}")
    doc["Date"] = now_stamp()[:10]
    doc["_modified"] = now_stamp()
    return doc


def create(ctx: Ctx):
    data = ctx.body("Price", "fortnox_Price_Wrap", partial=False)
    pl, art = data.get("PriceList") or "A", str(data.get("ArticleNumber") or "")
    if not art:
        raise E.err(E.REQUIRED, "ArticleNumber")
    with ctx.state.lock:
        _check_refs(ctx, pl, art)
        key = _key(pl, art, data.get("FromQuantity", 0))
        if key in ctx.state.docs["prices"]:
            raise E.err(E.DUPLICATE, f"{pl}/{art}/{num(key[2])}")  # GUESS
        doc = _doc(ctx, pl, art, key[2], data, None)
        ctx.state.docs["prices"][key] = doc
        return 201, {"Price": _render(doc)}


def _render(doc: dict) -> dict:
    out = public(doc)
    return {"@url": out.pop("@url"), **out}


def read(ctx: Ctx, pricelist: str, article: str, fromquantity: str = "0"):
    return 200, {"Price": _render(_get(ctx, pricelist, article, fromquantity))}


def update(ctx: Ctx, pricelist: str, article: str, fromquantity: str = "0"):
    data = ctx.body("Price", "fortnox_Price_Wrap", partial=True)
    with ctx.state.lock:
        doc = _get(ctx, pricelist, article, fromquantity)
        _doc(ctx, pricelist, article, _qty(fromquantity), data, doc)
        return 200, {"Price": _render(doc)}


def delete(ctx: Ctx, pricelist: str, article: str, fromquantity: str):
    with ctx.state.lock:
        _get(ctx, pricelist, article, fromquantity)
        del ctx.state.docs["prices"][_key(pricelist, article, fromquantity)]
    return 204, None


def list_(ctx: Ctx, pricelist: str | None = None, article: str | None = None):
    def item(p):
        return {"@url": p["@url"], "ArticleNumber": p["ArticleNumber"], "FromQuantity": p["FromQuantity"],
                "Price": p["Price"], "PriceList": p["PriceList"]}
    with ctx.state.lock:
        docs = [p for p in ctx.state.docs["prices"].values()
                if (pricelist is None or p["PriceList"] == pricelist) and (article is None or p["ArticleNumber"] == article)]
        docs = select(ctx.args, docs, searches={"articlenumber": lambda p: p["ArticleNumber"]},
                      exact={"pricelist": lambda p: p["PriceList"]}, filters={}, sorts={},
                      default_sort=lambda p: (p["PriceList"], natural(p["ArticleNumber"]), D(p["FromQuantity"])))
        return 200, paginate(ctx.args, docs, "Prices", item)
