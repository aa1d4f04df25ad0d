"""Operator jobs (ops, not assets) so that the UI can do what `woofort quarantine|deadletter|resync-order`
does in a terminal: Launchpad → job → config → Launch. Same code path (operator.py); an unknown id fails
the run with the same message the CLI prints (exit code 2 there). All of them are in pool "duckdb"."""


from typing import Optional

import dagster as dg
from dagster_duckdb import DuckDBResource

from woofort_assets.defs.automation import operator
from woofort_assets.defs.fortnox.calibration import CalibrationError, measure, probe_accounts, store
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.mapping import load_mapping
from woofort_assets.lib.settings import mapping_path, shop_key
from woofort_assets.resources.fortnox import FortnoxError, FortnoxResource
from woofort_assets.resources.woocommerce import WooCommerceResource

TAGS = {"woofort/kind": "operator"}


class ListConfig(dg.Config):
    what: str = "both"  # quarantine | deadletter | both
    status: str = "open"
    entity: Optional[str] = None


class RecordsConfig(dg.Config):
    """One entity and the record keys (quarantine: record_key; dead letter: source_key)."""

    entity: str
    keys: list[str]


class ResyncConfig(dg.Config):
    order_id: int


class ReissueConfig(dg.Config):
    order_ids: list[int]


class CalibrateConfig(dg.Config):
    document: str = "order"   # order | invoice (an unbooked invoice: uses an invoice number)


def _fail_unknown(call):
    try:
        return call()
    except (operator.UnknownIdError, operator.OperatorUsageError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None


def _table(rows: list[dict]) -> dg.MetadataValue:
    if not rows:
        return dg.MetadataValue.md("(none)")
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows[:200]:
        lines.append("| " + " | ".join(str(row[h]).replace("|", "\\|")[:120] for h in header) + " |")
    return dg.MetadataValue.md("\n".join(lines))


@dg.op(pool="duckdb", tags=TAGS)
def list_set_aside(context: dg.OpExecutionContext, config: ListConfig, duckdb: DuckDBResource) -> dg.Output:
    """Lists quarantined records and/or dead letters (status open|skipped|resolved|all) as a table."""
    shop, metadata = shop_key(), {}
    with connect(duckdb.database) as con:
        if config.what in ("quarantine", "both"):
            rows = _fail_unknown(lambda: operator.quarantine_list(con, shop, config.status, config.entity))
            metadata["quarantine"], metadata["quarantine_count"] = _table(rows), len(rows)
        if config.what in ("deadletter", "both"):
            rows = _fail_unknown(lambda: operator.deadletter_list(con, shop, config.status, config.entity))
            metadata["dead_letter"], metadata["dead_letter_count"] = _table(rows), len(rows)
    if not metadata:
        raise dg.Failure(description=f"what={config.what!r}: use quarantine, deadletter or both", allow_retries=False)
    context.log.info(", ".join(f"{k}={v}" for k, v in metadata.items() if k.endswith("_count")))
    return dg.Output(None, metadata=metadata)


@dg.op(pool="duckdb", tags=TAGS)
def retry_quarantined(context: dg.OpExecutionContext, config: RecordsConfig, duckdb: DuckDBResource) -> dg.Output:
    with connect(duckdb.database) as con:
        outcomes = _fail_unknown(lambda: operator.quarantine_retry(con, shop_key(), config.entity, config.keys))
    for outcome in outcomes:
        context.log.info(f"{outcome.entity} {outcome.record_key}: "
                         + ("staged" if outcome.staged else f"still quarantined: {outcome.reason}"))
    staged = [o.record_key for o in outcomes if o.staged]
    return dg.Output(None, metadata={"staged": len(staged), "still_quarantined": len(outcomes) - len(staged),
                                     "keys_staged": ", ".join(staged) or "(none)"})


@dg.op(pool="duckdb", tags=TAGS)
def skip_quarantined(context: dg.OpExecutionContext, config: RecordsConfig, duckdb: DuckDBResource) -> dg.Output:
    with connect(duckdb.database) as con:
        count = _fail_unknown(lambda: operator.quarantine_skip(con, shop_key(), config.entity, config.keys))
    context.log.info(f"{count} quarantined {config.entity} record(s) skipped")
    return dg.Output(None, metadata={"skipped": count})


@dg.op(pool="duckdb", tags=TAGS)
def retry_dead_letters(context: dg.OpExecutionContext, config: RecordsConfig, duckdb: DuckDBResource) -> dg.Output:
    with connect(duckdb.database) as con:
        count = _fail_unknown(lambda: operator.deadletter_retry(con, shop_key(), config.entity, config.keys))
    context.log.info(f"{count} dead letter(s) cleared; the next sync sends them again")
    return dg.Output(None, metadata={"cleared": count})


@dg.op(pool="duckdb", tags=TAGS)
def skip_dead_letters(context: dg.OpExecutionContext, config: RecordsConfig, duckdb: DuckDBResource) -> dg.Output:
    with connect(duckdb.database) as con:
        count = _fail_unknown(lambda: operator.deadletter_skip(con, shop_key(), config.entity, config.keys))
    context.log.info(f"{count} dead letter(s) skipped")
    return dg.Output(None, metadata={"skipped": count})


@dg.op(pool="duckdb", tags=TAGS)
def resync_one_order(context: dg.OpExecutionContext, config: ResyncConfig, duckdb: DuckDBResource,
                     woocommerce: WooCommerceResource) -> dg.Output:
    """GET orders/ID into raw, restage it, clear the payload hash of its unbooked ledger rows."""
    outcome = _fail_unknown(lambda: operator.resync_order(duckdb.database, shop_key(), woocommerce.get_client(),
                                                          config.order_id, run_id=context.run_id))
    context.log.info(f"order {outcome.order_id} re-extracted ({outcome.refunds} refunds), "
                     + ("staged" if outcome.staged else f"quarantined: {outcome.reason}")
                     + f"; ledger rows reset: {len(outcome.ledger_rows_reset)}")
    return dg.Output(None, metadata={
        "order_id": outcome.order_id, "refunds": outcome.refunds, "staged": outcome.staged,
        "ledger_rows_reset": ", ".join(f"{e}:{k}" for e, k in outcome.ledger_rows_reset) or "(none)",
    })


@dg.op(pool="duckdb", tags=TAGS)
def request_reissues(context: dg.OpExecutionContext, config: ReissueConfig, duckdb: DuckDBResource) -> dg.Output:
    """Credits and re-issues the booked invoices of chosen orders on the next sync (the accountant's decision)."""
    with connect(duckdb.database) as con:
        done = _fail_unknown(lambda: operator.reissue(con, shop_key(), config.order_ids))
    for order, number in done:
        context.log.info(f"order {order}: invoice {number} is credited and issued anew on the next sync")
    return dg.Output(None, metadata={"requested": len(done),
                                     "orders": ", ".join(f"{o} (invoice {n})" for o, n in done)})


@dg.op(pool="fortnox", tags=TAGS)
def calibrate_fortnox(context: dg.OpExecutionContext, config: CalibrateConfig, duckdb: DuckDBResource,
                      fortnox: FortnoxResource) -> dg.Output:
    """Measures how Fortnox rounds VAT with a probe document, cancelled at once, and stores it (`woofort fortnox
    calibrate`; defs/fortnox/calibration.py)."""
    try:
        m = measure(fortnox.get_client(), config.document, probe_accounts(load_mapping(mapping_path())))
    except (CalibrationError, FortnoxError) as error:
        raise dg.Failure(description=f"calibration failed: {error}", allow_retries=False) from None
    with connect(duckdb.database) as con:
        store(con, shop_key(), m)
    context.log.info(f"Fortnox {m.company_name}: {m.model.describe()}")
    return dg.Output(None, metadata={"model": m.model.describe(), "probe": f"{m.document} {m.number} (cancelled)",
                                     "total_vat": str(m.total_vat), "round_off": str(m.round_off_amount)})


def _job(name: str, op_def: dg.OpDefinition, description: str) -> dg.JobDefinition:
    @dg.job(name=name, description=description, tags=TAGS)
    def _graph():
        op_def()

    return _graph


set_aside_list_job = _job("set_aside_list", list_set_aside,
                           "List quarantined records and dead letters (config: what, status, entity).")
quarantine_retry_job = _job("quarantine_retry", retry_quarantined,
                            "Re-stage the latest raw version of quarantined records (config: entity, keys).")
quarantine_skip_job = _job("quarantine_skip", skip_quarantined,
                           "Mark quarantined records skipped (config: entity, keys).")
deadletter_retry_job = _job("deadletter_retry", retry_dead_letters,
                            "Clear dead letters so the next sync sends them again (config: entity, keys).")
deadletter_skip_job = _job("deadletter_skip", skip_dead_letters,
                           "Mark dead letters skipped (config: entity, keys).")
resync_order_job = _job("resync_order", resync_one_order,
                        "Force a re-sync of one order: re-extract, restage, reset its unbooked ledger hashes.")

reissue_orders_job = _job("reissue_orders", request_reissues,
                          "Credit and re-issue the booked invoices of chosen orders on the next sync (config: order_ids).")

fortnox_calibrate_job = _job("fortnox_calibrate", calibrate_fortnox,
                             "Measure how Fortnox rounds VAT with a probe order (config: document order|invoice), "
                             "cancelled at once; the deltas then build for it.")

operator_jobs = [set_aside_list_job, quarantine_retry_job, quarantine_skip_job, deadletter_retry_job,
                 deadletter_skip_job, resync_order_job, reissue_orders_job, fortnox_calibrate_job]
