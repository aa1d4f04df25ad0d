"""Small in-memory catalogue: tax rates/classes, products + variations, registered customers (seeded)."""
from __future__ import annotations

import hashlib
import random
from decimal import Decimal

from stdnum.eu import vat

from .dates import days

D = Decimal
CENT = D("0.01")

TAX_CLASSES = [  # slug, name; "standard" slug as in examples/tax_classes.json
    ("standard", "Standard Rate"),
    ("reduced-rate", "Reduced Rate"),
    ("zero-rate", "Zero Rate"),
    ("books", "Böcker 6%"),
]
# id, country, rate, name, class, shipping, priority, order
TAX_RATES = [
    (1, "SE", "25.0000", "Moms 25%", "standard", True),
    (2, "SE", "12.0000", "Moms 12%", "reduced-rate", False),
    (3, "SE", "6.0000", "Moms 6%", "books", False),
    (4, "SE", "0.0000", "Moms 0%", "zero-rate", False),
    (5, "DE", "19.0000", "MwSt. 19%", "standard", True),
    (6, "DE", "7.0000", "MwSt. 7%", "reduced-rate", False),
    (7, "DE", "7.0000", "MwSt. 7%", "books", False),
    (8, "FI", "25.5000", "ALV 25,5%", "standard", True),
    (9, "FI", "14.0000", "ALV 14%", "reduced-rate", False),
    (10, "FI", "10.0000", "ALV 10%", "books", False),
    (11, "DK", "25.0000", "Moms 25%", "standard", True),
]
BASE_COUNTRY = "SE"
EU = {"SE", "DE", "FI", "DK", "NL", "FR", "AT"}


def rate_json(r) -> dict:
    rid, country, rate, name, cls, shipping = r
    return {
        "id": rid, "country": country, "state": "", "postcode": "", "city": "",
        "postcodes": [], "cities": [], "rate": rate, "name": name, "priority": 1,
        "compound": False, "shipping": shipping, "order": rid - 1, "class": cls,
    }


def find_rate(country: str, tax_class: str):
    """The tax rate row for a country and a product tax class ('' = standard)."""
    cls = tax_class or "standard"
    for r in TAX_RATES:
        if r[1] == country and r[4] == cls:
            return r
    if cls == "zero-rate":
        return None
    return None


FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Anders", "Emma", "Per", "Elin", "Mikael",
         "Åsa", "Björn", "Ingrid", "Göran", "Sofia", "Olle", "Linnéa", "Nils"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
        "Gustafsson", "Lindström", "Åberg", "Öberg", "Björk", "Sjöberg", "Holm"]
CITIES = [("Stockholm", "114 55"), ("Göteborg", "411 03"), ("Malmö", "211 20"), ("Uppsala", "753 20"),
          ("Västerås", "722 11"), ("Örebro", "702 10"), ("Linköping", "582 22"), ("Umeå", "903 26"),
          ("Jönköping", "553 16"), ("Luleå", "972 31")]
STREETS = ["Storgatan", "Drottninggatan", "Kungsgatan", "Vasagatan", "Sveavägen", "Ringvägen", "Skolgatan"]
COMPANIES = ["Nordisk Design AB", "Fjällbacka Handel AB", "Kaffekompaniet i Lund AB", "Byggvaruhuset Norr AB",
             "Studio Ljus HB", "Skärgårdens Café AB"]
FOREIGN = {  # customer type -> (country, city, postcode, state, company template)
    "DE": ("Berlin", "10115", "", "Müller Handels GmbH", "DE"),
    "FI": ("Helsinki", "00100", "", "Suomen Kauppa Oy", "FI"),
    "DK": ("København", "1050", "", "Dansk Import ApS", "DK"),
    "NO": ("Oslo", "0150", "", "Norsk Handel AS", None),
    "US": ("Portland", "97201", "OR", "Pacific Goods Inc.", None),
    "GB": ("London", "EC1A 1BB", "", "Thames Trading Ltd", None),
    "CH": ("Zürich", "8001", "ZH", "Alpen Waren AG", None),
}
CUSTOMER_TYPES = ["se_private", "se_business", "eu_business", "eu_private", "export"]


def _slug(s: str) -> str:
    return (s.lower().replace("å", "a").replace("ä", "a").replace("ö", "o").replace("é", "e")
            .replace(" ", "-").replace(":", "").replace(",", ""))


def _rnd(seed, *parts) -> random.Random:
    return random.Random(":".join(str(p) for p in ("woofort", seed) + parts))


def vat_number(country: str, seed: int) -> str:
    """A VAT number of `country` (SE, DE, FI or DK) with valid check digits: the first one from `seed` on."""
    digits, suffix = {"SE": (10, "01"), "DE": (9, "")}.get(country, (8, ""))
    start = int(str(seed).rjust(digits, "1")[:digits])
    return next(n for n in (f"{country}{start + k}{suffix}" for k in range(1000)) if vat.is_valid(n))


def make_party(rng: random.Random, ctype: str, with_email: bool = True) -> dict:
    """Billing/shipping/meta for a customer of one of CUSTOMER_TYPES."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company, meta = "", []
    state = ""
    if ctype in ("se_private", "se_business"):
        country = "SE"
        city, postcode = rng.choice(CITIES)
        phone = f"070-{rng.randint(1000000, 9999999)}"
        if ctype == "se_business":
            company = rng.choice(COMPANIES)
            meta.append(("org_number", f"55{rng.randint(6000, 9999)}-{rng.randint(1000, 9999)}"))
    else:
        if ctype == "eu_business" or ctype == "eu_private":
            country = rng.choice(["DE", "FI", "DK"] if ctype == "eu_business" else ["DE", "FI"])
        else:
            country = rng.choice(["NO", "US", "GB", "CH"])
        city, postcode, state, comp, _ = FOREIGN[country]
        phone = f"+{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}"
        if ctype == "eu_business":
            company = comp
            meta.append(("vat_number", vat_number(country, rng.randint(100000000, 999999999))))
        elif ctype == "export" and rng.random() < 0.5:
            company = comp
    addr = f"{rng.choice(STREETS)} {rng.randint(1, 80)}" if country == "SE" else f"Main Street {rng.randint(1, 80)}"
    email = (f"{first}.{last}@example.{'se' if country == 'SE' else 'com'}".lower()
             .replace("å", "a").replace("ä", "a").replace("ö", "o").replace("é", "e")) if with_email else ""
    billing = {"first_name": first, "last_name": last, "company": company, "address_1": addr, "address_2": "",
               "city": city, "state": state, "postcode": postcode, "country": country, "email": email,
               "phone": phone}
    shipping = {k: v for k, v in billing.items() if k not in ("email", "phone")}
    return {"type": ctype, "billing": billing, "shipping": shipping, "meta": meta, "country": country}


class Catalog:
    def __init__(self, seed: int, start: int, n_customers: int):
        self.seed = seed
        self.tax_rates = [rate_json(r) for r in TAX_RATES]
        self.tax_classes = [{"slug": s, "name": n} for s, n in TAX_CLASSES]
        self.products: dict[int, dict] = {}
        self.variations: dict[int, dict] = {}  # variation id -> json (has internal parent via _parent map)
        self.var_parent: dict[int, int] = {}
        self.info: dict[int, dict] = {}  # product/variation id -> pricing info for the order generator
        self.sellable: list[int] = []
        self._build_products(start)
        self.customers: dict[int, dict] = {}
        self.customer_party: dict[int, dict] = {}
        self._build_customers(start, n_customers)

    # ---------------------------------------------------------------- products
    def _build_products(self, start: int):
        rng = _rnd(self.seed, "catalog")
        simple = [
            ("Kaffemugg Fjäll", "149.00", ""), ("Termos 0,5 l", "299.00", ""), ("Ullfilt Gotland", "895.00", ""),
            ("Kokbok: Nordiskt fika", "249.00", "books"), ("Roman: Skärgårdsvinter", "199.00", "books"),
            ("Kaffebönor Mörkrost 500 g", "129.00", "reduced-rate"), ("Te Earl Grey 100 g", "79.90", "reduced-rate"),
            ("Knäckebröd Råg", "39.90", "reduced-rate"), ("Presentkort 500 kr", "500.00", "zero-rate"),
            ("Ljusstake Mässing", "459.00", ""), ("Skärbräda Ek", "349.00", ""), ("Kaffefilter nr 4", "24.90", ""),
            ("Honung Ljung 350 g", "89.00", "reduced-rate"), ("Almanacka 2027", "119.00", "books"),
        ]
        variable = [
            ("Ylletröja Sarek", "Storlek", ["S", "M", "L", "XL"], "999.00", ""),
            ("Mössa Kiruna", "Färg", ["Svart", "Grå", "Röd"], "249.00", ""),
            ("T-shirt Logga", "Storlek", ["S", "M", "L"], "199.00", ""),
        ]
        pid = 10
        for i, (name, price, cls) in enumerate(simple):
            self._add_product(rng, pid, name, price, cls, "simple", start, sku=f"SB-{1000 + i}")
            pid += 1
        vid = 100
        for j, (name, attr, opts, price, cls) in enumerate(variable):
            p = self._add_product(rng, pid, name, "", cls, "variable", start, sku=f"SBV-{j + 1}")
            p["attributes"] = [{"id": 0, "name": attr, "position": 0, "visible": True, "variation": True,
                                "options": opts}]
            p["default_attributes"] = []
            prices = []
            for k, opt in enumerate(opts):
                vprice = price if k < len(opts) - 1 else str(D(price) + D("50.00"))
                self._add_variation(rng, p, vid, attr, opt, vprice, cls, f"SBV-{j + 1}-{opt.upper()}")
                p["variations"].append(vid)
                prices.append(D(vprice))
                vid += 1
            p["price"] = str(min(prices))
            p["price_html"] = f"{min(prices)} kr – {max(prices)} kr"
            pid += 1
        # one draft and one private product, not sellable
        self._add_product(rng, pid, "Utkast: Vinterkollektion", "399.00", "", "simple", start, sku="SB-DRAFT",
                          status="draft")
        self._add_product(rng, pid + 1, "Personalrabatt-artikel", "1.00", "", "simple", start, sku="SB-PRIV",
                          status="private")

    def _dates(self, rng, start):
        created = start - days(rng.uniform(60, 400))
        modified = created + days(rng.uniform(0, 50)) if rng.random() < 0.8 else start + days(rng.uniform(0, 20))
        return created, int(modified)

    def _add_product(self, rng, pid, name, price, cls, ptype, start, sku, status="publish"):
        created, modified = self._dates(rng, start)
        slug = _slug(name)
        p = {
            "id": pid, "name": name, "slug": slug, "permalink": f"/product/{slug}/",
            "date_created": created, "date_created_gmt": created, "date_modified": modified,
            "date_modified_gmt": modified, "type": ptype, "status": status, "featured": False,
            "catalog_visibility": "visible", "description": f"<p>{name}.</p>\n", "short_description": "",
            "sku": sku, "price": price, "regular_price": price, "sale_price": "",
            "date_on_sale_from": None, "date_on_sale_from_gmt": None, "date_on_sale_to": None,
            "date_on_sale_to_gmt": None, "price_html": f"{price} kr" if price else "",
            "on_sale": False, "purchasable": status == "publish", "total_sales": 0, "virtual": cls == "zero-rate",
            "downloadable": False, "downloads": [], "download_limit": -1, "download_expiry": -1,
            "external_url": "", "button_text": "", "tax_status": "taxable", "tax_class": cls,
            "manage_stock": True, "stock_quantity": rng.randint(0, 200), "stock_status": "instock",
            "backorders": "no", "backorders_allowed": False, "backordered": False, "low_stock_amount": None,
            "sold_individually": False, "weight": "0.5", "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_required": cls != "zero-rate", "shipping_taxable": True, "shipping_class": "",
            "shipping_class_id": 0, "reviews_allowed": True, "average_rating": "0.00", "rating_count": 0,
            "related_ids": [], "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0, "purchase_note": "",
            "categories": [{"id": 15, "name": "Okategoriserad", "slug": "okategoriserad"}], "tags": [],
            "images": [], "attributes": [], "default_attributes": [], "variations": [], "grouped_products": [],
            "menu_order": 0, "meta_data": [],
        }
        if p["stock_quantity"] == 0:
            p["stock_status"] = "outofstock"
        self.products[pid] = p
        if ptype == "simple" and status == "publish":
            self.info[pid] = {"product_id": pid, "variation_id": 0, "name": name, "parent_name": None,
                              "sku": sku, "gross": D(price), "tax_class": cls, "meta": []}
            self.sellable.append(pid)
        return p

    def _add_variation(self, rng, parent, vid, attr, opt, price, cls, sku):
        created, modified = self._dates(rng, parent["date_created"] + days(1))
        v = {
            "id": vid, "date_created": created, "date_created_gmt": created, "date_modified": modified,
            "date_modified_gmt": modified, "description": "",
            "permalink": f"{parent['permalink']}?attribute_{_slug(attr)}={_slug(opt)}",
            "sku": sku, "price": price, "regular_price": price, "sale_price": "", "date_on_sale_from": None,
            "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None,
            "on_sale": False, "status": "publish", "purchasable": True, "virtual": False, "downloadable": False,
            "downloads": [], "download_limit": -1, "download_expiry": -1, "tax_status": "taxable",
            "tax_class": cls, "manage_stock": True, "stock_quantity": rng.randint(0, 50),
            "stock_status": "instock", "backorders": "no", "backorders_allowed": False, "backordered": False,
            "low_stock_amount": None, "weight": "0.4", "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_class": "", "shipping_class_id": 0, "image": None,
            "attributes": [{"id": 0, "name": attr, "option": opt}], "menu_order": 0, "meta_data": [],
        }
        self.variations[vid] = v
        self.var_parent[vid] = parent["id"]
        self.info[vid] = {"product_id": parent["id"], "variation_id": vid,
                          "name": f"{parent['name']} - {opt}", "parent_name": parent["name"], "sku": sku,
                          "gross": D(price), "tax_class": cls,
                          "meta": [(_slug(attr), opt, attr, opt)]}
        self.sellable.append(vid)

    # --------------------------------------------------------------- customers
    def _build_customers(self, start: int, n: int):
        weights = [0.70, 0.14, 0.07, 0.05, 0.04]
        for k in range(n):
            cid = 2 + k
            rng = _rnd(self.seed, "customer", cid)
            ctype = rng.choices(CUSTOMER_TYPES, weights)[0]
            party = make_party(rng, ctype)
            created = start - days(rng.uniform(1, 700))
            modified = created + days(rng.uniform(0, 30))
            b = party["billing"]
            meta = [{"id": 5000 + cid * 10 + i, "key": f"billing_{key}", "value": val}
                    for i, (key, val) in enumerate(party["meta"])]
            self.customer_party[cid] = party
            self.customers[cid] = {
                "id": cid, "date_created": created, "date_created_gmt": created, "date_modified": int(modified),
                "date_modified_gmt": int(modified), "email": b["email"], "first_name": b["first_name"],
                "last_name": b["last_name"], "role": "customer",
                "username": b["email"].split("@")[0] if b["email"] else f"kund{cid}",
                "billing": dict(b), "shipping": dict(party["shipping"]), "is_paying_customer": True,
                "avatar_url": "https://secure.gravatar.com/avatar/"
                + hashlib.md5(b["email"].encode()).hexdigest() + "?s=96&d=mm&r=g",
                "meta_data": meta,
            }
