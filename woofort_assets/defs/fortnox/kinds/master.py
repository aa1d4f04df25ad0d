"""Articles and customers: master data whose numbers woofort chooses (ArticleNumber = the SKU or its mapping,
CustomerNumber from the mapping's prefixes), so a lookup is a GET by number and an update is a PUT.

Ledger key: the delta's source_key; fortnox_number = ArticleNumber / CustomerNumber."""

from __future__ import annotations

from dataclasses import dataclass

from woofort_assets.defs.fortnox.engine import lookups
from woofort_assets.defs.fortnox.engine.ledger import DONE, DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink, TransientError
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, send, unchanged, with_fields
from woofort_assets.resources.fortnox.endpoints import ARTICLES, CUSTOMERS, Endpoint

PREFETCH_THRESHOLD = 50   # more first-time records than this: list the numbers once instead of one GET each


@dataclass(frozen=True)
class MasterKind:
    entity: str
    endpoint: Endpoint
    number_field: str


ARTICLE = MasterKind("article", ARTICLES, "ArticleNumber")
CUSTOMER = MasterKind("customer", CUSTOMERS, "CustomerNumber")


def sync_master(sink: Sink, kind: MasterKind, rows: list[DeltaRow]) -> set[str]:
    """Returns the numbers that are not in Fortnox after this run (rejected / unknown / deferred), so that
    dependants (prices of an article) can wait for them."""
    ledger_rows = sink.ledger.rows(kind.entity)
    not_ok: set[str] = set()
    first = [r for r in rows if ledger_rows.get(r.source_key) is None
             or ledger_rows[r.source_key].status == "failed"]
    existing: set[str] | None = None
    if not sink.dry_run and len(first) > PREFETCH_THRESHOLD:
        try:
            existing = sink.guard(kind.entity, "*",
                                  lambda: lookups.existing_numbers(sink.client, kind.endpoint, kind.number_field))
        except TransientError:
            existing = None

    def number_of(row: DeltaRow) -> str:
        led = ledger_rows.get(row.source_key)
        inner = envelope_of(row.payload)[1]
        return str(inner.get(kind.number_field) or (led.fortnox_number if led else None) or row.source_key)

    def one(row: DeltaRow) -> None:
        led = ledger_rows.get(row.source_key)
        if unchanged(sink, kind.entity, row, led):
            return
        number = number_of(row)
        body = row.payload if envelope_of(row.payload)[1].get(kind.number_field) else \
            with_fields(row.payload, **{kind.number_field: number})
        in_fortnox = led is not None and led.fortnox_number is not None and (led.status in DONE
                                                                              or led.status == "pending")
        if in_fortnox:
            write = Write("update", "PUT", kind.endpoint.item_path(led.fortnox_number), body, kind.endpoint,
                          number=lambda doc: led.fortnox_number, number_before=led.fortnox_number,
                          restore_status=led.status if led.status in DONE else "synced",
                          note=f"ledger: {led.status}")
        else:
            def lookup() -> dict | None:
                return kind.endpoint.get_or_none(sink.client, number)

            def adopt() -> dict | None:
                if existing is not None and (led is None or led.status == "failed"):
                    return {kind.number_field: number} if number in existing else None
                return lookup()

            write = Write("create", "POST", kind.endpoint.path, body, kind.endpoint,
                          number=lambda doc: str(doc.get(kind.number_field) or number), lookup=lookup, adopt=adopt,
                          note="looked up first by number: adopted without a write if it already exists")
        if send(sink, kind.entity, row, led, write) is None and not sink.dry_run:
            not_ok.add(number)

    def guarded(row: DeltaRow) -> None:
        try:
            one(row)
        except TransientError:
            not_ok.add(number_of(row))
            raise

    each_row(sink, kind.entity, rows, guarded)
    return not_ok
