"""Dead letter, first-run adoption, dry run, preflight."""

from __future__ import annotations

import dagster as dg

from woofort_assets.defs.fortnox.assets import fortnox_customers, fortnox_invoices

from .conftest import customer, invoice, payment


def _meta(result, key):
    for e in result.get_asset_materialization_events():
        m = e.event_specific_data.materialization
        if m.asset_key.to_user_string() == key:
            return m.metadata
    raise KeyError(key)


def test_rejected_record_is_dead_lettered_others_sync_and_it_syncs_once_fixed(h):
    bad_rows = [{"Description": "Order 3002", "DeliveredQuantity": 1, "Price": 100, "VAT": 25, "AccountNumber": 9999}]
    bad = invoice(3002, "WC1", bad_rows)                             # an account the company does not have
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(3001, "WC1"), bad, invoice(3003, "WC1")])
    result = h.materialize([fortnox_customers, fortnox_invoices], preflight=False)
    assert result.success                                            # a rejection never fails the run
    ledger = h.ledger("invoice")
    assert ledger["3001"][0] == ledger["3003"][0] == "synced"
    assert ledger["3002"][0] == "failed"
    dead = h.sql("SELECT source_key, error_code, error_message, http_status, status, attempts, payload "
                 "FROM ledger.dead_letter")
    assert len(dead) == 1
    key, code, message, status, state, attempts, payload = dead[0]
    assert (key, status, state, attempts) == ("3002", 400, "open", 1)
    assert code and message
    assert "9999" in payload
    assert _meta(result, "fortnox/invoices")["failed"].value == 1

    # unchanged delta: not sent again (it would be rejected again), counted as failed and waiting
    writes = h.writes()
    result = h.materialize([fortnox_customers, fortnox_invoices], preflight=False)
    assert h.writes() == writes
    assert h.sql("SELECT status, attempts FROM ledger.dead_letter")[0] == ("open", 1)
    assert _meta(result, "fortnox/invoices")["failed"].value == 1
    assert _meta(result, "fortnox/invoices")["by_entity"].value["invoice:waiting"] == 1
    h.sql("DELETE FROM ledger.dead_letter")      # an operator's retry (dead_letter_retry.sql): sent, rejected again
    h.materialize([fortnox_customers, fortnox_invoices], preflight=False)
    assert h.writes() == writes + 1
    assert h.sql("SELECT status, attempts FROM ledger.dead_letter")[0] == ("open", 1)
    h.sql("UPDATE ledger.dead_letter SET attempts = 2")

    # an operator skips it: the sink leaves it alone, however often the run repeats
    h.sql("UPDATE ledger.dead_letter SET status = 'skipped'")
    h.materialize([fortnox_customers, fortnox_invoices], preflight=False)
    assert h.sql("SELECT status, attempts FROM ledger.dead_letter")[0] == ("skipped", 2)
    h.sql("UPDATE ledger.dead_letter SET status = 'open'")

    # fixed upstream: the delta carries the corrected payload, the record syncs, the dead letter is resolved
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(3001, "WC1"), invoice(3002, "WC1", YourOrderNumber="3002"),
                                  invoice(3003, "WC1")])
    result = h.materialize([fortnox_customers, fortnox_invoices], preflight=False)
    assert h.ledger("invoice")["3002"][0] == "synced"
    assert h.sql("SELECT status FROM ledger.dead_letter")[0][0] == "resolved"
    refs = [d["ExternalInvoiceReference1"] for d in h.invoices()]
    assert sorted(refs) == ["3001", "3002", "3003"]


def test_first_run_adopts_what_fortnox_already_holds_and_ignores_a_decoy(h):
    client = h.client()
    client.post("/3/customers", {"Customer": {"CustomerNumber": "WC1", "Name": "Plugin-kund"}})
    row = [{"Description": "Plugin", "DeliveredQuantity": 1, "Price": 100, "VAT": 25, "AccountNumber": 3001}]
    existing = client.post("/3/invoices", {"Invoice": {"CustomerNumber": "WC1", "InvoiceDate": "2026-10-03",
                                                       "ExternalInvoiceReference1": "12", "InvoiceRows": row}})
    existing_no = existing["Invoice"]["DocumentNumber"]
    client.put(f"/3/invoices/{existing_no}/bookkeep")
    decoy = client.post("/3/invoices", {"Invoice": {"CustomerNumber": "WC1", "InvoiceDate": "2026-10-03",
                                                    "ExternalInvoiceReference1": "112", "InvoiceRows": row}})
    decoy_no = decoy["Invoice"]["DocumentNumber"]
    paid = client.post("/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(existing_no), "Amount": 125,
                                                                 "PaymentDate": "2026-10-04"}})
    writes_before = h.writes()

    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(12, "WC1"), invoice(1, "WC1"), invoice(1200, "WC1")],
                   payment_delta=[payment(12, 125, date="2026-10-04")])
    result = h.materialize()
    assert result.success
    assert h.ledger("customer")["WC1"][:2] == ("adopted", "WC1")
    inv = h.ledger("invoice")
    assert inv["12"][:2] == ("adopted", existing_no)
    assert inv["12"][2] is True                               # booked, as Fortnox says
    assert inv["1"][0] == inv["1200"][0] == "synced"
    assert decoy_no not in {v[1] for v in inv.values()}
    assert h.ledger("invoice_payment")["12:payment"][:2] == ("adopted", paid["InvoicePayment"]["Number"])
    refs = sorted(d["ExternalInvoiceReference1"] for d in h.invoices())
    assert refs == ["1", "112", "12", "1200"]                 # nothing created twice
    meta = _meta(result, "fortnox/invoices")
    assert meta["adopted"].value == 1 and meta["created"].value == 2
    # customer adopted: no write; invoices 1 and 1200: create + bookkeep each
    assert h.writes() - writes_before == 4


def test_dry_run_writes_nothing_and_fills_the_payload_table(h):
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(1, "WC1"), invoice(2, "WC1")],
                   payment_delta=[payment(1, 125)])
    before = h.requests()
    result = h.materialize(dry_run=True, preflight=False)
    assert result.success
    assert h.requests() == before, "a dry run calls Fortnox not at all"
    assert h.sql("SELECT count(*) FROM ledger.documents")[0][0] == 0
    rows = h.sql("SELECT entity, source_key, action, method, path, payload FROM ledger.dry_run_payloads "
                 "ORDER BY entity, source_key, action")
    run_ids = {r[0] for r in h.sql("SELECT DISTINCT run_id FROM ledger.dry_run_payloads")}
    assert run_ids == {result.run_id}
    by = {(r[0], r[1], r[2]): r for r in rows}
    assert by[("customer", "WC1", "create")][3:5] == ("POST", "/3/customers")
    assert by[("invoice", "1", "create")][3] == "POST" and '"ExternalInvoiceReference1": "1"' in by[("invoice", "1", "create")][5]
    assert ("invoice", "1", "bookkeep") in by
    assert by[("invoice_payment", "1:payment", "create")][3] == "POST"
    meta = _meta(result, "fortnox/invoices")
    assert meta["dry_run"].value is True and meta["planned_writes"].value == 4


def test_preflight_blocks_everything_when_an_account_is_missing_or_the_year_is_closed(h):
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(1, "WC1"), invoice(2, "WC1", date="2027-01-15")])
    with h.sb.state.lock:
        del h.sb.state["accounts"][3740]                      # the mapping's round-off account
    before = h.writes()
    result = h.materialize(raise_on_error=False)
    assert not result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 1 and not checks[0].passed
    assert checks[0].severity == dg.AssetCheckSeverity.ERROR
    problems = checks[0].metadata["problems"].value
    assert "account 3740 does not exist" in problems and "accounts.round_off" in problems
    assert "no financial year" in problems and "2027-01-15" in problems
    assert h.writes() == before, "a failing preflight writes nothing"
    assert not [e for e in result.get_asset_materialization_events()
                if e.event_specific_data.materialization.asset_key.path[1] != "preflight"]

    # fixed in Fortnox: the preflight passes and the sinks run
    with h.sb.state.lock:
        h.sb.state.seed_reference({"accounts": [{"Number": 3740, "Description": "Öresutjämning"}],
                                   "financialyears": [{"Id": 3, "FromDate": "2027-01-01", "ToDate": "2027-12-31"}]})
    result = h.materialize()
    assert result.success
    assert set(h.ledger("invoice")) == {"1", "2"}


def test_preflight_names_a_missing_scope(h, sandbox):
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1")],
                   payment_delta=[payment(1, 125)])
    with sandbox.state.lock:
        sandbox.state.settings["licensed_scopes"] = [s for s in sandbox.state.settings["licensed_scopes"]
                                                      if s != "payment"]
    result = h.materialize(raise_on_error=False)
    assert not result.success
    problems = result.get_asset_check_evaluations()[0].metadata["problems"].value
    assert "scope 'payment'" in problems and "2001101" in problems
