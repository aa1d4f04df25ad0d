"""Payment-provider fees (docs/accounting.md §15): from the fee the payment plugin stored on the order to a voucher
per day and method in the Fortnox sandbox, over HTTP. A changed fee is corrected by a new voucher, never an edit;
a lost answer books nothing twice; a fee that cannot be booked is listed with its reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.accounting import factory as f
from woofort_assets.defs.deltas.build import build_delta, build_deltas
from woofort_assets.defs.fortnox.assets import fortnox_fee_vouchers
from woofort_assets.defs.reconciliation.build import build_reconciliation, evaluate
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR

SHIPPED = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")
STRIPE = "stripe: {mode_of_payment: KORT, account: 1580, terms_of_payment: '0'}"
CENT = Decimal("0.01")


def mapping_text(vat: str = "exempt", more: str = "") -> str:
    fee = ("{meta_keys: [_stripe_fee, Stripe Fee], currency_meta_key: _stripe_currency, account: 6570, "
           f"vat: {vat}{more}}}")
    return SHIPPED.replace(STRIPE, STRIPE[:-1] + f", fee: {fee}}}").replace("vouchers: {series: null}",
                                                                          "vouchers: {series: W}")


def order(order_id: int, fee: object, day: int = 15, **meta) -> f.Order:
    line = f.item(1, Decimal("100.00"), 1, Decimal(25), gross=False)
    return f.Order(order_id, [line], date_paid=datetime(2026, 10, day, 10, 31),
                   meta={"_stripe_fee": fee, "_stripe_currency": "SEK", **meta})


class Shop:
    """The test's DuckDB file with staged orders; the deltas built from it; the sink run against the sandbox."""

    def __init__(self, h, vat: str = "exempt", series: bool = True, more: str = ""):
        self.h, self.mapping = h, parse_mapping(mapping_text(vat, more))
        if series:
            h.sb.state.seed_reference({"voucherseries": [{"Code": "W", "Description": "woofort"}]})

    def put(self, *orders: f.Order) -> None:
        with connect(self.h.db) as con:
            for o in orders:
                con.execute("DELETE FROM staging.orders WHERE order_id = ?", [o.order_id])
                con.execute("DELETE FROM staging.order_lines WHERE order_id = ?", [o.order_id])
                con.execute("DELETE FROM staging.order_tax_lines WHERE order_id = ?", [o.order_id])
                f.insert_order(con, o)

    def sync(self, preflight: bool = False):
        with connect(self.h.db) as con:
            build_delta(con, "fee_voucher_delta", self.mapping, "default", "2026-10-01")
        result = self.h.materialize([fortnox_fee_vouchers], preflight=preflight, raise_on_error=False)
        assert result.success or preflight
        return result

    def vouchers(self) -> list[dict]:
        with self.h.sb.state.lock:
            return sorted((dict(v) for (s, _, _), v in self.h.sb.state.docs["vouchers"].items() if s == "W"),
                          key=lambda v: v["VoucherNumber"])


def balance(v: dict) -> dict[int, Decimal]:
    """Debit - credit per account of one voucher."""
    out: dict[int, Decimal] = {}
    for r in v["VoucherRows"]:
        out[r["Account"]] = out.get(r["Account"], Decimal(0)) + Decimal(str(r["Debit"])) - Decimal(str(r["Credit"]))
    return {a: x for a, x in out.items() if x}


def total(vouchers: list[dict]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for v in vouchers:
        for a, x in balance(v).items():
            out[a] = out.get(a, Decimal(0)) + x
    return {a: x for a, x in out.items() if x}


def test_a_day_of_fees_is_one_balanced_voucher_and_a_rerun_writes_nothing(h):
    shop = Shop(h)
    shop.put(order(1001, "3.25"), order(1002, "4.10"), order(1003, "2.90", day=16))
    shop.sync()
    vouchers = shop.vouchers()
    assert [(v["TransactionDate"], balance(v)) for v in vouchers] == [
        ("2026-10-15", {6570: Decimal("7.35"), 1580: Decimal("-7.35")}),
        ("2026-10-16", {6570: Decimal("2.90"), 1580: Decimal("-2.90")})]
    assert vouchers[0]["Description"] == "woofort fee 2026-10-15 stripe 1"
    # numbers restart every financial year: the ledger keeps series, number and the year's id
    assert h.ledger("fee_voucher")["fee 2026-10-15 stripe 1"][:2] == ("synced", f"W-1-{vouchers[0]['Year']}")

    before = h.writes()
    shop.sync()
    assert h.writes() == before, "a rerun must not write to Fortnox"


@pytest.mark.parametrize("vat, expected", [
    # 12.50 including 25 % VAT: 2.50 deductible on 2641
    ("swedish", {6570: Decimal("10.00"), 2641: Decimal("2.50"), 1580: Decimal("-12.50")}),
    # a foreign provider's service: the buyer accounts for 25 % on top, deductible and due at once
    ("reverse_charge", {6570: Decimal("12.50"), 2645: Decimal("3.13"), 2614: Decimal("-3.13"),
                        1580: Decimal("-12.50")}),
])
def test_the_fee_vat_treatment_of_the_provider(h, vat, expected):
    shop = Shop(h, vat)
    shop.put(order(1001, "5.00"), order(1002, "7.50"))
    shop.sync()
    [voucher] = shop.vouchers()
    assert balance(voucher) == expected


def test_a_changed_fee_gets_a_correction_voucher_and_the_first_stays_as_booked(h):
    shop = Shop(h, "swedish")
    shop.put(order(1001, "3.25"), order(1002, "4.10"))
    shop.sync()
    first = shop.vouchers()[0]
    # a partial refund: Stripe returns part of its fee and the plugin lowers _stripe_fee; a late order of the day
    shop.put(order(1001, "1.60"), order(1004, "2.00"))
    shop.sync()
    vouchers = shop.vouchers()
    assert len(vouchers) == 2
    assert vouchers[0] == first, "a booked voucher is never changed"
    assert vouchers[1]["TransactionDate"] == "2026-10-15"
    assert vouchers[1]["Description"] == "woofort fee 2026-10-15 stripe 2"
    day_fee = Decimal("1.60") + Decimal("4.10") + Decimal("2.00")
    vat = (day_fee * 25 / 125).quantize(CENT)
    assert total(vouchers) == {6570: day_fee - vat, 2641: vat, 1580: -day_fee}
    before = h.writes()
    shop.sync()
    assert h.writes() == before


@pytest.mark.parametrize("date_filter", ["applies", "ignored"])
def test_a_lost_answer_books_the_voucher_once(h, date_filter):
    """Whether Fortnox's voucher list honours fromdate/todate is a GUESS: the look-up must find the voucher by
    its Description either way, never another day's."""
    h.sb.state.settings["voucher_date_filter"] = date_filter
    shop = Shop(h)
    shop.put(*(order(1000 + i, "1.00", day=1 + i) for i in range(12)))
    h.sb.faults.configure(seed=5)
    h.sb.add_fault("commit_then_drop", "/3/vouchers", methods=["POST"], probability=0.5)
    shop.sync()
    h.sb.clear_faults()
    assert h.sb.counters_snapshot().get("dropped_after_commit", 0) >= 3       # the fault fired
    shop.sync()                 # what stayed pending is looked up, not sent again
    vouchers = shop.vouchers()
    assert sorted(v["TransactionDate"] for v in vouchers) == [f"2026-10-{d:02d}" for d in range(1, 13)]
    assert all(balance(v) == {6570: Decimal("1.00"), 1580: Decimal("-1.00")} for v in vouchers)
    assert {s for s, *_ in h.ledger("fee_voucher").values()} == {"synced"}


def test_fees_that_cannot_be_booked_are_listed_with_the_reason(h):
    shop = Shop(h)
    euro = order(1003, "0.40")
    euro.meta["_stripe_currency"] = "EUR"
    no_fee = order(1004, None)
    shop.put(order(1001, "2.00"), order(1002, "n/a"), euro, no_fee)
    shop.sync()
    assert [balance(v) for v in shop.vouchers()] == [{6570: Decimal("2.00"), 1580: Decimal("-2.00")}]
    listed = h.sql("SELECT order_id, reason, detail FROM deltas.fee_exclusions ORDER BY order_id")
    assert listed == [(1002, "fee_not_a_number", "fee meta value n/a"),
                      (1003, "fee_currency_not_sek", "the fee is in EUR, vouchers are in SEK"),
                      (1004, "no_fee_recorded", "none of the mapping's fee meta keys is on the order")]


def fee_differences(h, shop: Shop) -> list[tuple]:
    """The reconciliation's fee check (its own SQL, sql/reconciliation/fees.sql): the days it finds wrong."""
    with connect(h.db) as con:
        build_deltas(con, ["invoice_delta", "credit_delta", "payment_delta"], shop.mapping, "default", "2026-10-01")
        build_reconciliation(con, shop.mapping, "default", "2026-10-01")
        [check] = [o for o in evaluate(con, "default") if o.name == "fees_booked"]
    return [(str(day), method, woo, fx) for day, method, _, _, woo, fx, _ in check.rows]


def test_the_reconciliation_finds_a_fee_the_vouchers_do_not_hold(h):
    shop = Shop(h, "swedish")
    shop.put(order(1001, "3.25"), order(1002, "4.10", day=16), order(1003, "n/a"))
    shop.sync()
    assert fee_differences(h, shop) == []
    shop.put(order(1002, "5.00", day=16))             # changed in the shop since the last sync
    assert fee_differences(h, shop) == [("2026-10-16", "stripe", Decimal("5.00"), Decimal("4.10"))]
    shop.sync()
    assert fee_differences(h, shop) == []
    h.sql("DELETE FROM ledger.fortnox_documents WHERE kind = 'voucher' AND json_extract_string(document, "
          "'$.TransactionDate') = '2026-10-15'")                               # Fortnox holds nothing for that day
    assert fee_differences(h, shop) == [("2026-10-15", "stripe", Decimal("3.25"), Decimal("0.00"))]


def test_a_day_whose_voucher_rows_are_unknown_is_not_booked_again(h):
    shop = Shop(h)
    shop.put(order(1001, "2.00"))
    shop.sync()
    h.sql("DELETE FROM ledger.fortnox_documents WHERE kind = 'voucher'")      # a damaged ledger
    shop.put(order(1001, "1.00"))
    shop.sync()
    assert len(shop.vouchers()) == 1
    [(reason, detail)] = h.sql("SELECT reason, detail FROM deltas.fee_exclusions")
    assert reason == "voucher_not_mirrored" and "fee 2026-10-15 stripe 1" in detail


def test_the_preflight_checks_the_series_and_the_fee_accounts_before_any_voucher(h, tmp_path, monkeypatch):
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping_text("swedish"), encoding="utf-8")
    monkeypatch.setenv("WOOFORT_MAPPING", str(path))
    shop = Shop(h, "swedish", series=False)
    shop.put(order(1001, "2.00"))
    (check,) = shop.sync(preflight=True).get_asset_check_evaluations()
    assert not check.passed
    assert "voucher series W (mapping vouchers.series) does not exist in Fortnox (1 voucher(s) wait for it)" \
        in check.metadata["problems"].value
    assert {6570, 2641, 1580} <= set(check.metadata["checked"].value["accounts"])
    assert shop.vouchers() == []
    h.sb.state.seed_reference({"voucherseries": [{"Code": "W", "Description": "woofort"}]})
    (check,) = shop.sync(preflight=True).get_asset_check_evaluations()
    assert check.passed, check.metadata["problems"].value
    assert len(shop.vouchers()) == 1


def test_fees_paid_before_the_methods_from_date_are_left_to_the_books_before(h):
    shop = Shop(h, more=", from_date: 2026-10-15")
    shop.put(order(1001, "3.25", day=14), order(1002, "4.10", day=15))
    shop.sync()
    assert [(v["TransactionDate"], balance(v)) for v in shop.vouchers()] == [
        ("2026-10-15", {6570: Decimal("4.10"), 1580: Decimal("-4.10")})]
    assert h.sql("SELECT count(*) FROM deltas.fee_exclusions") == [(0,)]
    assert fee_differences(h, shop) == []


def test_a_mapping_with_fees_needs_a_voucher_series():
    from woofort_assets.lib.mapping import MappingError

    text = SHIPPED.replace(STRIPE, STRIPE[:-1] + ", fee: {meta_keys: [_stripe_fee]}}")
    line = text.splitlines().index("    " + STRIPE[:-1] + ", fee: {meta_keys: [_stripe_fee]}}") + 1
    with pytest.raises(MappingError, match=rf"mapping.yaml:{line}: payments.methods.stripe.fee is booked on "
                                           r"vouchers: set vouchers.series"):
        parse_mapping(text)


def attachments(h) -> dict[str, str]:
    """Voucher number -> the text of the file connected to it, as the Fortnox sandbox holds them."""
    with h.sb.state.lock:
        files = h.sb.state.docs["inbox"]
        return {f"{c['VoucherSeries']}-{c['VoucherNumber']}": files[fid]["_content"].decode()
                for fid, c in h.sb.state.docs["voucherfileconnections"].items()}


def test_each_voucher_gets_its_order_list_attached_once(h):
    shop = Shop(h)
    shop.put(order(1001, "3.25"), order(1002, "4.10"), order(1003, "2.90", day=16))
    h.sb.faults.configure(seed=2)
    h.sb.add_fault("commit_then_drop", "/3/inbox", methods=["POST"], probability=0.5)
    h.sb.add_fault("commit_then_drop", "/3/voucherfileconnections", methods=["POST"], probability=0.5)
    shop.sync()
    h.sb.clear_faults()
    shop.sync()          # what stayed pending is looked up: no second file, no second connection
    files = attachments(h)
    assert set(files) == {"W-1", "W-2"}
    first = files["W-1"].splitlines()
    assert first[0].startswith("woofort fee 2026-10-15 stripe 1; voucher W-1-")
    assert first[1:] == ["order;fee_sek", "1001;3.25", "1002;4.10", "total;7.35"]
    with h.sb.state.lock:
        assert len(h.sb.state.docs["inbox"]) == 2, "one file per voucher, whatever was lost"
    assert h.sb.counters_snapshot().get("dropped_after_commit", 0) >= 2      # the faults fired
    before = h.writes()
    shop.sync()
    assert h.writes() == before
