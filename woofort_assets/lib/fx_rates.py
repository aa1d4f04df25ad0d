"""Foreign-currency rates from outside the order: Fortnox's currency register and the operator's rate file.

A foreign-currency invoice needs the rate of its invoice date, and a payment the rate of its payment date
(docs/accounting.md "Foreign currency"). The order's own meta comes first (sql/deltas/_rates.sql); Fortnox's
register holds one current rate per currency, so it counts only for the date it is for; the operator's file
(WOOFORT_FX_RATE_FILE, CSV `date,currency,rate,unit`) fills any other day, e.g. from Riksbanken's daily rates."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from woofort_assets.lib.settings import value
from woofort_assets.resources.fortnox import FortnoxError
from woofort_assets.lib.sql import run_sql_file

RATE_FILE_COLUMNS = ("date", "currency", "rate", "unit")


class RateFileError(ValueError):
    """The rate file has a line woofort cannot read; the message names the file and line."""


def read_rate_file(path: Path) -> list[tuple[str, dt.date, Decimal, Decimal]]:
    """(currency, date, rate, unit) per line; `unit` may be empty (1). A bad line raises RateFileError naming it:
    a wrong rate would book every order of that day wrongly, so the file is never half read."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or set(RATE_FILE_COLUMNS[:3]) - set(reader.fieldnames):
            raise RateFileError(f"{path}: the header must be {','.join(RATE_FILE_COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                day = dt.date.fromisoformat(row["date"].strip())
                currency = row["currency"].strip().upper()
                rate = Decimal(row["rate"].strip())
                unit = Decimal((row.get("unit") or "1").strip() or "1")
            except (ValueError, InvalidOperation, AttributeError) as err:
                raise RateFileError(f"{path} line {line}: {err} (expected YYYY-MM-DD,CUR,rate,unit)") from None
            if len(currency) != 3 or not currency.isalpha() or rate <= 0 or unit <= 0:
                raise RateFileError(f"{path} line {line}: currency {currency!r}, rate {rate} and unit {unit} must be "
                                    "an ISO 4217 code and positive numbers")
            rows.append((currency, day, rate, unit))
    return rows


def register_rates(con) -> None:
    """TEMP tables wf_rate_file (the operator's file, empty when WOOFORT_FX_RATE_FILE is unset), then wf_fx_meta
    and wf_fx_dated (sql/deltas/_rates.sql). Needs the map_* tables."""
    path = value("WOOFORT_FX_RATE_FILE")
    rows = read_rate_file(path) if path else []
    frame = pd.DataFrame([(c, d, str(r), str(u)) for c, d, r, u in rows],
                         columns=["currency", "rate_date", "rate", "unit"], dtype=object)
    con.register("wf_rate_rows", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE wf_rate_file AS SELECT CAST(currency AS VARCHAR) AS currency, "
                "CAST(rate_date AS DATE) AS rate_date, CAST(rate AS DECIMAL(18, 6)) AS rate, "
                "CAST(unit AS DECIMAL(18, 6)) AS unit FROM wf_rate_rows")
    con.unregister("wf_rate_rows")
    run_sql_file(con, "deltas/_rates.sql", {})


def read_register(client, currencies) -> tuple[list[tuple[str, str, Decimal, Decimal]], list[str]]:
    """([(currency, date, BuyRate, Unit)], [why a currency was not read]) from GET /3/currencies/{code}: a currency
    the company lacks (or a missing `currency` scope) leaves the rate file and the exclusion list to cover it."""
    found, unread = [], []
    for code in sorted(set(currencies) - {"SEK"}):
        try:
            body = client.get(f"/3/currencies/{code}").get("Currency") or {}
        except FortnoxError as err:
            unread.append(f"currency register: {code} not read ({err})")
            continue
        if body.get("Date") and body.get("BuyRate"):
            found.append((code, str(body["Date"])[:10], Decimal(str(body["BuyRate"])), Decimal(str(body.get("Unit") or 1))))
    return found, unread


def store_register(con, shop: str, rates) -> None:
    """Replaces the stored register of this shop (ledger.fortnox_currency_rates) with what was just read."""
    con.execute("DELETE FROM ledger.fortnox_currency_rates WHERE shop = ?", [shop])
    for code, day, rate, unit in rates:
        con.execute("INSERT INTO ledger.fortnox_currency_rates (shop, currency, rate_date, rate, unit) "
                    "VALUES (?, ?, ?, ?, ?)", [shop, code, day, str(rate), str(unit)])
