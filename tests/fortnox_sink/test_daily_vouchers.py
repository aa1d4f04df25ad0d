"""invoicing.mode daily_vouchers (docs/accounting.md §13): the paid Swedish sales of a day on one voucher, a debit row
per payment method's account, in the Fortnox sandbox, over HTTP, with WooCommerce's own amounts and the day's order list attached. A refund
or a late order is a new voucher, never an edit; a lost answer books nothing twice; a mode switch at a date books
every order once, by invoice before it and by voucher from it."""

from __future__ import annotations

import io
import shutil
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from tests.accounting import factory as f
from tests.fortnox_sink.test_fee_vouchers import balance, total
from woofort_assets.cli.summary import collect, render
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.defs.reconciliation.build import build_reconciliation, evaluate
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import MappingError, parse_mapping
from woofort_assets.lib.settings import CHECKOUT_DIR, duckdb_path

SHIPPED = (CHECKOUT_DIR / "mapping" / "mapping.yaml").read_text(encoding="utf-8")
VAT_ACCOUNTS = "vat_accounts: {25: 2611, 12: 2621, 6: 2631}"


def mapping_text(mode_from: str | None = None, vat_accounts: str = VAT_ACCOUNTS) -> str:
    mode = "  mode: daily_vouchers\n" + (f"  mode_from: {mode_from}\n" if mode_from else "")
    return (SHIPPED.replace("  mode: invoices\n", mode, 1)
            .replace("vouchers: {series: null}", f"vouchers: {{series: W, {vat_accounts}}}"))


def order(order_id: int, day: int = 15, method: str = "stripe", lines: list[f.Line] | None = None,
          **kw) -> f.Order:
    lines = lines or [f.item(1, Decimal("100.00"), 1, Decimal(25), gross=False)]
    kw = {"date_created": datetime(2026, 10, day, 10, 30), "date_paid": datetime(2026, 10, day, 10, 31), **kw}
    return f.Order(order_id, lines, payment_method=method, **kw)


class Shop:
    def __init__(self, h, mode_from: str | None = None):
        self.h, self.mapping = h, parse_mapping(mapping_text(mode_from))
        h.sb.state.seed_reference({"voucherseries": [{"Code": "W", "Description": "woofort"}]})

    def put(self, *orders: f.Order) -> None:
        with connect(self.h.db) as con:
            for o in orders:
                for table in ("orders", "order_lines", "order_tax_lines", "refunds", "refund_lines"):
                    con.execute(f"DELETE FROM staging.{table} WHERE order_id = ?", [o.order_id])
                f.insert_order(con, o)

    def sync(self, now: datetime | None = None):
        with connect(self.h.db) as con:
            build_all(con, self.mapping, "default", "2026-10-01", now=now)
        return self.h.materialize()

    def vouchers(self) -> list[dict]:
        with self.h.sb.state.lock:
            return sorted((dict(v) for (s, _, _), v in self.h.sb.state.docs["vouchers"].items() if s == "W"),
                          key=lambda v: v["VoucherNumber"])


def test_a_day_is_one_balanced_voucher_with_a_row_per_payment_account_and_no_invoice(h):
    shop = Shop(h)
    mixed = [f.item(1, Decimal("100.00"), 2, Decimal(25), gross=True), f.item(2, Decimal("56.00"), 1, Decimal(12),
                                                                               gross=True),
             f.charge(3, "shipping", Decimal("39.20"), Decimal(25))]
    shop.put(order(1001), order(1002, lines=mixed, prices_include_tax=True), order(1003, method="swish"),
             order(1004, day=16))
    shop.sync()
    vouchers = shop.vouchers()
    assert [v["Description"] for v in vouchers] == ["woofort day 2026-10-15 1", "woofort day 2026-10-16 1"]
    assert all(sum(balance(v).values()) == 0 for v in vouchers), "every voucher balances"
    # 1001: 100 + 25 VAT; 1002: 2 x 80 + 40 VAT, 50 + 6 VAT, freight 39.20 + 9.80 VAT
    # stripe 1001 + 1002 on 1580, swish 1003 on 1930
    assert balance(vouchers[0]) == {1580: Decimal("430.00"), 1930: Decimal("125.00"), 3001: Decimal("-360.00"),
                                    3002: Decimal("-50.00"), 3520: Decimal("-39.20"), 2611: Decimal("-99.80"),
                                    2621: Decimal("-6.00")}
    assert balance(vouchers[1]) == {1580: Decimal("125.00"), 3001: Decimal("-100.00"), 2611: Decimal("-25.00")}
    assert h.invoices() == [], "orders on vouchers get no invoice"
    assert h.sql("SELECT count(*) FROM ledger.documents WHERE entity IN ('customer', 'invoice_payment')") == [(0,)]
    assert h.sql("SELECT order_id, reason FROM deltas.invoice_exclusions ORDER BY 1") == [
        (i, "on_daily_voucher") for i in (1001, 1002, 1003, 1004)]
    # each voucher carries its day's order list, with no personal data
    assert {s for s, *_ in h.ledger("daily_voucher_file_connection").values()} == {"synced"}
    with h.sb.state.lock:
        files = {d["Name"]: d["_content"].decode() for d in h.sb.state.docs["inbox"].values()}
        connections = len(h.sb.state.docs["voucherfileconnections"])
    assert sorted(files) == ["woofort-day-2026-10-15-1.csv", "woofort-day-2026-10-16-1.csv"] and connections == 2
    day = files["woofort-day-2026-10-15-1.csv"]
    assert "order 1001;stripe;1580;;125.00" in day and "order 1002;stripe;2621;12.0;-6.00" in day
    assert "order 1003;swish;1930;;125.00" in day and day.endswith("total;0.00\n")
    assert not any("Anna" in text or "example.se" in text for text in files.values())

    before = h.writes()
    shop.sync()
    assert h.writes() == before, "a rerun must not write to Fortnox"


def test_a_refund_and_a_late_order_are_new_vouchers_and_the_first_stays(h):
    shop = Shop(h)
    shop.put(order(1001), order(1002))
    shop.sync()
    [first] = shop.vouchers()
    refunded = order(1001, refunds=[f.Refund(5001, Decimal("125.00"), date_created=datetime(2026, 10, 20, 9, 0))])
    shop.put(refunded, order(1003))                   # 1003: paid on the 15th, synced late
    shop.sync()
    vouchers = shop.vouchers()
    assert vouchers[0] == first, "a booked voucher is never changed"
    assert [(v["Description"], balance(v)) for v in vouchers[1:]] == [
        ("woofort day 2026-10-15 2", {1580: Decimal("125.00"), 3001: Decimal("-100.00"),
                                             2611: Decimal("-25.00")}),
        ("woofort day 2026-10-20 1", {1580: Decimal("-125.00"), 3001: Decimal("100.00"),
                                             2611: Decimal("25.00")})]
    assert h.sql("SELECT count(*) FROM ledger.documents WHERE entity = 'credit_invoice'") == [(0,)], \
        "a refund follows its order onto the voucher"
    assert total(vouchers) == {1580: Decimal("250.00"), 3001: Decimal("-200.00"), 2611: Decimal("-50.00")}
    before = h.writes()
    shop.sync()
    assert h.writes() == before


def test_a_lost_answer_books_each_voucher_once(h):
    shop = Shop(h)
    shop.put(*(order(1000 + i, day=1 + i) for i in range(10)))
    h.sb.faults.configure(seed=3)
    h.sb.add_fault("commit_then_drop", "/3/vouchers", methods=["POST"], probability=0.5)
    shop.sync()
    h.sb.clear_faults()
    assert h.sb.counters_snapshot().get("dropped_after_commit", 0) >= 2
    shop.sync()
    vouchers = shop.vouchers()
    assert sorted(v["TransactionDate"] for v in vouchers) == [f"2026-10-{d:02d}" for d in range(1, 11)]
    assert all(balance(v) == {1580: Decimal("125.00"), 3001: Decimal("-100.00"), 2611: Decimal("-25.00")}
               for v in vouchers)


def test_a_mode_switch_books_each_order_once_and_a_refund_follows_its_order(h):
    shop = Shop(h, mode_from="2026-10-16")
    shop.put(order(1001, day=15), order(1002, day=16), order(1003, day=17))
    shop.sync()
    assert [i["ExternalInvoiceReference1"] for i in h.invoices()] == ["1001"]
    assert [v["TransactionDate"] for v in shop.vouchers()] == ["2026-10-16", "2026-10-17"]
    # after the switch, 1001 (invoiced) and 1002 (on a voucher) are both refunded in full
    refund = {1001: 5001, 1002: 5002}
    shop.put(*(order(i, day=d, refunds=[f.Refund(refund[i], Decimal("125.00"))]) for i, d in ((1001, 15), (1002, 16))))
    shop.sync()
    assert len(h.ledger("credit_invoice")) == 1 and "5001" in h.ledger("credit_invoice")
    assert [(v["TransactionDate"], balance(v)) for v in shop.vouchers()][2:] == [
        ("2026-10-20", {1580: Decimal("-125.00"), 3001: Decimal("100.00"), 2611: Decimal("25.00")})]


def test_a_switch_back_to_invoices_leaves_the_booked_days_on_their_vouchers(h):
    """A booked voucher is history: its orders stay on it and their refunds follow it; the orders of the days not
    booked yet, and the new ones, are invoiced."""
    shop = Shop(h)
    shop.put(order(1001, day=15), order(1002, day=16))
    shop.sync(now=datetime(2026, 10, 16, 3, 0))                 # the 15th is booked, the 16th waits
    shop.mapping = parse_mapping(SHIPPED.replace("vouchers: {series: null}",
                                                 f"vouchers: {{series: W, {VAT_ACCOUNTS}}}"))
    assert shop.mapping.invoicing.mode == "invoices"
    shop.put(order(1001, day=15, refunds=[f.Refund(5001, Decimal("125.00"),
                                                   date_created=datetime(2026, 10, 18, 9, 0))]),
             order(1003, day=17))
    shop.sync(now=datetime(2026, 10, 20, 3, 0))
    assert sorted(i["ExternalInvoiceReference1"] for i in h.invoices()) == ["1002", "1003"]
    assert h.sql("SELECT count(*) FROM ledger.documents WHERE entity = 'credit_invoice'") == [(0,)]
    assert [(v["Description"], balance(v)) for v in shop.vouchers()] == [
        ("woofort day 2026-10-15 1", {1580: Decimal("125.00"), 3001: Decimal("-100.00"), 2611: Decimal("-25.00")}),
        ("woofort day 2026-10-18 1", {1580: Decimal("-125.00"), 3001: Decimal("100.00"), 2611: Decimal("25.00")})]
    assert h.sql("SELECT order_id FROM deltas.invoice_exclusions WHERE reason = 'on_daily_voucher'") == [(1001,)]
    before = h.writes()
    shop.sync(now=datetime(2026, 10, 21, 3, 0))
    assert h.writes() == before


def voucher_differences(h, shop: Shop, now: datetime | None = None) -> list[tuple]:
    """The reconciliation's voucher check (its own SQL, sql/reconciliation/daily_vouchers.sql): the days it finds
    wrong, after a build of the deltas (which classify the orders) without a sync."""
    with connect(h.db) as con:
        build_all(con, shop.mapping, "default", "2026-10-01", now=now)
        build_reconciliation(con, shop.mapping, "default", "2026-10-01", now=now)
        [check] = [o for o in evaluate(con, "default") if o.name == "daily_vouchers_match"]
        assert not [o.name for o in evaluate(con, "default") if not o.passed and o.name != "daily_vouchers_match"]
    return [(str(day), account, woo, fx) for day, account, _, _, woo, fx, _ in check.rows]


def test_the_reconciliation_finds_money_the_vouchers_do_not_hold(h):
    shop = Shop(h)
    shop.put(order(1001), order(1002, method="swish"), order(1003, day=16))
    shop.sync()
    assert voucher_differences(h, shop) == []
    shop.put(order(1003, day=16, refunds=[f.Refund(5003, Decimal("25.00"))]))      # refunded since the last sync
    assert voucher_differences(h, shop) == [("2026-10-20", 1580, Decimal("-25.00"), Decimal("0.00"))]
    shop.sync()
    assert voucher_differences(h, shop) == []
    h.sql("DELETE FROM ledger.fortnox_documents WHERE kind = 'voucher' AND json_extract_string(document, "
          "'$.Description') = 'woofort day 2026-10-15 1'")                       # Fortnox holds nothing for it
    assert voucher_differences(h, shop) == [("2026-10-15", 1580, Decimal("125.00"), Decimal("0.00")),
                                            ("2026-10-15", 1930, Decimal("125.00"), Decimal("0.00"))]


def test_a_day_is_booked_once_it_is_over_however_often_the_sync_runs(h):
    """vouchers.book_after (default 02:00): the 15th is booked from 02:00 on the 16th, in the store's time; the
    syncs before book nothing and the reconciliation counts the open day as waiting, not as a difference."""
    shop = Shop(h)
    shop.put(order(1001, day=15), order(1002, day=16))
    for hour in (0, 1):
        shop.sync(now=datetime(2026, 10, 16, hour, 45))
        assert shop.vouchers() == []
    assert voucher_differences(h, shop, now=datetime(2026, 10, 16, 1, 45)) == []
    assert h.sql("SELECT day, waiting FROM reconciliation.voucher_days ORDER BY 1") == [
        (date(2026, 10, 15), True), (date(2026, 10, 16), True)]
    for minute in (0, 15, 30, 45):
        shop.sync(now=datetime(2026, 10, 16, 2, minute))
    assert [v["Description"] for v in shop.vouchers()] == ["woofort day 2026-10-15 1"]
    assert voucher_differences(h, shop, now=datetime(2026, 10, 16, 3, 0)) == []
    shop.sync(now=datetime(2026, 10, 17, 2, 0))
    assert [v["Description"] for v in shop.vouchers()] == ["woofort day 2026-10-15 1", "woofort day 2026-10-16 1"]
    with connect(h.db) as con:                     # the 15th is over and Fortnox holds nothing for it: a difference
        con.execute("DELETE FROM ledger.fortnox_documents WHERE kind = 'voucher' AND json_extract_string(document, "
                    "'$.Description') = 'woofort day 2026-10-15 1'")
    assert voucher_differences(h, shop, now=datetime(2026, 10, 17, 3, 0)) == [
        ("2026-10-15", 1580, Decimal("125.00"), Decimal("0.00"))]


def with_book_after(value: str) -> str:
    return mapping_text().replace("vouchers: {series: W,", f"vouchers: {{book_after: {value}, series: W,")


def test_book_after_is_a_time_of_day():
    assert parse_mapping(with_book_after("06:30")).vouchers.book_days_before(datetime(2026, 10, 16, 6, 29)) == \
        date(2026, 10, 15)
    for value in ("'24:00'", "2", "'2:00'"):
        with pytest.raises(MappingError, match=r"book_after .*: a time of day, hours and minutes, e.g. '02:00'"):
            parse_mapping(with_book_after(value))


def test_the_mapping_needs_a_vat_account_for_each_swedish_rate():
    with pytest.raises(MappingError, match=r"vouchers.vat_accounts has no account for 6 %"):
        parse_mapping(mapping_text(vat_accounts="vat_accounts: {25: 2611, 12: 2621}"))


def test_the_sync_summary_shows_vouchers_as_booked_and_the_day_that_waits(h, monkeypatch):
    """`woofort sync`'s receipt: the vouchers among what was booked (their turnover), the voucher orders not
    among the left out, and today's orders waiting for the day to end."""
    shop = Shop(h)
    (h.tmp / "mapping.yaml").write_text(mapping_text(), encoding="utf-8")
    monkeypatch.setenv("WOOFORT_MAPPING", str(h.tmp / "mapping.yaml"))
    monkeypatch.setenv("WOOFORT_TIMEZONE", "Europe/Stockholm")
    now = datetime.now(ZoneInfo("Europe/Stockholm")).replace(tzinfo=None)
    shop.put(order(1001), order(1002, date_created=now, date_paid=now))
    shop.sync()
    duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(h.db, duckdb_path())
    summary = collect(None)
    assert summary["booked"]["total"]["vouchers"] == {"count": 1, "amount_sek": "125.00"}
    assert summary["booked"]["total"]["invoices"]["count"] == 0
    assert not [x for x in summary["left_out"] if x["reason"] == "on_daily_voucher"]
    assert summary["on_vouchers"] == {"members": 2, "book_after": "02:00",
                                      "waiting_days": [{"day": now.date().isoformat(), "members": 1}]}
    out = io.StringIO()
    render(summary, Console(file=out, width=200))
    assert f"waiting for their day to end (booked after 02:00 the next day): {now.date().isoformat()} (1)" \
        in out.getvalue()
