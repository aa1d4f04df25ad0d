"""End to end against the Fortnox sandbox: every sink, then a rerun that must send nothing."""

from __future__ import annotations

from .conftest import article, customer, invoice, partial_credit, payment, price, stock


def full_deltas(h):
    h.write_deltas(
        customer_delta=[customer("WC1"), customer("WC2")],
        article_delta=[article("SKU-1"), article("SKU-2")],
        price_delta=[price("SKU-1", 80), price("SKU-2", 40)],
        invoice_delta=[
            invoice(1001, "WC1", rows=[{"ArticleNumber": "SKU-1", "DeliveredQuantity": 2, "Price": 80, "VAT": 25}]),
            invoice(1002, "WC2"),
            invoice(1003, "WC1"),
        ],
        payment_delta=[payment(1001, 200), payment(1002, 125)],
        credit_delta=[partial_credit(5001, 1003, "WC1", 50)],
        stock_delta=[stock("SKU-1", 7), stock("SKU-2", 3)],
    )


def test_everything_syncs_and_a_rerun_sends_no_writes(h):
    full_deltas(h)
    result = h.materialize()
    assert result.success
    assert {k: v[0] for k, v in h.ledger("customer").items()} == {"WC1": "synced", "WC2": "synced"}
    inv = h.ledger("invoice")
    assert set(inv) == {"1001", "1002", "1003"}
    assert all(v[0] == "synced" and v[2] for v in inv.values()), inv          # synced and booked
    pays = h.ledger("invoice_payment")
    assert all(v[0] == "synced" and v[2] for v in pays.values()) and len(pays) == 2
    credit = h.ledger("credit_invoice")["5001"]
    assert credit[0] == "synced"
    docs = {d["DocumentNumber"]: d for d in h.invoices()}
    assert docs[credit[1]]["Credit"] == "true" and docs[credit[1]]["CreditInvoiceReference"] == inv["1003"][1]
    with h.sb.state.lock:
        assert h.sb.state["articles"]["SKU-1"]["QuantityInStock"] in (7, "7", 7.0)
    mats = {m.asset_key.to_user_string(): m.metadata for m in result.get_asset_materialization_events()
            and [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]}
    assert mats["fortnox/invoices"]["created"].value == 3
    assert "1001" in mats["fortnox/invoices"]["fortnox_numbers"].value

    before = h.writes()
    again = h.materialize()
    assert again.success
    assert h.writes() == before, "the second run must not write to Fortnox"
    mats = {e.event_specific_data.materialization.asset_key.to_user_string():
            e.event_specific_data.materialization.metadata for e in again.get_asset_materialization_events()}
    assert mats["fortnox/invoices"]["unchanged"].value == 3
    assert mats["fortnox/invoices"]["created"].value == 0
