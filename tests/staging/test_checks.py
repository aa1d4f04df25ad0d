"""Pandera contract (ERROR) and oddities (WARN) on staging, as Dagster AssetCheckResults."""

from __future__ import annotations

import shutil
from decimal import Decimal

import dagster as dg
import pandera.pandas as pa
import pytest

from tests.staging.conftest import SHOP, example
from woofort_assets.defs.staging.checks import validate_table, validation_frame
from woofort_assets.defs.staging.schemas import RULES
from woofort_assets.lib.staging import ENTITIES, stage_batch


def _stage_examples(con, raw, extra_orders=()):
    batch = example("orders_batch_response.json")[0]
    raw.add("orders", example("orders_list.json") + batch["create"] + list(extra_orders), "r1")
    raw.add("refunds", [dict(r, parent_id=723) for r in example("refunds_list.json")], "r1")
    raw.add("products", example("products_list.json"), "r1")
    raw.add("variations", [dict(v, parent_id=799) for v in example("variations_list.json")], "r1")
    raw.add("customers", example("customers_list.json"), "r1")
    raw.add("tax_rates", example("tax_rates.json"), "r1")
    raw.add("tax_classes", example("tax_classes.json"), "r1")
    for entity in ENTITIES:
        stage_batch(con, entity, SHOP, "r1")


@pytest.fixture(scope="module")
def examples_template(tmp_path_factory, migrated_template):
    """A database with every example staged once; tests work on copies."""
    import duckdb

    from tests.staging.conftest import Raw

    path = tmp_path_factory.mktemp("checks") / "examples.duckdb"
    shutil.copyfile(migrated_template, path)
    con = duckdb.connect(str(path))
    _stage_examples(con, Raw(con))
    con.close()
    return path


@pytest.fixture
def staged(tmp_path, examples_template):
    """(connection, raw writer) on a copy of the staged examples; extra orders go in with run "r2"."""
    import duckdb

    from tests.staging.conftest import Raw

    path = tmp_path / "staged.duckdb"
    shutil.copyfile(examples_template, path)
    con = duckdb.connect(str(path))
    yield con, Raw(con)
    con.close()


def _add_orders(con, raw, orders):
    raw.add("orders", list(orders), "r2")
    stage_batch(con, "orders", SHOP, "r2")


def _by_name(results):
    return {r.check_name: r for r in results}


def _order(order_id, **changes):
    order = example("order.json")[0]
    order["id"] = order_id
    order.update(changes)
    return order


def test_examples_satisfy_every_contract(con, raw):
    with_coupon = _order(8001, discount_total="2.00")
    with_coupon["coupon_lines"] = [{"id": 8101, "code": "spring", "discount": "2.00", "discount_tax": "0.00",
                                    "discount_type": "fixed_cart", "nominal_amount": 2, "meta_data": []}]
    _stage_examples(con, raw, [with_coupon])
    for table in RULES:
        results = validate_table(con, table, SHOP)
        assert [r.check_name for r in results] == [f"{table}_contract", f"{table}_oddities"]
        contract, oddities = results
        assert contract.severity == dg.AssetCheckSeverity.ERROR and oddities.severity == dg.AssetCheckSeverity.WARN
        assert contract.passed, (table, contract.metadata["failure_cases"].value)
        assert contract.metadata["failure_count"].value == 0
        assert contract.metadata["rows_checked"].value > 0


def test_per_line_tax_rounding_is_accepted(staged):
    """Order 728 of the docs: lines 60.00 + line taxes 1.13 + 0.23 + 0.90 = 62.26, total 62.25, total_tax 2.25."""
    con, _ = staged
    frame = validation_frame(con, "orders", SHOP, keys=[728])
    assert frame.loc[0, "lines_total"] + frame.loc[0, "lines_tax"] == Decimal("62.26")
    assert _by_name(validate_table(con, "orders", SHOP, keys=[728]))["orders_contract"].passed


def test_order_total_that_does_not_add_up_is_an_error(staged):
    # staging quarantines such an order (test_quarantine.py); the contract is the second line of defence
    con, raw = staged
    _add_orders(con, raw, [_order(5001)])
    con.execute("UPDATE staging.orders SET total = 30.35 WHERE order_id = 5001")
    contract = _by_name(validate_table(con, "orders", SHOP))["orders_contract"]
    assert not contract.passed and contract.severity == dg.AssetCheckSeverity.ERROR
    assert contract.metadata["failures_by_check"].value == {"total_eq_sum_lines_and_taxes": 1}
    assert contract.metadata["failing_rows"].value == 1
    table = contract.metadata["failure_cases"].value
    assert table.splitlines()[0] == "| key | column | check | failing value |"
    assert ("| order_id=5001 | total, lines_total, lines_tax, total_tax | total_eq_sum_lines_and_taxes | "
            "total=30.350000, lines_total=28.000000, lines_tax=1.350000, total_tax=1.350000 |") in table


def test_tax_lines_that_do_not_sum_to_total_tax_is_an_error(staged):
    con, raw = staged
    _add_orders(con, raw, [_order(5002)])
    con.execute("UPDATE staging.order_tax_lines SET tax_total = 1.30 WHERE order_id = 5002")
    contract = _by_name(validate_table(con, "orders", SHOP))["orders_contract"]
    assert contract.metadata["failures_by_check"].value == {"total_tax_eq_sum_tax_lines": 1}
    assert "total_tax=1.350000, tax_lines_total=1.300000" in contract.metadata["failure_cases"].value


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"currency": "US"}, "currency_iso_4217"),
        ({"currency": "KRONOR"}, "currency_iso_4217"),
        ({"status": "Processing!!"}, "status_well_formed"),
    ],
)
def test_contract_errors_on_malformed_values(con, raw, changes, check):
    raw.add("orders", _order(5003, **changes), "r1")
    stage_batch(con, "orders", SHOP, "r1")  # staging accepts them: it is the contract that refuses
    contract = _by_name(validate_table(con, "orders", SHOP))["orders_contract"]
    assert not contract.passed and check in contract.metadata["failures_by_check"].value


def test_a_negative_refund_amount_breaks_the_contract_and_zero_is_an_oddity(con, raw):
    raw.add("refunds", [dict(example("refund.json")[0], parent_id=723, amount="-1.00")], "r1")
    stage_batch(con, "refunds", SHOP, "r1")
    contract = _by_name(validate_table(con, "refunds", SHOP))["refunds_contract"]
    assert contract.metadata["failures_by_check"].value == {"amount_ge_0": 1}
    assert "| refund_id=726 | amount | amount_ge_0 | -1.000000 |" in contract.metadata["failure_cases"].value

    raw.add("refunds", [dict(example("refund.json")[0], parent_id=723, amount="0.00")], "r2")  # restock only
    stage_batch(con, "refunds", SHOP, "r2")
    checks = _by_name(validate_table(con, "refunds", SHOP))
    assert checks["refunds_contract"].passed
    assert "amount_gt_0" in checks["refunds_oddities"].metadata["failures_by_check"].value


def test_contract_rules_on_frames_directly(staged):
    """Rules staging already enforces (negative order quantity, scale > 6, duplicate keys) still hold in pandera."""
    con, _ = staged
    lines = validation_frame(con, "order_lines", SHOP)
    assert all(isinstance(v, Decimal) for v in lines["total"])
    bad = lines.copy()
    bad.loc[0, "quantity"] = Decimal("-1.0000")
    bad.loc[1, "total"] = Decimal("1.2345678")
    bad.loc[2, "line_id"] = bad.loc[3, "line_id"]
    bad.loc[2, "order_id"] = bad.loc[3, "order_id"]
    with pytest.raises(pa.errors.SchemaErrors) as err:
        RULES["order_lines"].contract.validate(bad, lazy=True)
    checks = set(err.value.failure_cases["check"])
    assert {"quantity_ge_0", "decimal_scale_le_6", "multiple_fields_uniqueness"} <= checks


def test_oddities_are_warnings_with_failure_cases(con, raw):
    zero = _order(6001, total="0.00", total_tax="0.00", cart_tax="0.00", shipping_total="0.00")
    for line in zero["line_items"] + zero["shipping_lines"]:
        line.update(total="0.00", total_tax="0.00", subtotal="0.00", subtotal_tax="0.00")
    zero["tax_lines"] = []
    no_email = _order(6002)
    no_email["billing"]["email"] = ""
    future = _order(6003, date_modified_gmt="2999-01-01T00:00:00")  # created in the future: quarantined
    backwards = _order(6004, date_modified_gmt="2017-03-01T00:00:00")
    custom = _order(6005, status="awaiting-shipment")
    raw.add("orders", [zero, no_email, future, backwards, custom], "r1")
    stage_batch(con, "orders", SHOP, "r1")

    contract, oddities = validate_table(con, "orders", SHOP)
    assert contract.passed, contract.metadata["failure_cases"].value
    assert not oddities.passed and oddities.severity == dg.AssetCheckSeverity.WARN
    by_check = oddities.metadata["failures_by_check"].value
    assert by_check["total_not_zero"] == 1
    assert by_check["not_nullable"] == 1  # billing_email
    assert by_check["not_in_future"] == 1  # date_modified_gmt of 6003
    assert by_check["date_modified_gmt_ge_date_created_gmt"] == 1
    assert by_check["status_known"] == 1
    assert by_check["prices_include_tax"] == 5
    table = oddities.metadata["failure_cases"].value
    assert "| order_id=6002 | billing_email | not_nullable | null |" in table
    assert "| order_id=6005 | status | status_known | awaiting-shipment |" in table
    assert ("| order_id=6004 | date_created_gmt, date_modified_gmt | date_modified_gmt_ge_date_created_gmt | "
            "date_created_gmt=2017-03-22T19:28:02, date_modified_gmt=2017-03-01T00:00:00 |") in table


def test_failure_cases_table_is_capped_at_20_rows(con, raw):
    orders = []
    for i in range(25):
        order = _order(7000 + i)
        order["billing"]["email"] = None
        order["prices_include_tax"] = True
        orders.append(order)
    raw.add("orders", orders, "r1")
    stage_batch(con, "orders", SHOP, "r1")
    oddities = _by_name(validate_table(con, "orders", SHOP))["orders_oddities"]
    assert oddities.metadata["failure_count"].value == 25
    table = oddities.metadata["failure_cases"].value
    assert sum(1 for line in table.splitlines() if line.startswith("| order_id=")) == 20
    assert "… and 5 more failure cases." in table


def test_keys_limit_the_rows_checked(staged):
    con, raw = staged
    _add_orders(con, raw, [_order(5001, total="30.35")])
    contract = _by_name(validate_table(con, "orders", SHOP, keys=[727, 723]))["orders_contract"]
    assert contract.passed and contract.metadata["rows_checked"].value == 2
    lines = _by_name(validate_table(con, "order_lines", SHOP, keys=[727]))["order_lines_contract"]
    assert lines.metadata["rows_checked"].value == 3
    classes = _by_name(validate_table(con, "staging.tax_classes", SHOP, keys=["standard"]))["tax_classes_contract"]
    assert classes.metadata["rows_checked"].value == 1


def test_results_can_carry_an_asset_key(con, raw):
    raw.add("tax_classes", example("tax_classes.json"), "r1")
    stage_batch(con, "tax_classes", SHOP, "r1")
    results = validate_table(con, "tax_classes", SHOP, asset_key=dg.AssetKey(["staging", "tax_classes"]))
    assert all(r.asset_key == dg.AssetKey(["staging", "tax_classes"]) for r in results)


def test_unknown_table(con):
    with pytest.raises(ValueError, match="no pandera rules"):
        validate_table(con, "coupons", SHOP)


def test_results_work_in_a_dagster_asset(tmp_path, migrated_template):
    """How the staging assets use it: stage_batch, then yield validate_table's results for declared check specs."""
    import duckdb

    from tests.staging.conftest import Raw

    path = tmp_path / "dagster.duckdb"
    shutil.copyfile(migrated_template, path)
    with duckdb.connect(str(path)) as con:
        Raw(con).add("orders", [_order(5001, currency="KRONOR")] + example("orders_list.json"), "r1")

    @dg.asset(
        key=["staging", "orders"],
        check_specs=[dg.AssetCheckSpec("orders_contract", asset=["staging", "orders"]),
                     dg.AssetCheckSpec("orders_oddities", asset=["staging", "orders"])],
    )
    def staging_orders():
        with duckdb.connect(str(path)) as con:
            counts = stage_batch(con, "orders", SHOP, "r1")
            yield dg.MaterializeResult(metadata=counts.as_metadata())
            yield from validate_table(con, "orders", SHOP)

    result = dg.materialize([staging_orders], raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["orders_contract"].passed is False
    assert evaluations["orders_contract"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["orders_oddities"].severity == dg.AssetCheckSeverity.WARN
    assert "order_id=5001" in evaluations["orders_contract"].metadata["failure_cases"].value
