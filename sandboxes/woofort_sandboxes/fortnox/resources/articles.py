"""/3/articles (scope `article`). Sources: reference §5.1, [VCR] articles/*.yml."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..arithmetic import D, round2

from .. import errors as E
from ..listing import natural, paginate, select
from .common import Ctx, apply_blank, now_stamp, num, numstr, public

QTY_MIN = Decimal("-100000000000000")  # [VCR] articles/limits/quantity_in_stock_min_value
QTY_MAX = Decimal("100000000000000")   # GUESS: symmetric
# VAT inferred from the sales account: [VCR] SalesAccount 3001 -> VAT 25; 3004/1250 -> VAT 0 (INFERRED).
VAT_BY_ACCOUNT = {3001: 25, 3002: 12, 3003: 6}


def sig14(v: Decimal) -> Decimal:
    """14 significant digits, half-up: [VCR] limits/quantity_in_stock_min_value stores -99999999999999.9 as
    -1e14 (INFERRED: PHP's default float precision of 14 digits)."""
    with localcontext() as c:
        c.prec = 14
        c.rounding = ROUND_HALF_UP
        return +v


def _blank_article(number: str, url: str) -> dict:
    # Field order and defaults as in [VCR] articles/save_new.yml + limits/* (2024: CommodityCode).
    return {"@url": url, "ArticleNumber": number, "Bulky": False, "ConstructionAccount": 0, "Depth": 0,
            "Description": "", "DisposableQuantity": 0, "EAN": "", "EUAccount": 3108, "EUVATAccount": 3106,
            "ExportAccount": 3105, "Height": 0, "Housework": False, "HouseworkType": None, "Active": True,
            "Manufacturer": None, "ManufacturerArticleNumber": "", "Note": "", "PurchaseAccount": 4000,
            "PurchasePrice": 0, "QuantityInStock": 0, "ReservedQuantity": 0, "SalesAccount": 3001,
            "StockGoods": False, "StockPlace": None, "StockValue": 0, "StockWarning": 0, "SupplierName": None,
            "SupplierNumber": None, "Type": "STOCK", "Unit": None, "VAT": 25, "WebshopArticle": False,
            "Weight": 0, "Width": 0, "Expired": False, "SalesPrice": None, "CostCalculationMethod": None,
            "StockAccount": None, "StockChangeAccount": None, "DirectCost": None, "FreightCost": None,
            "OtherCost": None, "DefaultStockPoint": None, "DefaultStockLocation": None, "CommodityCode": ""}


def sales_price(ctx: Ctx, number: str):
    p = ctx.state.docs["prices"].get(("A", number, Decimal("0")))
    return p["Price"] if p else None


def render(ctx: Ctx, doc: dict) -> dict:
    out = public(doc)
    out["SalesPrice"] = sales_price(ctx, doc["ArticleNumber"])
    return out


def render_item(ctx: Ctx, doc: dict) -> dict:
    # List item: numbers as strings exactly as [VCR] articles/all.yml.
    return {"@url": doc["@url"], "ArticleNumber": doc["ArticleNumber"], "Description": doc["Description"],
            "DisposableQuantity": numstr(doc["DisposableQuantity"]), "EAN": doc["EAN"],
            "Housework": doc["Housework"], "PurchasePrice": numstr(doc["PurchasePrice"]),
            "SalesPrice": sales_price(ctx, doc["ArticleNumber"]), "QuantityInStock": numstr(doc["QuantityInStock"]),
            "ReservedQuantity": numstr(doc["ReservedQuantity"]), "StockPlace": doc["StockPlace"],
            "StockValue": numstr(doc["StockValue"]), "Unit": doc["Unit"], "VAT": doc["VAT"],
            "WebshopArticle": doc["WebshopArticle"]}


def get(ctx: Ctx, number: str) -> dict:
    doc = ctx.state.docs["articles"].get(number)
    if doc is None:
        raise E.not_found("article")
    return doc


def _apply(ctx: Ctx, doc: dict, data: dict, creating: bool) -> None:
    if ("QuantityInStock" in data and ctx.state.warehouse
            and str(data["QuantityInStock"]) != "API_BLANK"
            and round2(data["QuantityInStock"]) != round2(doc.get("QuantityInStock") or 0)):
        # GUESS (reference §5.7): with Lager the stock is only changed through deliveries -> refuse loudly.
        raise E.err(E.WAREHOUSE_STOCK)
    sent_vat = "VAT" in data
    apply_blank(doc, data)
    if "SalesAccount" in data and not sent_vat:
        doc["VAT"] = VAT_BY_ACCOUNT.get(int(doc["SalesAccount"] or 0), 0)
    for f in ("QuantityInStock", "PurchasePrice", "StockWarning"):
        if doc.get(f) is not None:
            v = round2(doc[f])
            if f == "QuantityInStock":
                v = max(QTY_MIN, min(QTY_MAX, sig14(v)))
            doc[f] = num(v)
    doc["DisposableQuantity"] = num(D(doc["QuantityInStock"]) - D(doc["ReservedQuantity"]))
    doc["StockValue"] = num(round2(D(doc["QuantityInStock"]) * D(doc["PurchasePrice"])) if doc["StockGoods"] else 0)
    doc["_modified"] = now_stamp()


def create(ctx: Ctx):
    data = ctx.body("Article", "fortnox_Article_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        given = data.pop("ArticleNumber", None)
        number = given or st.next_number("articles")
        while not given and number in st.docs["articles"]:
            number = st.next_number("articles")
        if number in st.docs["articles"]:
            raise E.err(E.DUPLICATE, number)
        st.bump_number("articles", number)
        doc = _blank_article(number, st.url(f"articles/{number}"))
        _apply(ctx, doc, data, creating=True)
        st.docs["articles"][number] = doc
        return 201, {"Article": render(ctx, doc)}


def read(ctx: Ctx, number: str):
    return 200, {"Article": render(ctx, get(ctx, number))}


def update(ctx: Ctx, number: str):
    data = ctx.body("Article", "fortnox_Article_Wrap", partial=True)
    with ctx.state.lock:
        doc = get(ctx, number)
        data.pop("ArticleNumber", None)  # "PUT can't change ArticleNumber" (reference §5.1): ignored
        _apply(ctx, doc, data, creating=False)
        return 200, {"Article": render(ctx, doc)}


def delete(ctx: Ctx, number: str):
    with ctx.state.lock:
        get(ctx, number)
        del ctx.state.docs["articles"][number]
        for key in [k for k in ctx.state.docs["prices"] if k[1] == number]:
            del ctx.state.docs["prices"][key]
    return 204, None


def list_(ctx: Ctx):
    with ctx.state.lock:
        docs = select(
            ctx.args, ctx.state.docs["articles"].values(),
            searches={"articlenumber": lambda d: d["ArticleNumber"], "description": lambda d: d["Description"],
                      "ean": lambda d: d["EAN"], "suppliernumber": lambda d: d["SupplierNumber"],
                      "manufacturer": lambda d: d["Manufacturer"],
                      "manufacturerarticlenumber": lambda d: d["ManufacturerArticleNumber"]},
            exact={"webshop": lambda d: str(d["WebshopArticle"]).lower()},
            filters={"active": lambda d: d["Active"], "inactive": lambda d: not d["Active"]},
            sorts={"articlenumber": lambda d: natural(d["ArticleNumber"]),
                   "quantityinstock": lambda d: D(d["QuantityInStock"]),
                   "reservedquantity": lambda d: D(d["ReservedQuantity"]),
                   "stockvalue": lambda d: D(d["StockValue"])},
            default_sort=lambda d: natural(d["ArticleNumber"]))
        return 200, paginate(ctx.args, docs, "Articles", lambda d: render_item(ctx, d))
