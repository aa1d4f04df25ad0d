"""`woofort forget --email ADDRESS`: erase one person from woofort's DuckDB (raw, quarantine, staging, payload
copies); `woofort retention`: blank personal data in raw payloads older than WOOFORT_PII_RETENTION_DAYS.

Neither touches Fortnox: the invoices stay there, as Bokföringslagen requires; woofort's ledger holds numbers,
statuses and hashes only. Exit codes: 0 done, 1 refused (the person still has bookkeeping to do: sync first),
2 usage or configuration error."""

from __future__ import annotations

import argparse

from woofort_assets.cli.exits import EXIT_FAILED, EXIT_OK
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.privacy import ForgetRefused, apply_retention, forget, normalize_email
from woofort_assets.lib.settings import duckdb_path, shop_key


def _forget(args: argparse.Namespace) -> int:
    normalize_email(args.email)   # exit 2 before opening anything
    try:
        with connect(duckdb_path()) as con:
            result = forget(con, shop_key(), args.email, dry_run=args.dry_run)
    except ForgetRefused as refused:
        print(f"woofort forget: {refused}")
        return EXIT_FAILED
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb}: {len(result.orders)} order(s), {len(result.customers)} customer account(s); "
          f"{result.total} row(s) changed")
    for table, n in sorted(result.counts.items()):
        if n:
            print(f"  {table:<28} {n}")
    print("Fortnox is not changed: its invoices are the bookkeeping record (Bokföringslagen). Erase the person in "
          "WooCommerce too, or a later change of the order brings the data back with it.")
    return EXIT_OK


def _retention(args: argparse.Namespace) -> int:
    with connect(duckdb_path()) as con:
        result = apply_retention(con, shop_key(), args.days)
    print(f"raw payloads fetched before {result.cutoff:%Y-%m-%d %H:%M} UTC: {result.total} row(s) blanked")
    for table, n in sorted(result.counts.items()):
        print(f"  {table:<28} {n}")
    return EXIT_OK


def register(subparsers) -> None:
    parser = subparsers.add_parser("forget", help="erase one person's personal data from woofort's database")
    parser.add_argument("--email", required=True, metavar="ADDRESS")
    parser.add_argument("--dry-run", action="store_true", help="count what would be erased, change nothing")
    parser.set_defaults(handler=_forget)
    parser = subparsers.add_parser("retention", help="blank personal data in raw payloads older than the "
                                                     "retention (WOOFORT_PII_RETENTION_DAYS, default 90)")
    parser.add_argument("--days", type=int, default=None, help="override WOOFORT_PII_RETENTION_DAYS")
    parser.set_defaults(handler=_retention)
