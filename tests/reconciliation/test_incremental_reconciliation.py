"""Incremental reconciliation (issue #16, woofort_assets/defs/reconciliation/scope.py): a build that replaces only
the rows of the orders whose inputs changed leaves every reconciliation table exactly as a build of every order
would, through the living-shop scenarios of tests/accounting/test_shop_changes.py (as
tests/accounting/test_incremental_deltas.py runs them for the deltas) and through Fortnox documents that change."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

import tests.accounting.test_shop_changes as scenarios
import tests.reconciliation.test_independence as hand_built
from tests.accounting import factory as f
from tests.accounting.incremental import SCENARIOS, START
from tests.accounting.incremental import snapshot as schema_snapshot
from tests.accounting.test_shop_changes import connect_shop, order
from woofort_assets.defs.deltas.build import build_all
from woofort_assets.defs.reconciliation import scope as rscope
from woofort_assets.defs.reconciliation.build import build_reconciliation
from woofort_assets.lib.mapping import parse_mapping

TABLES = [*rscope.PER_ORDER, *rscope.PER_DAY, "oss_documents"]


@pytest.fixture
def con():
    c = connect_shop()
    yield c
    c.close()


def snapshot(con) -> dict[str, list[tuple]]:
    return schema_snapshot(con, "reconciliation", TABLES)


def last_build(con) -> tuple[int, bool]:
    return con.execute("SELECT orders_reconciled, full_build FROM reconciliation.builds").fetchone()


def verified(con, mapping, shop: str = "default", start: str = START) -> tuple[int, bool]:
    """An incremental build, checked table by table against a build of every order; what it reconciled."""
    build_reconciliation(con, mapping, shop, start)
    incremental, build = snapshot(con), last_build(con)
    build_reconciliation(con, mapping, shop, start, full=True)
    assert snapshot(con) == incremental
    return build


class Verified:
    """build_all as the scenarios call it, followed by a reconciliation verified against a full one."""

    def __init__(self):
        self.builds: list[tuple[int, bool]] = []

    def __call__(self, con, mapping, shop, start_date, full=False):
        counts = build_all(con, mapping, shop, start_date, full=full)
        self.builds.append(verified(con, mapping, shop, start_date))
        return counts


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_living_shop_scenario_reconciles_incrementally_what_a_full_build_does(con, monkeypatch, scenario):
    builds = Verified()
    monkeypatch.setattr(scenarios, "build_all", builds)
    getattr(scenarios, scenario)(con)
    assert len(builds.builds) >= 2
    # after the first, a build reconciles only what changed (a changed mapping reconciles every order again)
    assert any(not full for _, full in builds.builds[1:]), builds.builds


# a text column of each staged table the reconciliation reads of an order
STAGED_COLUMNS = {"orders": "billing_city", "order_lines": "name", "order_tax_lines": "label", "refunds": "reason",
                  "refund_lines": "name"}


@pytest.mark.parametrize("table,column", STAGED_COLUMNS.items())
def test_a_change_to_one_staged_table_alone_reconciles_the_order_again(con, table, column):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    changed = order(5000, status="completed")
    changed.refunds.append(f.refund_of(changed, 6000, [(2, D(1))]))
    f.insert_order(con, changed)
    f.insert_order(con, order(5001, status="completed"))
    build_all(con, mapping, "default", START)
    assert verified(con, mapping) == (2, True)
    assert verified(con, mapping) == (0, False)
    assert con.execute(f"SELECT count(*) FROM staging.{table} WHERE order_id = 5000").fetchone()[0] > 0
    con.execute(f"UPDATE staging.{table} SET {column} = {column} || ' (ändrad)' WHERE order_id = 5000")
    assert verified(con, mapping) == (1, False)


@pytest.fixture
def hand():
    """test_independence's three orders with the Fortnox documents that book them (invoices, credits, payments)."""
    c = f.connect_memory()
    f.insert_tax_rates(c)
    for o in hand_built.orders():
        f.insert_order(c, o)
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    build_all(c, mapping, "default", START)            # the exclusion lists
    for entity, key, kind, number, doc, order_id in [
            ("invoice", "2001", "invoice", "1", hand_built._doc("1", 2001, "2026-10-14", "100.00", "100.00"), 2001),
            ("credit_invoice", "3001", "invoice", "2",
             hand_built._doc("2", 2001, "2026-10-16", "-30.00", "-30.00", "1"), 2001),
            ("invoice", "2002", "invoice", "3", hand_built._doc("3", 2002, "2026-10-14", "50.00", "50.00"), 2002),
            ("invoice", "2003", "invoice", "4", hand_built._doc("4", 2003, "2026-10-14", "200.00", "200.00"), 2003),
            ("credit_invoice", "order-2003", "invoice", "6",
             hand_built._doc("6", 2003, "2026-10-15", "-200.00", "-200.00", "4"), 2003)]:
        hand_built._store(c, entity, key, kind, number, doc, order_id)
    hand_built._pay(c, "1", "1", "100.00", 2001)
    hand_built._pay(c, "2", "4", "200.00", 2003)
    yield c
    c.close()


def test_a_changed_fortnox_document_reconciles_only_its_order(hand):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    assert verified(hand, mapping) == (3, True)
    assert verified(hand, mapping) == (0, False)
    hand.execute("UPDATE ledger.fortnox_documents SET document = json_merge_patch(document, '{\"AmountCurrency\": "
                 "\"150.00\", \"Amount\": \"150.00\"}') WHERE kind = 'invoice_payment' AND number = '2'")
    assert verified(hand, mapping) == (1, False)                        # the payment's invoice is 2003's
    hand_built._pay(hand, "5", "3", "50.00", 2002)
    assert verified(hand, mapping) == (1, False)
    hand.execute("DELETE FROM ledger.fortnox_documents WHERE kind = 'invoice' AND number = '6'")
    assert verified(hand, mapping) == (1, False)
    # an invoice moved to another order's reference: both orders
    hand.execute("UPDATE ledger.fortnox_documents SET document = json_merge_patch(document, "
                 "'{\"ExternalInvoiceReference1\": \"2001\"}') WHERE kind = 'invoice' AND number = '3'")
    assert verified(hand, mapping) == (2, False)
    # a document that names no order is read on every build, and counts on its day
    hand.execute("INSERT INTO ledger.fortnox_documents (shop, kind, number, document, source) VALUES "
                 "('default', 'invoice', '9', ?, 'lookup')",
                 [json.dumps({**hand_built._doc("9", 0, "2026-10-14", "80.00", "80.00"),
                              "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "manual"})])
    hand.execute("INSERT INTO ledger.documents (shop, entity, source_key, fortnox_number, status) VALUES "
                 "('default', 'invoice_reissue', 'x#1', '9', 'synced')")
    assert verified(hand, mapping) == (0, False)
    assert hand.execute("SELECT fx_docs FROM reconciliation.by_day_rate WHERE day = '2026-10-14' AND vat_rate = 25"
                        ).fetchone() == (4,)          # invoices 1, 3, 4 and 9
    hand.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_code, error_message, http_status) "
                 "VALUES ('default', 'credit_invoice', 'order-2003', 2000588, 'Ogiltig kreditering', 400)")
    assert verified(hand, mapping) == (1, False)
    hand.execute("UPDATE staging.orders SET status = 'completed' WHERE order_id = 2002")
    assert verified(hand, mapping) == (1, False)
    hand.execute("UPDATE staging.refunds SET amount = 20 WHERE refund_id = 3001")   # the refund alone
    assert verified(hand, mapping) == (1, False)
    # a document that moves to another day leaves the day it was on
    hand.execute("UPDATE ledger.fortnox_documents SET document = json_merge_patch(document, "
                 "'{\"InvoiceDate\": \"2026-10-20\"}') WHERE kind = 'invoice' AND number = '4'")
    hand.execute("UPDATE staging.orders SET date_created = date_created + INTERVAL 3 DAY WHERE order_id = 2002")
    assert verified(hand, mapping) == (2, False)
    assert hand.execute("SELECT invoiced FROM reconciliation.by_day WHERE day = '2026-10-20'").fetchone() == (1,)
    # ... and a day that its last document leaves has no row any more
    hand.execute("UPDATE ledger.fortnox_documents SET document = json_merge_patch(document, "
                 "'{\"InvoiceDate\": \"2026-10-21\"}') WHERE kind = 'invoice' AND number = '4'")
    assert verified(hand, mapping) == (1, False)
    assert hand.execute("SELECT count(*) FROM reconciliation.by_day WHERE day = '2026-10-20'").fetchone() == (0,)
    # a customer's dead letter may set aside any of the shop's orders: every order
    hand.execute("INSERT INTO ledger.dead_letter (shop, entity, source_key, error_code, error_message, http_status) "
                 "VALUES ('default', 'customer', 'x', 1, 'no', 400)")
    assert verified(hand, mapping) == (3, True)


def test_one_changed_order_of_many_is_the_only_one_reconciled(con):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    for n in range(40):
        f.insert_order(con, order(3000 + n, customer_id=50 + n % 20 if n % 2 else 0, email=f"guest{n}@example.se"))
    build_all(con, mapping, f.SHOP, START)
    assert verified(con, mapping) == (40, True)
    scenarios.sink(con)
    build_all(con, mapping, f.SHOP, START)
    assert verified(con, mapping) == (40, False)        # the sink changed every order's ledger rows
    assert verified(con, mapping) == (0, False)
    con.execute("UPDATE staging.orders SET status = 'cancelled' WHERE order_id = 3002")
    build_all(con, mapping, f.SHOP, START)
    assert verified(con, mapping) == (1, False)
    # an order that moves to another day leaves the day it was on
    con.execute("UPDATE staging.orders SET date_created = date_created + INTERVAL 3 DAY WHERE order_id = 3004")
    build_all(con, mapping, f.SHOP, START)
    assert verified(con, mapping) == (1, False)


def test_a_build_that_did_not_finish_makes_the_next_one_reconcile_every_order(con, monkeypatch):
    mapping = parse_mapping(scenarios.MAPPING_TEXT)
    for n in range(5):
        f.insert_order(con, order(4000 + n, status="completed"))
    build_all(con, mapping, f.SHOP, START)
    build_reconciliation(con, mapping, f.SHOP, START)
    con.execute("UPDATE staging.orders SET total = total + 1 WHERE order_id = 4000")

    def fail(self):
        raise RuntimeError("killed before the per-day tables were written")

    monkeypatch.setattr(rscope.Scope, "merge_days", fail)
    with pytest.raises(RuntimeError):
        build_reconciliation(con, mapping, f.SHOP, START)
    assert con.execute("SELECT count(*) FROM reconciliation.builds").fetchone()[0] == 0
    monkeypatch.undo()
    assert verified(con, mapping) == (5, True)


def test_a_changed_mapping_reconciles_every_order(con):
    for n in range(3):
        f.insert_order(con, order(5000 + n, status="completed"))
    build_all(con, parse_mapping(scenarios.MAPPING_TEXT), f.SHOP, START)
    assert verified(con, parse_mapping(scenarios.MAPPING_TEXT)) == (3, True)
    assert verified(con, parse_mapping(scenarios.MAPPING_TEXT)) == (0, False)
    assert verified(con, parse_mapping(scenarios.MAPPING_TEXT.replace("3001", "3041"))) == (3, True)
