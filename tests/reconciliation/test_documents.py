"""What the sink keeps of Fortnox's answers for reconciliation: money and references, no personal data."""

from woofort_assets.defs.fortnox.engine.documents import slim


def test_invoice_reduced_to_money_dates_and_references():
    doc = {"DocumentNumber": "17", "InvoiceDate": "2026-10-14", "Total": 756.5, "TotalVAT": 100.45,
           "CustomerName": "Karin Berg", "Address1": "Storgatan 1", "EmailInformation": {"EmailAddressTo": "k@x.se"},
           "CustomerNumber": "WCG0F3E2AC40FF5", "Phone1": "070", "ExternalInvoiceReference1": "1042",
           "InvoiceRows": [{"VAT": 25, "AccountNumber": 3001, "Total": 268.2, "Description": "Kaffekopp",
                            "RowId": 9, "Cost": 10}]}
    number, kept = slim("invoice", doc)
    assert number == "17"
    assert kept["Total"] == 756.5 and kept["ExternalInvoiceReference1"] == "1042"
    assert not {"CustomerName", "Address1", "EmailInformation", "CustomerNumber", "Phone1"} & set(kept)
    assert kept["InvoiceRows"] == [{"VAT": 25, "AccountNumber": 3001, "Total": 268.2, "Description": "Kaffekopp"}]


def test_list_items_and_other_answers_are_not_documents():
    assert slim("invoice", {"DocumentNumber": "17", "Total": 1}) is None            # a list item: no rows
    assert slim("invoice_payment", {"Number": "3", "Amount": 1}) is None            # a list item: no AmountCurrency
    assert slim("invoice_payment", {"Number": "3", "Amount": 1, "AmountCurrency": 1, "InvoiceNumber": 17}) == (
        "3", {"Number": "3", "Amount": 1, "AmountCurrency": 1, "InvoiceNumber": 17})
    assert slim("invoice", None) is None
