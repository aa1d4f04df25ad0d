"""Operator tools: `woofort quarantine list|retry|skip`, `woofort deadletter list|retry|skip`,
`woofort resync-order ID`, `woofort reissue ORDER...`. The same functions back the operator jobs in the UI (defs/automation/ops.py);
docs/operations.md says exactly what each one changes. Unknown ids: exit code 2, nothing changed."""

from __future__ import annotations

import argparse

from woofort_assets.cli.exits import UsageError
from woofort_assets.defs.automation import operator
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import duckdb_path, shop_key, woocommerce_settings
from woofort_assets.lib.staging import ENTITIES
from woofort_assets.resources.woocommerce import WooCommerceResource


def _usage(error: Exception) -> UsageError:
    return UsageError(str(error))


def _print_rows(rows: list[dict], columns: tuple[str, ...], empty: str) -> None:
    if not rows:
        print(empty)
        return
    widths = {c: min(60, max(len(c), *(len(str(r[c] if r[c] is not None else "")) for r in rows))) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c] if row[c] is not None else "")[: widths[c]].ljust(widths[c]) for c in columns))
    print(f"({len(rows)} rows)")


def _with_connection(call):
    try:
        with connect(duckdb_path()) as con:
            return call(con)
    except (operator.UnknownIdError, operator.OperatorUsageError) as error:
        raise _usage(error) from None


def _quarantine(args: argparse.Namespace) -> int:
    shop = shop_key()
    if args.action == "list":
        rows = _with_connection(lambda con: operator.quarantine_list(con, shop, args.status, args.entity))
        _print_rows(rows, ("entity", "record_key", "status", "quarantined_at", "reason"), "no quarantined records")
    elif args.action == "retry":
        outcomes = _with_connection(lambda con: operator.quarantine_retry(con, shop, args.entity, args.keys))
        for o in outcomes:
            print(f"{o.entity} {o.record_key}: " + ("staged" if o.staged else f"still quarantined: {o.reason}"))
        return 0 if all(o.staged for o in outcomes) else 3
    else:
        count = _with_connection(lambda con: operator.quarantine_skip(con, shop, args.entity, args.keys))
        print(f"{count} quarantined {args.entity} record(s) marked skipped")
    return 0


def _deadletter(args: argparse.Namespace) -> int:
    shop = shop_key()
    if args.action == "list":
        rows = _with_connection(lambda con: operator.deadletter_list(con, shop, args.status, args.entity))
        _print_rows(rows, ("entity", "source_key", "status", "attempts", "error_code", "error_message"),
                    "no dead letters")
    elif args.action == "retry":
        count = _with_connection(lambda con: operator.deadletter_retry(con, shop, args.entity, args.keys))
        print(f"{count} dead letter(s) cleared: the next sync sends them to Fortnox again")
    else:
        count = _with_connection(lambda con: operator.deadletter_skip(con, shop, args.entity, args.keys))
        print(f"{count} dead letter(s) marked skipped")
    return 0


def _resync(args: argparse.Namespace) -> int:
    settings = woocommerce_settings()
    client = WooCommerceResource(url=settings.url, consumer_key=settings.consumer_key,
                                 consumer_secret=settings.consumer_secret).get_client()
    try:
        outcome = operator.resync_order(str(duckdb_path()), shop_key(), client, args.order_id)
    except operator.UnknownIdError as error:
        raise _usage(error) from None
    print(f"order {outcome.order_id}: re-extracted into raw (run {outcome.run_id}, {outcome.refunds} refunds), "
          + ("staged" if outcome.staged else f"QUARANTINED: {outcome.reason}"))
    if outcome.ledger_rows_reset:
        print("ledger rows the next sync re-sends: "
              + ", ".join(f"{entity} {key}" for entity, key in outcome.ledger_rows_reset))
    else:
        print("no unbooked ledger rows for this order: the next sync sends whatever the new data changes")
    print("run `woofort sync` (or wait for the sync_today schedule) to send it to Fortnox")
    return 0 if outcome.staged else 3


def _reissue(args: argparse.Namespace) -> int:
    done = _with_connection(lambda con: operator.reissue(con, shop_key(), args.order_ids))
    for order, number in done:
        print(f"order {order}: invoice {number} is credited and issued anew by the next sync")
    return 0


def _entity_keys(parser: argparse.ArgumentParser, entities: tuple[str, ...], what: str) -> None:
    parser.add_argument("entity", help=f"one of {', '.join(entities)}")
    parser.add_argument("keys", nargs="+", metavar="KEY", help=what)


def register(subparsers) -> None:
    for name, handler, statuses, entities, key_help in (
        ("quarantine", _quarantine, operator.QUARANTINE_STATUSES, ENTITIES, "record_key (e.g. an order id)"),
        ("deadletter", _deadletter, operator.DEAD_LETTER_STATUSES, operator.DEAD_LETTER_ENTITIES,
         "source_key (e.g. an order id for an invoice)"),
    ):
        parser = subparsers.add_parser(name, help=f"list, retry or skip {name} records")
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help=f"list {name} records")
        listing.add_argument("--status", default="open", choices=(*statuses, "all"))
        listing.add_argument("--entity", choices=entities)
        _entity_keys(actions.add_parser("retry", help="retry records (see docs/operations.md)"), entities, key_help)
        _entity_keys(actions.add_parser("skip", help="mark records skipped"), entities, key_help)
        parser.set_defaults(handler=handler)
    parser = subparsers.add_parser("resync-order", help="force a re-sync of one WooCommerce order")
    parser.add_argument("order_id", type=int, metavar="ID")
    parser.set_defaults(handler=_resync)
    parser = subparsers.add_parser("reissue", help="credit and re-issue the booked invoices of chosen orders")
    parser.add_argument("order_ids", type=int, nargs="+", metavar="ORDER")
    parser.set_defaults(handler=_reissue)
