"""The quarterly OSS return (reconciliation/oss_return) against real sandboxes: its VAT per member state and rate is
Fortnox's own (the sandbox's documents), its euro figures the SEK ones at the ECB rate, the CSV the table, and a
document Fortnox lacks fails the check naming the order."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import dagster as dg

from tests.conftest import duckdb_rows, sync_range

QUARTER = "2026-10-01"
RATE = "11.2345"
CENT = Decimal("0.01")


def materialize_oss_return(ecb_eur_rate: str = RATE) -> dg.ExecuteInProcessResult:
    from woofort_assets.definitions import build_definitions
    from woofort_assets.defs.reconciliation.oss import OSS_RETURN

    defs = build_definitions()
    job = dg.define_asset_job("oss", selection=dg.AssetSelection.assets(OSS_RETURN))
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("oss").execute_in_process(
        partition_key=QUARTER, raise_on_error=False,
        run_config={"ops": {"reconciliation__oss_return": {"config": {"ecb_eur_rate": ecb_eur_rate}}}})


def oss_check(result) -> object:
    [evaluation] = [e.event_specific_data for e in result.all_events
                    if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    return evaluation


def fortnox_vat_by_country(fortnox, orders_country: dict[str, str]) -> dict[tuple[str, Decimal], dict[str, Decimal]]:
    """The VAT per rate of the sandbox's live OSS documents (a row on 3106), as Fortnox computes it from the rows
    it holds (the sandbox's arithmetic), per destination country and rate: in SEK at each document's rate, and in
    euro (a EUR document's own figure, the others' SEK at the ECB rate)."""
    from woofort_sandboxes.fortnox.arithmetic import invoice_totals, row_amounts

    out: dict[tuple[str, Decimal], dict[str, Decimal]] = {}
    for doc in fortnox.state.docs["invoices"].values():
        if doc["Cancelled"] or not any(int(r.get("AccountNumber") or 0) == 3106 for r in doc["InvoiceRows"]):
            continue
        gross = str(doc["VATIncluded"]).lower() == "true"
        rows = [row_amounts(r["DeliveredQuantity"], r["Price"], r["Discount"], r["DiscountType"], r["VAT"], gross)
                for r in doc["InvoiceRows"] if int(r.get("AccountNumber") or 0) != 3740]
        rate = Decimal(str(doc.get("CurrencyRate") or 1)) / Decimal(str(doc.get("CurrencyUnit") or 1))
        country = orders_country[str(doc["ExternalInvoiceReference1"])]
        for vat_rate, vat in invoice_totals(rows, vat_included=gross).vat_by_rate.items():
            sums = out.setdefault((country, vat_rate), {"sek": Decimal(0), "eur_own": Decimal(0), "sek_other": Decimal(0)})
            sek = (vat * rate).quantize(CENT, ROUND_HALF_UP)
            sums["sek"] += sek
            if doc["Currency"] == "EUR":
                sums["eur_own"] += vat
            else:
                sums["sek_other"] += sek
    return out


def test_oss_return_is_fortnox_vat_per_country_and_rate_in_sek_and_euro(books_env):
    woo, fortnox = books_env(orders=120, days=10, seed=5, foreign_vat_rates=(19, 7))
    assert sync_range("2026-10-01", "2026-10-10").success
    result = materialize_oss_return()
    assert result.success
    assert oss_check(result).passed, oss_check(result).metadata["rows"].value

    rows = duckdb_rows("SELECT country, vat_rate, documents, vat_sek, vat_eur, fortnox_vat_sek "
                       "FROM reconciliation.oss_return WHERE quarter = '2026-Q4' ORDER BY 1, 2")
    countries = dict(duckdb_rows("SELECT CAST(order_id AS VARCHAR), upper(coalesce(nullif(shipping_country, ''), "
                                 "billing_country)) FROM staging.orders"))
    expected = fortnox_vat_by_country(fortnox, countries)
    assert expected, "the generated shop has OSS sales (DE consumers)"
    assert {(c, Decimal(r)) for c, r, *_ in rows} == set(expected)
    for country, vat_rate, documents, vat_sek, vat_eur, fx_vat_sek in rows:
        sums = expected[(country, Decimal(vat_rate))]
        assert country != "SE" and documents > 0
        assert vat_sek == fx_vat_sek == sums["sek"]  # WooCommerce's VAT is Fortnox's
        assert vat_eur == sums["eur_own"] + (sums["sek_other"] / Decimal(RATE)).quantize(CENT, ROUND_HALF_UP)

    metadata = result.asset_materializations_for_node("reconciliation__oss_return")[0].metadata
    with open(metadata["csv"].value, newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [(w["country"], Decimal(w["vat_rate"]), Decimal(w["vat_eur"])) for w in written] == \
           [(c, r, e) for c, r, _, _, e, _ in rows]


def test_a_document_fortnox_lacks_fails_the_check_naming_the_order(books_env):
    books_env(orders=120, days=10, seed=5, foreign_vat_rates=(19, 7))
    assert sync_range("2026-10-01", "2026-10-10").success
    [(number, order_id)] = duckdb_rows(
        "SELECT number, order_id FROM (SELECT DISTINCT replace(document, 'fortnox ', '') AS number, order_id "
        "FROM reconciliation.oss_documents WHERE side = 'fortnox') ORDER BY order_id LIMIT 1")
    duckdb_rows("DELETE FROM ledger.fortnox_documents WHERE kind = 'invoice' AND number = ?", [number])
    sync_range("2026-10-01", "2026-10-10", selection=["reconciliation/books"])  # rebuilds oss_documents
    result = materialize_oss_return()
    check = oss_check(result)
    assert not check.passed and check.metadata["differences"].value >= 1
    assert str(order_id) in check.metadata["rows"].value


def test_a_rate_that_is_not_one_fails_with_its_value(books_env):
    books_env(orders=10, days=2)
    assert sync_range("2026-10-01", "2026-10-02").success
    for text in ("abc", "-1", "0"):
        result = materialize_oss_return(text)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert repr(text) in failure.event_specific_data.error.message
