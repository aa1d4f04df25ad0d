"""Vouchers woofort composes itself: the payment providers' fees (docs/accounting.md §15) and, in invoicing.mode
daily_vouchers, the day's sales and refunds, a debit row per payment account (§13). A voucher is created once and never changed
(Fortnox has no PUT for it); a change is the delta's next voucher of the day. After an unknown outcome the voucher
is found by its Description, which is the delta's key and unique, among the series' vouchers of its date, then read
in full so that the ledger's mirror holds its rows.

Each booked voucher then gets its underlying record in Fortnox, so that the verification stands on its own: what
the day's voucher holds, order by order, as a CSV file without personal data, uploaded to the inbox's voucher folder
and connected to the voucher (two writes, each exactly once: after a lost answer the file is found by its name, the
connection by its voucher).

Ledger keys: the delta's source_key for all three entities of a kind. fortnox_number: the voucher
<series>-<number>-<financial year id>; the file and the connection the inbox file's Id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from woofort_assets.defs.fortnox.engine.documents import voucher_number
from woofort_assets.defs.fortnox.engine.ledger import DeltaRow, Ledger
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, is_done, send
from woofort_assets.defs.fortnox.engine.texts import fit
from woofort_assets.resources.fortnox.endpoints import INBOX, VOUCHER_FILE_CONNECTIONS, VOUCHERS

FOLDER = "Inbox_v"      # [SPEC] tag fortnox_Inbox: the folder "Vouchers"


@dataclass(frozen=True)
class VoucherKind:
    """A kind of voucher: its ledger entity (the file's and the connection's are named after it) and its file's
    columns and rows, the last column an amount in SEK that the file totals."""
    entity: str
    columns: str
    lines: Callable[[Ledger, str], list[tuple]]

    @property
    def file(self) -> str:
        return f"{self.entity}_file"

    @property
    def connection(self) -> str:
        return f"{self.entity}_file_connection"


FEES = VoucherKind("fee_voucher", "order;fee_sek", Ledger.fee_orders)
DAYS = VoucherKind("daily_voucher", "member;payment_method;account;vat_rate;amount_sek", Ledger.voucher_lines)


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


def sync_vouchers(sink: Sink, kind: VoucherKind, rows: list[DeltaRow]) -> None:
    vouchers = sink.ledger.rows(kind.entity)

    def one(row: DeltaRow) -> None:
        led = vouchers.get(row.source_key)
        if is_done(led):        # built before the voucher was booked: the next build corrects from what it holds
            sink.outcome(kind.entity, row.source_key, "unchanged", led.fortnox_number)
            return
        voucher = envelope_of(fit(VOUCHERS, row.payload))[1]      # as sent: the look-up compares its texts

        def lookup() -> dict | None:
            return find_voucher(sink.client, voucher["VoucherSeries"], voucher["TransactionDate"],
                                voucher["Description"])

        send(sink, kind.entity, row, led, Write("create", "POST", VOUCHERS.path, row.payload, VOUCHERS,
                                           number=voucher_number, lookup=lookup, booked=lambda doc: True,
                                           note=voucher["Description"]))

    each_row(sink, kind.entity, rows, one)
    attach_order_lists(sink, kind)


def order_list(sink: Sink, kind: VoucherKind, key: str, number: str) -> tuple[str, bytes]:
    """The file behind voucher `key` (`fee <day> <method> <n>`, `day <day> <n>`): what the day holds, no personal
    data."""
    lines = kind.lines(sink.ledger, key)
    text = [f"woofort {key}; voucher {number}", kind.columns,
            *(";".join(str(v) for v in line) for line in lines),
            f"total;{sum((line[-1] for line in lines), 0):.2f}"]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in key.replace(" ", "-"))
    return f"woofort-{safe}.csv", ("\n".join(text) + "\n").encode()


def attach_order_lists(sink: Sink, kind: VoucherKind) -> None:
    """Every booked voucher of the kind without its connected file gets one (also those booked by an earlier run)."""
    files, connections = sink.ledger.rows(kind.file), sink.ledger.rows(kind.connection)
    for key, voucher in sorted(sink.ledger.rows(kind.entity).items()):
        if not is_done(voucher) or is_done(connections.get(key)):
            continue
        name, content = order_list(sink, kind, key, voucher.fortnox_number)
        row = DeltaRow(key, kind.file, "create", None, None, hashlib.md5(content).hexdigest(), None, None, None)
        file_id = (files[key].fortnox_number if is_done(files.get(key))
                   else upload(sink, kind, row, files.get(key), name, content))
        if file_id is not None:
            connect(sink, kind, row, connections.get(key), file_id, voucher.fortnox_number)


def upload(sink: Sink, kind: VoucherKind, row: DeltaRow, led, name: str, content: bytes) -> str | None:
    def lookup() -> dict | None:
        folder = sink.client.get(f"{INBOX.path}/{FOLDER}").get("Folder") or {}
        return next((f for f in folder.get("Files") or [] if f.get("Name") == name), None)

    return send(sink, kind.file, row, led, Write("create", "POST", f"{INBOX.path}?folderId={FOLDER}", None, INBOX,
                                            lookup=lookup, upload=(name, content), booked=lambda doc: True,
                                            record_payload={"file": name}, note=f"upload {name}"))


def connect(sink: Sink, kind: VoucherKind, row: DeltaRow, led, file_id: str, number: str) -> None:
    series, voucher, year = number.rsplit("-", 2)
    body = {"VoucherFileConnection": {"FileId": file_id, "VoucherNumber": voucher, "VoucherSeries": series,
                                      "VoucherYear": int(year)}}

    def lookup() -> dict | None:
        found = VOUCHER_FILE_CONNECTIONS.iterate(sink.client, {"voucherseries": series, "vouchernumber": voucher,
                                                                "voucheryear": year})
        return next((c for c in found if c.get("FileId") == file_id), None)

    send(sink, kind.connection, row, led, Write("create", "POST", VOUCHER_FILE_CONNECTIONS.path, body,
                                           VOUCHER_FILE_CONNECTIONS, lookup=lookup,
                                           booked=lambda doc: True, note=f"connect file {file_id} to {number}"))
