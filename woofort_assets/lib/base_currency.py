"""The store's base currency against the Fortnox company's, checked before anything is written.

WooCommerce keeps every amount of an order in the order's currency and reports its own base currency in
settings/general (`woocommerce_currency`). A Fortnox company keeps its books in SEK: `Amount` of an invoice payment
is "in SEK" and `AmountCurrency` is required when the currency is other than SEK ([SPEC] fortnox_InvoicePayment,
reference §5.5), and the currency register quotes every currency in SEK; neither /3/companyinformation nor
/3/settings/company has a currency field ([SPEC] fortnox_CompanySettings). A store whose base currency is not SEK
would see its base-currency orders booked as SEK amounts, so the preflight refuses it."""

from __future__ import annotations

COMPANY_CURRENCY = "SEK"


def read_store_currency(client) -> str | None:
    """The store's base currency from `GET settings/general` (None when WooCommerce does not list it)."""
    for option in client.get_json("settings/general") or []:
        if isinstance(option, dict) and option.get("id") == "woocommerce_currency" and option.get("value"):
            return str(option["value"]).strip().upper()
    return None


def save_store_currency(con, shop: str, currency: str | None) -> None:
    if currency:
        con.execute("INSERT OR REPLACE INTO staging.store_settings (shop, currency, read_at) VALUES (?, ?, now())",
                    [shop, currency])


def stored_store_currency(con, shop: str) -> str | None:
    row = con.execute("SELECT currency FROM staging.store_settings WHERE shop = ?", [shop]).fetchone()
    return row[0] if row else None


def currency_problem(store_currency: str | None) -> str | None:
    """A readable refusal when the store's base currency is not the company's; None when they agree or the store's
    is not known yet (the preflight then warns)."""
    if store_currency is None or store_currency == COMPANY_CURRENCY:
        return None
    return (f"base currency: the store's is {store_currency} (WooCommerce > Settings > General > Currency) but the "
            f"Fortnox company keeps its books in {COMPANY_CURRENCY}; woofort would book {store_currency} amounts as "
            f"{COMPANY_CURRENCY}. Set the store's currency to {COMPANY_CURRENCY} (a multi-currency plugin can still "
            f"sell in {store_currency}), or connect a store kept in {COMPANY_CURRENCY}")
