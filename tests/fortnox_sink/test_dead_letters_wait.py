"""Issue 13, item 7: a document Fortnox rejected waits for a reason. An unchanged rerun sends nothing for it (0
writes, the dead letter stays open, counted as failed + waiting); a changed payload, a document it depends on that
syncs after the rejection, or an operator's retry sends it again. A dead letter from before migration 024 (no hash)
is sent once more, then waits."""

from __future__ import annotations

from woofort_assets.defs.fortnox.assets import fortnox_customers, fortnox_invoices

from .conftest import customer, invoice

ASSETS = [fortnox_customers, fortnox_invoices]


def _rows(account: int, text: str = "Order 3002") -> list[dict]:
    return [{"Description": text, "DeliveredQuantity": 1, "Price": 100, "VAT": 25, "AccountNumber": account}]


def _meta(result, key):
    for e in result.get_asset_materialization_events():
        m = e.event_specific_data.materialization
        if m.asset_key.to_user_string() == key:
            return m.metadata
    raise KeyError(key)


def _letter(h):
    return h.sql("SELECT status, attempts FROM ledger.dead_letter WHERE entity = 'invoice' AND source_key = '3002'")[0]


def _run(h):
    result = h.materialize(ASSETS, preflight=False)
    assert result.success
    return result


def test_unchanged_rerun_writes_nothing_a_change_or_an_operator_sends_again(h):
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(3001, "WC1"), invoice(3002, "WC1", _rows(9999))])
    _run(h)
    assert _letter(h) == ("open", 1)
    assert h.ledger("invoice")["3002"][0] == "failed"

    writes = h.writes()
    for _ in range(2):                                   # unchanged reruns: nothing sent, not even a look-up write
        result = _run(h)
        assert h.writes() == writes
        assert _letter(h) == ("open", 1)
        meta = _meta(result, "fortnox/invoices")
        assert meta["failed"].value == 1 and meta["created"].value == 0
        assert meta["by_entity"].value["invoice:waiting"] == 1
        assert "woofort deadletter retry invoice 3002" in meta["notes"].value
    assert h.ledger("invoice")["3002"][0] == "failed"    # its chunk's `pending` mark was put back

    # a changed payload (still wrong): sent again once, rejected, then waits again
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(3001, "WC1"), invoice(3002, "WC1", _rows(9999, "Order 3002 (edited)"))])
    _run(h)
    assert h.writes() == writes + 1
    assert _letter(h) == ("open", 2)
    _run(h)
    assert h.writes() == writes + 1

    # the operator retries (woofort deadletter retry / the deadletter_retry job): sent again
    from woofort_assets.defs.automation.operator import deadletter_retry
    from woofort_assets.lib.duckdb import connect

    with connect(h.db) as con:
        assert deadletter_retry(con, "default", "invoice", ["3002"]) == 1
    _run(h)
    assert h.writes() == writes + 2
    assert _letter(h) == ("open", 1)
    _run(h)
    assert h.writes() == writes + 2

    # fixed upstream: the corrected payload syncs and the dead letter is resolved
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(3001, "WC1"), invoice(3002, "WC1", _rows(3001))])
    _run(h)
    assert h.ledger("invoice")["3002"][0] == "synced"
    assert _letter(h)[0] == "resolved"
    assert sorted(d["ExternalInvoiceReference1"] for d in h.invoices()) == ["3001", "3002"]


def test_dead_letter_from_before_the_migration_is_sent_once_more_then_waits(h):
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(3002, "WC1", _rows(9999))])
    _run(h)
    h.sql("UPDATE ledger.dead_letter SET payload_hash = NULL")      # as migration 024 leaves an old dead letter
    writes = h.writes()
    _run(h)
    assert h.writes() == writes + 1
    assert _letter(h) == ("open", 2)
    assert h.sql("SELECT payload_hash IS NOT NULL FROM ledger.dead_letter")[0][0]
    _run(h)
    assert h.writes() == writes + 1


def test_invoice_rejected_for_its_missing_customer_is_sent_once_the_customer_syncs(h):
    h.write_deltas(customer_delta=[], invoice_delta=[invoice(3002, "WC9")])   # WC9 is not in Fortnox
    _run(h)
    assert _letter(h) == ("open", 1)
    writes = h.writes()
    _run(h)
    assert h.writes() == writes                                                 # unchanged: waits
    h.write_deltas(customer_delta=[customer("WC9")], invoice_delta=[invoice(3002, "WC9")])
    _run(h)                                    # the customer syncs after the rejection: the invoice is sent again
    assert h.ledger("invoice")["3002"][0] == "synced"
    assert _letter(h)[0] == "resolved"


def test_rejected_bookkeep_waits_for_the_operator(h):
    """A bookkeep Fortnox refused (here: the invoice was cancelled in Fortnox while unbooked) is not tried by every
    run's sweep: the document exists, so it is not a failed record; an operator's retry tries once more."""
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(3001, "WC1")])
    _run(h)
    number = h.ledger("invoice")["3001"][1]
    with h.sb.state.lock:
        doc = h.sb.state["invoices"][str(number)]
        doc["Booked"], doc["Cancelled"] = False, True
    h.sql("UPDATE ledger.documents SET booked = false WHERE entity = 'invoice' AND source_key = '3001'")
    writes = h.writes()
    _run(h)                                                   # the sweep tries once: rejected, dead-lettered
    assert h.writes() == writes + 1
    letter = h.sql("SELECT status, error_message, payload_hash FROM ledger.dead_letter")[0]
    assert letter[0] == "open" and letter[1].startswith("bookkeep failed: ") and letter[2] == f"bookkeep:{number}"
    for _ in range(2):
        result = _run(h)
        assert h.writes() == writes + 1                       # waits
        assert _meta(result, "fortnox/invoices")["by_entity"].value["invoice:bookkeep_waiting"] == 1
        assert _meta(result, "fortnox/invoices")["failed"].value == 0
    from woofort_assets.defs.automation.operator import deadletter_retry
    from woofort_assets.lib.duckdb import connect

    with connect(h.db) as con:
        deadletter_retry(con, "default", "invoice", ["3001"])
    _run(h)
    assert h.writes() == writes + 2
