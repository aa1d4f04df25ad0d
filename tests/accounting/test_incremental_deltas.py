"""Incremental deltas (issue #16 item 2, woofort_assets/defs/deltas/scope.py): a build that prices only the
orders whose inputs changed leaves every order delta table exactly as a build of every order would, through the
living-shop scenarios of test_shop_changes.py and a shop where one order of many changes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import tests.accounting.test_shop_changes as scenarios
from tests.accounting import factory as f
from tests.accounting.incremental import SCENARIOS, START
from tests.accounting.incremental import snapshot as schema_snapshot
from tests.accounting.test_shop_changes import connect_shop, order, sink
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.defs.deltas.scope import WRITES
from woofort_assets.lib.mapping import parse_mapping

# the delta tables, and what the next build compares its inputs with
TABLES = [t for tables in WRITES.values() for t in tables] + ["order_inputs", "customer_inputs"]


@pytest.fixture
def con():
    c = connect_shop()
    yield c
    c.close()


def snapshot(con) -> dict[str, list[tuple]]:
    return schema_snapshot(con, "deltas", TABLES)


def last_build(con) -> tuple[int, bool]:
    return con.execute("SELECT orders_priced, full_build FROM deltas.delta_builds").fetchone()


class Verified:
    """build_all as the scenarios call it, each incremental build checked against a build of every order."""

    def __init__(self):
        self.builds: list[tuple[int, bool]] = []

    def __call__(self, con, mapping, shop, start_date, full=False):
        counts = build_all(con, mapping, shop, start_date, full=full)
        incremental, self.builds = snapshot(con), [*self.builds, last_build(con)]
        build_all(con, mapping, shop, start_date, full=True)
        assert snapshot(con) == incremental
        return counts


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_living_shop_scenario_builds_incrementally_what_a_full_build_does(con, monkeypatch, scenario):
    verified = Verified()
    monkeypatch.setattr(scenarios, "build_all", verified)
    getattr(scenarios, scenario)(con)
    assert len(verified.builds) >= 2
    # after the first, a build prices only what changed (a changed mapping or article prices every order again)
    assert any(not full for _, full in verified.builds[1:]), verified.builds


def test_one_changed_order_of_many_is_the_only_one_priced(con):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    for n in range(40):
        # odd orders: 10 registered customers with two orders each; even: guests of their own
        f.insert_order(con, order(3000 + n, customer_id=50 + n % 20 if n % 2 else 0, email=f"guest{n}@example.se"))
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (40, True)
    sink(con)
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (40, False)               # the sink changed every order's ledger rows
    assert snapshot(con)["invoice_delta"] == []
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (0, False)
    con.execute("UPDATE staging.orders SET status = 'cancelled' WHERE order_id = 3002")   # a guest's order
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (1, False)
    (credit,) = snapshot(con)["credit_delta"]
    assert credit[1] == "order-3002"
    con.execute("UPDATE staging.orders SET billing_city = 'Lund' WHERE order_id = 3003")   # customer 51's order
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (2, False)                # 3003 and 3023: customer 51's card is its latest order's
    incremental = snapshot(con)
    build_all(con, mapping, f.SHOP, START, full=True)
    assert snapshot(con) == incremental


# a text column of each staged table an order's deltas read
STAGED_COLUMNS = {"orders": "billing_city", "order_lines": "name", "order_coupon_lines": "code",
                  "order_tax_lines": "label", "refunds": "reason", "refund_lines": "name"}


@pytest.mark.parametrize("table,column", STAGED_COLUMNS.items())
def test_a_change_to_one_staged_table_alone_prices_the_order_again(con, table, column):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    changed = order(5000, status="completed", coupons=[("HOST", D("10.00"))])
    changed.refunds.append(f.refund_of(changed, 6000, [(2, D(1))]))
    f.insert_order(con, changed)
    f.insert_order(con, order(5001, status="completed", email="bo@example.se"))
    build_all(con, mapping, f.SHOP, START)
    sink(con)
    build_all(con, mapping, f.SHOP, START)
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (0, False)
    assert con.execute(f"SELECT count(*) FROM staging.{table} WHERE order_id = 5000").fetchone()[0] > 0
    con.execute(f"UPDATE staging.{table} SET {column} = {column} || ' (ändrad)' WHERE order_id = 5000")
    build_all(con, mapping, f.SHOP, START)
    assert con.execute("SELECT order_id FROM wf_scope").fetchall() == [(5000,)]


def test_a_build_that_did_not_finish_makes_the_next_one_price_every_order(con, monkeypatch):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    for n in range(5):
        f.insert_order(con, order(4000 + n, status="completed"))
    build_all(con, mapping, f.SHOP, START)
    con.execute("UPDATE staging.orders SET total = total + 1 WHERE order_id = 4000")
    import woofort_assets.defs.deltas.scope as scope

    def fail(self):
        raise RuntimeError("killed before the inputs were recorded")

    monkeypatch.setattr(scope.Scope, "record", fail)
    with pytest.raises(RuntimeError):
        build_all(con, mapping, f.SHOP, START)
    assert con.execute("SELECT count(*) FROM deltas.delta_builds").fetchone()[0] == 0
    monkeypatch.undo()
    build_all(con, mapping, f.SHOP, START)
    assert last_build(con) == (5, True)


def test_a_changed_mapping_prices_every_order(con):
    for n in range(3):
        f.insert_order(con, order(5000 + n, status="completed"))
    build_all(con, parse_mapping(scenarios.MAPPING_TEXT), f.SHOP, START)
    build_all(con, parse_mapping(scenarios.MAPPING_TEXT), f.SHOP, START)
    assert last_build(con) == (0, False)
    build_all(con, parse_mapping(scenarios.MAPPING_TEXT.replace("3001", "3041")), f.SHOP, START)
    assert last_build(con) == (3, True)
