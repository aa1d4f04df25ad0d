"""Bad input: the corpus in tests/reliability/bad_inputs/ (one JSON file per case: a change to a valid base order and the
expected outcome) is injected into the WooCommerce sandbox, synced once through the real pipeline, and every case
must end where its file says: quarantined (with the reason), excluded from invoicing (deltas.invoice_exclusions,
with the reason), dead-lettered by Fortnox (with Fortnox's message), or invoiced (repaired by a documented rule).
The rest of the shop syncs, and the counts reconcile: fetched = staged + quarantined;
invoiceable (staged) = invoiced + excluded + dead-lettered. No bad record stops the rest of the shop."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import duckdb
import pytest

from tests.reliability import harness as H

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p for p in CORPUS.glob("*.json") if not p.name.startswith("_"))
FIRST, LAST = "2026-10-01", "2026-10-10"
FIRST_ID = 9001


def _path_set(record, dotted: str, value, delete: bool = False):
    parts = dotted.split(".")
    node = record
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        if delete:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif delete:
        node.pop(last, None)
    else:
        node[last] = value


def build_record(index: int, case: dict) -> dict:
    record = copy.deepcopy(json.loads((CORPUS / "_base_order.json").read_text()))
    record["id"] = FIRST_ID + index
    record["number"] = str(record["id"])
    record["customer_note"] = f"badinput:{case['case']}"   # finds the record again when it has no usable id
    for dotted, value in case.get("set", {}).items():
        _path_set(record, dotted, value)
    for dotted in case.get("delete", []):
        _path_set(record, dotted, None, delete=True)
    return record


def test_corpus_is_well_formed():
    assert len(CASES) >= 40
    names = set()
    for path in CASES:
        case = json.loads(path.read_text())
        assert case["case"] not in names
        names.add(case["case"])
        assert case["expect"]["outcome"] in ("quarantined", "excluded", "dead_letter", "invoiced"), path.name
        assert case["description"]


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("badinputs")
    woo, fx = H.start_woo(tmp, orders=80, days=10, seed=11), H.start_fortnox()
    cases = [json.loads(p.read_text()) for p in CASES]
    records = [build_record(i, c) for i, c in enumerate(cases)]
    woo.store.inject("orders", records)
    mp = pytest.MonkeyPatch()
    for key, value in H.pipeline_env(woo, fx, tmp / "data").items():
        if key.startswith(("WOOFORT_", "WOOCOMMERCE_", "FORTNOX_", "REQUESTS_CA_BUNDLE")):
            mp.setenv(key, value)
    result = H.run_in_process(FIRST, LAST, woo=woo, fortnox=fx, data_dir=tmp / "data")
    mp.undo()
    con = duckdb.connect(str(tmp / "data" / "woofort.duckdb"), read_only=True)
    yield {"result": result, "con": con, "cases": cases, "records": records, "fortnox": fx}
    con.close()
    woo.stop()
    fx.stop()


def outcome_of(con, record: dict, case: dict) -> tuple[str, str]:
    marker = f"badinput:{case['case']}"
    q = con.execute("SELECT reason FROM quarantine.records WHERE entity = 'orders' AND "
                    "contains(CAST(payload AS VARCHAR), ?)", [marker]).fetchall()
    if q:
        return "quarantined", q[0][0]
    order_id = record.get("id")
    staged = con.execute("SELECT count(*) FROM staging.orders WHERE customer_note = ?", [marker]).fetchone()[0]
    if not staged:
        return "missing", "neither staged nor quarantined"
    key = str(order_id)
    x = con.execute("SELECT reason, detail FROM deltas.invoice_exclusions WHERE order_id = ?", [order_id]).fetchall()
    if x:
        return "excluded", f"{x[0][0]}: {x[0][1]}"
    d = con.execute("SELECT error_code, error_message FROM ledger.dead_letter WHERE entity = 'invoice' AND "
                    "source_key = ? AND status = 'open'", [key]).fetchall()
    if d:
        return "dead_letter", f"{d[0][0]} {d[0][1]}"
    inv = con.execute("SELECT status FROM ledger.documents WHERE entity = 'invoice' AND source_key = ?",
                      [key]).fetchall()
    if inv and inv[0][0] in ("synced", "adopted"):
        return "invoiced", ""
    pending = con.execute("SELECT payload ->> '$.Invoice.CustomerNumber' FROM deltas.invoice_delta WHERE "
                          "source_key = ?", [key]).fetchall()
    if pending:
        c = con.execute("SELECT error_code, error_message FROM ledger.dead_letter WHERE entity = 'customer' AND "
                        "source_key = ? AND status = 'open'", [pending[0][0]]).fetchall()
        if c:
            return "dead_letter", f"customer {pending[0][0]}: {c[0][0]} {c[0][1]}"
    return "unaccounted", f"ledger {inv}, delta {pending}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input_case(path, request):
    case = json.loads(path.read_text())
    synced = request.getfixturevalue("synced")
    index = [c["case"] for c in synced["cases"]].index(case["case"])
    outcome, reason = outcome_of(synced["con"], synced["records"][index], case)
    expected = case["expect"]
    assert outcome == expected["outcome"], f"{case['case']}: {outcome} ({reason})"
    if expected.get("reason"):
        assert expected["reason"].lower() in reason.lower(), f"{case['case']}: reason {reason!r}"
    if outcome in ("quarantined", "excluded", "dead_letter"):
        assert len(reason.strip()) > 5, "a clear reason"


def test_the_rest_syncs_and_the_counts_reconcile(synced):
    con, result = synced["con"], synced["result"]
    assert result.success, H.step_errors(result)
    meta = {}
    for event in result.all_events:
        if event.is_step_materialization:
            m = event.step_materialization_data.materialization
            meta["/".join(m.asset_key.path)] = {k: v.value for k, v in m.metadata.items()}
    orders = meta["staging/orders"]
    assert orders["orders/fetched"] == orders["orders/staged"] + orders["orders/quarantined"]
    assert orders["orders/quarantined"] == sum(c["expect"]["outcome"] == "quarantined" for c in synced["cases"])
    staged = {r[0] for r in con.execute("SELECT order_id FROM staging.orders").fetchall()}
    invoiced = {int(r[0]) for r in con.execute("SELECT source_key FROM ledger.documents WHERE entity = 'invoice' "
                                               "AND status IN ('synced', 'adopted')").fetchall()}
    excluded = {r[0] for r in con.execute("SELECT order_id FROM deltas.invoice_exclusions").fetchall()}
    dead = {int(r[0]) for r in con.execute("SELECT DISTINCT source_key FROM ledger.dead_letter "
                                           "WHERE entity IN ('invoice', 'invoice_order') AND status = 'open'").fetchall()}
    deferred = {int(r[0]) for r in con.execute(
        "SELECT i.source_key FROM deltas.invoice_delta i JOIN ledger.dead_letter c ON c.entity = 'customer' AND "
        "c.status = 'open' AND c.source_key = (i.payload ->> '$.Invoice.CustomerNumber')").fetchall()}
    accounted = [invoiced, excluded, dead, deferred - dead]   # deferred: waiting for a dead-lettered customer
    assert staged == set().union(*accounted), sorted(staged - set().union(*accounted))[:20]
    for i, a in enumerate(accounted):
        for b in accounted[i + 1:]:
            assert not (a & b), sorted(a & b)[:10]
    # the generated shop (ids below the corpus) still syncs around the bad records
    assert len({o for o in invoiced if o < FIRST_ID}) >= 20
    assert H.duplicate_references(synced["fortnox"]) == {}
