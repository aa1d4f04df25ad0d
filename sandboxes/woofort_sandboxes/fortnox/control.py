"""Control API under /__sandbox/ (JSON, no auth, loopback only).

GET  /__sandbox/state                 all documents per type (+ settings, companyinformation)
POST /__sandbox/reset                 wipe documents/tokens/faults/counters, re-seed reference data
POST /__sandbox/seed                  {"accounts":[..], "modesofpayments":[..], "termsofpayments":[..], "financialyears":[..],
                                       "voucherseries":[{"Code":"W"}], "predefinedaccounts":[..], "currencies":[..],
                                       "companyinformation":{..},
                                       "settings":{"warehouse":true, "round_off":false, "licensed_scopes":[..],
                                                   "credit_settlement":"clears"|"open",
                                                   "vat_rounding":"per_rate_sum"|"per_row",
                                                   "half_rounding":"up"|"even", "locked_period_end":"2025-12-31"},
                                       "articles":[{Article fields}], "customers":[..], "prices":[..]}
GET  /__sandbox/faults                fault rules with fired counts
POST /__sandbox/faults                {"kind":"commit_then_drop","pattern":"/3/invoices","methods":["POST"],"count":1}
                                      or {"clear":true} / {"seed":42}
DELETE /__sandbox/faults              clear all rules
POST /__sandbox/tokens/refresh        {"client_id":..,"scopes":[..]} -> {"refresh_token":..}
POST /__sandbox/tokens/code           {"client_id":..,"scopes":[..],"redirect_uri":..,"service":bool} -> {"code":..}
POST /__sandbox/tokens/access         {"client_id":..,"scopes":[..]} -> {"access_token":..}
POST /__sandbox/time                  {"advance_seconds": 3601}
GET  /__sandbox/counters              requests per endpoint, statuses, 429_sent, faults fired
"""
from __future__ import annotations

import json

from werkzeug.wrappers import Response

from .resources.common import Ctx


def _resp(status: int, body) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status, content_type="application/json")


def seed(sb, data: dict) -> None:
    """Seed reference data and (optionally) documents through the normal create path."""
    from .resources import articles, customers, prices
    sb.state.seed_reference({k: v for k, v in data.items()
                             if k in ("accounts", "modesofpayments", "termsofpayments", "financialyears",
                                      "voucherseries", "predefinedaccounts", "currencies", "companyinformation",
                                      "settings")})
    for kind, module, key in (("customers", customers, "Customer"), ("articles", articles, "Article"),
                              ("prices", prices, "Price")):
        for doc in data.get(kind, []):
            ctx = Ctx(sb.state, "POST", {}, json.dumps({key: doc}).encode(), sb.tenant_id)
            module.create(ctx)


def _dump_key(k):
    return "/".join(str(x) for x in k) if isinstance(k, tuple) else str(k)


def handle(sb, request, path: str) -> Response:
    sub = path[len("/__sandbox"):].strip("/")
    body = {}
    if request.method in ("POST", "PUT") and request.get_data():
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _resp(400, {"error": "invalid json"})
    try:
        if sub == "state" and request.method == "GET":
            return _resp(200, sb.state.dump())
        if sub == "reset" and request.method == "POST":
            sb.reset()
            return _resp(200, {"reset": True})
        if sub == "seed" and request.method == "POST":
            seed(sb, body)
            return _resp(200, {"seeded": True})
        if sub == "faults":
            if request.method == "GET":
                return _resp(200, {"faults": sb.faults.snapshot()})
            if request.method == "DELETE":
                sb.faults.clear()
                return _resp(200, {"faults": []})
            if body.get("clear") or "seed" in body:
                sb.faults.configure(seed=body.get("seed"), clear=bool(body.get("clear")))
                if "kind" not in body:
                    return _resp(200, {"faults": sb.faults.snapshot()})
            rules = body.get("faults") or [body]
            added = [sb.faults.add(**{k: v for k, v in r.items() if k not in ("clear", "seed")}) for r in rules]
            return _resp(201, {"added": added})
        if sub == "tokens/refresh":
            return _resp(201, {"refresh_token": sb.issue_refresh_token(body.get("client_id", "sandbox-client"),
                                                                       body.get("scopes"))})
        if sub == "tokens/access":
            return _resp(201, {"access_token": sb.issue_access_token(body.get("client_id", "sandbox-client"),
                                                                     body.get("scopes"))})
        if sub == "tokens/code":
            return _resp(201, {"code": sb.issue_authorization_code(body.get("client_id", "sandbox-client"),
                                                                   body.get("scopes"), body.get("redirect_uri"),
                                                                   bool(body.get("service")))})
        if sub == "time" and request.method == "POST":
            sb.advance_time(float(body.get("advance_seconds", 0)))
            return _resp(200, {"offset": sb.clock.offset})
        if sub == "counters":
            return _resp(200, sb.counters_snapshot())
    except (TypeError, ValueError, KeyError) as exc:
        return _resp(400, {"error": str(exc)})
    except Exception as exc:  # ApiError from seeding documents
        return _resp(400, {"error": str(exc)})
    return _resp(404, {"error": f"unknown control endpoint {sub!r}"})
