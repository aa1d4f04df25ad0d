"""`woofort shops`: the shops woofort books (WOOFORT_SHOPS_FILE, else the single-shop settings), checked: the file
and every shop's mapping are valid, and the environment variables it names for the keys are set (their values are
never shown). Exit codes: 0 all usable, 2 a mistake (each on its own line: file, line, shop, setting)."""

from __future__ import annotations

import argparse
import sys

from woofort_assets.cli.exits import EXIT_OK, EXIT_USAGE
from woofort_assets.lib.settings import named_secret_is_set
from woofort_assets.lib.shops import ShopsError, configured_shops


def _shops(args: argparse.Namespace) -> int:
    try:
        shops = configured_shops()
    except ShopsError as error:
        print(f"woofort shops: {error}", file=sys.stderr)
        return EXIT_USAGE
    missing = []
    for shop in shops:
        print(f"{shop.name}: {shop.woocommerce_url or '(WOOCOMMERCE_URL not set)'} -> Fortnox company "
              f"{shop.fortnox_company}; mapping {shop.mapping}; timezone {shop.timezone or 'asked of the store'}; "
              f"from {shop.start_date}")
        if shop.woocommerce_url is None:    # the single-shop settings without WOOCOMMERCE_URL
            missing.append(f"{shop.name}: WOOCOMMERCE_URL is not set (the shop's store)")
        missing += [f"{shop.name}: {name} is not set (the shop's {what})"
                    for name, what in ((shop.consumer_key_env, "consumer key"),
                                       (shop.consumer_secret_env, "consumer secret")) if not named_secret_is_set(name)]
    if missing:
        print("woofort shops: " + "\n  ".join(["some shops lack settings in the environment:", *missing]),
              file=sys.stderr)
        return EXIT_USAGE
    print(f"{len(shops)} shop(s), each with its keys in the environment")
    return EXIT_OK


def register(subparsers) -> None:
    parser = subparsers.add_parser("shops", help="list and check the shops (WOOFORT_SHOPS_FILE or the single-shop "
                                                 "settings)")
    parser.set_defaults(handler=_shops)
