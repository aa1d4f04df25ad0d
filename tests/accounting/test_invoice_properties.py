"""Property: every generated WooCommerce order becomes an invoice whose total and VAT per rate, as Fortnox
computes them (woofort_sandboxes.fortnox.arithmetic), equal WooCommerce's order total and tax per rate to the öre,
under each VAT model a Fortnox company may have (measured by `woofort fortnox calibrate`, stored as it stores it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.accounting import factory as f
from tests.accounting.helpers import build, fortnox_totals, nonzero, rows, vat_by_rate
from woofort_assets.defs.fortnox.calibration import Measurement, VatModel, store

RATES = [Decimal(25), Decimal(12), Decimal(6), Decimal(0)]
MODELS = [None] + [VatModel(v, h, False) for v in ("per_rate_sum", "per_row") for h in ("up", "even")]
DE_RATES = [Decimal(19), Decimal(7), Decimal(0)]
money = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


@st.composite
def orders(draw, order_id: int = 5000):
    gross = draw(st.booleans())
    country = draw(st.sampled_from(["SE", "SE", "SE", "DE"]))      # DE: an OSS consumer at German rates
    rates = RATES if country == "SE" else DE_RATES
    n_items = draw(st.integers(1, 5))
    coupon = draw(st.sampled_from(["none", "percent", "fixed"]))
    pct = draw(st.integers(1, 60))
    specs = [(draw(money), draw(st.integers(1, 1000)), draw(st.sampled_from(rates))) for _ in range(n_items)]
    discounts = [Decimal(0)] * n_items
    if coupon == "percent":
        discounts = [f.r2(unit * qty * pct / 100) for unit, qty, _ in specs]
    elif coupon == "fixed":
        amounts = [unit * qty for unit, qty, _ in specs]
        fixed = min(draw(money), sum(amounts))
        base = sum(amounts)
        discounts = [(fixed * a / base).quantize(Decimal("0.01"), rounding="ROUND_FLOOR") for a in amounts]
        discounts[0] += fixed - sum(discounts)
        discounts = [min(d, a) for d, a in zip(discounts, amounts)]
    lines = [f.item(i + 1, unit, qty, rate, gross, disc, product_id=100 + i)
             for i, ((unit, qty, rate), disc) in enumerate(zip(specs, discounts))]
    next_id = n_items + 1
    if draw(st.booleans()):
        amount = Decimal(draw(st.integers(0, 50_000))) / 100
        # taxed at every rate of the goods (a split-tax plugin), else at one rate
        split = f.split_charge(next_id, "shipping", amount, lines) if draw(st.booleans()) else None
        lines.append(split or f.charge(next_id, "shipping", amount, draw(st.sampled_from(rates))))
        next_id += 1
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f.charge(next_id, "fee", Decimal(draw(st.integers(-10_000, 10_000))) / 100,
                              draw(st.sampled_from(rates))))
        next_id += 1
    currency = draw(st.sampled_from(["SEK", "SEK", "EUR"]))
    rate = Decimal("11.4213") if currency != "SEK" else None  # no rate: excluded (test_currency.py)
    drift = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.01"), Decimal("-0.01"), Decimal("0.03")]))
    o = f.Order(order_id, lines, prices_include_tax=gross, currency=currency, currency_rate=rate, drift=drift,
                country=country,
                coupons=[("KUPONG", sum(discounts))] if coupon != "none" else [])
    return o


@pytest.fixture(scope="module", params=MODELS,
                ids=lambda m: "never-measured" if m is None else f"{m.vat_rounding}-{m.half_rounding}")
def model(request):
    return request.param


@pytest.fixture(scope="module")
def con(model):
    c = f.connect_memory()
    f.insert_tax_rates(c)
    if model is not None:
        store(c, f.SHOP, Measurement(model, "order", "1", Decimal(0), Decimal(0), None, None, None))
    yield c
    c.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(o=orders())
def test_invoice_total_and_vat_equal_woocommerce(con, model, o):
    assume(o.total > 0)
    f.reset(con)
    f.insert_order(con, o)
    build(con, "invoice_delta")
    (inv,) = rows(con, "invoice_delta")
    event(f"VAT rounding row: {'yes' if inv['vat_adjustment'] else 'no'}")
    event(f"shipping split over rates: {any(len(l.taxes or {}) > 1 for l in o.lines)}")
    event(f"round-off row: {'yes' if inv['round_off'] else 'no'}")
    event(f"VATIncluded: {o.prices_include_tax}")
    measured = model or VatModel("per_rate_sum", "up", False)   # never measured: the deltas assume this one
    totals = fortnox_totals(inv["payload"], vat_rounding=measured.vat_rounding, half_rounding=measured.half_rounding)
    assert totals.total == o.total, (totals, o.total)
    assert totals.total_to_pay == o.total
    assert vat_by_rate(totals) == nonzero(o.tax_by_rate()), (totals.vat_by_rate, o.tax_by_rate())
    payload = inv["payload"]["Invoice"]
    assert payload["VATIncluded"] is o.prices_include_tax
    assert payload["Currency"] == o.currency
    assert ("CurrencyRate" in payload) == (o.currency_rate is not None)
    # the round-off row is the only VAT-0 row on the round-off account, and the column says its amount
    round_rows = [r for r in payload["InvoiceRows"] if r["AccountNumber"] == 3740]
    assert sum((Decimal(r["Price"]) for r in round_rows), Decimal(0)) == inv["round_off"]
    assert all(r["VAT"] == 0 for r in round_rows)
    # the round-off is only the order's own drift plus the VAT rounding rows' counterweight
    assert inv["round_off"] == o.drift - inv["vat_adjustment"]
    sales = {"SE": {25: 3001, 12: 3002, 6: 3003, 0: 3004}, "DE": {19: 3106, 7: 3106, 0: 3106}}[o.country]
    for r in payload["InvoiceRows"]:
        assert Decimal(r["Discount"]) >= 0
        if r.get("ArticleNumber") or r["Description"].startswith("Produkt"):
            assert r["AccountNumber"] == sales[r["VAT"]]
    event(f"country: {o.country}")
