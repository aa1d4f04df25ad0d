"""Payment-provider fees as properties (docs/accounting.md §15), on the delta SQL alone: whatever the fees, their
days and their later changes, every voucher balances, and the vouchers of a day add up, per account, to that day's
fees with their VAT computed here, once, from WooCommerce's figures. The sink's part (over HTTP, with faults) is
tests/fortnox_sink/test_fee_vouchers.py."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.accounting import factory as f
from tests.fortnox_sink.test_fee_vouchers import mapping_text
from woofort_assets.defs.deltas.build import build_delta
from woofort_assets.lib.mapping import parse_mapping

CENT = Decimal("0.01")
MAPPINGS = {vat: parse_mapping(mapping_text(vat)) for vat in ("exempt", "swedish", "reverse_charge")}
fees = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("250.00"), places=2)
orders = st.dictionaries(st.integers(1000, 1030), st.tuples(st.integers(1, 4), fees), min_size=1, max_size=12)


def stage(con, fees_by_order: dict[int, tuple[int, Decimal]]) -> None:
    con.execute("DELETE FROM staging.orders")
    for order_id, (day, fee) in fees_by_order.items():
        f.insert_order(con, f.Order(order_id, [f.item(1, Decimal("100.00"), 1, Decimal(25), gross=False)],
                                    date_paid=datetime(2026, 10, day, 12), meta={"_stripe_fee": str(fee)}))


def book(con) -> list[dict]:
    """What the sink does with each delta row (kinds/vouchers.py): a voucher in the ledger and its rows kept."""
    vouchers = []
    for key, payload in con.execute("SELECT source_key, CAST(payload AS VARCHAR) FROM deltas.fee_voucher_delta"
                                    ).fetchall():
        voucher = json.loads(payload, parse_float=Decimal)["Voucher"]
        number = f"W-{con.execute('SELECT count(*) + 1 FROM ledger.fortnox_documents').fetchone()[0]}-2"
        f.ledger_insert(con, "fee_voucher", key, None, number=number)
        con.execute("INSERT INTO ledger.fortnox_documents (shop, kind, number, document, source, fetched_at) "
                    "VALUES (?, 'voucher', ?, ?, 'response', now())", [f.SHOP, number, json.dumps(voucher, default=str)])
        vouchers.append(voucher)
    return vouchers


def expected_rows(vat: str, fee: Decimal) -> dict[int, Decimal]:
    """Debit − credit per account for a day's fees `fee` (docs/accounting.md §15's table)."""
    if vat == "exempt":
        rows = {6570: fee}
    elif vat == "swedish":
        tax = (fee * 25 / 125).quantize(CENT, ROUND_HALF_UP)
        rows = {6570: fee - tax, 2641: tax}
    else:
        tax = (fee * 25 / 100).quantize(CENT, ROUND_HALF_UP)
        rows = {6570: fee, 2645: tax, 2614: -tax}
    return {**rows, 1580: -fee}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(vat=st.sampled_from(sorted(MAPPINGS)), first=orders, changes=orders)
@example(vat="reverse_charge", first={1000: (1, Decimal("25.49"))}, changes={1001: (1, Decimal("7.13"))})
def test_vouchers_balance_and_add_up_to_each_days_fees(con, vat, first, changes):
    f.reset(con)
    con.execute("DELETE FROM ledger.fortnox_documents")
    vouchers = []
    for state in (first, {**first, **changes}):        # a sync, then fees changed, added or moved to other days
        stage(con, state)
        build_delta(con, "fee_voucher_delta", MAPPINGS[vat], f.SHOP, "2026-10-01")
        vouchers += book(con)
    for v in vouchers:
        rows = v["VoucherRows"]
        assert sum(Decimal(str(r["Debit"])) for r in rows) == sum(Decimal(str(r["Credit"])) for r in rows), v
    held: dict[tuple[str, int], Decimal] = {}
    for v in vouchers:
        for r in v["VoucherRows"]:
            key = (v["TransactionDate"], r["Account"])
            held[key] = held.get(key, Decimal(0)) + Decimal(str(r["Debit"])) - Decimal(str(r["Credit"]))
    by_day: dict[str, Decimal] = {}
    for day, fee in state.values():
        by_day[f"2026-10-{day:02d}"] = by_day.get(f"2026-10-{day:02d}", Decimal(0)) + fee
    wanted = {(day, account): amount for day, fee in by_day.items()
              for account, amount in expected_rows(vat, fee).items()}
    assert {k: v for k, v in held.items() if v} == {k: v for k, v in wanted.items() if v}
    build_delta(con, "fee_voucher_delta", MAPPINGS[vat], f.SHOP, "2026-10-01")
    assert con.execute("SELECT count(*) FROM deltas.fee_voucher_delta").fetchone()[0] == 0, "booked: nothing more"
