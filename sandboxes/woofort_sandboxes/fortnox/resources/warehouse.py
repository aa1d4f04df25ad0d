"""/api/warehouse/... (scope `warehouse`). Source: reference §5.7 ([SPEC] warehouse_* schemas).

Errors use the warehouse schema `{"error", "id", "message"}` ([SPEC] warehouse_WebException), not ErrorInformation.
Implemented: tenants-v4, status-v1/stockbalance, stocktaking-v1 (create, get, rows, release). With the module off
every call except tenants-v4 answers 400 error "warehouse_not_activated" (GUESS).
"""
from __future__ import annotations

import json
import uuid

from ..arithmetic import D, round2

from .. import errors as E
from .common import Ctx, now_stamp, num, today


def _werr(status: int, error: str, message: str) -> E.RawError:
    return E.RawError(status, {"error": error, "id": str(uuid.uuid4()), "message": message})


def _require_active(ctx: Ctx) -> None:
    if not ctx.state.warehouse:
        raise _werr(400, "warehouse_not_activated", "Lagermodulen är inte aktiverad.")  # GUESS


def _json(ctx: Ctx):
    try:
        return json.loads(ctx.raw_body or b"null")
    except ValueError:
        raise _werr(400, "invalid_json", "Invalid JSON") from None


def tenants(ctx: Ctx):
    return 200, {"activated": ctx.state.warehouse, "tenantId": int(ctx.tenant) if ctx.tenant.isdigit() else 0}


def stockbalance(ctx: Ctx):
    _require_active(ctx)
    ids = [i for i in (ctx.args.get("itemIds") or "").split(",") if i]
    arts = ctx.state.docs["articles"]
    out = []
    for number in ids or sorted(arts):
        a = arts.get(number)
        if a is None or not a.get("StockGoods"):
            continue
        out.append({"itemId": number, "stockPointCode": "LAGER", "availableStock": a["DisposableQuantity"],
                    "inStock": a["QuantityInStock"]})
    return 200, out


def stocktaking_create(ctx: Ctx):
    _require_active(ctx)
    body = _json(ctx)
    if not isinstance(body, dict) or not body.get("name") or not body.get("responsible"):
        raise _werr(400, "invalid_request", "name and responsible are required")
    with ctx.state.lock:
        sid = str(len(ctx.state.docs["stocktakings"]) + 1)
        doc = {"id": int(sid), "name": body["name"], "responsible": body["responsible"], "state": "planning",
               "createdDate": today(), "rows": []}
        ctx.state.docs["stocktakings"][sid] = doc
        return 201, doc


def _get(ctx: Ctx, sid: str) -> dict:
    doc = ctx.state.docs["stocktakings"].get(sid)
    if doc is None:
        raise _werr(404, "not_found", "Stocktaking not found")
    return doc


def stocktaking_read(ctx: Ctx, sid: str):
    _require_active(ctx)
    return 200, _get(ctx, sid)


def stocktaking_rows(ctx: Ctx, sid: str):
    _require_active(ctx)
    body = _json(ctx)
    rows = body if isinstance(body, list) else [body]
    with ctx.state.lock:
        doc = _get(ctx, sid)
        if doc["state"] != "planning":
            raise _werr(400, "document_is_completed", "Stocktaking is not editable")
        for r in rows:
            if not isinstance(r, dict) or str(r.get("itemId", "")) not in ctx.state.docs["articles"]:
                raise _werr(400, "item_not_found", f"Item not found: {r.get('itemId') if isinstance(r, dict) else r}")
            doc["rows"].append({"id": len(doc["rows"]) + 1, "itemId": str(r["itemId"]),
                                "stockTakenQuantity": r.get("stockTakenQuantity"),
                                "stockPointCode": r.get("stockPointCode", "LAGER")})
        return 201, doc


def stocktaking_release(ctx: Ctx, sid: str):
    _require_active(ctx)
    with ctx.state.lock:
        doc = _get(ctx, sid)
        if doc["state"] != "planning":
            raise _werr(400, "document_is_completed", "Stocktaking already released")
        for r in doc["rows"]:
            if r["stockTakenQuantity"] is None:
                continue
            a = ctx.state.docs["articles"][r["itemId"]]
            a["QuantityInStock"] = num(round2(r["stockTakenQuantity"]))
            a["DisposableQuantity"] = num(D(a["QuantityInStock"]) - D(a["ReservedQuantity"]))
            a["_modified"] = now_stamp()
        doc["state"] = "completed"
        return 204, None
