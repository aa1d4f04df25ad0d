"""Invoice update / reissue, cancel, full credit, and a lost authorization."""

from __future__ import annotations

from woofort_assets.defs.fortnox import assets as sink_assets_module
from woofort_assets.defs.fortnox.assets import fortnox_credit_invoices, fortnox_customers, fortnox_invoices

from .conftest import customer, invoice

ASSETS = [fortnox_customers, fortnox_invoices, fortnox_credit_invoices]


def _row(price):
    return [{"Description": "Vara", "DeliveredQuantity": 1, "Price": price, "VAT": 25, "AccountNumber": 3001}]


def _docs(h):
    return {d["DocumentNumber"]: d for d in h.invoices()}


def test_update_of_an_unbooked_invoice_and_cancel(h, monkeypatch):
    monkeypatch.setattr(sink_assets_module, "mapping_auto_book", lambda: False)
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(1, "WC1"), invoice(2, "WC1")])
    assert h.materialize(ASSETS, preflight=False).success
    inv = h.ledger("invoice")
    assert not inv["1"][2] and not inv["2"][2]                      # auto-bookkeep off: unbooked
    no1, no2 = inv["1"][1], inv["2"][1]

    changed = invoice(1, "WC1", rows=_row(300))
    changed["action"] = "update"
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[changed, invoice(2, "WC1")],
                   credit_delta=[{"source_key": "order-2", "entity": "credit_invoice", "action": "cancel",
                                  "order_id": 2, "ref_entity": "invoice", "ref_source_key": "2",
                                  "payload": {"Invoice": {"ExternalInvoiceReference1": "2",
                                                          "Comments": "Makulerad: WooCommerce-order cancelled"}}}])
    before = h.writes()
    assert h.materialize(ASSETS, preflight=False).success
    docs = _docs(h)
    assert len(docs) == 2                                            # updated in place, nothing created
    assert docs[no1]["InvoiceRows"][0]["Price"] == 300
    assert docs[no2]["Cancelled"] is True
    assert h.ledger("credit_invoice")["order-2"][:2] == ("synced", no2)
    assert h.ledger("invoice")["2"][0] == "cancelled"          # what deltas/invoice_delta expects
    assert h.writes() - before == 2                                  # PUT invoice 1, PUT cancel 2
    before = h.writes()
    assert h.materialize(ASSETS, preflight=False).success
    assert h.writes() == before


def test_reissue_of_a_booked_invoice_and_full_credit(h):
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(3, "WC1"), invoice(4, "WC1")])
    assert h.materialize(ASSETS, preflight=False).success
    inv = h.ledger("invoice")
    old3, no4 = inv["3"][1], inv["4"][1]
    assert inv["3"][2] and inv["4"][2]                                # booked

    reissue = invoice(3, "WC1", rows=_row(500))
    reissue["action"] = "reissue"
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[reissue, invoice(4, "WC1")],
                   credit_delta=[{"source_key": "order-4", "entity": "credit_invoice", "action": "credit",
                                  "order_id": 4, "ref_entity": "invoice", "ref_source_key": "4",
                                  "payload": {"Invoice": {"CustomerNumber": "WC1", "CreditInvoiceReference": None,
                                                          "ExternalInvoiceReference1": "4",
                                                          "InvoiceRows": [{"Description": "Vara",
                                                                           "DeliveredQuantity": -1, "Price": 100,
                                                                           "VAT": 25, "AccountNumber": 3001}]}}}])
    assert h.materialize(ASSETS, preflight=False).success
    docs = _docs(h)
    new3 = h.ledger("invoice")["3"][1]
    assert new3 != old3
    assert docs[new3]["ExternalInvoiceReference1"] == "3" and docs[new3]["InvoiceRows"][0]["Price"] == 500
    assert docs[new3]["Booked"] is True
    credit_of_old = docs[old3]["CreditInvoiceReference"]
    assert docs[credit_of_old]["Credit"] == "true"
    assert h.ledger("invoice_reissue")[f"3#{old3}"][:2] == ("synced", credit_of_old)
    credit4 = h.ledger("credit_invoice")["order-4"]
    assert credit4[0] == "synced" and credit4[1] == docs[no4]["CreditInvoiceReference"]
    assert docs[credit4[1]]["Credit"] == "true"
    live = [d for d in docs.values() if d["ExternalInvoiceReference1"] == "3" and d["Credit"] != "true"
            and d["CreditInvoiceReference"] == "0"]
    assert [d["DocumentNumber"] for d in live] == [new3]            # one live invoice for order 3

    before = h.writes()
    assert h.materialize(ASSETS, preflight=False).success
    assert h.writes() == before


def test_lost_authorization_stops_the_asset_without_dead_letters(h):
    from dagster_duckdb import DuckDBResource

    from woofort_assets.resources.fortnox import FortnoxResource

    import dagster as dg

    h.write_deltas(customer_delta=[customer("WC1"), customer("WC2")], invoice_delta=[invoice(1, "WC1")])
    resources = h.resources()
    resources["fortnox"] = FortnoxResource(api_url=h.sb.api_url, auth_url=h.sb.auth_url, client_id="sandbox-client",
                                           client_secret="wrong-secret", tenant_id="1234567",
                                           data_dir=str(h.tmp / "other"), max_retries=1)
    result = dg.materialize([fortnox_customers], resources={"duckdb": DuckDBResource(database=h.db),
                                                            "fortnox": resources["fortnox"]},
                            raise_on_error=False)
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "woofort fortnox connect" in str(failure.event_specific_data.error)
    assert h.sql("SELECT count(*) FROM ledger.dead_letter")[0][0] == 0
    assert h.sql("SELECT count(*) FROM ledger.documents WHERE status = 'pending'")[0][0] == 0


def test_foreign_currency_payment_without_amount_takes_the_invoice_rate(h):
    from woofort_assets.defs.fortnox.assets import fortnox_invoice_payments

    from .conftest import payment

    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(7, "WC1", Currency="EUR", CurrencyRate=11.2345)])
    assert h.materialize(ASSETS, preflight=False).success
    pay = payment(7, None)
    pay["payload"]["InvoicePayment"].update({"Amount": None, "AmountCurrency": 125})
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(7, "WC1", Currency="EUR", CurrencyRate=11.2345)], payment_delta=[pay])
    assert h.materialize([*ASSETS, fortnox_invoice_payments], preflight=False).success
    with h.sb.state.lock:
        (doc,) = h.sb.state["invoicepayments"].values()
    assert float(doc["Amount"]) == round(125 * 11.2345, 2)


def test_bookkeep_sweep_books_what_was_left_unbooked_and_tolerates_already_booked(h):
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[invoice(8, "WC1"), invoice(9, "WC1")])
    h.sb.add_fault("error", "/3/invoices/*/bookkeep", methods=["PUT"], status=503)   # bookkeep answers fail
    assert h.materialize(ASSETS, preflight=False).success
    inv = h.ledger("invoice")
    # the 503 is an unknown outcome: read back (not booked: the sandbox answered 503 without committing),
    # resent once, unknown again -> left unbooked for the sweep
    assert inv["8"][0] == "synced" and inv["8"][2] is False
    h.sb.clear_faults()
    # the ledger lost one booked mark while Fortnox has it booked: the sweep must not dead-letter it
    h.client().put(f"/3/invoices/{inv['9'][1]}/bookkeep")
    assert h.materialize(ASSETS, preflight=False).success
    inv = h.ledger("invoice")
    assert inv["8"][2] is True and inv["9"][2] is True
    assert all(d["Booked"] for d in h.invoices())
    assert h.sql("SELECT count(*) FROM ledger.dead_letter WHERE status = 'open'")[0][0] == 0
