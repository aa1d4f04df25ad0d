"""Prices: one price-list row per article and quantity break. Fortnox keys a price by its path
(`/3/prices/{PriceList}/{ArticleNumber}/{FromQuantity}`), so a price that exists is updated with a PUT, or adopted
without a write when it already holds the same amount.

Ledger key: the delta's source_key; fortnox_number = "<PriceList>/<ArticleNumber>/<FromQuantity>"."""

from __future__ import annotations

from woofort_assets.defs.fortnox.engine.ledger import DeltaRow
from woofort_assets.defs.fortnox.engine.lookups import decimal2
from woofort_assets.defs.fortnox.engine.protocol import Sink
from woofort_assets.defs.fortnox.engine.steps import (
    Write, each_row, envelope_of, is_done, send, unchanged, with_fields)
from woofort_assets.resources.fortnox.endpoints import PRICES

ENTITY = "price"


def _from_quantity(value) -> str:
    d = decimal2(value if value is not None else 0)
    return str(int(d)) if d == d.to_integral_value() else str(d.normalize())


def sync_prices(sink: Sink, rows: list[DeltaRow], blocked_articles: set[str]) -> None:
    ledger_rows = sink.ledger.rows(ENTITY)

    def one(row: DeltaRow) -> None:
        led = ledger_rows.get(row.source_key)
        if unchanged(sink, ENTITY, row, led):
            return
        inner = envelope_of(row.payload)[1]
        article = str(inner.get("ArticleNumber") or "")
        price_list = str(inner.get("PriceList") or "A")
        number = f"{price_list}/{article}/{_from_quantity(inner.get('FromQuantity'))}"
        if article in blocked_articles:
            sink.defer(ENTITY, row.source_key, f"waits for article {article}")
            return
        body = with_fields(row.payload, PriceList=price_list)
        if is_done(led):
            existing = True
        elif sink.dry_run:
            existing = None
        else:
            existing = sink.guard(ENTITY, row.source_key, lambda: PRICES.get_or_none(sink.client, number))
        if existing is None:
            write = Write("create", "POST", PRICES.path, body, PRICES, number=lambda doc: number,
                          lookup=lambda: PRICES.get_or_none(sink.client, number),
                          note="looked up first: updated with PUT (or adopted if equal) when it already exists")
        else:
            same = existing is not True and decimal2(existing.get("Price")) == decimal2(inner.get("Price"))
            found = (lambda: existing) if same else None
            write = Write("update", "PUT", PRICES.item_path(number), body, PRICES, number=lambda doc: number,
                          number_before=number, restore_status=led.status if is_done(led) else "failed",
                          lookup=found, adopt=found, note="ledger: price exists")
        send(sink, ENTITY, row, led, write)

    each_row(sink, ENTITY, rows, one)
