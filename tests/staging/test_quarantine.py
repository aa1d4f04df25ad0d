"""Unparseable records go to quarantine.records with a reason naming the field and the value; the rest stages."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.staging.conftest import SHOP, example
from woofort_assets.lib.staging import StagingCounts, stage_batch


def _order(**changes):
    order = example("order.json")[0]
    order["id"] = 9001
    order.update(changes)
    return order


def _drop(record, key):
    record.pop(key)
    return record


def _line(field, value, which="line_items", index=0):
    order = _order()
    order[which][index][field] = value
    return order


def _refund(**changes):
    refund = dict(example("refunds_list.json")[1], parent_id=723, id=9002)
    refund.update(changes)
    return refund


def _product(**changes):
    product = dict(example("product_simple.json")[0], id=9003)
    product.update(changes)
    return product


def _variation(**changes):
    variation = dict(example("variation.json")[0], parent_id=22, id=9004)
    variation.update(changes)
    return variation


# (entity, bad record, good records of the same batch, expected reason fragments, expected record_key or None=hash)
CASES = {
    "order id missing": ("orders", _drop(_order(), "id"), ["id: missing"], None),
    "order id not numeric": ("orders", _order(id="abc"), ["id: 'abc' is not a positive integer"], None),
    "order id fractional": ("orders", _order(id=727.5), ["id: 727.5 is not a positive integer"], None),
    "total not a number": ("orders", _order(total="abc"), ["total: 'abc' is not a number"], "9001"),
    "total decimal comma": ("orders", _order(total="29,35"), ["total: '29,35' is not a number"], "9001"),
    "total more than 6 decimals": ("orders", _order(total="29.3500001"),
                                   ["total: '29.3500001' has more than 6 decimals"], "9001"),
    "total_tax empty": ("orders", _order(total_tax=""), ["total_tax: '' is not a number"], "9001"),
    "status missing": ("orders", _drop(_order(), "status"), ["status: missing"], "9001"),
    "currency missing": ("orders", _order(currency=None), ["currency: missing"], "9001"),
    "currency not a string": ("orders", _order(currency=752), ["currency: 752 is not a string"], "9001"),
    "date_created_gmt unparseable": ("orders", _order(date_created_gmt="yesterday"),
                                     ["date_created_gmt: 'yesterday' is not a date"], "9001"),
    "date_modified_gmt missing": ("orders", _order(date_modified_gmt=None), ["date_modified_gmt: missing"], "9001"),
    "date_paid_gmt garbage": ("orders", _order(date_paid_gmt="2017-13-45T99:00:00"),
                              ["date_paid_gmt: '2017-13-45T99:00:00' is not a date"], "9001"),
    "prices_include_tax not bool": ("orders", _order(prices_include_tax="maybe"),
                                    ["prices_include_tax: 'maybe' is not a boolean"], "9001"),
    "line_items not an array": ("orders", _order(line_items={"0": {"id": 1}}), ["line_items: {", "is not an array"], "9001"),
    "line_items missing": ("orders", _drop(_order(), "line_items"), ["line_items: missing"], "9001"),
    "negative quantity": ("orders", _line("quantity", -2), ["line_items[0].quantity: -2 is negative"], "9001"),
    "quantity text": ("orders", _line("quantity", "two"), ["line_items[0].quantity: 'two' is not a number"], "9001"),
    "line total not a number": ("orders", _line("total", "12,00", index=1), ["line_items[1].total: '12,00' is not a number"], "9001"),
    "line id missing": ("orders", _line("id", None), ["line_items[0].id: missing"], "9001"),
    "duplicate line id": ("orders", _line("id", 316), ["line_items[0].id: 316 is not unique in the order",
                                                       "line_items[1].id: 316 is not unique"], "9001"),
    "shipping total bad": ("orders", _line("total", "free", which="shipping_lines"),
                           ["shipping_lines[0].total: 'free' is not a number"], "9001"),
    "tax line total bad": ("orders", _line("tax_total", None, which="tax_lines"), ["tax_lines[0].tax_total: missing"], "9001"),
    "customer_id not an integer": ("orders", _order(customer_id="guest"), ["customer_id: 'guest' is not an integer"], "9001"),
    "refund parent_id missing": ("refunds", _drop(_refund(), "parent_id"), ["parent_id: missing"], "9002"),
    "refund amount empty": ("refunds", _refund(amount=""), ["amount: '' is not a number"], "9002"),
    "refund date bad": ("refunds", _refund(date_created_gmt="21/03/2017"),
                        ["date_created_gmt: '21/03/2017' is not a date"], "9002"),
    "refund line total bad": ("refunds", _refund(line_items=[dict(example("refunds_list.json")[1]["line_items"][0], total="x")]),
                              ["line_items[0].total: 'x' is not a number"], "9002"),
    "product price not a number": ("products", _product(price="abc"), ["price: 'abc' is not a number"], "9003"),
    "product name missing": ("products", _drop(_product(), "name"), ["name: missing"], "9003"),
    "product stock text": ("products", _product(stock_quantity="many"), ["stock_quantity: 'many' is not a number"], "9003"),
    "variation parent missing": ("variations", _drop(_variation(), "parent_id"), ["parent_id: missing"], "9004"),
    "variation date missing": ("variations", _drop(_variation(), "date_modified_gmt"), ["date_modified_gmt: missing"], "9004"),
    "customer id negative": ("customers", dict(example("customer.json")[0], id=-5), ["id: -5 is not a positive integer"], None),
    "tax rate not a number": ("tax_rates", dict(example("tax_rate.json")[0], id=9005, rate="x%"), ["rate: 'x%' is not a number"], "9005"),
    "tax rate class missing": ("tax_rates", _drop(dict(example("tax_rate.json")[0], id=9006), "class"), ["class: missing"], "9006"),
    "tax class slug missing": ("tax_classes", {"name": "No slug"}, ["slug: missing"], None),
}

GOOD = {
    "orders": lambda: example("orders_list.json"),
    "refunds": lambda: [dict(r, parent_id=723) for r in example("refunds_list.json")],
    "products": lambda: example("products_list.json"),
    "variations": lambda: [dict(v, parent_id=22) for v in example("variations_list.json")],
    "customers": lambda: example("customers_list.json"),
    "tax_rates": lambda: example("tax_rates.json"),
    "tax_classes": lambda: example("tax_classes.json"),
}
KEYS = {"orders": "order_id", "refunds": "refund_id", "products": "product_id", "variations": "variation_id",
        "customers": "customer_id", "tax_rates": "tax_rate_id", "tax_classes": "slug"}


def test_at_least_twelve_distinct_bad_inputs():
    assert len(CASES) >= 12


@pytest.fixture(scope="module")
def quarantine_run(tmp_path_factory, migrated_template):
    """All bad inputs of an entity in one batch with the good examples (one stage_batch per entity).

    Each case gets an id of its own (when it has a usable id) so that cases do not shadow each other."""
    import shutil

    import duckdb

    from tests.staging.conftest import Raw

    path = tmp_path_factory.mktemp("quarantine") / "q.duckdb"
    shutil.copyfile(migrated_template, path)
    con = duckdb.connect(str(path))
    raw = Raw(con)
    expected = {}
    for n, name in enumerate(sorted(CASES)):
        entity, bad, fragments, record_key = CASES[name]
        bad = json.loads(json.dumps(bad))
        if record_key is not None and entity != "tax_classes":
            record_key = str(20000 + n)
            bad["id"] = int(record_key)
        payload = json.dumps(bad)
        raw.add(entity, payload, "r1")
        expected[name] = (entity, bad, fragments, record_key or "#" + hashlib.md5(payload.encode()).hexdigest())
    goods = {}
    for entity, make in GOOD.items():
        goods[entity] = make()
        raw.add(entity, goods[entity], "r1")
    counts = {entity: stage_batch(con, entity, SHOP, "r1") for entity in GOOD}
    yield con, expected, goods, counts
    con.close()


def test_counts_reconcile_per_entity(quarantine_run):
    con, expected, goods, counts = quarantine_run
    for entity, count in counts.items():
        bad = sum(1 for e, *_ in expected.values() if e == entity)
        assert count == StagingCounts(fetched=len(goods[entity]) + bad, staged=len(goods[entity]), quarantined=bad)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_record_is_quarantined_and_the_rest_stages(quarantine_run, case):
    con, expected, goods, _ = quarantine_run
    entity, bad, fragments, record_key = expected[case]
    rows = con.execute("SELECT reason, payload, status FROM quarantine.records "
                       "WHERE shop = ? AND entity = ? AND record_key = ?", [SHOP, entity, record_key]).fetchall()
    assert len(rows) == 1, f"{record_key} not quarantined"
    reason, payload, status = rows[0]
    for fragment in fragments:
        assert fragment in reason, f"{fragment!r} not in reason {reason!r}"
    assert json.loads(payload) == bad and status == "open"
    staged = {str(r[0]) for r in con.execute(f"SELECT {KEYS[entity]} FROM staging.{entity}").fetchall()}
    assert record_key not in staged
    good_keys = {str(g.get("id", g.get("slug"))) for g in goods[entity]}
    assert good_keys <= staged


def test_several_problems_are_all_named(con, raw):
    raw.add("orders", _order(total="abc", currency=None, line_items=[dict(example("order.json")[0]["line_items"][0],
                                                                        quantity=-1)]), "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=1, staged=0, quarantined=1)
    reason = con.execute("SELECT reason FROM quarantine.records").fetchone()[0]
    assert reason == "currency: missing; total: 'abc' is not a number; line_items[0].quantity: -1 is negative"


def test_record_that_is_not_an_object(con, raw):
    raw.add("orders", ["[1, 2, 3]", '"just a string"'] + example("order.json"), "r1")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(fetched=3, staged=1, quarantined=2)
    reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine.records ORDER BY reason").fetchall()]
    assert reasons == ["record: \"just a string\" is not an object", "record: [1, 2, 3] is not an object"]


def test_quarantined_record_is_released_when_a_good_version_arrives(con, raw):
    raw.add("orders", _order(total="abc"), "r1", fetched_at="2026-11-01 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(1, 0, 1)
    fixed = _order(date_modified_gmt="2017-03-23T10:00:00")
    raw.add("orders", fixed, "r2", fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r2") == StagingCounts(1, 1, 0)
    assert con.execute("SELECT count(*) FROM quarantine.records").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM staging.orders WHERE order_id = 9001").fetchone()[0] == 1
    # re-running the first batch sees the latest version (good) and keeps it staged
    assert stage_batch(con, "orders", SHOP, "r1") == StagingCounts(1, 1, 0)


def test_newer_bad_version_moves_the_order_to_quarantine(con, raw):
    raw.add("orders", _order(), "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    raw.add("orders", _order(total="n/a", date_modified_gmt="2017-03-24T00:00:00"), "r2",
            fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r2") == StagingCounts(1, 0, 1)
    for table in ("orders", "order_lines", "order_tax_lines"):
        assert con.execute(f"SELECT count(*) FROM staging.{table} WHERE order_id = 9001").fetchone()[0] == 0
    assert "total: 'n/a' is not a number" in con.execute("SELECT reason FROM quarantine.records").fetchone()[0]


def test_skipped_status_survives_rerun_but_new_bad_version_reopens(con, raw):
    raw.add("orders", _order(total="abc"), "r1", fetched_at="2026-11-01 10:00:00+00")
    stage_batch(con, "orders", SHOP, "r1")
    con.execute("UPDATE quarantine.records SET status = 'skipped'")
    stage_batch(con, "orders", SHOP, "r1")
    assert con.execute("SELECT status FROM quarantine.records").fetchone()[0] == "skipped"
    raw.add("orders", _order(total="abd", date_modified_gmt="2017-03-25T00:00:00"), "r2",
            fetched_at="2026-11-02 10:00:00+00")
    assert stage_batch(con, "orders", SHOP, "r2") == StagingCounts(1, 0, 1)
    assert con.execute("SELECT status, reason FROM quarantine.records").fetchone() == (
        "open", "total: 'abd' is not a number")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"total": "30.35"}, "total: 30.350000 is not the sum of its lines, shipping, fees and taxes (29.350000)"),
        ({"total": "-29.35"}, "total: -29.350000 is negative"),
        ({"tax_lines": []}, "total_tax: 1.350000 has no tax_lines"),
        ({"date_created_gmt": "2099-01-01T00:00:00"}, "date_created_gmt: 2099-01-01 00:00:00 is in the future"),
    ],
)
def test_an_order_whose_money_does_not_add_up_is_quarantined_not_a_blocker(con, raw, change, reason):
    good, bad = example("order.json")[0], dict(example("order.json")[0], id=5001, **change)
    raw.add("orders", [good, bad], "r1")
    counts = stage_batch(con, "orders", "default", "r1")
    assert (counts.fetched, counts.staged, counts.quarantined) == (2, 1, 1)
    quarantined = con.execute("SELECT record_key, reason FROM quarantine.records").fetchall()
    assert quarantined[0][0] == "5001" and reason in quarantined[0][1]


def test_a_lower_case_currency_is_repaired(con, raw):
    raw.add("orders", [dict(example("order.json")[0], currency="usd")], "r1")
    assert stage_batch(con, "orders", "default", "r1").staged == 1
    assert con.execute("SELECT currency FROM staging.orders").fetchall() == [("USD",)]
