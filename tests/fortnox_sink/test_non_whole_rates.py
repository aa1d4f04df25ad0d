"""Invoices at a non-whole VAT rate are booked through an order and its createinvoice, over real HTTP against the
Fortnox sandbox: the rows and totals of docs/accounting.md §3 "Non-whole rates", under both GUESSed createinvoice
behaviours (dated today or the order's date; copying ExternalInvoiceReference1 or not), exactly once when an
answer is lost or the run stops between the order and its invoice, and paid like any invoice."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal as D

import pytest

from woofort_assets.defs.fortnox.assets import (
    fortnox_credit_invoices, fortnox_customers, fortnox_invoice_payments, fortnox_invoices)

from .conftest import customer, invoice, partial_credit, payment

ASSETS = [fortnox_customers, fortnox_invoices, fortnox_invoice_payments]
RATES = [D("25.5"), 14, D("5.5"), D("13.5")]


def _row(text: str, net: str, vat, account: int) -> dict:
    return {"Description": text, "DeliveredQuantity": 1, "Price": float(net), "Discount": 0,
            "DiscountType": "AMOUNT", "VAT": float(vat) if isinstance(vat, D) else vat, "AccountNumber": account}


# the payloads of tests/accounting/test_non_whole_rates.py (one row per line, quantity folded into the price), with
# the Fortnox totals worked out by hand: (rows, Net, TotalVAT, Total)
CASES = {
    2001: ([_row("Produkt 1", "200.00", D("25.5"), 3106), _row("Frakt", "49.00", D("25.5"), 3521)],
           D("249.00"), D("63.50"), D("312.50")),
    2002: ([_row("Produkt 1", "38.70", 14, 3106)], D("38.70"), D("5.42"), D("44.12")),
    2003: ([_row("Produkt 1", "19.90", D("5.5"), 3106), _row("Frakt", "49.00", D("5.5"), 3521)],
           D("68.90"), D("3.79"), D("72.69")),
    2004: ([_row("Produkt 1", "100.00", D("13.5"), 3106)], D("100.00"), D("13.50"), D("113.50")),
}


def _setup(h, settings: dict | None = None, orders=CASES) -> None:
    h.sb.state.seed_reference({"settings": {"round_off": False, "foreign_vat_rates": RATES, **(settings or {})}})
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(o, "WC1", rows=CASES[o][0], date="2026-10-05", DueDate="2026-11-04")
                                  for o in orders])


def _orders(h) -> list[dict]:
    with h.sb.state.lock:
        return [dict(d) for d in h.sb.state["orders"].values()]


def _check_booked(h, orders=CASES) -> dict[str, dict]:
    """One order and one booked invoice per WooCommerce order, with the hand-worked rows and totals."""
    invoices = {d["DocumentNumber"]: d for d in h.invoices() if d["Credit"] != "true"}
    made = Counter(o["ExternalInvoiceReference1"] for o in _orders(h))
    assert made == Counter({str(o): 1 for o in orders if CASES[o][0][0]["VAT"] % 1}), made
    assert len(invoices) == len(orders)
    ledger = h.ledger("invoice")
    out = {}
    for order_id in orders:
        rows, net, vat, total = CASES[order_id]
        status, number, booked, _ = ledger[str(order_id)]
        doc = invoices[number]
        assert (status, booked, doc["Booked"]) == ("synced", True, True)
        assert (D(str(doc["Net"])), D(str(doc["TotalVAT"])), D(str(doc["Total"]))) == (net, vat, total)
        assert [(r["AccountNumber"], D(str(r["VAT"]))) for r in doc["InvoiceRows"]] == [
            (r["AccountNumber"], D(str(r["VAT"]))) for r in rows]
        assert (doc["InvoiceDate"], doc["DueDate"]) == ("2026-10-05", "2026-11-04")
        out[str(order_id)] = doc
    return out


@pytest.mark.parametrize("invoice_date", ["today", "order_date"])
@pytest.mark.parametrize("copies_references", [True, False])
def test_every_oss_rate_is_booked(h, invoice_date, copies_references):
    _setup(h, {"createinvoice_invoice_date": invoice_date, "createinvoice_copies_references": copies_references})
    assert h.materialize(ASSETS, preflight=False).success
    docs = _check_booked(h)
    counters = h.sb.counters_snapshot()
    assert counters.get("POST /3/invoices", 0) == 1          # only the whole-rate FI 14 % order directly
    assert counters.get("POST /3/orders", 0) == 3
    assert docs["2001"]["OrderReference"] != "0"
    by_number = {o["DocumentNumber"]: o for o in _orders(h)}
    assert by_number[docs["2001"]["OrderReference"]]["InvoiceReference"] == docs["2001"]["DocumentNumber"]
    assert set(h.ledger("invoice_order")) == {"2001", "2003", "2004"}
    # a second run sends nothing
    before = h.writes()
    assert h.materialize(ASSETS, preflight=False).success
    assert h.writes() == before


def test_payment_of_an_invoice_made_from_an_order(h):
    _setup(h, orders=[2001])
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(2001, "WC1", rows=CASES[2001][0], date="2026-10-05", DueDate="2026-11-04")],
                   payment_delta=[payment(2001, 312.50)])
    assert h.materialize(ASSETS, preflight=False).success
    doc = _check_booked(h, [2001])["2001"]
    assert D(str(h.client().get(f"/3/invoices/{doc['DocumentNumber']}")["Invoice"]["Balance"])) == 0
    assert h.ledger("invoice_payment")["2001:payment"][0] == "synced"


@pytest.mark.parametrize("copies_references", [True, False])
@pytest.mark.parametrize("fault,pattern,method", [
    ("commit_then_drop", "/3/orders", "POST"), ("drop", "/3/orders", "POST"),
    ("commit_then_drop", "/3/orders/*/createinvoice", "PUT"), ("drop", "/3/orders/*/createinvoice", "PUT")])
def test_lost_answers_make_neither_a_second_order_nor_a_second_invoice(h, fault, pattern, method, copies_references):
    _setup(h, {"createinvoice_copies_references": copies_references})
    h.sb.add_fault(fault, pattern, methods=[method], count=2)
    h.materialize(ASSETS, preflight=False, raise_on_error=False)
    h.sb.clear_faults()
    assert h.materialize(ASSETS, preflight=False).success
    _check_booked(h)


@pytest.mark.parametrize("copies_references", [True, False])
def test_stopped_between_the_order_and_its_invoice(h, copies_references):
    """The order is committed but its answer lost and its look-up fails (the run ends as if killed with the order
    made and unrecorded); then createinvoice's answer is lost and its look-up fails too. Each next run finds
    what exists instead of sending it again."""
    _setup(h, {"createinvoice_copies_references": copies_references}, orders=[2001])
    h.sb.add_fault("commit_then_drop", "/3/orders", methods=["POST"], count=1)
    h.sb.add_fault("error", "/3/orders", methods=["GET"], skip=1, count=20, status=503)   # after the adoption
    h.materialize(ASSETS, preflight=False, raise_on_error=False)
    assert h.ledger("invoice_order")["2001"][0] == "pending" and len(_orders(h)) == 1
    h.sb.clear_faults()
    h.sb.add_fault("commit_then_drop", "/3/orders/*/createinvoice", methods=["PUT"], count=1)
    # the found order and the look-up before createinvoice are read; the look-up after it fails
    h.sb.add_fault("error", "/3/orders/*", methods=["GET"], skip=2, count=20, status=503)
    h.materialize(ASSETS, preflight=False, raise_on_error=False)
    assert h.ledger("invoice")["2001"][0] == "pending" and len(h.invoices()) == 1
    h.sb.clear_faults()
    assert h.materialize(ASSETS, preflight=False).success
    _check_booked(h, [2001])


def test_dry_run_plans_the_order_its_invoice_and_the_booking(h):
    _setup(h, orders=[2001])
    assert h.materialize(ASSETS, dry_run=True, preflight=False).success
    planned = h.sql("SELECT entity, action, method, path FROM ledger.dry_run_payloads WHERE source_key = '2001' "
                    "ORDER BY rowid")
    assert planned == [("invoice_order", "create", "POST", "/3/orders"),
                       ("invoice", "create", "PUT", "/3/orders/{DocumentNumber}/createinvoice"),
                       ("invoice", "bookkeep", "PUT", "/3/invoices/{DocumentNumber}/bookkeep")]
    assert _orders(h) == [] and h.invoices() == []


def test_an_unbooked_invoice_whose_order_changes_is_made_anew_from_a_new_order(h, monkeypatch):
    from woofort_assets.defs.fortnox import assets as sink_assets_module

    monkeypatch.setattr(sink_assets_module, "mapping_auto_book", lambda: False)
    _setup(h, orders=[2004])
    assert h.materialize(ASSETS, preflight=False).success
    (_, first, booked, _) = h.ledger("invoice")["2004"]
    assert booked is False
    rows = [{**CASES[2004][0][0], "Price": 200.0}]
    h.write_deltas(customer_delta=[customer("WC1")], invoice_delta=[
        {**invoice(2004, "WC1", rows=rows, date="2026-10-05", DueDate="2026-11-04"), "action": "update"}])
    assert h.materialize(ASSETS, preflight=False).success
    status, second, _, _ = h.ledger("invoice")["2004"]
    docs = {d["DocumentNumber"]: d for d in h.invoices()}
    assert second != first and docs[first]["Cancelled"] is True and status == "synced"
    assert (D(str(docs[second]["TotalVAT"])), D(str(docs[second]["Total"]))) == (D("27.00"), D("227.00"))
    assert len(_orders(h)) == 2 and docs[second]["OrderReference"] != docs[first]["OrderReference"]


def test_a_refused_order_is_dead_lettered_and_waits(h):
    """A company without the rate set up refuses the order's row (as it refuses an invoice's): the record waits in
    the dead letter under invoice_order, its invoice row is `failed`, and the next run sends nothing."""
    _setup(h, orders=[2001])
    h.sb.state.seed_reference({"settings": {"foreign_vat_rates": []}})
    assert h.materialize(ASSETS, preflight=False).success
    assert h.ledger("invoice")["2001"][0] == "failed" and _orders(h) == []
    letters = h.sql("SELECT entity, source_key, status FROM ledger.dead_letter")
    assert letters == [("invoice_order", "2001", "open")]
    before = h.writes()
    assert h.materialize(ASSETS, preflight=False).success
    assert h.writes() == before


# ---------------------------------------------------------------------- a partial refund at a non-whole rate
CREDIT_ASSETS = [*ASSETS, fortnox_credit_invoices]


def _refund(refund_id: int, rows: list[dict]) -> dict:
    body = partial_credit(refund_id, 2001, "WC1", 0)
    body["payload"]["Invoice"]["InvoiceRows"] = rows
    return body


# a refund of the product of order 2001 (200.00 + 25.5 %), and of its shipping too (49.00 + 25.5 %)
PRODUCT = {**_row("Produkt 1", "200.00", D("25.5"), 3106), "DeliveredQuantity": -1}
SHIPPING = {**_row("Frakt", "49.00", D("25.5"), 3521), "DeliveredQuantity": -1}


def _credit_setup(h, refunds: list[dict], settings: dict | None = None) -> None:
    _setup(h, settings, orders=[2001])
    h.write_deltas(customer_delta=[customer("WC1")],
                   invoice_delta=[invoice(2001, "WC1", rows=CASES[2001][0], date="2026-10-05", DueDate="2026-11-04")],
                   credit_delta=refunds)


def _credits(h) -> list[dict]:
    return [d for d in h.invoices() if d["Credit"] == "true"]


@pytest.mark.parametrize("fault", [None, "commit_then_drop /3/invoices/*/credit",
                                   "commit_then_drop /3/invoices/*", "drop /3/invoices/*"])
def test_a_partial_refund_at_a_non_whole_rate_is_fortnoxs_credit_with_the_refunds_rows(h, fault):
    """Fortnox's credit of the whole invoice copies its 25.5 % rows; the sink then PUTs the refund's rows onto it
    by RowId (docs/accounting.md §11): one booked credit invoice of -200.00 - 51.00 VAT, exactly once when an
    answer is lost (the credit's, or the rows' PUT)."""
    _credit_setup(h, [_refund(9001, [PRODUCT])])
    assert h.materialize(ASSETS, preflight=False).success            # the invoice, booked
    if fault:
        kind, pattern = fault.split()
        # PUTs in order: …/credit, the credit invoice's rows, its bookkeep ("*" matches "1/credit" too)
        h.sb.add_fault(kind, pattern, methods=["PUT"], count=1, skip=1 if pattern == "/3/invoices/*" else 0)
        h.materialize(CREDIT_ASSETS, preflight=False, raise_on_error=False)
        assert [r["fired"] for r in h.sb.faults.snapshot()] == [1]
        h.sb.clear_faults()
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    (credit,) = _credits(h)
    original = _check_booked(h, [2001])["2001"]
    assert (credit["CreditInvoiceReference"], original["CreditInvoiceReference"]) == (
        original["DocumentNumber"], credit["DocumentNumber"])
    assert [(r["AccountNumber"], D(str(r["VAT"])), D(str(r["DeliveredQuantity"])), D(str(r["Price"])))
            for r in credit["InvoiceRows"]] == [(3106, D("25.5"), D(-1), D("200"))]
    assert (D(str(credit["Net"])), D(str(credit["TotalVAT"])), D(str(credit["Total"]))) == (
        D("-200.00"), D("-51.00"), D("-251.00"))
    assert credit["Booked"] is True and credit["InvoiceDate"] == "2026-10-07"
    assert credit["ExternalInvoiceReference2"] == "refund 9001"
    status, number, booked, _ = h.ledger("credit_invoice")["9001"]
    assert (status, number, booked) == ("synced", credit["DocumentNumber"], True)
    before = h.writes()
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    assert h.writes() == before


def test_a_fortnox_that_drops_the_rate_on_put_leaves_no_credit_open(h):
    """GUESS disproved (sandbox put_keeps_row_vat false: Fortnox reads a kept row's 25.5 back as 25): the answer's
    rates are checked, the credit invoice is cancelled, and the refund waits in the dead letter with the reason."""
    _credit_setup(h, [_refund(9001, [PRODUCT, SHIPPING])], {"put_keeps_row_vat": False})
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    (credit,) = _credits(h)
    assert credit["Cancelled"] is True and credit["Booked"] is False
    assert h.ledger("credit_invoice")["9001"][0] == "failed"
    (message,) = [m for (m,) in h.sql("SELECT error_message FROM ledger.dead_letter WHERE source_key = '9001'")]
    assert "did not keep the VAT rates" in message and "25.5" in message and "by hand" in message, message
    before = h.writes()
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    assert h.writes() == before


def test_a_second_refund_at_a_non_whole_rate_is_refused_with_its_reason(h):
    """Fortnox credits an invoice once: the second refund is refused before anything is sent, names the first
    credit invoice, and waits without a request on the next run."""
    _credit_setup(h, [_refund(9001, [PRODUCT]), _refund(9002, [SHIPPING])])
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    (credit,) = _credits(h)
    assert h.ledger("credit_invoice")["9001"][:2] == ("synced", credit["DocumentNumber"])
    assert "9002" not in h.ledger("credit_invoice") or h.ledger("credit_invoice")["9002"][1] is None
    (message,) = [m for (m,) in h.sql("SELECT error_message FROM ledger.dead_letter WHERE source_key = '9002'")]
    assert f"credited it already (credit invoice {credit['DocumentNumber']})" in message, message
    before = h.sb.counters_snapshot()
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    assert h.sb.counters_snapshot() == before


def test_an_adopted_original_is_read_once_before_its_refund_is_credited(h):
    """The refusal and the adoption look at the same read of the original (a plugin's invoice woofort adopted may
    have been credited already): one GET of it, and one of the credit invoice before its rows are PUT."""
    _credit_setup(h, [_refund(9001, [PRODUCT])])
    assert h.materialize(ASSETS, preflight=False).success
    h.sql("UPDATE ledger.documents SET status = 'adopted' WHERE entity = 'invoice'")
    before = h.sb.counters_snapshot()
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    after = h.sb.counters_snapshot()
    reads = {k: after[k] - before.get(k, 0) for k in after if k.startswith("GET /3/invoices")}
    assert {k: n for k, n in reads.items() if n} == {"GET /3/invoices/<number>": 2}, reads
    (credit,) = _credits(h)
    assert h.ledger("credit_invoice")["9001"][:3] == ("synced", credit["DocumentNumber"], True)


def test_a_refused_refund_leaves_its_unbooked_original_unbooked(h, monkeypatch):
    """The refusal is known before anything is sent: the original a credit would have booked first (Fortnox
    credits booked invoices only) is not booked for a refund that is refused."""
    from woofort_assets.defs.fortnox import assets as sink_assets_module

    monkeypatch.setattr(sink_assets_module, "mapping_auto_book", lambda: False)
    _credit_setup(h, [_refund(9001, [PRODUCT, SHIPPING, PRODUCT])])   # three rows at 25.5 % of an invoice's two
    assert h.materialize(CREDIT_ASSETS, preflight=False).success
    (original,) = h.invoices()
    assert original["Booked"] is False and h.ledger("invoice")["2001"][2] is False
    (message,) = [m for (m,) in h.sql("SELECT error_message FROM ledger.dead_letter WHERE source_key = '9001'")]
    assert "more rows at VAT 25.5 %" in message, message
