"""Builds one order (and its refunds) on demand from (seed, order id, index row), Decimal arithmetic.

The arithmetic rules are documented in docs/woocommerce-sandbox.md ("Generator arithmetic").
"""
from __future__ import annotations

import hashlib
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .catalog import BASE_COUNTRY, CUSTOMER_TYPES, D, find_rate, make_party, _rnd

CENT = D("0.01")
ZERO = D("0.00")
STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash",
            "checkout-draft"]
S = {s: i for i, s in enumerate(STATUSES)}
PAID = {"processing", "completed", "refunded", "trash"}
REFUND_FULL, REFUND_ITEM, REFUND_SHIPPING, REFUND_AMOUNT = 0, 1, 2, 3
WC_VERSION = "10.3.1"
PAYMENT = {"klarna_payments": "Klarna", "stripe": "Kort", "swish": "Swish", "invoice": "Faktura",
           "bacs": "Banköverföring"}


def q2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def floor2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_DOWN)


def stripe_fee(amount_sek: Decimal) -> Decimal:
    """Stripe's price for a standard EEA card, settled in SEK: 1.5 % + 1.80 kr (stripe.com/se/pricing; GUESS:
    not verifiable offline, and only the shape matters here)."""
    return q2(amount_sek * Decimal("0.015") + Decimal("1.80"))


def fmt(x: Decimal) -> str:
    x = q2(x)
    return "0.00" if x == 0 else str(x)


def _pct(row) -> Decimal:
    return D(row[2]) if row else ZERO


def _taxes(rid, total, subtotal):
    return [{"id": rid, "total": fmt(total), "subtotal": subtotal if isinstance(subtotal, str) else fmt(subtotal)}]


class OrderBuilder:
    def __init__(self, seed: int, catalog, clock):
        self.seed, self.cat, self.clock = seed, catalog, clock

    # ------------------------------------------------------------------ order
    def info_at(self, vid, ts) -> dict:
        """The catalogue's pricing info of a product/variation, with the name it had at `ts`: an order line keeps
        the name it was sold under (WooCommerce stores it on the item), while its `sku` is the product's current
        one (the REST API reads it from the product)."""
        info = self.cat.info[vid]
        names = info.get("names")
        if not names:
            return info
        name = info["name"]
        for since, old in names:      # [(ts the name below was replaced, the name before)], oldest first
            if ts < since:
                name = old
                break
        return dict(info, name=name)

    def _price_line(self, info, qty, unit_gross, pit, br, r, gross_mode, row):
        if pit:
            gross = unit_gross * qty
            base_tax = q2(gross * br / (100 + br))
            net = gross - base_tax
            sub_tax = base_tax if gross_mode else q2(net * r / 100)
        else:
            gross = None
            net = q2(unit_gross * 100 / (100 + br)) * qty
            sub_tax = q2(net * r / 100)
        return {"info": info, "qty": qty, "row": row, "r": r, "gross": gross, "net": net, "sub_tax": sub_tax,
                "disc": ZERO, "unit_gross": unit_gross}

    def build(self, oid, created, mod0, mod, status, customer_id, refunds, edits=(), was_paid=False):
        """refunds: tuple of (refund_id, created_ts, kind, amount|None, reason|None[, refunded_payment|None]).
        edits: the shop's later edits of the line items, in order: ("set", line index, quantity, unit price|None)
        and ("add", product/variation id, quantity, unit price|None); a unit price is the catalogue kind of price
        (including the shop's base-rate VAT) in the order's currency. They are applied the way WooCommerce's
        "Recalculate" does: line taxes, coupons and totals are recomputed, shipping lines stay as they were.
        was_paid: the order left a paid status (cancelled after payment); WooCommerce keeps its date_paid."""
        rng = _rnd(self.seed, "order", oid)
        st = STATUSES[status] if isinstance(status, int) else status
        party = self.cat.customer_party.get(customer_id) if customer_id else None
        if party is None:
            ctype = rng.choices(CUSTOMER_TYPES, [0.72, 0.10, 0.06, 0.06, 0.06])[0]
            party = make_party(rng, ctype, with_email=rng.random() > 0.04)
        else:
            rng.random(), rng.random()  # keep the stream shape similar for guests and customers
        ctype, country = party["type"], party["country"]
        if ctype in ("eu_business", "eu_private"):
            currency = "EUR" if rng.random() < 0.75 else "SEK"
        elif ctype == "export":
            currency = "EUR" if rng.random() < 0.3 else "SEK"
        else:
            currency = "EUR" if rng.random() < 0.02 else "SEK"
        fx = q2(D(rng.uniform(11.2, 11.8))).quantize(D("0.0001")) if currency == "EUR" else D(1)
        pit = rng.random() > 0.05
        exempt = ctype == "eu_business"
        tax_country = country if ctype == "eu_private" else (BASE_COUNTRY if ctype in ("se_private", "se_business")
                                                             else None)
        gross_mode = pit and tax_country == BASE_COUNTRY

        # ---- line items (before coupons)
        n_lines = rng.choices([1, 2, 3, 4], [0.45, 0.3, 0.17, 0.08])[0]
        picks = rng.sample(self.cat.sellable, n_lines)
        lines = []

        def priced(vid, qty, unit_gross=None):
            info = self.info_at(vid, created)
            if unit_gross is None:
                unit_gross = info["gross"] if currency == "SEK" else q2(info["gross"] / fx)
            base_row = find_rate(BASE_COUNTRY, info["tax_class"])
            row = None if (exempt or tax_country is None) else find_rate(tax_country, info["tax_class"])
            return self._price_line(info, qty, unit_gross, pit, _pct(base_row), _pct(row), gross_mode, row)

        for k, vid in enumerate(picks):
            qty = rng.choices([1, 2, 3, 5], [0.7, 0.2, 0.07, 0.03])[0]
            lines.append(priced(vid, qty))
        for k, ln in enumerate(lines):
            ln["id"] = oid * 20 + k + 1
        as_sold = list(lines)   # shipping was chosen at checkout; an edit does not re-rate it
        for edit in edits or ():
            if edit[0] == "set":
                _, index, qty, price = edit
                old = lines[index]
                if old is None:
                    continue
                vid = old["info"]["variation_id"] or old["info"]["product_id"]
                new = priced(vid, int(qty), old["unit_gross"] if price is None else D(price))
                new["id"] = old["id"]
                lines[index] = new if int(qty) > 0 else None
            else:
                _, vid, qty, price = edit
                new = priced(int(vid), int(qty), None if price is None else D(price))
                new["id"] = oid * 20 + len(lines) + 1
                lines.append(new)
        lines = [ln for ln in lines if ln is not None]

        # ---- coupon (one at most), discount distributed to the lines
        coupon = None
        if rng.random() < 0.15:
            if rng.random() < 0.6:
                coupon = {"code": rng.choice(["rabatt10", "host15", "vip20"]), "type": "percent"}
                coupon["amount"] = D(coupon["code"][-2:])
            else:
                coupon = {"code": rng.choice(["minus50", "minus100"]), "type": "fixed_cart"}
                coupon["amount"] = D(coupon["code"][5:]) if currency == "SEK" else D(coupon["code"][5:]) / 10
            bases = [(ln["gross"] if gross_mode else ln["net"]) for ln in lines]
            if coupon["type"] == "percent":
                for ln, b in zip(lines, bases):
                    ln["disc"] = floor2(b * coupon["amount"] / 100)
            else:
                total_base = sum(bases, ZERO)
                amount = min(coupon["amount"], total_base)
                for ln, b in zip(lines, bases):
                    ln["disc"] = floor2(amount * b / total_base) if total_base else ZERO
                rem = amount - sum((ln["disc"] for ln in lines), ZERO)
                while rem > 0:
                    moved = False
                    for ln, b in zip(lines, bases):
                        if rem > 0 and ln["disc"] < b:
                            ln["disc"] += CENT
                            rem -= CENT
                            moved = True
                    if not moved:
                        break
        for ln in lines:
            if gross_mode:
                g2 = ln["gross"] - ln["disc"]
                ln["total_tax"] = q2(g2 * ln["r"] / (100 + ln["r"]))
                ln["total"] = g2 - ln["total_tax"]
            else:
                ln["total"] = ln["net"] - ln["disc"]
                ln["total_tax"] = q2(ln["total"] * ln["r"] / 100)

        # ---- payment, shipping, fee
        methods = ["klarna_payments", "stripe", "swish", "invoice"] if currency == "SEK" else ["klarna_payments",
                                                                                             "stripe"]
        pm = "bacs" if st == "on-hold" else rng.choices(methods, [0.45, 0.3, 0.15, 0.1][:len(methods)])[0]
        std_row = None if (exempt or tax_country is None) else find_rate(tax_country, "")
        std_r = _pct(std_row)
        shipping = []
        needs_shipping = any(ln["info"]["tax_class"] != "zero-rate" for ln in as_sold)
        if needs_shipping:
            items_gross = sum(((ln["gross"] if ln["gross"] is not None else ln["net"]) for ln in as_sold), ZERO)
            free_limit = D("1000") if currency == "SEK" else D("90")
            u = rng.random()
            if u < 0.05:
                shipping.append(("Hämta i butik", "local_pickup", "3", ZERO))
            elif items_gross >= free_limit:
                shipping.append(("Fri frakt", "free_shipping", "2", ZERO))
            else:
                shipping.append(("PostNord", "flat_rate", "1", D("39.20") if currency == "SEK" else D("3.60")))
        ship_lines = []
        for title, mid, inst, cost in shipping:
            tax = q2(cost * std_r / 100) if (std_row and cost) else ZERO
            ship_lines.append({"title": title, "mid": mid, "inst": inst, "total": cost, "tax": tax,
                               "row": std_row if (std_row and cost) else None})
        fees = []
        if pm == "invoice":
            amt = D("29.00")
            fees.append({"name": "Fakturaavgift", "total": amt, "tax": q2(amt * std_r / 100) if std_row else ZERO,
                         "row": std_row})

        # ---- ids
        item_id = oid * 20     # line ids were given above (item_id + 1..9), kept through edits
        for k, sl in enumerate(ship_lines):
            sl["id"] = item_id + 10 + k
        for k, f in enumerate(fees):
            f["id"] = item_id + 13 + k

        # ---- totals
        line_total = sum((ln["total"] for ln in lines), ZERO)
        cart_tax = sum((ln["total_tax"] for ln in lines), ZERO) + sum((f["tax"] for f in fees), ZERO)
        shipping_total = sum((s["total"] for s in ship_lines), ZERO)
        shipping_tax = sum((s["tax"] for s in ship_lines), ZERO)
        fee_total = sum((f["total"] for f in fees), ZERO)
        discount_total = sum((ln["net"] - ln["total"] for ln in lines), ZERO)
        discount_tax = sum((ln["sub_tax"] - ln["total_tax"] for ln in lines), ZERO)
        total = line_total + fee_total + shipping_total + cart_tax + shipping_tax
        total_tax = cart_tax + shipping_tax
        tax_lines = self._tax_lines(item_id + 15, lines, ship_lines, fees, sign=1)

        # ---- dates
        ref_times = [r[1] for r in refunds]
        paid = created + rng.randint(3, 90) if st in PAID or was_paid else None
        if paid is not None:
            paid = min(paid, mod)
        completed = None
        if st in ("completed", "refunded", "trash"):
            completed = (created + (min(ref_times) - created) // 2) if ref_times else mod0
            completed = max(completed, paid or created)
        d_created, d_created_gmt = self.clock.pair(created)
        d_mod, d_mod_gmt = self.clock.pair(mod)
        d_paid, d_paid_gmt = self.clock.pair(paid)
        d_comp, d_comp_gmt = self.clock.pair(completed)

        # ---- meta
        meta = []
        mid = oid * 10

        def m(key, value):
            meta.append({"id": mid + len(meta) + 1, "key": key, "value": value})

        if currency == "EUR":
            m("_base_currency_exchange_rate", str(fx))
            m("_order_total_base_currency", fmt(total * fx))
        for key, val in party["meta"]:
            m(f"_billing_{key}", val)
        if exempt:
            m("is_vat_exempt", "yes")
        if st == "trash":
            m("_wp_trash_meta_status", "wc-completed")
        if paid is not None:
            m("_download_permissions_granted", "yes")
        if paid is not None and pm == "stripe":       # what WooCommerce Stripe Gateway stores (WC_Stripe_Helper)
            fee = stripe_fee(total * fx)
            m("_stripe_fee", fmt(fee))
            m("_stripe_net", fmt(q2(total * fx) - fee))
            m("_stripe_currency", "SEK")

        order_key = "wc_order_" + hashlib.sha1(f"{self.seed}:{oid}".encode()).hexdigest()[:13]
        coupon_lines = []
        if coupon:
            coupon_lines.append({
                "id": item_id + 18, "code": coupon["code"], "discount": fmt(discount_total),
                "discount_tax": fmt(discount_tax), "discount_type": coupon["type"],
                "nominal_amount": float(coupon["amount"]), "free_shipping": False, "meta_data": []})
        state = {"qty": {}, "shipping": False, "amount": ZERO}
        refund_objs = [self.build_refund(r, oid, lines, ship_lines, fees, total, pm, state)
                       for r in sorted(refunds, key=lambda p: (p[1], p[0]))]
        order = {
            "id": oid, "parent_id": 0, "number": str(oid), "order_key": order_key,
            "created_via": "store-api" if st == "checkout-draft" else "checkout", "version": WC_VERSION,
            "status": st, "currency": currency,
            "date_created": d_created, "date_created_gmt": d_created_gmt,
            "date_modified": d_mod, "date_modified_gmt": d_mod_gmt,
            "discount_total": fmt(discount_total), "discount_tax": fmt(discount_tax),
            "shipping_total": fmt(shipping_total), "shipping_tax": fmt(shipping_tax), "cart_tax": fmt(cart_tax),
            "total": fmt(total), "total_tax": fmt(total_tax), "prices_include_tax": pit,
            "customer_id": customer_id, "customer_ip_address": f"192.0.2.{oid % 250 + 1}",
            "customer_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "customer_note": "",
            "billing": dict(party["billing"]), "shipping": dict(party["shipping"], phone=""),
            "payment_method": pm, "payment_method_title": PAYMENT[pm],
            "transaction_id": hashlib.md5(f"tx{oid}".encode()).hexdigest()[:16] if paid and pm != "invoice" else "",
            "date_paid": d_paid, "date_paid_gmt": d_paid_gmt,
            "date_completed": d_comp, "date_completed_gmt": d_comp_gmt,
            "cart_hash": hashlib.md5(f"cart{oid}".encode()).hexdigest(),
            "meta_data": meta,
            "line_items": [self._line_json(ln) for ln in lines],
            "tax_lines": tax_lines,
            "shipping_lines": [self._ship_json(s) for s in ship_lines],
            "fee_lines": [self._fee_json(f) for f in fees],
            "coupon_lines": coupon_lines,
            "refunds": [{"id": r["id"], "reason": r["reason"], "total": "-" + r["amount"]}
                        for r in sorted(refund_objs, key=lambda x: (x["date_created_gmt"], x["id"]), reverse=True)],
            "payment_url": f"/checkout/order-pay/{oid}/?pay_for_order=true&key={order_key}",
            "is_editable": st in ("pending", "on-hold", "auto-draft", "checkout-draft"),
            "needs_payment": st in ("pending", "failed") and total > 0,
            "needs_processing": needs_shipping,
        }
        return order, refund_objs

    # ------------------------------------------------------------ item json
    @staticmethod
    def _line_json(ln, sign=1, qty=None, total=None, tax=None, refunded_item=None):
        info = ln["info"]
        if sign > 0:
            sub, sub_tax, tot, tot_tax, q = ln["net"], ln["sub_tax"], ln["total"], ln["total_tax"], ln["qty"]
        else:
            q, tot, tot_tax = -qty, -total, -tax
            sub, sub_tax = tot, tot_tax
        taxes = _taxes(ln["row"][0], tot_tax, sub_tax) if ln["row"] else []
        meta = [{"id": ln["id"] * 8 + j, "key": k, "value": v, "display_key": dk, "display_value": dv}
                for j, (k, v, dk, dv) in enumerate(info["meta"])]
        if refunded_item is not None:
            meta = [{"id": ln["id"] * 8 + 7, "key": "_refunded_item_id", "value": str(refunded_item),
                     "display_key": "_refunded_item_id", "display_value": str(refunded_item)}]
        price = float(tot) / abs(q) if q else 0.0
        return {
            "id": ln["id"], "name": info["name"], "product_id": info["product_id"],
            "variation_id": info["variation_id"], "quantity": q, "tax_class": info["tax_class"],
            "subtotal": fmt(sub), "subtotal_tax": fmt(sub_tax), "total": fmt(tot), "total_tax": fmt(tot_tax),
            "taxes": taxes, "meta_data": meta, "sku": info["sku"], "price": price,
            "image": {"id": "", "src": ""}, "parent_name": info["parent_name"],
        }

    @staticmethod
    def _ship_json(s, sign=1, refunded_item=None):
        tot, tax = s["total"] * sign, s["tax"] * sign
        meta = [] if refunded_item is None else [
            {"id": s["id"] * 8 + 7, "key": "_refunded_item_id", "value": str(refunded_item),
             "display_key": "_refunded_item_id", "display_value": str(refunded_item)}]
        return {"id": s["id"], "method_title": s["title"], "method_id": s["mid"], "instance_id": s["inst"],
                "total": fmt(tot), "total_tax": fmt(tax),
                "taxes": [{"id": s["row"][0], "total": fmt(tax), "subtotal": ""}] if s["row"] else [],
                "meta_data": meta}

    @staticmethod
    def _fee_json(f, sign=1, refunded_item=None):
        tot, tax = f["total"] * sign, f["tax"] * sign
        meta = [] if refunded_item is None else [
            {"id": f["id"] * 8 + 7, "key": "_refunded_item_id", "value": str(refunded_item),
             "display_key": "_refunded_item_id", "display_value": str(refunded_item)}]
        return {"id": f["id"], "name": f["name"], "tax_class": "", "tax_status": "taxable",
                "total": fmt(tot), "total_tax": fmt(tax),
                "taxes": [{"id": f["row"][0], "total": fmt(tax), "subtotal": ""}] if f["row"] else [],
                "meta_data": meta}

    @staticmethod
    def _tax_lines(first_id, lines, ships, fees, sign=1):
        per: dict[int, list] = {}
        rows = {}
        for ln in lines:
            if ln["row"]:
                per.setdefault(ln["row"][0], [ZERO, ZERO])[0] += ln["total_tax"]
                rows[ln["row"][0]] = ln["row"]
        for f in fees:
            if f["row"]:
                per.setdefault(f["row"][0], [ZERO, ZERO])[0] += f["tax"]
                rows[f["row"][0]] = f["row"]
        for s in ships:
            if s["row"]:
                per.setdefault(s["row"][0], [ZERO, ZERO])[1] += s["tax"]
                rows[s["row"][0]] = s["row"]
        out = []
        for k, rid in enumerate(sorted(per)):
            row = rows[rid]
            out.append({
                "id": first_id + k, "rate_code": f"{row[1]}-{row[3].upper()}-1", "rate_id": rid,
                "label": row[3], "compound": False, "tax_total": fmt(per[rid][0] * sign),
                "shipping_tax_total": fmt(per[rid][1] * sign), "rate_percent": float(D(row[2])), "meta_data": []})
        return out

    # ----------------------------------------------------------------- refund
    def build_refund(self, plan, oid, lines, ships, fees, order_total, pm, state):
        """state carries what earlier refunds of the order took, so refunds never exceed the order."""
        rid, ts, kind, amount_override, reason, *rest = plan
        refunded_payment = rest[0] if rest and rest[0] is not None else pm in ("klarna_payments", "stripe", "swish")
        rng = _rnd(self.seed, "refund", rid)
        remaining = order_total - state["amount"]
        open_lines = [ln for ln in lines if ln["qty"] - state["qty"].get(ln["id"], 0) > 0]
        if kind == REFUND_FULL and state["amount"] > 0:
            kind, amount_override = REFUND_AMOUNT, remaining
        if kind == REFUND_ITEM and not open_lines:
            kind = REFUND_AMOUNT
        if kind == REFUND_SHIPPING and (state["shipping"] or not any(s["total"] > 0 for s in ships)):
            kind = REFUND_AMOUNT
        item_base = rid * 20
        r_lines, r_ships, r_fees = [], [], []
        tl_lines, tl_ships, tl_fees = [], [], []
        if amount_override is not None:
            kind = REFUND_AMOUNT
        if kind == REFUND_FULL:
            for k, ln in enumerate(lines):
                r_lines.append(self._line_json(dict(ln, id=item_base + k + 1), -1, ln["qty"], ln["total"],
                                               ln["total_tax"], refunded_item=ln["id"]))
                tl_lines.append(dict(ln, total_tax=-ln["total_tax"]))
            for k, s in enumerate(ships):
                r_ships.append(self._ship_json(dict(s, id=item_base + 10 + k), -1, refunded_item=s["id"]))
                tl_ships.append(dict(s, tax=-s["tax"]))
            for k, f in enumerate(fees):
                r_fees.append(self._fee_json(dict(f, id=item_base + 13 + k), -1, refunded_item=f["id"]))
                tl_fees.append(dict(f, tax=-f["tax"]))
            amount = order_total
            reason = reason if reason is not None else "Returnerad vara"
        elif kind == REFUND_SHIPPING:
            state["shipping"] = True
            for k, s in enumerate(ships):
                r_ships.append(self._ship_json(dict(s, id=item_base + 10 + k), -1, refunded_item=s["id"]))
                tl_ships.append(dict(s, tax=-s["tax"]))
            amount = sum((s["total"] + s["tax"] for s in ships), ZERO)
            reason = reason if reason is not None else "Frakt återbetald"
        elif kind == REFUND_ITEM:
            ln = open_lines[rng.randrange(len(open_lines))]
            state["qty"][ln["id"]] = state["qty"].get(ln["id"], 0) + 1
            t, tt = q2(ln["total"] / ln["qty"]), q2(ln["total_tax"] / ln["qty"])
            r_lines.append(self._line_json(dict(ln, id=item_base + 1), -1, 1, t, tt, refunded_item=ln["id"]))
            tl_lines.append(dict(ln, total_tax=-tt))
            amount = t + tt
            reason = reason if reason is not None else "Reklamation"
        else:
            amount = D(amount_override) if amount_override is not None else min(q2(order_total * D("0.10")),
                                                                                  remaining)
            reason = reason if reason is not None else "Goodwill"
        state["amount"] += amount
        d, dg = self.clock.pair(ts)
        return {
            "id": rid, "date_created": d, "date_created_gmt": dg, "amount": fmt(amount), "reason": reason,
            "refunded_by": 1, "refunded_payment": refunded_payment, "meta_data": [],
            "line_items": r_lines, "shipping_lines": r_ships,
            "tax_lines": self._tax_lines(item_base + 15, tl_lines, tl_ships, tl_fees),
            "fee_lines": r_fees, "_parent_id": oid,
        }
