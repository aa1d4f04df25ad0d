"""Personal data: raw payloads lose personal fields after the retention; `woofort forget --email` erases one person
from raw, quarantine, staging and payload copies while the ledger (numbers, hashes) and Fortnox stay as they are."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import duckdb_rows, sync_range
from tests.reliability import harness as H

FIRST, LAST = "2026-10-01", "2026-10-10"


@pytest.fixture(scope="module")
def synced_once(tmp_path_factory):
    """One real sync of the sandbox shop into Fortnox; every test gets a copy of the resulting database."""
    tmp = tmp_path_factory.mktemp("privacy")
    woo, fx = H.start_woo(tmp, orders=80, days=10, seed=11), H.start_fortnox()
    mp = pytest.MonkeyPatch()
    env = H.pipeline_env(woo, fx, tmp / "data")
    for key, value in env.items():
        if key.startswith(("WOOFORT_", "WOOCOMMERCE_", "FORTNOX_", "REQUESTS_CA_BUNDLE")):
            mp.setenv(key, value)
    result = sync_range(FIRST, LAST)
    assert result.success
    mp.undo()
    yield {"woo": woo, "fortnox": fx, "env": env, "db": tmp / "data" / "woofort.duckdb"}
    woo.stop()
    fx.stop()


@pytest.fixture
def pipeline(synced_once, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(synced_once["db"], data / "woofort.duckdb")
    for key, value in synced_once["env"].items():
        if key.startswith(("WOOFORT_", "WOOCOMMERCE_", "FORTNOX_", "REQUESTS_CA_BUNDLE")):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(data))
    return {**synced_once, "data": data, "db": data / "woofort.duckdb"}


def _all_text_tables():
    """(schema.table, column) of every text/JSON column of every table."""
    return duckdb_rows("SELECT schema_name || '.' || table_name, column_name FROM duckdb_columns() "
                       "WHERE NOT (schema_name IN ('main', 'pg_catalog', 'information_schema') OR internal) "
                       "AND (data_type LIKE 'VARCHAR%' OR data_type = 'JSON') AND database_name = current_database()")


def _mentions(needle: str) -> dict[str, int]:
    found = {}
    for table, column in _all_text_tables():
        try:
            n = duckdb_rows(f'SELECT count(*) FROM {table} WHERE contains(lower(CAST("{column}" AS VARCHAR)), ?)',
                            [needle.lower()])[0][0]
        except Exception:  # noqa: BLE001 - views of dropped temp objects etc.
            continue
        if n:
            found[f"{table}.{column}"] = n
    return found


DELTAS = ["deltas/article_delta", "deltas/price_delta", "deltas/stock_delta", "deltas/customer_delta",
          "deltas/invoice_delta", "deltas/credit_delta", "deltas/payment_delta"]


def _delta_rows() -> set:
    """Rebuilds every delta from staging + ledger (what the sink would send now) and returns its rows."""
    assert sync_range(FIRST, LAST, selection=DELTAS).success
    rows = set()
    for key in DELTAS:
        table = key.replace("/", ".")
        rows |= {(table, *r) for r in duckdb_rows(f"SELECT source_key, action, payload_hash FROM {table}")}
    return rows


def _synced(pipeline):
    assert duckdb_rows("SELECT count(*) FROM ledger.documents WHERE entity = 'invoice' AND status = 'synced'")[0][0]


def test_ledger_documents_hold_no_personal_data(pipeline):
    _synced(pipeline)
    columns = [c for _, c in duckdb_rows("SELECT table_name, column_name FROM duckdb_columns() "
                                         "WHERE schema_name = 'ledger' AND table_name = 'documents'")]
    assert set(columns) <= {"shop", "entity", "source_key", "fortnox_number", "payload_hash", "status", "booked",
                            "attempts", "order_id", "first_attempt_at", "last_attempt_at", "synced_at",
                            "money_hash", "accounts_hash"}, columns
    emails = [e for (e,) in duckdb_rows("SELECT DISTINCT billing_email FROM staging.orders WHERE billing_email <> ''")]
    names = [n for (n,) in duckdb_rows("SELECT DISTINCT billing_last_name FROM staging.orders "
                                       "WHERE length(billing_last_name) > 3")]
    text = " ".join(str(v) for row in duckdb_rows("SELECT * FROM ledger.documents") for v in row).lower()
    assert emails and names
    assert not [e for e in emails if e.lower() in text]
    assert not [n for n in names if n.lower() in text]


def test_retention_blanks_old_raw_personal_data_and_keeps_bookkeeping(pipeline):
    from woofort_assets.lib.duckdb import connect
    from woofort_assets.lib.privacy import apply_retention
    from woofort_assets.lib.settings import duckdb_path

    _synced(pipeline)
    before_deltas = _delta_rows()
    email = duckdb_rows("SELECT billing_email FROM staging.orders WHERE billing_email <> '' LIMIT 1")[0][0]
    totals = duckdb_rows("SELECT sum(CAST(payload ->> '$.total' AS DECIMAL(18,2))), count(*) FROM raw.orders")[0]
    with connect(duckdb_path()) as con:   # nothing is old enough yet: the default is 90 days
        assert apply_retention(con, "default").total == 0
        result = apply_retention(con, "default", days=90, now=datetime.now(UTC) + timedelta(days=91))
        assert result.counts["raw.orders"] > 0 and result.counts["raw.customers"] > 0
        again = apply_retention(con, "default", days=90, now=datetime.now(UTC) + timedelta(days=91))
        assert again.total == 0   # idempotent
    assert duckdb_rows("SELECT count(*) FROM raw.orders WHERE contains(lower(CAST(payload AS VARCHAR)), ?)",
                       [email.lower()])[0][0] == 0
    assert duckdb_rows("SELECT count(*) FROM raw.customers WHERE payload ->> '$.email' <> ''")[0][0] == 0
    # what bookkeeping needs is still there: amounts, countries, lines, VAT numbers
    assert duckdb_rows("SELECT sum(CAST(payload ->> '$.total' AS DECIMAL(18,2))), count(*) FROM raw.orders")[0] \
        == totals
    assert duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload ->> '$.billing.country' = ''")[0][0] == 0
    assert duckdb_rows("SELECT count(*) FROM privacy.erasures WHERE action = 'retention'")[0][0] == 3
    assert _delta_rows() == before_deltas, "retention must not change what the sink sends"


def test_retention_cli_and_env(pipeline, monkeypatch, capsys):
    from woofort_assets.cli import main

    monkeypatch.setenv("WOOFORT_PII_RETENTION_DAYS", "nope")
    assert main(["retention"]) == 2
    monkeypatch.setenv("WOOFORT_PII_RETENTION_DAYS", "0")
    _synced(pipeline)
    assert main(["retention"]) == 0
    assert "row(s) blanked" in capsys.readouterr().out
    assert duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload ->> '$.billing.email' <> ''")[0][0] == 0


def test_retention_job_runs_in_dagster(pipeline):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from woofort_assets.defs.automation.privacy import privacy_retention_job
    from woofort_assets.lib.settings import duckdb_path

    _synced(pipeline)
    defs = dg.Definitions(jobs=[privacy_retention_job], resources={"duckdb": DuckDBResource(database=str(duckdb_path()))})
    result = defs.resolve_job_def("privacy_retention").execute_in_process()
    assert result.success   # nothing older than 90 days in a fresh sync: 0 rows, but the job runs
    assert duckdb_rows("SELECT count(*) FROM privacy.erasures WHERE action = 'retention'")[0][0] == 1


def test_forget_erases_one_person_and_leaves_the_books(pipeline, capsys):
    from woofort_assets.cli import main

    _synced(pipeline)
    # a buyer whose invoices are all synced: the registered customer (or guest) with the most orders
    email, = duckdb_rows(
        "SELECT lower(o.billing_email) FROM staging.orders o LEFT JOIN ledger.documents d ON d.entity = 'invoice' "
        "AND d.source_key = CAST(o.order_id AS VARCHAR) AND d.status = 'synced' WHERE o.billing_email <> '' "
        "GROUP BY 1 HAVING count(*) = count(d.source_key) ORDER BY count(*) DESC, 1 LIMIT 1")[0]
    orders = [r[0] for r in duckdb_rows("SELECT order_id FROM staging.orders WHERE lower(billing_email) = ?", [email])]
    last = duckdb_rows("SELECT billing_last_name FROM staging.orders WHERE lower(billing_email) = ? LIMIT 1",
                       [email])[0][0]
    ledger_before = duckdb_rows("SELECT * FROM ledger.documents ORDER BY ALL")
    before_deltas = _delta_rows()
    assert _mentions(email)

    assert main(["forget", "--email", email.upper(), "--dry-run"]) == 0
    assert _mentions(email), "a dry run changes nothing"
    assert main(["forget", "--email", email]) == 0
    out = capsys.readouterr().out
    assert "erased" in out and "Fortnox is not changed" in out
    assert _mentions(email) == {}
    for order_id in orders:
        assert duckdb_rows("SELECT count(*) FROM raw.orders WHERE payload ->> '$.id' = ? AND "
                           "contains(CAST(payload AS VARCHAR), ?)", [str(order_id), last])[0][0] == 0
        assert duckdb_rows("SELECT count(*) FROM staging.orders WHERE order_id = ?", [order_id])[0][0] == 0
    assert duckdb_rows("SELECT * FROM ledger.documents ORDER BY ALL") == ledger_before
    assert duckdb_rows("SELECT count(*) FROM privacy.erasures WHERE action = 'forget'")[0][0] == 1
    assert not _mentions_in_log(email)
    # what the sink would send afterwards: nothing new (no rewrite of the person's documents), nothing of theirs
    after = _delta_rows()
    assert after <= before_deltas
    assert not [r for r in after if r[0] != "deltas.article_delta" and r[0] != "deltas.price_delta"
                and r[0] != "deltas.stock_delta" and r[1] in {str(o) for o in orders}]
    assert _mentions(email) == {}
    with pipeline["fortnox"].state.lock:   # Fortnox keeps the invoices (Bokföringslagen)
        refs = {str(d.get("ExternalInvoiceReference1")) for d in pipeline["fortnox"].state["invoices"].values()}
    assert {str(o) for o in orders} & refs


def _mentions_in_log(email: str) -> bool:
    return bool(duckdb_rows("SELECT count(*) FROM privacy.erasures WHERE contains(lower(CAST(counts AS VARCHAR)), ?)",
                            [email])[0][0])


def test_forget_refuses_while_bookkeeping_is_pending(pipeline, capsys):
    from woofort_assets.cli import main

    _synced(pipeline)
    order_id, email = duckdb_rows(
        "SELECT o.order_id, lower(o.billing_email) FROM staging.orders o JOIN ledger.documents d "
        "ON d.entity = 'invoice' AND d.source_key = CAST(o.order_id AS VARCHAR) WHERE o.billing_email <> '' LIMIT 1")[0]
    duckdb_rows("UPDATE ledger.documents SET status = 'pending' WHERE entity = 'invoice' AND source_key = ?",
                [str(order_id)])
    assert main(["forget", "--email", email]) == 1
    assert "run `woofort sync` first" in capsys.readouterr().out
    assert _mentions(email)
    assert main(["forget", "--email", "not-an-address"]) == 2


@pytest.mark.parametrize("address", ["nobody@example.invalid"])
def test_forget_of_an_unknown_person_changes_nothing(pipeline, address):
    from woofort_assets.cli import main

    _synced(pipeline)
    before = duckdb_rows("SELECT count(*), sum(length(CAST(payload AS VARCHAR))) FROM raw.orders")
    assert main(["forget", "--email", address]) == 0
    assert duckdb_rows("SELECT count(*), sum(length(CAST(payload AS VARCHAR))) FROM raw.orders") == before
