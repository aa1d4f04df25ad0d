"""Unit tests of the delta rules: identities, exclusions, actions, reruns, articles, prices, stock, payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

from tests.accounting import factory as f
from tests.accounting.helpers import build, default_mapping, fortnox_totals, rows
from woofort_assets.defs.deltas.build import DELTAS, build_all
from woofort_assets.lib.mapping import parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

MAPPING_TEXT = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")


def simple(order_id: int, **kw) -> f.Order:
    return f.Order(order_id, [f.item(1, D("100.00"), 2, D(25), False, product_id=100),
                              f.charge(2, "shipping", D("49.00"), D(25))], **kw)


def insert_products(con) -> None:
    con.execute(
        "INSERT INTO staging.products (shop, product_id, name, type, status, sku, price, regular_price, tax_status, "
        "tax_class, manage_stock, stock_quantity, is_virtual, downloadable, date_modified, date_modified_gmt) VALUES "
        "('default', 100, 'Kaffe mörkrost 500 g, ekologiskt odlat i Etiopien, handrostat i Malmö', 'simple', 'publish', "
        "'KAFFE-500', 125.00, 125.00, 'taxable', 'reduced-rate', true, 42, false, false, now(), now()), "
        "('default', 101, 'T-shirt', 'variable', 'publish', 'TS', NULL, NULL, 'taxable', '', false, NULL, false, false, now(), now()), "
        "('default', 102, 'E-bok', 'simple', 'publish', 'bad sku/åäö', 59, 59, 'taxable', 'six-rate', false, NULL, true, true, now(), now()), "
        "('default', 103, 'Dubblett', 'simple', 'publish', 'kaffe-500', 10, 10, 'taxable', '', false, NULL, false, false, now(), now())")
    con.execute(
        "INSERT INTO staging.variations (shop, variation_id, product_id, sku, price, regular_price, status, tax_class, "
        "manage_stock, stock_quantity, attributes, date_modified, date_modified_gmt) VALUES "
        "('default', 201, 101, 'TS-BLK-L', 249, 249, 'publish', 'parent', 'true', 5, "
        "'[{\"id\":1,\"name\":\"Color\",\"option\":\"Black\"},{\"id\":2,\"name\":\"Size\",\"option\":\"L\"}]', now(), now()), "
        "('default', 202, 101, NULL, 249, 249, 'publish', 'parent', 'parent', NULL, '[]', now(), now())")


# ---- customers -------------------------------------------------------------------------------------------

def test_guest_without_email_gets_exactly_one_customer(con):
    f.insert_order(con, simple(1001, email=None))
    build(con, "invoice_delta")
    build(con, "customer_delta")
    (cust,) = rows(con, "customer_delta")
    (inv,) = rows(con, "invoice_delta")
    assert cust["source_key"] == "WCO1001"
    assert inv["payload"]["Invoice"]["CustomerNumber"] == "WCO1001"
    assert cust["payload"]["Customer"]["Type"] == "PRIVATE"
    assert "Email" not in cust["payload"]["Customer"]


def test_same_email_over_orders_is_one_customer_latest_address_wins(con):
    f.insert_order(con, simple(1001, email="Anna@Example.se ", date_created=datetime(2026, 10, 2, 9)))
    later = simple(1002, email="anna@example.se", date_created=datetime(2026, 10, 9, 9), company="Anna AB")
    f.insert_order(con, later)
    build(con, "invoice_delta")
    build(con, "customer_delta")
    (cust,) = rows(con, "customer_delta")
    numbers = {r["payload"]["Invoice"]["CustomerNumber"] for r in rows(con, "invoice_delta")}
    assert numbers == {cust["source_key"]} and cust["source_key"].startswith("WCG") and len(cust["source_key"]) == 15
    assert cust["order_id"] == 1002
    assert cust["payload"]["Customer"]["Name"] == "Anna AB" and cust["payload"]["Customer"]["Type"] == "COMPANY"


def test_registered_customer_number_and_vat_types(con):
    f.insert_order(con, simple(1001, customer_id=42))
    f.insert_order(con, f.Order(1002, [f.item(1, D("100"), 1, D(19), False)], country="DE", email="de@example.de"))
    f.insert_order(con, f.Order(1003, [f.item(1, D("100"), 1, D(0), False)], country="DE", email="b2b@example.de",
                                vat_number="DE136695976", company="Firma GmbH"))
    f.insert_order(con, f.Order(1004, [f.item(1, D("100"), 1, D(0), False)], country="NO", email="no@example.no"))
    build(con, "customer_delta")
    by_order = {r["order_id"]: r for r in rows(con, "customer_delta")}
    assert by_order[1001]["source_key"] == "WC42"
    assert {k: v["vat_type"] for k, v in by_order.items()} == {
        1001: "SEVAT", 1002: "EUVAT", 1003: "EUREVERSEDVAT", 1004: "EXPORT"}
    assert by_order[1003]["payload"]["Customer"]["VATNumber"] == "DE136695976"
    build(con, "invoice_delta")
    accounts = {r["order_id"]: r["payload"]["Invoice"]["InvoiceRows"][0]["AccountNumber"] for r in rows(con, "invoice_delta")}
    assert accounts == {1001: 3001, 1002: 3106, 1003: 3108, 1004: 3105}


# ---- exclusions, actions and reruns ----------------------------------------------------------------------

def test_exclusions_listed_with_reasons(con):
    f.insert_order(con, simple(1001, status="pending"))
    f.insert_order(con, simple(1002, date_created=datetime(2026, 9, 30, 23, 59)))
    f.insert_order(con, simple(1003, currency="JPY"))
    f.insert_order(con, f.Order(1004, [f.item(1, D("0"), 1, D(25), False)]))
    f.insert_order(con, f.Order(1005, [f.item(1, D("100"), 1, D(19), False)], country="SE"))   # 19 % in Sweden
    f.insert_order(con, f.Order(1006, [f.item(1, D("100"), 1, D(20), False)], country="DE"))   # 20 % not a DE rate
    f.insert_order(con, simple(1007))
    build(con, "invoice_delta")
    reasons = {r["order_id"]: r["reason"] for r in rows(con, "invoice_exclusions")}
    assert reasons == {1001: "status_not_trigger", 1002: "before_start_date", 1003: "currency_not_allowed",
                       1004: "zero_total", 1005: "vat_rate_not_in_mapping", 1006: "vat_rate_not_in_mapping"}
    assert [r["order_id"] for r in rows(con, "invoice_delta")] == [1007]
    details = {r["order_id"]: r["detail"] for r in rows(con, "invoice_exclusions")}
    assert "19" in details[1005] and "sweden" in details[1005]


def test_rerun_with_ledger_filled_gives_empty_deltas(con):
    insert_products(con)
    o = simple(1001)
    o.refunds = [f.refund_of(o, 7001, [(1, D(1))])]
    f.insert_order(con, o)
    f.insert_order(con, simple(1002, email=None, customer_id=0))
    counts = build_all(con, default_mapping(), f.SHOP, "2026-10-01")
    # the default mapping books no provider fees and no daily vouchers (their reruns: tests/fortnox_sink/
    # test_fee_vouchers.py, test_daily_vouchers.py)
    assert all(counts[n] > 0 for n in DELTAS if n not in ("fee_voucher_delta", "daily_voucher_delta")), counts
    f.fill_ledger_from_deltas(con)
    assert build_all(con, default_mapping(), f.SHOP, "2026-10-01") == {n: 0 for n in DELTAS}


def test_changed_order_gives_update_then_reissue_when_booked(con):
    f.insert_order(con, simple(1001))
    build(con, "invoice_delta")
    f.fill_ledger_from_deltas(con, ("invoice_delta",))
    con.execute("UPDATE staging.order_lines SET quantity = 3, subtotal = 300, total = 300, subtotal_tax = 75, "
                "total_tax = 75 WHERE order_id = 1001 AND line_id = 1")
    con.execute("UPDATE staging.orders SET total = total + 125 WHERE order_id = 1001")
    build(con, "invoice_delta")
    (row,) = rows(con, "invoice_delta")
    assert row["action"] == "update"
    con.execute("UPDATE ledger.documents SET booked = true")
    build(con, "invoice_delta")
    assert rows(con, "invoice_delta")[0]["action"] == "reissue"


def test_cancelled_after_invoicing_cancel_when_unbooked_credit_when_booked(con):
    f.insert_order(con, simple(1001))
    build(con, "invoice_delta")
    f.fill_ledger_from_deltas(con, ("invoice_delta",))
    con.execute("UPDATE staging.orders SET status = 'cancelled'")
    build(con, "invoice_delta")
    assert rows(con, "invoice_delta") == [] and rows(con, "invoice_exclusions") == []
    build(con, "credit_delta")
    (c,) = rows(con, "credit_delta")
    assert (c["action"], c["source_key"], c["ref_source_key"]) == ("cancel", "order-1001", "1001")
    con.execute("UPDATE ledger.documents SET booked = true")
    build(con, "credit_delta")
    (c,) = rows(con, "credit_delta")
    assert (c["action"], c["source_key"]) == ("credit", "order-1001")
    assert fortnox_totals(c["payload"]).total == -D("311.25")


def test_fully_refunded_unbooked_invoice_is_cancelled_not_credited(con):
    o = simple(1001)
    f.insert_order(con, o)
    build(con, "invoice_delta")
    f.fill_ledger_from_deltas(con, ("invoice_delta",))
    con.execute("UPDATE staging.orders SET status = 'refunded'")
    f.insert_refund(con, o, f.refund_of(o, 7001, [(1, D(2)), (2, D(1))]))
    build(con, "credit_delta")
    assert [(c["action"], c["source_key"]) for c in rows(con, "credit_delta")] == [("cancel", "order-1001")]


def test_refund_of_order_never_invoiced_is_not_credited(con):
    o = simple(1001, status="pending")
    o.refunds = [f.refund_of(o, 7001, [(1, D(1))])]
    f.insert_order(con, o)
    build(con, "invoice_delta")
    build(con, "credit_delta")
    assert rows(con, "credit_delta") == []


# ---- rounding --------------------------------------------------------------------------------------------

def test_round_off_row_when_woocommerce_total_drifts(con):
    o = simple(1001, drift=D("0.02"))
    f.insert_order(con, o)
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta")
    assert inv["round_off"] == D("0.02")
    last = inv["payload"]["Invoice"]["InvoiceRows"][-1]
    assert (last["AccountNumber"], last["VAT"], D(last["Price"])) == (3740, 0, D("0.02"))
    assert fortnox_totals(inv["payload"]).total == o.total


def test_vat_rounding_row_when_per_line_rounding_differs_from_per_rate(con):
    # three lines of 0.10 at 25 %: WooCommerce 3 x round(0.025) = 0.09, Fortnox round(0.30 x 25 %) = 0.08
    o = f.Order(1001, [f.item(i, D("0.10"), 1, D(25), False) for i in (1, 2, 3)])
    f.insert_order(con, o)
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta")
    totals = fortnox_totals(inv["payload"])
    assert totals.vat_by_rate[D(25)] == D("0.09") and totals.total == o.total == D("0.39")
    # the VAT rounding row adds 0.04 at 25 % (round(0.34 x 25 %) = 0.09), the round-off row takes it back
    assert inv["vat_adjustment"] == D("0.04") and inv["round_off"] == D("-0.04")


def test_invoice_date_rule_and_payment_date_never_before_invoice(con):
    text = MAPPING_TEXT.replace("invoice_date: created", "invoice_date: paid")
    mapping = parse_mapping(text)
    f.insert_order(con, simple(1001, date_created=datetime(2026, 10, 5, 23, 50), date_paid=datetime(2026, 10, 7, 0, 10)))
    f.insert_order(con, simple(1002, date_created=datetime(2026, 10, 5, 23, 50), date_paid=datetime(2026, 10, 4, 8, 0)))
    build(con, "invoice_delta", mapping)
    dates = {r["order_id"]: r["payload"]["Invoice"]["InvoiceDate"] for r in rows(con, "invoice_delta")}
    assert dates == {1001: "2026-10-07", 1002: "2026-10-04"}
    build(con, "invoice_delta")   # default: created
    build(con, "credit_delta")
    build(con, "payment_delta")
    pays = {r["order_id"]: r["payload"]["InvoicePayment"] for r in rows(con, "payment_delta")}
    assert pays[1001]["PaymentDate"] == "2026-10-07" and pays[1002]["PaymentDate"] == "2026-10-05"
    assert pays[1001]["ModeOfPayment"] == "KORT" and pays[1001]["ModeOfPaymentAccount"] == 1580
    assert D(pays[1001]["Amount"]) == D("311.25")


def test_foreign_currency_invoice_and_payment(con):
    f.insert_order(con, f.Order(1001, [f.item(1, D("100"), 1, D(19), False)], country="DE", currency="EUR",
                                currency_rate=D("11.5")))
    f.insert_order(con, f.Order(1002, [f.item(1, D("100"), 1, D(19), False)], country="DE", currency="EUR"))
    for n in ("invoice_delta", "credit_delta", "payment_delta"):
        build(con, n)
    inv = {r["order_id"]: r["payload"]["Invoice"] for r in rows(con, "invoice_delta")}
    assert D(inv[1001]["CurrencyRate"]) == D("11.5") and D(inv[1001]["CurrencyUnit"]) == 1 and 1002 not in inv
    pay = {r["order_id"]: r["payload"]["InvoicePayment"] for r in rows(con, "payment_delta")}
    assert D(pay[1001]["AmountCurrency"]) == D("119") and D(pay[1001]["Amount"]) == D("1368.50")
    assert D(pay[1001]["CurrencyRate"]) == D("11.5") and 1002 not in pay
    (excluded,) = rows(con, "invoice_exclusions", "order_id = 1002")
    assert excluded["reason"] == "no_rate_for_date"


def test_unmapped_payment_method_is_listed(con):
    f.insert_order(con, simple(1001, payment_method="bitcoin"))
    for n in ("invoice_delta", "credit_delta", "payment_delta"):
        build(con, n)
    assert rows(con, "payment_delta") == []
    (ex,) = rows(con, "payment_exclusions")
    assert ex["reason"] == "payment_method_not_mapped" and "bitcoin" in ex["detail"]


# ---- articles, prices, stock -----------------------------------------------------------------------------

def test_articles_prices_stock(con):
    insert_products(con)
    for n in ("article_delta", "price_delta", "stock_delta"):
        build(con, n)
    arts = {r["source_key"]: r["payload"]["Article"] for r in rows(con, "article_delta")}
    assert set(arts) == {"KAFFE-500", "TS-BLK-L", "WC-101-202", "WC-102", "WC-103"}
    assert len(arts["KAFFE-500"]["Description"]) == 50
    assert D(arts["KAFFE-500"]["VAT"]) == 12 and arts["KAFFE-500"]["SalesAccount"] == 3002
    assert arts["KAFFE-500"]["StockGoods"] is True and arts["KAFFE-500"]["Type"] == "STOCK"
    assert arts["WC-102"]["Type"] == "SERVICE" and D(arts["WC-102"]["VAT"]) == 6
    assert arts["TS-BLK-L"]["Description"] == "T-shirt - Black, L"
    prices = {r["article_number"]: r["payload"]["Price"] for r in rows(con, "price_delta")}
    assert D(prices["KAFFE-500"]["Price"]) == D("111.61")          # 125 incl. 12 % -> 111.61 excl.
    assert prices["KAFFE-500"]["PriceList"] == "A" and prices["KAFFE-500"]["FromQuantity"] == 0
    stock = {r["source_key"]: r["payload"] for r in rows(con, "stock_delta")}
    assert stock == {"KAFFE-500": {"Article": {"QuantityInStock": D("42.0")}},
                     "TS-BLK-L": {"Article": {"QuantityInStock": D("5.0")}}}


def test_line_tax_that_fits_no_rate_is_excluded(con):
    line = f.item(1, D("100"), 1, D(25), False)
    line.total_tax = line.subtotal_tax = D("19.00")      # 19 % charged in Sweden
    line.tax_rate_ids = []                               # ... and no tax rate to tell which
    f.insert_order(con, f.Order(1001, [line]))
    other = f.item(1, D("100"), 1, D(25), False)
    other.total_tax = other.subtotal_tax = D("19.00")   # tax rate 25 % named, 19 charged
    f.insert_order(con, f.Order(1002, [other]))
    build(con, "invoice_delta")
    assert rows(con, "invoice_delta") == []
    assert {r["order_id"]: r["reason"] for r in rows(con, "invoice_exclusions")} == {
        1001: "line_vat_rate_unknown", 1002: "vat_mismatch"}


def test_invoice_rows_use_article_numbers(con):
    insert_products(con)
    f.insert_order(con, simple(1001))
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta")
    item, ship = inv["payload"]["Invoice"]["InvoiceRows"]
    assert item["ArticleNumber"] == "KAFFE-500" and "ArticleNumber" not in ship
    assert ship["AccountNumber"] == 3520 and ship["VAT"] == 25


def _all_delta_rows(con) -> dict[str, list[tuple]]:
    tables = [*DELTAS, "invoice_exclusions", "payment_exclusions"]
    return {t: sorted(tuple(str(v) for v in r) for r in con.execute(f"SELECT * FROM deltas.{t}").fetchall())
            for t in tables}


def test_building_in_parts_gives_the_same_deltas_as_in_one(con, monkeypatch):
    """The steps that cannot spill run in slices of the orders sized to DuckDB's memory limit; slicing must not
    change a single value."""
    import woofort_assets.defs.deltas.build as build_module

    insert_products(con)
    for n in range(12):
        o = f.Order(2000 + n, [f.item(1, D("100.00") + n, 1 + n % 3, D(25) if n % 2 else D(12), n % 3 == 0,
                                      product_id=100),
                               f.charge(2, "shipping", D("49.00"), D(25))],
                    status="completed" if n % 4 else "pending")
        if n % 5 == 1:
            o.refunds = [f.refund_of(o, 8000 + n, [(1, D(1))])]
        f.insert_order(con, o)
    assert build_module.sql_params(con, 12)["parts"] == 1
    build_all(con, default_mapping(), f.SHOP, "2026-10-01")
    whole = _all_delta_rows(con)
    monkeypatch.setattr(build_module, "MEMORY_PER_ORDER_BYTES", 10**15)   # one order per part
    assert build_module.sql_params(con, 12)["parts"] == 12
    build_all(con, default_mapping(), f.SHOP, "2026-10-01", full=True)
    assert _all_delta_rows(con) == whole
    assert len(whole["invoice_delta"]) >= 6 and whole["credit_delta"]
