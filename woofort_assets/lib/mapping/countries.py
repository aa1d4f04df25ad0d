"""The country names Fortnox takes in an invoice's `Country` and `DeliveryCountry` (the invoice has no country
code field; the customer card has `CountryCode` and derives its names).

Evidence (/work/shared/fortnox/recorded/invoices/save_new_with_country_*.yml, real Fortnox answers): Sweden is
"Sverige"; other countries go by their English ISO 3166 short name ("Norway", "United Kingdom",
"Holy See (Vatican City State)", "Virgin Islands, U.S."; "Norge" was sent as "Norway"). The other names below
follow the same English list and are GUESS. A country not listed gets no Country on the invoice: Fortnox then
copies it from the customer card, whose CountryCode woofort sets."""

from __future__ import annotations

COUNTRY_NAMES = {
    "SE": "Sverige", "NO": "Norway", "GB": "United Kingdom", "VA": "Holy See (Vatican City State)",
    "VI": "Virgin Islands, U.S.",
    # GUESS from here on: the English ISO 3166 short names, as the evidenced ones
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czech Republic", "DE": "Germany",
    "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland", "FR": "France", "GR": "Greece",
    "HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LT": "Lithuania", "LU": "Luxembourg",
    "LV": "Latvia", "MT": "Malta", "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "SI": "Slovenia", "SK": "Slovakia", "IS": "Iceland", "CH": "Switzerland", "LI": "Liechtenstein",
    "US": "United States", "CA": "Canada", "AU": "Australia", "NZ": "New Zealand", "JP": "Japan", "CN": "China",
    "IN": "India", "AX": "Åland Islands", "FO": "Faroe Islands", "GL": "Greenland",
}
