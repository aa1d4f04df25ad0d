"""`woofort sandbox` and `woofort dev`: the WooCommerce and Fortnox sandboxes on loopback, exposed to the
pipeline through the same environment variables a real store and company use. The sandboxes are their own
distribution (sandboxes/, package woofort_sandboxes), installed beside woofort from a checkout by `make`."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from woofort_assets.cli.exits import EXIT_USAGE
from woofort_assets.cli.sync import print_summary, run_sync
from woofort_assets.lib.settings import CHECKOUT_DIR, data_dir

SANDBOX_KEY, SANDBOX_SECRET = "ck_sandbox_readonly", "cs_sandbox_secret"
FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, FORTNOX_TENANT = "sandbox-client", "sandbox-secret", "1234567"
DEMO_START, DEMO_DAYS = "2026-10-01", 30


@dataclass
class Sandboxes:
    woocommerce: object
    fortnox: object

    def environment(self) -> dict[str, str]:
        env = {
            "WOOCOMMERCE_URL": self.woocommerce.url,
            "WOOCOMMERCE_CONSUMER_KEY": SANDBOX_KEY,
            "WOOCOMMERCE_CONSUMER_SECRET": SANDBOX_SECRET,
        }
        if self.woocommerce.ca_path:
            env["REQUESTS_CA_BUNDLE"] = str(self.woocommerce.ca_path)
        env.update(
            FORTNOX_API_URL=self.fortnox.api_url,
            FORTNOX_AUTH_URL=self.fortnox.auth_url,
            FORTNOX_CLIENT_ID=FORTNOX_CLIENT_ID,
            FORTNOX_CLIENT_SECRET=FORTNOX_CLIENT_SECRET,
            FORTNOX_TENANT_ID=FORTNOX_TENANT,
        )
        return env


SANDBOXES_MISSING = ("the sandboxes are a separate distribution, not installed: "
                     "from a checkout run `make venv` or `pip install -e ./sandboxes`")


def sandboxes_installed(command: str) -> bool:
    """True if the sandboxes can be imported; otherwise prints one line to stderr saying how to get them.

    The sandboxes (sandboxes/, distribution woofort-sandboxes, package woofort_sandboxes) are imported lazily,
    inside the commands that run them and never at module level: a production install of woofort does not
    have them, and importing them (werkzeug, numpy, trustme: ~0.12 s on top of `woofort --help`'s ~0.6 s)
    would slow every other `woofort` command."""
    try:
        import woofort_sandboxes  # noqa: F401  lazy: absent from production installs (see above)
    except ModuleNotFoundError as error:
        if error.name != "woofort_sandboxes":
            raise
        print(f"woofort {command}: {SANDBOXES_MISSING}", file=sys.stderr)
        return False
    return True


@contextmanager
def running_sandboxes(
    orders: int, seed: int = 7, woocommerce_port: int = 0, fortnox_port: int = 0, fortnox_rate_limit: int = 25
) -> Iterator[Sandboxes]:
    """Starts both sandboxes and stops them on exit."""
    # Lazy: a separate distribution, absent from production installs, and ~0.12 s to import (sandboxes_installed).
    from woofort_sandboxes.fortnox import FortnoxSandbox
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    state_dir = data_dir() / "sandbox"
    woocommerce = WooCommerceSandbox(
        orders=orders, seed=seed, start_date=DEMO_START, days=DEMO_DAYS, tls=True,
        consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET, port=woocommerce_port, state_dir=state_dir,
    ).start()
    fortnox = None
    try:
        fortnox = FortnoxSandbox(
            port=fortnox_port, rate_limit=fortnox_rate_limit,
            clients={FORTNOX_CLIENT_ID: FORTNOX_CLIENT_SECRET}, tenant_id=FORTNOX_TENANT,
        ).start()
        # The company as docs/accounting.md §10 requires it: Öresavrundning off (the sandbox, like a new Fortnox
        # company, has it on; woofort writes its own round-off row), and the PAYPAL mode of payment the default
        # mapping names.
        with fortnox.state.lock:
            fortnox.state.seed_reference({"settings": {"round_off": False},
                                          "modesofpayments": [{"Code": "PAYPAL", "AccountNumber": 1580}]})
        yield Sandboxes(woocommerce, fortnox)
    finally:
        if fortnox is not None:
            fortnox.stop()
        woocommerce.stop()


def write_env_file(path: Path, environment: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"export {key}={value}\n" for key, value in environment.items()))


def _wait_forever() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


def _handle_sandbox(args: argparse.Namespace) -> int:
    if not sandboxes_installed("sandbox"):
        return EXIT_USAGE
    with running_sandboxes(args.orders, args.seed, args.woocommerce_port, args.fortnox_port) as sandboxes:
        environment = sandboxes.environment()
        write_env_file(Path(args.env_file), environment)
        print(f"sandboxes running; environment written to {args.env_file}:")
        for key, value in environment.items():
            print(f"  {key}={value}")
        print("Ctrl-C to stop.", flush=True)
        _wait_forever()
    return 0


def _handle_dev(args: argparse.Namespace) -> int:
    """Sandboxes, a first sync of the demo month so the UI has data, then `dagster dev`."""
    if not sandboxes_installed("dev"):
        return EXIT_USAGE

    with running_sandboxes(args.orders, args.seed) as sandboxes:
        os.environ.update(sandboxes.environment())
        if not args.no_sync:
            first = date.fromisoformat(DEMO_START)
            print_summary(run_sync(first, first + timedelta(days=DEMO_DAYS - 1)))
        command = [sys.executable, "-m", "dagster", "dev", "-w", str(CHECKOUT_DIR / "workspace.yaml"),
                   "-h", "127.0.0.1", "-p", str(args.port)]
        return subprocess.call(command, env=os.environ.copy())


def register(subparsers) -> None:
    default_env = str(data_dir() / "sandbox.env")
    for name, handler, help_text in (
        ("sandbox", _handle_sandbox, "run the WooCommerce and Fortnox sandboxes in the foreground"),
        ("dev", _handle_dev, "sandboxes + a first sync + the Dagster UI"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("--orders", type=int, default=150)
        parser.add_argument("--seed", type=int, default=7)
        parser.set_defaults(handler=handler)
        if name == "sandbox":
            parser.add_argument("--woocommerce-port", type=int, default=8443)
            parser.add_argument("--fortnox-port", type=int, default=8444)
            parser.add_argument("--env-file", default=default_env)
        else:
            parser.add_argument("--port", type=int, default=3000)
            parser.add_argument("--no-sync", action="store_true")
