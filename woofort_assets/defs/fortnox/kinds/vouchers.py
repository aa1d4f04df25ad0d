"""Vouchers woofort composes itself: the payment providers' fees (docs/accounting.md §15). A voucher is created
once and never changed (Fortnox has no PUT for it); a change is the delta's next voucher of the day. After an
unknown outcome the voucher is found by its Description, which is the delta's key and unique, among the series'
vouchers of its date, then read in full so that the ledger's mirror holds its rows.

Ledger key: the delta's source_key; fortnox_number = <series>-<number>-<financial year>."""

from __future__ import annotations

from woofort_assets.defs.fortnox.engine.documents import voucher_number
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, is_done, send
from woofort_assets.defs.fortnox.engine.texts import fit
from woofort_assets.resources.fortnox.endpoints import VOUCHERS

ENTITY = "fee_voucher"


def find_voucher(client, series: str, date: str, description: str) -> dict | None:
    """`financialyeardate` picks the voucher's financial year, `fromdate`/`todate` its date (Fortnox's global
    parameters, ../shared/reference/fortnox_api.md §4; not in the spec's voucher paths: were they ignored, the
    look-up would read more pages, never match another voucher, as it compares the Description)."""
    params = {"financialyeardate": date, "fromdate": date, "todate": date}
    for item in VOUCHERS.iterate_path(client, f"sublist/{series}", params):
        if item.get("Description") == description:
            return VOUCHERS.unwrap(client.get(f"{VOUCHERS.path}/{series}/{item['VoucherNumber']}",
                                              {"financialyear": item["Year"]}))
    return None


def sync_fee_vouchers(sink: Sink, rows: list[DeltaRow]) -> None:
    vouchers = sink.ledger.rows(ENTITY)

    def one(row: DeltaRow) -> None:
        led = vouchers.get(row.source_key)
        if is_done(led):        # built before the voucher was booked: the next build corrects from what it holds
            sink.outcome(ENTITY, row.source_key, "unchanged", led.fortnox_number)
            return
        voucher = envelope_of(fit(VOUCHERS, row.payload))[1]      # as sent: the look-up compares its texts

        def lookup() -> dict | None:
            return find_voucher(sink.client, voucher["VoucherSeries"], voucher["TransactionDate"],
                                voucher["Description"])

        send(sink, ENTITY, row, led, Write("create", "POST", VOUCHERS.path, row.payload, VOUCHERS,
                                           number=voucher_number, lookup=lookup, booked=lambda doc: True,
                                           note=voucher["Description"]))

    each_row(sink, ENTITY, rows, one)
