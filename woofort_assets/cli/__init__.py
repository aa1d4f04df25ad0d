"""The `woofort` command: sandbox, demo, sync, and the operator tools.

Exit codes: 0 success with nothing set aside; 3 success but records were quarantined or
dead-lettered (listed); 1 the run failed (a step or an ERROR check, an outage that outlived its retries);
2 usage or configuration error (settings, credentials, permissions, a lock, a server that is not WooCommerce
or Fortnox).

Every failure an operator can act on ends with one to three lines on stderr naming what to fix and no
traceback (lib/errors.py); `--verbose` (anywhere on the command line) shows the traceback too."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback

from woofort_assets.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_SET_ASIDE, EXIT_USAGE, UsageError
from woofort_assets.lib.errors import OperatorError
from woofort_assets.lib.settings import ConfigError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_SET_ASIDE", "EXIT_USAGE", "UsageError", "build_parser", "main"]

SUBCOMMAND_MODULES = ("sandbox", "sync", "demo", "fortnox", "ops", "forget", "shops")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in two lines (the error, where to look) instead of the whole usage."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nrun `{self.prog} --help` for the usage\n")


def build_parser() -> argparse.ArgumentParser:
    """Builds the parser without reading the data directory or any other state, so `--help` always works."""
    parser = _Parser(prog="woofort", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(f"woofort_assets.cli.{name}")
        module.register(subparsers)
    return parser


def _say(lines: list[str], verbose: bool) -> None:
    if verbose:
        traceback.print_exc(file=sys.stderr)
    print("\n".join(f"woofort: {line}" for line in lines[:3]), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = "--verbose" in argv
    if not verbose:  # woofort's own log records (retries, give-ups) stay out of the 1-3 lines on stderr
        logging.getLogger("woofort").addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except OperatorError as error:
        _say(error.lines, verbose)
        return error.exit_code
    except (ConfigError, UsageError) as error:
        _say([str(error)], verbose)
        return EXIT_USAGE
    except OSError as error:
        if error.filename is None:  # not a file's problem (requests' errors are OSErrors too): a real failure
            raise
        _say([f"cannot use {error.filename}: {error.strerror or error}",
              "check WOOFORT_DATA_DIR (a directory woofort may write) and the path named"], verbose)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
