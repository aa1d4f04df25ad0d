"""Vouchers woofort composes itself: the payment providers' fees (docs/accounting.md §15). A voucher is created
once and never changed (Fortnox has no PUT for it); a change is the delta's next voucher of the day. After an
unknown outcome the voucher is found by its Description, which is the delta's key and unique, among the series'
vouchers of its date, then read in full so that the ledger's mirror holds its rows.

Each booked voucher then gets its underlying record in Fortnox, so that the verification stands on its own: the
day's orders and their fees as a CSV file, uploaded to the inbox's voucher folder and connected to the voucher
(two writes, each exactly once: after a lost answer the file is found by its name, the connection by its voucher).

Ledger keys: the delta's source_key for all three. fortnox_number: `fee_voucher` <series>-<number>-<financial
year id>; `fee_voucher_file` and `fee_voucher_file_connection` the inbox file's Id."""

from __future__ import annotations

import hashlib

from woofort_assets.defs.fortnox.engine.documents import voucher_number
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, is_done, send
from woofort_assets.defs.fortnox.engine.texts import fit
from woofort_assets.resources.fortnox.endpoints import INBOX, VOUCHER_FILE_CONNECTIONS, VOUCHERS

ENTITY = "fee_voucher"
FILE = "fee_voucher_file"
CONNECTION = "fee_voucher_file_connection"
FOLDER = "Inbox_v"      # [SPEC] tag fortnox_Inbox: the folder "Vouchers"


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
    attach_order_lists(sink)


def order_list(sink: Sink, key: str, number: str) -> tuple[str, bytes]:
    """The file behind voucher `key` (`fee <day> <method> <n>`): the day's orders and fees, no personal data."""
    orders = sink.ledger.fee_orders(key)
    lines = [f"woofort {key}; voucher {number}", "order;fee_sek",
             *(f"{order_id};{fee}" for order_id, fee in orders),
             f"total;{sum((fee for _, fee in orders), 0):.2f}"]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in key.replace(" ", "-"))
    return f"woofort-{safe}.csv", ("\n".join(lines) + "\n").encode()


def attach_order_lists(sink: Sink) -> None:
    """Every booked fee voucher without its connected file gets one (also those booked by an earlier run)."""
    files, connections = sink.ledger.rows(FILE), sink.ledger.rows(CONNECTION)
    for key, voucher in sorted(sink.ledger.rows(ENTITY).items()):
        if not is_done(voucher) or is_done(connections.get(key)):
            continue
        name, content = order_list(sink, key, voucher.fortnox_number)
        row = DeltaRow(key, FILE, "create", None, None, hashlib.md5(content).hexdigest(), None, None, None)
        file_id = files[key].fortnox_number if is_done(files.get(key)) else upload(sink, row, files.get(key),
                                                                                  name, content)
        if file_id is not None:
            connect(sink, row, connections.get(key), file_id, voucher.fortnox_number)


def upload(sink: Sink, row: DeltaRow, led, name: str, content: bytes) -> str | None:
    def lookup() -> dict | None:
        folder = sink.client.get(f"{INBOX.path}/{FOLDER}").get("Folder") or {}
        return next((f for f in folder.get("Files") or [] if f.get("Name") == name), None)

    return send(sink, FILE, row, led, Write("create", "POST", f"{INBOX.path}?folderId={FOLDER}", None, INBOX,
                                            lookup=lookup, upload=(name, content), booked=lambda doc: True,
                                            record_payload={"file": name}, note=f"upload {name}"))


def connect(sink: Sink, row: DeltaRow, led, file_id: str, number: str) -> None:
    series, voucher, year = number.rsplit("-", 2)
    body = {"VoucherFileConnection": {"FileId": file_id, "VoucherNumber": voucher, "VoucherSeries": series,
                                      "VoucherYear": int(year)}}

    def lookup() -> dict | None:
        found = VOUCHER_FILE_CONNECTIONS.iterate(sink.client, {"voucherseries": series, "vouchernumber": voucher,
                                                                "voucheryear": year})
        return next((c for c in found if c.get("FileId") == file_id), None)

    send(sink, CONNECTION, row, led, Write("create", "POST", VOUCHER_FILE_CONNECTIONS.path, body,
                                           VOUCHER_FILE_CONNECTIONS, lookup=lookup,
                                           booked=lambda doc: True, note=f"connect file {file_id} to {number}"))
