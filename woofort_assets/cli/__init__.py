"""The `woofort` command: sandbox, demo, sync, and the operator tools.

Exit codes: 0 success with nothing set aside; 3 success but records were quarantined or
dead-lettered (listed); 1 the run failed (a step or an ERROR check); 2 usage or configuration error."""

from __future__ import annotations

import argparse
import importlib
import sys

from woofort_assets.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_SET_ASIDE, EXIT_USAGE, UsageError
from woofort_assets.lib.settings import ConfigError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_SET_ASIDE", "EXIT_USAGE", "UsageError", "build_parser", "main"]

SUBCOMMAND_MODULES = ("sandbox", "sync", "demo", "fortnox", "ops", "forget")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="woofort", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(f"woofort_assets.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, UsageError) as error:
        print(f"woofort: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
