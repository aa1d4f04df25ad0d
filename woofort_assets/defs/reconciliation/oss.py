"""reconciliation/oss_return: one quarter's OSS return (union scheme) per member state and VAT rate, taxable amount
and VAT in SEK and euro, from WooCommerce's figures, checked against what Fortnox holds; written as a table
(reconciliation.oss_return), a CSV in the data directory and the asset's metadata. The accountant files the return
in Skatteverket's e-service; woofort never files it. docs/accounting.md "OSS return"."""

import csv
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.reconciliation.build import markdown
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import MappingError, load_mapping, register_mapping
from woofort_assets.lib.partitions import quarterly_partitions
from woofort_assets.lib.settings import mapping_path, shop_key, start_date, writable_data_dir
from woofort_assets.lib.sql import run_sql_file

OSS_RETURN = dg.AssetKey(["reconciliation", "oss_return"])
BOOKS = dg.AssetKey(["reconciliation", "books"])
CHECK = "oss_sides_agree"
COLUMNS = ["quarter", "country", "vat_rate", "documents", "taxable_eur", "vat_eur", "taxable_sek", "vat_sek",
           "fortnox_taxable_sek", "fortnox_vat_sek", "fortnox_vat_rounding_sek"]


class OssReturnConfig(dg.Config):
    """`ecb_eur_rate`: SEK per euro, the ECB's rate of the quarter's last day (or the next published one), as text
    (a Decimal, never a float); without it the euro columns stay empty."""

    ecb_eur_rate: str = ""


def euro_rate(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        rate = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0:
        raise dg.Failure(description=f"ecb_eur_rate {text!r} is not a rate: give SEK per euro, e.g. 11.0235")
    return rate


def quarter_label(start) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def write_csv(path: Path, rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(["" if v is None else str(v) for v in row] for row in rows)


@dg.asset(
    key=OSS_RETURN, deps=[BOOKS], group_name="reconciliation", kinds={"duckdb", "csv"}, pool="duckdb",
    partitions_def=quarterly_partitions(), backfill_policy=dg.BackfillPolicy.multi_run(1),
    check_specs=[dg.AssetCheckSpec(CHECK, asset=OSS_RETURN, description=(
        "Per member state, VAT rate and currency, Fortnox's VAT on the quarter's OSS documents equals WooCommerce's "
        "and its taxable amount equals WooCommerce's up to woofort's Momsavrundning rows."))],
    description="The quarter's OSS return figures per member state and VAT rate (taxable amount and VAT in euro and "
                "SEK) from WooCommerce, beside Fortnox's (reconciliation.oss_return, CSV in <data dir>/oss/).",
)
def oss_return(context: dg.AssetExecutionContext, config: OssReturnConfig,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
    window = context.partition_time_window
    quarter = quarter_label(window.start)
    rate = euro_rate(config.ecb_eur_rate)
    try:
        mapping = load_mapping(mapping_path())
    except MappingError as exc:
        raise dg.Failure(description=str(exc)) from None
    shop = shop_key()
    params = {"shop": shop, "quarter": quarter, "first": window.start.date(), "next": window.end.date(),
              "eur_rate": rate}
    with connect(duckdb.database) as con:
        register_mapping(con, mapping, shop, start_date())   # the macros read the shop's Fortnox VAT model
        run_sql_file(con, "reconciliation/_macros.sql", {})
        run_sql_file(con, "reconciliation/oss_return.sql", params)
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM reconciliation.oss_return WHERE shop = ? AND quarter = ? "
                           "ORDER BY country, vat_rate", [shop, quarter]).fetchall()
        diff = con.execute("SELECT * FROM rc_oss_differences")
        diff_columns, differences = [d[0] for d in diff.description], diff.fetchall()
    path = writable_data_dir() / "oss" / f"oss-return-{shop}-{quarter}.csv"
    write_csv(path, rows)
    last_day = (window.end - timedelta(days=1)).date()
    context.log.info(f"OSS return {quarter}: {len(rows)} country/rate rows, {len(differences)} differences; {path}")
    return dg.MaterializeResult(
        metadata={"quarter": quarter, "rows": dg.MetadataValue.md(markdown(COLUMNS, rows)),
                  "csv": dg.MetadataValue.path(str(path)),
                  "ecb_eur_rate": str(rate) if rate else f"not given: the ECB's SEK rate of {last_day} is needed "
                                                          "for the euro columns (run config ecb_eur_rate)"},
        check_results=[dg.AssetCheckResult(
            check_name=CHECK, passed=not differences, severity=dg.AssetCheckSeverity.ERROR,
            metadata={"differences": len(differences),
                      "rows": dg.MetadataValue.md(markdown(diff_columns, differences))})],
    )
