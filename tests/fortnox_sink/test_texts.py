"""Texts Fortnox accepts (issue 13, item 4): `engine/texts.py::fit` makes every text field valid for Fortnox
(entities decoded, characters outside Fortnox's published set replaced or dropped, lengths cut), the Fortnox
sandbox refuses what Fortnox refuses (2000359), and a product and a customer with entities and emoji sync with no
dead letter while DuckDB keeps the original text."""

from __future__ import annotations

import pytest

from woofort_assets.defs.fortnox.engine.texts import clean, fit, valid
from woofort_assets.resources.fortnox.endpoints import ARTICLES, CUSTOMERS, INVOICE_PAYMENTS, INVOICES

WEIRD_PRODUCT = "Kaffe &amp; Te &#8211; 🎉 Premium"
FITTED_PRODUCT = "Kaffe & Te – Premium"


# ---------------------------------------------------------------------------------------------- fit, unit
def test_entities_are_decoded():
    assert clean(WEIRD_PRODUCT) == FITTED_PRODUCT
    assert clean("Fisk &quot;Deluxe&quot; &lt;3 kg&gt;") == "Fisk Deluxe 3 kg"
    assert clean("Smör &#038; bröd") == "Smör & bröd"


def test_emoji_and_symbols_are_dropped():
    assert clean("Anna 🎉 Svensson") == "Anna Svensson"
    assert clean("👨‍👩‍👧 Familjen ❤️ Berg") == "Familjen Berg"
    assert clean("🎉") == ""
    assert valid(clean("Tab\there | pipe ~ tilde {x} [y] <z>"))


def test_dashes_and_quotes_get_a_valid_equivalent():
    assert clean("A — B") == "A – B"             # em dash → en dash (in the set)
    assert clean("A – B") == "A – B"             # en dash is in the set: kept
    assert clean("O'Brien") == "O’Brien"          # straight apostrophe is not in the set
    assert clean("‘citat’") == "’citat’"          # ‘ only in the page's explanation: sent as ’ (GUESS-safe)
    assert clean("“Bästa” kaffet…") == "Bästa kaffet..."
    assert clean("¼ liter") == "1/4 liter"
    assert clean("Zoë Ångström Ærø Œuvre Ñandú Łódź 東京") == "Zoë Ångström Ærø Œuvre Ñandú Łódź 東京"
    assert clean("Cafe\u0301") == "Café"          # decomposed accents are composed, not dropped
    assert clean("Rad 1\nRad 2") == "Rad 1\nRad 2"


def test_lengths_are_cut_to_the_field():
    article = fit(ARTICLES, {"Article": {"ArticleNumber": "A1", "Description": "x" * 250, "Note": "n"}})
    assert article["Article"]["Description"] == "x" * 200 and article["Article"]["Note"] == "n"
    customer = fit(CUSTOMERS, {"Customer": {"CustomerNumber": "K1", "Name": "N", "ZipCode": "123 45 67890",
                                            "Email": "a" * 2000}})
    assert customer["Customer"]["ZipCode"] == "123 45 678" and len(customer["Customer"]["Email"]) == 1024
    invoice = fit(INVOICES, {"Invoice": {"CustomerNumber": "K1", "YourOrderNumber": "9" * 80, "Remarks": "🎉 ok",
                                         "InvoiceRows": [{"Description": "é" * 300, "Price": 10},
                                                         {"Description": "Frakt 🚚", "AccountNumber": 3001}]}})
    inner = invoice["Invoice"]
    assert len(inner["YourOrderNumber"]) == 75 and inner["Remarks"] == "ok"
    assert inner["InvoiceRows"] == [{"Description": "é" * 255, "Price": 10},
                                    {"Description": "Frakt", "AccountNumber": 3001}]


def test_required_name_never_empty():
    assert fit(CUSTOMERS, {"Customer": {"CustomerNumber": "G-ab12", "Name": "🎉🎉"}})["Customer"]["Name"] == "G-ab12"
    assert fit(ARTICLES, {"Article": {"ArticleNumber": "SKU-1", "Description": "❤️"}})["Article"]["Description"] \
        == "SKU-1"
    assert fit(CUSTOMERS, {"Customer": {"Name": "🎉"}})["Customer"]["Name"] == "-"


def test_fit_copies_and_leaves_other_fields_alone():
    body = {"Customer": {"CustomerNumber": "K1", "Name": "Anna 🎉", "Email": "o'brien+x@example.se",
                         "Address1": "API_BLANK", "VATType": "SEVAT"}}
    fitted = fit(CUSTOMERS, body)
    assert body["Customer"]["Name"] == "Anna 🎉"                       # the original is not changed
    assert fitted["Customer"] == {**body["Customer"], "Name": "Anna"}   # e-mail, codes and API_BLANK as they were
    payment = {"InvoicePayment": {"InvoiceNumber": "1", "Amount": 10}}
    assert fit(INVOICE_PAYMENTS, payment) == payment and fit(INVOICES, None) is None


# ---------------------------------------------------------------------------------------------- sandbox
def test_sandbox_refuses_emoji_name_with_2000359(h):
    from woofort_assets.resources.fortnox import FortnoxError
    from woofort_sandboxes.fortnox import validation

    assert validation.valid_text("Kaffe & Te – Premium") and not validation.valid_text("Anna 🎉")
    assert not validation.valid_text("O'Brien") and validation.valid_text("O’Brien")
    client = h.client()
    with pytest.raises(FortnoxError) as info:
        client.post("/3/customers", {"Customer": {"Name": "Anna 🎉 Svensson"}})
    assert info.value.http_status == 400 and info.value.code == 2000359
    assert info.value.message == "Värdet innehåller ej tillåtna tecken. (Anna 🎉 Svensson)"
    with pytest.raises(FortnoxError) as info:
        client.post("/3/articles", {"Article": {"Description": "x" * 201}})
    assert info.value.http_status == 400 and info.value.code == 2001392            # too long (GUESS code)
    fitted = fit(CUSTOMERS, {"Customer": {"Name": "Anna 🎉 Svensson", "Email": "o'brien@example.se"}})
    assert client.post("/3/customers", fitted)["Customer"]["Name"] == "Anna Svensson"


# ---------------------------------------------------------------------------------------------- end to end
def test_entities_and_emoji_sync_without_dead_letters(woofort_env, woo_sandbox, fortnox_sandbox):
    from tests.conftest import duckdb_rows
    from tests.test_extraction import all_orders
    from woofort_assets.cli import main

    order = next(o for o in all_orders(woo_sandbox) if o["date_created"].startswith("2026-10-03")
                 and o["status"] in ("processing", "completed") and o.get("customer_id", 0) > 0
                 and o.get("line_items"))
    line = order["line_items"][0]
    product = woo_sandbox.store.product(line["product_id"])
    woo_sandbox.store.modify_record("products", product["id"], product["date_modified_gmt"],
                                    {"name": WEIRD_PRODUCT})
    billing = {**order["billing"], "company": "", "first_name": "Åsa 🎉", "last_name": "O'Brien &amp; Co"}
    lines = [{**line, "name": WEIRD_PRODUCT}, *order["line_items"][1:]]
    woo_sandbox.store.inject("orders", [{**order, "id": 990201, "number": "990201", "billing": billing,
                                         "line_items": lines}])

    code = main(["sync", "--from", "2026-10-01", "--to", "2026-10-10"])
    assert code in (0, 3)
    assert duckdb_rows("SELECT count(*) FROM ledger.dead_letter WHERE status = 'open'")[0][0] == 0

    docs = fortnox_sandbox.state.docs
    customer = next(c for c in docs["customers"].values() if c.get("Name") == "Åsa O’Brien & Co")
    assert customer
    articles = [a for a in docs["articles"].values() if str(a.get("Description")).startswith(FITTED_PRODUCT)]
    assert articles, sorted(a.get("Description") for a in docs["articles"].values())[:20]
    invoice = next(i for i in docs["invoices"].values() if str(i.get("ExternalInvoiceReference1")) == "990201")
    assert invoice["CustomerName"] == "Åsa O’Brien & Co"
    assert any(FITTED_PRODUCT in str(r.get("Description")) for r in invoice["InvoiceRows"])
    # DuckDB keeps the original text: staging and the delta payloads are not fitted
    assert duckdb_rows("SELECT count(*) FROM staging.products WHERE name = ?", [WEIRD_PRODUCT])[0][0] == 1
    assert duckdb_rows("SELECT count(*) FROM staging.orders WHERE order_id = 990201 AND billing_first_name = ?",
                       ["Åsa 🎉"])[0][0] == 1
