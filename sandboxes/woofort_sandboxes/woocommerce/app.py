"""The WSGI application: wc/v3 GET routes, WordPress errors/auth/paging, and the /__sandbox control API."""
from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlencode

import numpy as np
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import listing
from .auth import AuthError
from .decimals import absint, format_order, format_refund
from .faults import BODIES
from .generator import S
from .store import FIRST_ORDER_ID, NotFound, json_copy

API = "/wp-json/wc/v3"
# a few of WooCommerce's get_woocommerce_currencies(): the options of woocommerce_currency
CURRENCY_NAMES = {"SEK": "Swedish krona", "EUR": "Euro", "NOK": "Norwegian krone", "DKK": "Danish krone",
                  "USD": "United States (US) dollar", "GBP": "Pound sterling"}

WC_ROUTES = Map([
    Rule("/orders", endpoint="orders_list"),
    Rule("/orders/<int:id>", endpoint="order"),
    Rule("/orders/<int:parent>/refunds", endpoint="order_refunds_list"),
    Rule("/orders/<int:parent>/refunds/<int:id>", endpoint="order_refund"),
    Rule("/refunds", endpoint="refunds_list"),
    Rule("/products", endpoint="products_list"),
    Rule("/products/<int:id>", endpoint="product"),
    Rule("/products/<int:parent>/variations", endpoint="variations_list"),
    Rule("/products/<int:parent>/variations/<int:id>", endpoint="variation"),
    Rule("/customers", endpoint="customers_list"),
    Rule("/customers/<int:id>", endpoint="customer"),
    Rule("/taxes", endpoint="taxes_list"),
    Rule("/taxes/<int:id>", endpoint="tax"),
    Rule("/taxes/classes", endpoint="tax_classes"),
    Rule("/settings/general", endpoint="settings_general"),
], strict_slashes=False)
CONTROL = Map([
    Rule("/__sandbox", endpoint="info", methods=["GET"]),
    Rule("/__sandbox/reset", endpoint="reset", methods=["POST"]),
    Rule("/__sandbox/orders/<int:id>/modify", endpoint="modify", methods=["POST"]),
    Rule("/__sandbox/<entity>/<int:id>/modify", endpoint="modify_record", methods=["POST"]),
    Rule("/__sandbox/orders/<int:id>/trash", endpoint="trash", methods=["POST"]),
    Rule("/__sandbox/orders/<int:id>/delete", endpoint="delete", methods=["POST"]),
    Rule("/__sandbox/orders/<int:id>", endpoint="delete", methods=["DELETE"]),
    Rule("/__sandbox/orders/<int:id>/refunds", endpoint="add_refund", methods=["POST"]),
    Rule("/__sandbox/orders/<int:id>/lines", endpoint="edit_lines", methods=["POST"]),
    Rule("/__sandbox/products/<int:id>/rename", endpoint="rename_product", methods=["POST"]),
    Rule("/__sandbox/records/<entity>", endpoint="inject", methods=["POST"]),
    Rule("/__sandbox/faults", endpoint="faults", methods=["GET", "POST", "PUT", "DELETE"]),
    Rule("/__sandbox/settings", endpoint="settings", methods=["GET", "POST", "PUT"]),
], strict_slashes=False)
INVALID_ID = {
    "order": ("woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
    "order_parent": ("woocommerce_rest_invalid_order_id", "Invalid order ID."),
    "order_refund": ("woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID."),
    "product": ("woocommerce_rest_product_invalid_id", "Invalid ID."),
    "variation": ("woocommerce_rest_product_variation_invalid_id", "Invalid ID."),
    "customer": ("woocommerce_rest_invalid_id", "Invalid resource ID."),
    "tax": ("woocommerce_rest_invalid_id", "Invalid resource ID."),
}


def wp_json(obj) -> str:
    # wp_json_encode() without flags: unicode and slashes escaped
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def wc_error(code, message, status, headers=None, extra=None) -> Response:
    data = {"status": status}
    data.update(extra or {})
    resp = Response(wp_json({"code": code, "message": message, "data": data}), status,
                    content_type="application/json; charset=UTF-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class _Dropped(ConnectionAbortedError):
    pass


class SandboxApp:
    def __init__(self, store, auth, faults, is_ssl: bool):
        self.store, self.auth, self.faults, self.is_ssl = store, auth, faults, is_ssl

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path.startswith("/__sandbox"):
            resp = self.control(request)
        elif path.rstrip("/") in ("/wp-json", ""):
            resp = self.wp_index(request) if path.rstrip("/") == "/wp-json" else wc_error(
                "rest_no_route", "No route was found matching the URL and request method", 404)
        elif path.startswith("/wp-json"):
            resp = self.api(request, environ)
        else:
            resp = Response("Not Found", 404, content_type="text/html")
        return resp(environ, start_response)

    # ------------------------------------------------------------------ wc/v3
    def api(self, request, environ):
        path = request.path
        page = self._page_of(request)
        ms = self.faults.delay_ms(path, page)
        if ms:
            time.sleep(ms / 1000)
        if self.faults.should_drop(path):
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            raise _Dropped("sandbox fault: connection dropped")
        status = self.faults.error_status(path)
        if status:
            ctype, body = BODIES.get(status, BODIES[503])
            resp = Response(wp_json(body) if isinstance(body, dict) else body, status, content_type=ctype)
            if status == 503:
                resp.headers["Retry-After"] = "30"
            return resp
        if not path.startswith(API + "/") and path.rstrip("/") != API:
            return wc_error("rest_no_route", "No route was found matching the URL and request method", 404)
        sub = path[len(API):] or "/"
        method = request.method
        if method == "OPTIONS":
            return Response(wp_json({"namespace": "wc/v3", "methods": ["GET"], "endpoints": []}),
                            content_type="application/json; charset=UTF-8")
        try:
            authed = self.auth.authenticate(request, self.is_ssl)
            if authed:
                self.auth.check_permission(method)
        except AuthError as e:
            return wc_error(e.code, e.message, e.status, e.headers)
        adapter = WC_ROUTES.bind("sandbox", "/")
        try:
            endpoint, values = adapter.match(sub, method="GET")
        except (RouteNotFound, MethodNotAllowed, HTTPException):
            endpoint, values = None, {}
        if method not in ("GET", "HEAD"):
            if endpoint is None and not any(sub.endswith(w) for w in ("/batch",)):
                return wc_error("rest_no_route", "No route was found matching the URL and request method", 404)
            code, msg = {"POST": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
                         "DELETE": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this "
                                                                      "resource.")}.get(
                method, ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."))
            return wc_error(code, msg, 401)
        if endpoint is None:
            return wc_error("rest_no_route", "No route was found matching the URL and request method", 404)
        if not authed:
            if endpoint.endswith("_list") or endpoint == "tax_classes":
                return wc_error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
            return wc_error("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.", 401)
        base = request.host_url.rstrip("/") + API
        try:
            result = getattr(self, "h_" + endpoint)(request, base, **values)
        except listing.InvalidParams as e:
            names = list(e.errors)
            return wc_error("rest_invalid_param", "Invalid parameter(s): " + ", ".join(names), 400, extra={
                "params": {k: v[1] for k, v in e.errors.items()},
                "details": {k: {"code": v[0], "message": v[1], "data": None} for k, v in e.errors.items()}})
        if isinstance(result, Response):
            return result
        body, headers = result if isinstance(result, tuple) else (result, None)
        body = self._fields(request, body)
        resp = Response(wp_json(body), 200, content_type="application/json; charset=UTF-8")
        resp.headers["X-Robots-Tag"] = "noindex"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Access-Control-Expose-Headers"] = "X-WP-Total, X-WP-TotalPages, Link"
        for k, v in (headers or []):
            resp.headers.add(k, v)
        if method == "HEAD":
            resp.set_data(b"")
        return resp

    @staticmethod
    def _page_of(request):
        try:
            if request.args.get("offset") is not None:
                pp = int(request.args.get("per_page", 10))
                return int(request.args["offset"]) // max(pp, 1) + 1
            return int(request.args.get("page", 1))
        except ValueError:
            return None

    @staticmethod
    def _fields(request, body):
        f = request.args.get("_fields")
        if not f:
            return body
        keep = {x.strip().split(".")[0] for x in f.split(",") if x.strip()}

        def one(rec):
            return {k: v for k, v in rec.items() if k in keep} if isinstance(rec, dict) else rec
        return [one(r) for r in body] if isinstance(body, list) else one(body)

    def _paged(self, request, q, total, items):
        info = listing.paginate_info(q, total)
        headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(info["pages"]))]
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        base = request.base_url
        page = q.page
        if page > 1:
            prev = min(page - 1, info["pages"]) if info["pages"] else 1
            headers.append(("Link", f'<{base}?{urlencode(params + [("page", prev)])}>; rel="prev"'))
        if info["pages"] > page:
            headers.append(("Link", f'<{base}?{urlencode(params + [("page", page + 1)])}>; rel="next"'))
        return items, headers

    # ------------------------------------------------------------- links
    @staticmethod
    def _links(rec, self_href, coll, up=None, customer=None):
        rec = dict(rec)
        links = {"self": [{"href": self_href}], "collection": [{"href": coll}]}
        if customer:
            links["customer"] = [{"href": customer}]
        if up:
            links["up"] = [{"href": up}]
        rec["_links"] = links
        return rec

    def _money_decimals(self, request, q=None) -> int:
        """The decimals of money in an order or refund answer: the request's `dp` (a listing's, validated by
        listing.parse; a single read's through absint, as WooCommerce does), else the store's price decimals."""
        if q is not None:
            return self.store.price_decimals if q.dp is None else q.dp
        dp = request.args.get("dp")
        return self.store.price_decimals if dp is None else absint(dp)

    def _order_out(self, base, order, dp):
        order = format_order(dict(order), dp)
        if "payment_url" in order and order["payment_url"].startswith("/"):
            order["payment_url"] = base.split("/wp-json")[0] + order["payment_url"]
        cid = order.get("customer_id")
        return self._links(order, f"{base}/orders/{order['id']}", f"{base}/orders",
                           customer=f"{base}/customers/{cid}" if cid else None)

    def _refund_out(self, base, ref, dp, top_level=False):
        ref = format_refund(dict(ref), dp)
        parent = ref.pop("_parent_id", None)
        if top_level and parent is not None:
            ref = {"id": ref["id"], "parent_id": parent, **{k: v for k, v in ref.items() if k != "id"}}
        return self._links(ref, f"{base}/orders/{parent}/refunds/{ref['id']}", f"{base}/orders/{parent}/refunds",
                           up=f"{base}/orders/{parent}")

    # -------------------------------------------------------------- orders
    def h_order(self, request, base, id):
        st = self.store
        if id in st.injected["orders"]:
            return st.get_order(id)
        order = st.get_order(id)
        if order is None:
            return wc_error(*INVALID_ID["order"], 404)
        return self._order_out(base, order, self._money_decimals(request))

    def h_orders_list(self, request, base):
        st = self.store
        q = listing.parse("orders", request.args)
        statuses = listing.status_codes(q, st.any_includes_checkout_draft)
        codes = np.array([S[s] for s in statuses if s in S], dtype=np.int16)
        with st.lock:
            mask = ~st.deleted & np.isin(st.status, codes)
            if q.customer is not None:
                mask &= st.customer == q.customer
            if q.parent is not None and 0 not in q.parent:
                mask &= False
            if 0 in q.parent_exclude:
                mask &= False
            inj_ids = [k for k in st.injected["orders"] if isinstance(k, int)]
            if inj_ids:
                pos = np.asarray(inj_ids, dtype=np.int64) - FIRST_ORDER_ID
                pos = pos[(pos >= 0) & (pos < st.n)]
                mask[pos] = False
            extras = [r for r in (listing.record_row(rec) for rec in st.injected["orders"].values())
                      if listing.row_matches(q, r, statuses)]
            mod_snapshot = st.mod.copy() if q.orderby == "modified" or q.modified_after or q.modified_before \
                else st.mod
        cols = {"created": lambda gmt: st.created if gmt else st.created_local,
                "mod": lambda gmt: mod_snapshot if gmt else st.clock.to_local(mod_snapshot)}
        total, sel = listing.select(q, mask, st.ids, cols, extras, natural_sorted=True)
        out = []
        for kind, v in sel:
            if kind == "g":
                out.append(self._order_out(base, st.get_order(int(st.ids[v])), self._money_decimals(request, q)))
            else:
                out.append(json_copy(v["rec"]))
        page = q.offset // q.per_page + 1 if q.offset is not None else q.page
        ids, when = self.faults.crawl_targets("orders", page, [o.get("id") for o in out if isinstance(o, dict)])
        for oid in ids:
            try:
                st.modify_order(oid, when)
            except (NotFound, ValueError):
                pass
        return self._paged(request, q, total, out)

    # ------------------------------------------------------------- refunds
    def _refund_listing(self, request, base, parent=None, top_level=False):
        st = self.store
        q = listing.parse("refunds", request.args)
        if parent is not None:
            q.parent = [parent]
        with st.lock:
            r_parent = st.ids[st.r_order] if len(st.r_order) else np.zeros(0, np.int64)
            mask = ~st.deleted[st.r_order] if len(st.r_order) else np.zeros(0, bool)
            if q.parent is not None:
                mask = mask & np.isin(r_parent, np.asarray(q.parent, dtype=np.int64))
            if q.parent_exclude:
                mask = mask & ~np.isin(r_parent, np.asarray(q.parent_exclude, dtype=np.int64))
            inj_orders = [k for k in st.injected["orders"] if isinstance(k, int)]
            if inj_orders:
                mask = mask & ~np.isin(r_parent, np.asarray(inj_orders, dtype=np.int64))
            rows = []
            for oid, plans in st.extra_refunds.items():
                if st._idx(oid) is None or oid in st.injected["orders"]:
                    continue
                for rid, ts, *_ in plans:
                    rows.append({"id": rid, "created_g": ts, "created_l": int(st.clock.to_local(np.array([ts]))[0]),
                                 "parent": oid, "rec": None})
            for rec in st.injected["refunds"].values():
                rows.append(listing.record_row(rec, st.inj_parent["refunds"].get(id(rec))))
            for r in rows:
                r["mod_g"], r["mod_l"] = r["created_g"], r["created_l"]  # refunds have no date_modified (GUESS)
            extras = [r for r in rows if listing.row_matches(q, r, None)]
        cols = {"created": lambda gmt: st.r_ts if gmt else st.r_ts_local,
                "mod": lambda gmt: st.r_ts if gmt else st.r_ts_local}
        total, sel = listing.select(q, mask, st.r_ids, cols, extras, natural_sorted=True)
        out = []
        for kind, v in sel:
            if kind == "g" or v["rec"] is None:
                rid = int(st.r_ids[v]) if kind == "g" else v["id"]
                out.append(self._refund_out(base, st.get_refund(rid), self._money_decimals(request, q), top_level))
            else:
                out.append(json_copy(v["rec"]))
        return self._paged(request, q, total, out)

    def h_refunds_list(self, request, base):
        return self._refund_listing(request, base, top_level=True)

    def h_order_refunds_list(self, request, base, parent):
        st = self.store
        if st.get_order(parent) is None:
            return wc_error(*INVALID_ID["order_parent"], 404)
        if parent in st.injected["orders"]:
            refs = st.order_refunds(parent)
            q = listing.parse("refunds", request.args)
            total, page = listing.python_page(q, [dict(listing.record_row(r), rec=r) for r in refs],
                                              lambda r: r["created_g"])
            return self._paged(request, q, total, [json_copy(r["rec"]) for r in page])
        return self._refund_listing(request, base, parent=parent)

    def h_order_refund(self, request, base, parent, id):
        st = self.store
        if st.get_order(parent) is None:
            return wc_error(*INVALID_ID["order_parent"], 404)
        ref = st.get_refund(id, parent)
        if ref is None:
            return wc_error(*INVALID_ID["order_refund"], 404)
        if id in st.injected["refunds"]:
            return ref
        return self._refund_out(base, ref, self._money_decimals(request))

    # ------------------------------------------------------------ catalogue
    def _small_list(self, request, entity, generated: list, injected: list, keyfn, filt=None):
        q = listing.parse(entity, request.args)
        rows = []
        for rec, out, parent in generated + injected:
            r = listing.record_row(rec, parent)
            r["out"] = out
            if listing.row_matches(q, r, None) and (filt is None or filt(q, rec)):
                rows.append(r)
        total, page = listing.python_page(q, rows, keyfn(q))
        return self._paged(request, q, total, [r["out"] for r in page])

    def h_products_list(self, request, base):
        st = self.store
        gen = [(p, self._links(p, f"{base}/products/{p['id']}", f"{base}/products"), 0)
               for pid, p in st.catalog.products.items() if pid not in st.injected["products"]]
        inj = [(p, json_copy(p), p.get("parent_id", 0) if isinstance(p, dict) else None)
               for p in st.injected["products"].values()]
        return self._small_list(request, "products", gen, inj, _product_key, _product_filter)

    def h_product(self, request, base, id):
        st = self.store
        p = st.product(id)
        if p is None:
            return wc_error(*INVALID_ID["product"], 404)
        if id in st.injected["products"]:
            return p
        return self._links(p, f"{base}/products/{id}", f"{base}/products")

    def _has_product(self, pid):
        st = self.store
        return st.product(pid) is not None or any(
            st.inj_parent["variations"].get(id(v)) == pid for v in st.injected["variations"].values())

    def h_variations_list(self, request, base, parent):
        st = self.store
        if not self._has_product(parent):
            return wc_error(*INVALID_ID["product"], 404)
        gen = [(v, self._links(v, f"{base}/products/{parent}/variations/{vid}", f"{base}/products/{parent}/"
                               f"variations", up=f"{base}/products/{parent}"), parent)
               for vid, v in st.catalog.variations.items()
               if st.catalog.var_parent[vid] == parent and vid not in st.injected["variations"]]
        inj = [(v, json_copy(v), parent) for v in st.injected["variations"].values()
               if st.inj_parent["variations"].get(id(v)) in (None, parent)]
        return self._small_list(request, "variations", gen, inj, _product_key, _product_filter)

    def h_variation(self, request, base, parent, id):
        st = self.store
        if not self._has_product(parent):
            return wc_error(*INVALID_ID["product"], 404)
        v = st.variation(parent, id)
        if v is None:
            return wc_error(*INVALID_ID["variation"], 404)
        if id in st.injected["variations"]:
            return v
        return self._links(v, f"{base}/products/{parent}/variations/{id}", f"{base}/products/{parent}/variations",
                           up=f"{base}/products/{parent}")

    def h_customers_list(self, request, base):
        st = self.store
        gen = [(c, self._links(c, f"{base}/customers/{cid}", f"{base}/customers"), None)
               for cid, c in st.catalog.customers.items() if cid not in st.injected["customers"]]
        inj = [(c, json_copy(c), None) for c in st.injected["customers"].values()]
        return self._small_list(request, "customers", gen, inj, _customer_key, _customer_filter)

    def h_customer(self, request, base, id):
        st = self.store
        if id in st.injected["customers"]:
            return json_copy(st.injected["customers"][id])
        c = st.catalog.customers.get(id)
        if c is None:
            return wc_error(*INVALID_ID["customer"], 404)
        return self._links(c, f"{base}/customers/{id}", f"{base}/customers")

    def h_taxes_list(self, request, base):
        st = self.store
        gen = [(t, self._links(t, f"{base}/taxes/{t['id']}", f"{base}/taxes"), None)
               for t in st.catalog.tax_rates if t["id"] not in st.injected["taxes"]]
        inj = [(t, json_copy(t), None) for t in st.injected["taxes"].values()]
        return self._small_list(request, "taxes", gen, inj, _tax_key, _tax_filter)

    def h_tax(self, request, base, id):
        st = self.store
        if id in st.injected["taxes"]:
            return json_copy(st.injected["taxes"][id])
        for t in st.catalog.tax_rates:
            if t["id"] == id:
                return self._links(t, f"{base}/taxes/{id}", f"{base}/taxes")
        return wc_error(*INVALID_ID["tax"], 404)

    def h_tax_classes(self, request, base):
        st = self.store
        out = [self._links_coll(c, f"{base}/taxes/classes") for c in st.catalog.tax_classes
               if c["slug"] not in st.injected["tax_classes"]]
        out += [json_copy(c) for c in st.injected["tax_classes"].values()]
        return out

    def h_settings_general(self, request, base):
        """GET settings/general: WooCommerce's general settings group, as WC_REST_Setting_Options_Controller lists
        them ({id, label, description, type, default, options, tip, value, group_id}; the store's currency and
        decimals are what woofort reads). The other options of the group are left out."""
        st = self.store
        href = f"{base}/settings/general"
        return [
            {"id": "woocommerce_currency", "label": "Currency",
             "description": "This controls what currency prices are listed at in the catalog and which currency "
                            "gateways will take payments in.", "type": "select", "default": "USD",
             "options": {c: n for c, n in CURRENCY_NAMES.items()}, "tip": "", "value": st.currency,
             "group_id": "general", "_links": {"self": [{"href": f"{href}/woocommerce_currency"}],
                                               "collection": [{"href": href}]}},
            {"id": "woocommerce_price_num_decimals", "label": "Number of decimals",
             "description": "This sets the number of decimal points shown in displayed prices.", "type": "number",
             "default": "2", "tip": "", "value": str(st.price_decimals), "group_id": "general",
             "_links": {"self": [{"href": f"{href}/woocommerce_price_num_decimals"}],
                        "collection": [{"href": href}]}},
        ]

    @staticmethod
    def _links_coll(rec, coll):
        return dict(rec, _links={"collection": [{"href": coll}]})

    # ------------------------------------------------------------- wp root
    def wp_index(self, request):
        home = request.host_url.rstrip("/")
        st = self.store
        body = {
            "name": "Woofort Sandbox Shop", "description": "WooCommerce wc/v3 sandbox", "url": home, "home": home,
            "gmt_offset": st.clock.gmt_offset_hours(int(time.time())), "timezone_string": st.clock.name,
            "page_for_posts": 0, "page_on_front": 0, "show_on_front": "posts",
            "namespaces": ["oembed/1.0", "wc/store", "wc/store/v1", "wc/v1", "wc/v2", "wc/v3", "wc-analytics",
                           "wc-admin", "wp/v2", "wp-site-health/v1"],
            "authentication": {"application-passwords": {"endpoints": {
                "authorization": f"{home}/wp-admin/authorize-application.php"}}},
            "routes": {f"/wc/v3/{r}": {"namespace": "wc/v3", "methods": ["GET"],
                                       "_links": {"self": [{"href": f"{home}/wp-json/wc/v3/{r}"}]}}
                       for r in ("orders", "refunds", "products", "customers", "taxes", "taxes/classes")},
            "site_logo": 0, "site_icon": 0, "site_icon_url": "",
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }
        return Response(wp_json(body), content_type="application/json; charset=UTF-8")

    # ------------------------------------------------------------- control
    def control(self, request):
        adapter = CONTROL.bind("sandbox", "/")
        try:
            endpoint, values = adapter.match(request.path.rstrip("/") or "/", method=request.method)
        except HTTPException as e:
            return _cjson({"error": e.name}, e.code or 404)
        try:
            body = request.get_json(silent=True) if request.data else None
            return _cjson(getattr(self, "c_" + endpoint)(request, body, **values))
        except NotFound as e:
            return _cjson({"error": f"no such record {e.args[0]}"}, 404)
        except (ValueError, TypeError, KeyError) as e:
            return _cjson({"error": str(e)}, 400)

    def c_info(self, request, body):
        return self.store.info()

    def c_reset(self, request, body):
        self.store.reset()
        self.faults.reset()
        return self.store.info()

    def c_modify(self, request, body, id):
        body = body or {}
        return self.store.modify_order(id, body.get("date_modified_gmt"), body.get("status"), body.get("fields"))

    def c_modify_record(self, request, body, entity, id):
        body = body or {}
        return self.store.modify_record(entity, id, body.get("date_modified_gmt"), body.get("fields"))

    def c_trash(self, request, body, id):
        return self.store.trash_order(id, (body or {}).get("date_modified_gmt"))

    def c_delete(self, request, body, id):
        self.store.delete_order(id)
        return {"deleted": id}

    def c_add_refund(self, request, body, id):
        body = body or {}
        return self.store.add_refund(id, body.get("amount"), body.get("reason"), body.get("date_created_gmt"),
                                     body.get("kind", "amount"), body.get("bump_modified", True),
                                     body.get("refunded_payment"), body.get("mark_refunded", False))

    def c_edit_lines(self, request, body, id):
        body = body or {}
        return self.store.edit_order_lines(id, body.get("set"), body.get("add"), body.get("date_modified_gmt"))

    def c_rename_product(self, request, body, id):
        body = body or {}
        return self.store.rename_product(id, body.get("sku"), body.get("name"), body.get("description"),
                                         body.get("date_modified_gmt"))

    def c_inject(self, request, body, entity):
        if body is None:
            raise ValueError("body must be a JSON object or list")
        keys = self.store.inject(entity, body, request.args.get("parent_id"))
        return {"injected": keys}

    def c_settings(self, request, body):
        """The store's settings: {"price_decimals": n} sets its number of decimals (decimals.py), {"currency":
        "EUR"} its base currency (settings/general woocommerce_currency)."""
        if request.method in ("POST", "PUT"):
            unknown = set(body or {}) - {"price_decimals", "currency"}
            if unknown:
                raise ValueError(f"unknown store setting(s): {', '.join(sorted(unknown))}")
            if "price_decimals" in (body or {}):
                self.store.set_price_decimals(body["price_decimals"])
            if "currency" in (body or {}):
                if body["currency"] not in CURRENCY_NAMES:
                    raise ValueError(f"currency must be one of {', '.join(CURRENCY_NAMES)}")
                self.store.currency = body["currency"]
        return {"price_decimals": self.store.price_decimals, "currency": self.store.currency}

    def c_faults(self, request, body):
        if request.method == "DELETE":
            self.faults.reset()
        elif request.method in ("POST", "PUT"):
            self.faults.set(**(body or {}))
        return self.faults.state()


def _cjson(obj, status=200):
    return Response(json.dumps(obj, ensure_ascii=False, default=str), status, content_type="application/json")


# ------------------------------------------------------------------ small-entity sort keys & filters
def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _product_key(q):
    def key(r):
        rec = r["rec"] if isinstance(r["rec"], dict) else {}
        ob = q.orderby
        if ob in ("date",):
            return r["created_g"]
        if ob == "modified":
            return r["mod_g"]
        if ob == "id":
            return r["id"]
        if ob == "include":
            return q.include.index(r["id"]) if r["id"] in q.include else None
        if ob == "title":
            return str(rec.get("name", ""))
        if ob == "slug":
            return str(rec.get("slug", ""))
        if ob == "price":
            return _num(rec.get("price"))
        if ob == "popularity":
            return _num(rec.get("total_sales"))
        if ob == "rating":
            return _num(rec.get("average_rating"))
        return r["id"]
    return key


def _product_filter(q, rec):
    if not isinstance(rec, dict):
        return q.sku is None and (q.status or ["any"]) == ["any"] and q.type is None
    st = (q.status or ["any"])[0]
    if st == "any" and rec.get("status") in ("trash", "auto-draft"):
        return False
    if st != "any" and rec.get("status") != st:
        return False
    if q.sku is not None and rec.get("sku") not in q.sku:
        return False
    if q.type is not None and rec.get("type") != q.type:
        return False
    if q.parent is not None and rec.get("parent_id") not in q.parent:
        return False
    return True


def _customer_key(q):
    def key(r):
        rec = r["rec"] if isinstance(r["rec"], dict) else {}
        if q.orderby == "name":
            return f"{rec.get('first_name', '')} {rec.get('last_name', '')}".strip().lower()
        if q.orderby == "registered_date":
            return r["created_g"]
        if q.orderby == "include":
            return q.include.index(r["id"]) if r["id"] in q.include else None
        return r["id"]
    return key


def _customer_filter(q, rec):
    if not isinstance(rec, dict):
        return q.email is None and q.role in ("all", "customer")
    if q.email is not None and rec.get("email") != q.email:
        return False
    if q.role != "all" and rec.get("role") != q.role:
        return False
    return True


def _tax_key(q):
    def key(r):
        rec = r["rec"] if isinstance(r["rec"], dict) else {}
        if q.orderby == "order":
            return rec.get("order") if isinstance(rec.get("order"), int) else None
        if q.orderby == "priority":
            return rec.get("priority") if isinstance(rec.get("priority"), int) else None
        return r["id"]
    return key


def _tax_filter(q, rec):
    if q.tax_class is None:
        return True
    return isinstance(rec, dict) and rec.get("class") == q.tax_class
