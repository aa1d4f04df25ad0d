"""Stock: the absolute QuantityInStock of an article, set after the invoices of the same run. A PUT of an absolute
value is idempotent, so an unknown outcome is simply sent again.

Ledger key: the delta's source_key; fortnox_number = ArticleNumber."""

from __future__ import annotations

from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import Write, each_row, envelope_of, is_done, send, unchanged
from woofort_assets.resources.fortnox.endpoints import ARTICLES

ENTITY = "stock"


def sync_stock(sink: Sink, rows: list[DeltaRow]) -> None:
    ledger_rows = sink.ledger.rows(ENTITY)
    articles = sink.ledger.rows("article")

    def one(row: DeltaRow) -> None:
        led = ledger_rows.get(row.source_key)
        if unchanged(sink, ENTITY, row, led):
            return
        inner = envelope_of(row.payload)[1]
        number = inner.get("ArticleNumber")
        if not number and row.ref_source_key:
            ref = articles.get(row.ref_source_key)
            number = ref.fortnox_number if ref else None
        number = str(number or row.source_key)
        body = {"Article": {"QuantityInStock": inner.get("QuantityInStock")}}
        send(sink, ENTITY, row, led, Write("set_stock", "PUT", ARTICLES.item_path(number), body, ARTICLES,
                                           number=lambda doc: number, number_before=number,
                                           restore_status=led.status if is_done(led) else "failed"))

    each_row(sink, ENTITY, rows, one)
