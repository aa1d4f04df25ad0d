"""The VAT and organisation numbers buyers gave at checkout, checked before any of them decides a sale's VAT.

Reverse charge moves the VAT to the buyer, so a number that cannot be a VAT number must not get it: a typo would
book a consumer sale untaxed. python-stdnum checks each member state's format and check digits offline (the same
library the EU-VAT plugins' peers use). Whether the number is registered is VIES's question, asked only when the
operator turns it on (WOOFORT_VIES, resources/vies.py): a number VIES does not confirm then counts as none
(docs/accounting.md "Regions and VAT numbers")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pandas as pd

from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.util import clean

from woofort_assets.lib.sql import run_sql_file
from woofort_assets.resources.vies import ViesResource

# VAT numbers use EL for Greece and XI for Northern Ireland (VIES); addresses use ISO 3166 codes
_PREFIX_OF_COUNTRY = {"GR": "EL"}
_COUNTRY_OF_PREFIX = {"EL": "GR"}
VIES_RECHECK_AFTER = timedelta(days=30)  # a registration can end: a confirmed number is asked again after this
_COLUMNS = {"order_id": "BIGINT", "vat_number_given": "VARCHAR", "vat_number": "VARCHAR",
            "vat_number_country": "VARCHAR", "vat_number_problem": "VARCHAR", "organisation_number": "VARCHAR"}


@lru_cache(maxsize=65536)
def check_vat_number(given: str, country: str | None) -> tuple[str | None, str | None, str | None]:
    """(number, its country, problem): the number compacted, with its member-state prefix (the buyer's country's
    when they typed none), or (None, None, why not)."""
    number = clean(given, " -./,").upper().strip()
    if number[:2].isdigit() and country:
        number = _PREFIX_OF_COUNTRY.get(country, country) + number
    if number.startswith("GR"):
        number = "EL" + number[2:]
    try:
        number = vat.validate(number)
    except ValidationError as error:
        return None, None, f"{given!r} is not a valid EU VAT number: {error}"
    return number, _COUNTRY_OF_PREFIX.get(number[:2], number[:2]), None


def register_buyer_numbers(con, vies: ViesResource | None = None) -> None:
    """TEMP tables wf_buyer_meta and wf_charged_home (sql/deltas/_buyers.sql), then wf_buyer_numbers: per order
    that gave one, the VAT number as given, as checked (NULL when invalid or, with VIES on, unconfirmed, with the
    problem) and its country, and the organisation number. Needs the map_* tables."""
    run_sql_file(con, "deltas/_buyers.sql", {})
    rows = []
    for order_id, country, vat_given, org_number in con.execute(
            "SELECT order_id, any_value(country), any_value(value) FILTER (WHERE kind = 'vat_number'), "
            "any_value(value) FILTER (WHERE kind = 'organisation_number') FROM wf_buyer_meta GROUP BY order_id"
    ).fetchall():
        number, number_country, problem = check_vat_number(vat_given, country) if vat_given else (None, None, None)
        rows.append([order_id, vat_given, number, number_country, problem, org_number and org_number[:30]])
    if vies is not None and vies.enabled:
        answers = _vies_answers(con, vies, {row[2] for row in rows if row[2]})
        for row in rows:
            problem = row[2] and _vies_problem(row[2], *answers[row[2]])
            if problem:
                row[2:5] = None, None, problem
    con.register("wf_checked_numbers", pd.DataFrame(rows, columns=list(_COLUMNS), dtype=object))
    casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in _COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE wf_buyer_numbers AS SELECT {casts} FROM wf_checked_numbers")
    con.unregister("wf_checked_numbers")


def _vies_answers(con, vies: ViesResource, numbers: set[str]) -> dict[str, tuple[bool | None, str | None, datetime]]:
    """number -> (valid, detail, asked at): the stored answer, VIES asked again for those without a definite answer
    younger than VIES_RECHECK_AFTER; every new answer is stored (ledger.vies_checks), definite or not."""
    stored = {number: (valid, detail, asked_at) for number, valid, detail, asked_at in con.execute(
        "SELECT number, valid, detail, asked_at FROM ledger.vies_checks WHERE list_contains(?, number)",
        [sorted(numbers)]).fetchall()}
    now = datetime.now(timezone.utc)
    for number in sorted(numbers):
        known = stored.get(number)
        if known and known[0] is not None and now - known[2] < VIES_RECHECK_AFTER:
            continue
        answer = vies.check(number)
        con.execute("INSERT OR REPLACE INTO ledger.vies_checks (number, asked_at, valid, detail, request_date) "
                    "VALUES (?, ?, ?, ?, ?)", [number, now, answer.valid, answer.detail, answer.request_date])
        stored[number] = (answer.valid, answer.detail, now)
    return stored


def _vies_problem(number: str, valid: bool | None, detail: str | None, asked_at: datetime) -> str | None:
    if valid:
        return None
    if valid is False:
        return f"VIES does not know {number} as a registered VAT number (asked {asked_at:%Y-%m-%d})"
    return f"VIES could not confirm {number} ({detail}); it is asked again at the next build"
