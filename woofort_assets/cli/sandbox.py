"""`woofort sandbox` and `woofort dev`: the WooCommerce and Fortnox sandboxes on loopback, exposed to the
pipeline through the same environment variables a real store and company use. The sandboxes are their own
distribution (sandboxes/, package woofort_sandboxes), installed beside woofort from a checkout by `make`.

Each running set of sandboxes has its own directory, `<data dir>/sandbox/<woocommerce port>-<fortnox port>/` (or
`run-<pid>-<random>/` on system-chosen ports): its test CA, `sandbox.json` (pid, ports) and `sandbox.env`, removed
when it stops. A second start on ports a live run holds is refused (exit 2, one line naming it): attaching to it
would silently ignore the second's --orders/--seed/--client, and it serves state (orders, Fortnox documents) that
belongs to the first and stops when the first's terminal does."""

from __future__ import annotations

import argparse
import errno
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from woofort_assets.cli.exits import EXIT_USAGE, UsageError
from woofort_assets.cli.summary import print_summary
from woofort_assets.cli.sync import run_sync
from woofort_assets.lib.processes import process_alive
from woofort_assets.lib.settings import CHECKOUT_DIR, dagster_home, data_dir

try:  # Dagster internals (the run-retry daemon's cursor keys): without them the daemon merely warns once
    from dagster._daemon.auto_run_reexecution.event_log_consumer import DAGSTER_EVENT_TYPES, _create_cursor_key
except ImportError:
    DAGSTER_EVENT_TYPES, _create_cursor_key = (), None

SANDBOX_KEY, SANDBOX_SECRET = "ck_sandbox_readonly", "cs_sandbox_secret"
FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, FORTNOX_TENANT = "sandbox-client", "sandbox-secret", "1234567"
DEMO_START, DEMO_DAYS = "2026-10-01", 30


@dataclass
class Sandboxes:
    woocommerce: object
    fortnox: object
    directory: Path  # this run's own: the WooCommerce CA and server certificate, sandbox.json, sandbox.env
    client: tuple[str, str] = (FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET)

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
            FORTNOX_CLIENT_ID=self.client[0],
            FORTNOX_CLIENT_SECRET=self.client[1],
            FORTNOX_TENANT_ID=FORTNOX_TENANT,
        )
        return env

    def refresh_token(self) -> str:
        """A refresh token of the Fortnox sandbox for this run's client (45 days, single use)."""
        return self.fortnox.issue_refresh_token(self.client[0])


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


STATE_FILE = "sandbox.json"


def sandbox_root() -> Path:
    """`<data dir>/sandbox/`: one directory per running set of sandboxes, so that `woofort sandbox` beside
    `woofort dev` (or a second one on other ports) never replaces the CA another run's clients trust."""
    return data_dir() / "sandbox"


def _run_directory(woocommerce_port: int, fortnox_port: int) -> Path:
    """`<ports>` for chosen ports (what a second start on the same ports finds), `run-<pid>-<random>` when the
    system picks them (port 0: nothing can collide)."""
    if woocommerce_port and fortnox_port:
        return sandbox_root() / f"{woocommerce_port}-{fortnox_port}"
    return sandbox_root() / f"run-{os.getpid()}-{secrets.token_hex(3)}"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def running_state(directory: Path) -> dict | None:
    """The state of a live run in `directory`: its process lives and both its ports answer, or it is still
    starting (ports not yet recorded); else None (nothing there, or what a dead run left)."""
    try:
        state = json.loads((directory / STATE_FILE).read_text())
        pid = int(state["pid"])
        ports = [int(state[key]) for key in ("woocommerce_port", "fortnox_port") if key in state]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not process_alive(pid):
        return None
    if ports and not all(_answers(port) for port in ports):
        return None  # the pid now belongs to another process, or the run is stopping
    return state


def _claim(directory: Path, woocommerce_port: int, fortnox_port: int) -> None:
    """Refuses (UsageError, exit 2) when a live run owns `directory`; clears what a dead one left."""
    state = running_state(directory)
    if state is not None:
        raise UsageError(
            f"sandboxes already running on 127.0.0.1:{woocommerce_port} and :{fortnox_port} "
            f"(pid {state['pid']}); use them (`. {directory / 'sandbox.env'}`), stop them, or choose other ports "
            "with --woocommerce-port/--fortnox-port")
    shutil.rmtree(directory, ignore_errors=True)


def _prune_dead_runs() -> None:
    """Directories of runs whose process is gone (killed, power cut): they hold nothing anyone can use."""
    root = sandbox_root()
    if not root.is_dir():
        return
    for directory in root.iterdir():
        try:
            pid = int(json.loads((directory / STATE_FILE).read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a run directory of ours, or one still starting: leave it
        if not process_alive(pid):
            shutil.rmtree(directory, ignore_errors=True)


def _port_in_use(error: OSError, option: str, port: int) -> UsageError | None:
    if error.errno == errno.EADDRINUSE:
        return UsageError(f"127.0.0.1:{port} is in use by another program: choose a free port with {option}")
    return None


def parse_client(text: str) -> tuple[str, str]:
    """`--client ID:SECRET`."""
    client_id, _, secret = text.partition(":")
    if not client_id or not secret:
        raise argparse.ArgumentTypeError("expected CLIENT_ID:CLIENT_SECRET")
    return client_id, secret


def oss_rates() -> list[str]:
    """The VAT rates the WooCommerce sandbox charges outside Sweden (DE 19/7, FI 25.5/14/10, DK 25)."""
    from woofort_sandboxes.woocommerce.catalog import BASE_COUNTRY, TAX_RATES

    return sorted({rate for _, country, rate, *_ in TAX_RATES if country != BASE_COUNTRY}, key=float)


@contextmanager
def running_sandboxes(
    orders: int, seed: int = 7, woocommerce_port: int = 0, fortnox_port: int = 0, fortnox_rate_limit: int = 25,
    client: tuple[str, str] | None = None, env_file: Path | None = None,
) -> Iterator[Sandboxes]:
    """Starts both sandboxes, each run with its own directory (CA, state, environment), and stops them on exit.

    On chosen ports, a live run already there is refused with a UsageError (exit 2) naming it. `client`, a
    (Client-ID, Client-Secret) pair, is registered with the Fortnox sandbox beside the default one and is the
    client the environment names."""
    # Lazy: a separate distribution, absent from production installs, and ~0.12 s to import (sandboxes_installed).
    from woofort_sandboxes.fortnox import FortnoxSandbox
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    _prune_dead_runs()
    directory = _run_directory(woocommerce_port, fortnox_port)
    _claim(directory, woocommerce_port, fortnox_port)
    directory.mkdir(parents=True)
    (directory / STATE_FILE).write_text(json.dumps({"pid": os.getpid()}) + "\n")  # starting: ports unknown yet
    woocommerce = fortnox = None
    try:
        try:
            woocommerce = WooCommerceSandbox(
                orders=orders, seed=seed, start_date=DEMO_START, days=DEMO_DAYS, tls=True,
                consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET, port=woocommerce_port,
                state_dir=str(directory),
            ).start()
        except OSError as error:
            raise _port_in_use(error, "--woocommerce-port", woocommerce_port) or error
        try:
            fortnox = FortnoxSandbox(
                port=fortnox_port, rate_limit=fortnox_rate_limit,
                clients={FORTNOX_CLIENT_ID: FORTNOX_CLIENT_SECRET}, tenant_id=FORTNOX_TENANT,
                state_dir=str(directory),
            ).start()
        except OSError as error:
            raise _port_in_use(error, "--fortnox-port", fortnox_port) or error
        if client is not None:
            fortnox.register_client(*client)
        # The company as docs/accounting.md §10 requires it: Öresavrundning off (the sandbox, like a new Fortnox
        # company, has it on; woofort writes its own round-off row), the foreign VAT rates of the OSS countries the
        # shop charges (as a company registered for OSS sets them up; a new one has none; 25.5 % is booked through an
        # order: docs/accounting.md §3), and the PAYPAL mode of payment the default mapping names.
        with fortnox.state.lock:
            fortnox.state.seed_reference({"settings": {"round_off": False, "foreign_vat_rates": oss_rates()},
                                          "modesofpayments": [{"Code": "PAYPAL", "AccountNumber": 1580}, {"Code": "KVITT", "AccountNumber": 1510}]})
        sandboxes = Sandboxes(woocommerce, fortnox, directory,
                              client if client is not None else (FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET))
        env_path = directory / "sandbox.env"
        write_env_file(env_path, sandboxes.environment())
        if env_file is not None and Path(env_file) != env_path:
            write_env_file(Path(env_file), sandboxes.environment())
        state = {"pid": os.getpid(), "woocommerce_port": woocommerce.port, "fortnox_port": fortnox.port,
                 "woocommerce_url": woocommerce.url, "fortnox_url": fortnox.api_url, "env_file": str(env_path)}
        (directory / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")
        yield sandboxes
    finally:
        if fortnox is not None:
            fortnox.stop()
        if woocommerce is not None:
            woocommerce.stop()
        shutil.rmtree(directory, ignore_errors=True)


def write_env_file(path: Path, environment: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"export {key}={value}\n" for key, value in environment.items()))


def _wait_forever() -> None:
    """Until SIGTERM or Ctrl-C; either stops the sandboxes cleanly (their directory removed), exit 0."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


def _handle_sandbox(args: argparse.Namespace) -> int:
    if not sandboxes_installed("sandbox"):
        return EXIT_USAGE
    with running_sandboxes(args.orders, args.seed, args.woocommerce_port, args.fortnox_port,
                           client=args.client, env_file=args.env_file) as sandboxes:
        environment = sandboxes.environment()
        env_file = args.env_file or sandboxes.directory / "sandbox.env"
        print(f"sandboxes running; environment written to {env_file}:")
        for key, value in environment.items():
            print(f"  {key}={value}")
        print(f"refresh token for Fortnox client {sandboxes.client[0]} (refresh-token mode, instead of "
              f"FORTNOX_TENANT_ID): {sandboxes.refresh_token()}")
        print("Ctrl-C to stop.", flush=True)
        _wait_forever()
    return 0


# What `dagster dev` would otherwise print that says nothing about the user's data. The notice that `dagster dev`
# is superseded by `dg dev` (a `dg` project layout woofort does not use) is filtered in that process alone. Telemetry
# is not sent (DAGSTER_DISABLE_TELEMETRY, Dagster's documented switch; the repo's dagster.yaml also turns it off).
DAGSTER_DEV_ENVIRONMENT = {"DAGSTER_DISABLE_TELEMETRY": "1"}
DAGSTER_DEV_WARNING_FILTER = "ignore:Function `dev_command` is superseded"


def _start_run_retry_cursors() -> None:
    """On a fresh instance the run-retry daemon warns "No cursor for event type …, ignoring older events" and sets
    its cursors to the newest event: the same done here first, silently. Best effort: the cursors' keys are
    Dagster internals, and if they move the daemon merely warns again."""
    if _create_cursor_key is None:
        return
    with dg.DagsterInstance.get() as instance:
        if not instance.run_retries_enabled:
            return
        storage = instance.daemon_cursor_storage
        keys = {_create_cursor_key(event_type) for event_type in DAGSTER_EVENT_TYPES}
        missing = keys - set(storage.get_cursor_values(keys))
        if missing:
            newest = str(instance.event_log_storage.get_maximum_record_id() or 0)
            storage.set_cursor_values({key: newest for key in missing})


def dagster_dev_command(port: int) -> list[str]:
    return [sys.executable, "-W", DAGSTER_DEV_WARNING_FILTER, "-m", "dagster", "dev",
            "-w", str(CHECKOUT_DIR / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]


def _handle_dev(args: argparse.Namespace) -> int:
    """Sandboxes, a first sync of the demo month so the UI has data, then `dagster dev`."""
    if not sandboxes_installed("dev"):
        return EXIT_USAGE

    with running_sandboxes(args.orders, args.seed, args.woocommerce_port, args.fortnox_port) as sandboxes:
        os.environ.update(sandboxes.environment())
        if not args.no_sync:
            first = date.fromisoformat(DEMO_START)
            print_summary(run_sync(first, first + timedelta(days=DEMO_DAYS - 1)))
        # In DAGSTER_HOME itself: `dagster dev` warns about a dagster.yaml in its working directory that is not
        # DAGSTER_HOME's, which the checkout's (copied there by `make`) would be.
        home = dagster_home()
        if home is not None:
            _start_run_retry_cursors()
        return _run_dagster_dev(dagster_dev_command(args.port), env={**os.environ, **DAGSTER_DEV_ENVIRONMENT},
                                cwd=str(home) if home is not None else None)


def _run_dagster_dev(command: list[str], env: dict[str, str], cwd: str | None) -> int:
    """`dagster dev` until it ends. SIGTERM is passed on to it (it shuts its webserver and daemon down), Ctrl-C
    reaches it from the terminal itself; the sandboxes stop after it. The handlers are set before it starts, so
    it inherits default ones whatever the first sync left behind."""
    stopping: list[int] = []

    def on_signal(signo, _frame) -> None:
        stopping.append(signo)
        if signo == signal.SIGTERM and process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)

    process = None
    old = {signo: signal.signal(signo, on_signal) for signo in (signal.SIGTERM, signal.SIGINT)}
    try:
        process = subprocess.Popen(command, env=env, cwd=cwd)
        if signal.SIGTERM in stopping:  # arrived while it was starting
            process.send_signal(signal.SIGTERM)
        return process.wait()
    finally:
        for signo, handler in old.items():
            signal.signal(signo, handler if handler is not None else signal.SIG_DFL)


def add_port_arguments(parser: argparse.ArgumentParser, woocommerce: int = 0, fortnox: int = 0) -> None:
    """--woocommerce-port and --fortnox-port (0: a free port the system picks), for every command that starts
    the sandboxes."""
    parser.add_argument("--woocommerce-port", type=int, default=woocommerce,
                        help=f"the WooCommerce sandbox's port on 127.0.0.1 (default {woocommerce or 'a free one'})")
    parser.add_argument("--fortnox-port", type=int, default=fortnox,
                        help=f"the Fortnox sandbox's port on 127.0.0.1 (default {fortnox or 'a free one'})")


def register(subparsers) -> None:
    for name, handler, help_text in (
        ("sandbox", _handle_sandbox, "run the WooCommerce and Fortnox sandboxes in the foreground"),
        ("dev", _handle_dev, "sandboxes + a first sync + the Dagster UI"),
    ):
        parser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("--orders", type=int, default=150)
        parser.add_argument("--seed", type=int, default=7)
        parser.set_defaults(handler=handler)
        if name == "sandbox":
            add_port_arguments(parser, 8443, 8444)
            parser.add_argument("--env-file", type=Path, default=None,
                                help="also write the environment here (it is always in <data dir>/sandbox/"
                                     "<ports>/sandbox.env)")
            parser.add_argument("--client", type=parse_client, default=None, metavar="ID:SECRET",
                                help="register this Fortnox client with the sandbox, name it in the environment "
                                     "and print a refresh token for it (default sandbox-client)")
        else:
            add_port_arguments(parser)
            parser.add_argument("--port", type=int, default=3000)
            parser.add_argument("--no-sync", action="store_true")
