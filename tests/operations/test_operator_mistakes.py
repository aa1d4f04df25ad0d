"""The operator's mistakes, each run as `woofort` in a subprocess against the sandboxes: every configuration,
credential, permission, lock and connectivity failure ends with its exit code (2: fix something; 1: an outage
that outlived its retries), one to three lines on stderr naming the thing to fix, and no traceback (issue 15).

Fast on purpose: the sandboxes are shared by the module, the Fortnox rate limit is raised as in tests/conftest.py,
WooCommerce's retries are cut with WOOCOMMERCE_MAX_RETRIES, and every case must end within its time limit."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import FAST_RATE_LIMIT, FORTNOX_CLIENT, FORTNOX_SECRET, FORTNOX_TENANT, SANDBOX_KEY, SANDBOX_SECRET

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "mapping" / "mapping.yaml"
SYNC = ["sync", "--from", "2026-10-01", "--to", "2026-10-02"]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _HtmlHandler(BaseHTTPRequestHandler):
    """A web server that is not WooCommerce: a 200 HTML page on every path (a hosting placeholder)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>It works</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from woofort_sandboxes.fortnox import FortnoxSandbox
    from woofort_sandboxes.woocommerce import WooCommerceSandbox

    woo = WooCommerceSandbox(orders=20, seed=11, start_date="2026-10-01", days=3, tls=True,
                             consumer_key=SANDBOX_KEY, consumer_secret=SANDBOX_SECRET,
                             state_dir=tmp_path_factory.mktemp("woo-ca")).start()
    fortnox = FortnoxSandbox(rate_limit=FAST_RATE_LIMIT, clients={FORTNOX_CLIENT: FORTNOX_SECRET},
                             tenant_id=FORTNOX_TENANT).start()
    html = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    threading.Thread(target=html.serve_forever, daemon=True).start()
    yield {"woo": woo, "fortnox": fortnox, "html_url": f"http://127.0.0.1:{html.server_address[1]}"}
    html.shutdown()
    fortnox.stop()
    woo.stop()


@dataclass
class Ctx:
    """What a case may use to set itself up: the sandboxes, its own directory, and things to undo."""

    servers: dict
    tmp: Path
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


@dataclass
class Case:
    id: str
    argv: list[str]
    exit_code: int
    fix: str | Callable[[Ctx], str]      # a substring of stderr (of stdout for --help) naming what to fix
    env: Callable[[Ctx], dict] = lambda ctx: {}
    max_seconds: float = 15.0
    setup: Callable[[Ctx], None] | None = None
    limit_file_size: int | None = None  # RLIMIT_FSIZE in bytes: a full disk


def _hold_duckdb(ctx: Ctx) -> None:
    """Another process (a notebook, say) holds the DuckDB file with DuckDB's own lock."""
    data = ctx.tmp / "data"
    data.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(data / 'woofort.duckdb')!r}); print('ready', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    ctx.facts["holder_pid"] = holder.pid
    ctx.cleanups.append(lambda: (holder.kill(), holder.wait()))


def _blackhole(ctx: Ctx) -> None:
    """A host:port that never completes a connection (a firewall dropping packets): a listening socket whose
    accept queue is full, so the kernel drops every further SYN and connecting times out."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.2)
    ctx.facts["port"] = port
    ctx.cleanups.append(lambda: [sock.close() for sock in (*fillers, server)])


def _woo_500_everywhere(ctx: Ctx) -> None:
    woo = ctx.servers["woo"]
    woo.faults.set(error_rate=1.0, error_statuses=[500], error_limit=None)
    ctx.cleanups.append(woo.clear_faults)


def _a_file(ctx: Ctx) -> Path:
    path = ctx.tmp / "not-a-dir"
    path.write_text("a file where the data directory should be\n")
    return path


def _unwritable_dir(ctx: Ctx) -> str:
    """A data directory woofort may not create or write. As root, chmod does not stop writes, so there it is a
    path under a file (the same refusal from the OS: the directory cannot be made)."""
    if os.geteuid() == 0:
        return str(_a_file(ctx) / "data")
    read_only = ctx.tmp / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    ctx.cleanups.append(lambda: read_only.chmod(0o755))
    return str(read_only / "data")


def _mapping_typo(ctx: Ctx) -> dict:
    text = MAPPING.read_text()
    assert "\n  round_off:" in text
    bad = ctx.tmp / "mapping.yaml"
    bad.write_text(text.replace("\n  round_off:", "\n  round_of:", 1))
    return {"WOOFORT_MAPPING": str(bad)}


CASES = [
    Case("duckdb-held-by-another-process", SYNC, 2, lambda ctx: f"(PID {ctx.facts['holder_pid']}",
         setup=_hold_duckdb),
    Case("data-dir-is-a-file", SYNC, 2, "WOOFORT_DATA_DIR",
         env=lambda ctx: {"WOOFORT_DATA_DIR": str(_a_file(ctx))}),
    Case("data-dir-not-writable", SYNC, 2, "is not writable",
         env=lambda ctx: {"WOOFORT_DATA_DIR": _unwritable_dir(ctx)}),
    Case("help-with-a-broken-data-dir", ["--help"], 0, "usage: woofort",
         env=lambda ctx: {"WOOFORT_DATA_DIR": str(_a_file(ctx))}),
    Case("sync-help-with-a-broken-data-dir", ["sync", "--help"], 0, "--from",
         env=lambda ctx: {"WOOFORT_DATA_DIR": str(_a_file(ctx) / "data")}),
    Case("wrong-woocommerce-secret", SYNC, 2, "WOOCOMMERCE_CONSUMER_SECRET",
         env=lambda ctx: {"WOOCOMMERCE_CONSUMER_SECRET": "cs_wrong_secret"}),
    Case("woocommerce-answers-html-200", SYNC, 2, "is not a WooCommerce REST API (answered HTML",
         env=lambda ctx: {"WOOCOMMERCE_URL": ctx.servers["html_url"], "WOOFORT_TIMEZONE": ""}),
    Case("woocommerce-answers-500-everywhere", SYNC, 1, "answered 500 (internal_server_error)",
         env=lambda ctx: {"WOOCOMMERCE_MAX_RETRIES": "1"}, setup=_woo_500_everywhere),
    Case("woocommerce-port-refused", SYNC, 1, "refused the connection", max_seconds=10,
         env=lambda ctx: {"WOOCOMMERCE_URL": f"https://127.0.0.1:{ctx.facts.setdefault('port', _free_port())}"}),
    Case("fortnox-port-refused", SYNC, 1, "Fortnox at 127.0.0.1:", max_seconds=10,
         env=lambda ctx: {name: f"http://127.0.0.1:{ctx.facts.setdefault('port', _free_port())}"
                          for name in ("FORTNOX_API_URL", "FORTNOX_AUTH_URL")}),
    Case("fortnox-unreachable", SYNC, 1, "could not be reached", max_seconds=10, setup=_blackhole,
         env=lambda ctx: {name: f"http://127.0.0.1:{ctx.facts['port']}" for name in ("FORTNOX_API_URL",
                                                                                   "FORTNOX_AUTH_URL")}),
    Case("woocommerce-unreachable", SYNC, 1, "did not answer (ConnectTimeout)", max_seconds=10, setup=_blackhole,
         env=lambda ctx: {"WOOCOMMERCE_URL": f"https://127.0.0.1:{ctx.facts['port']}"}),
    Case("fortnox-refresh-token-revoked", SYNC, 2, "woofort fortnox connect",
         env=lambda ctx: {"FORTNOX_TENANT_ID": "", "FORTNOX_REFRESH_TOKEN": "revoked-or-expired-refresh-token"}),
    Case("fortnox-client-secret-missing", SYNC, 2, "FORTNOX_CLIENT_SECRET",
         env=lambda ctx: {"FORTNOX_CLIENT_SECRET": ""}),
    Case("fortnox-both-modes", SYNC, 2, "FORTNOX_TENANT_ID and FORTNOX_REFRESH_TOKEN",
         env=lambda ctx: {"FORTNOX_REFRESH_TOKEN": "some-refresh-token"}),
    Case("woocommerce-not-configured", SYNC, 2, "WOOCOMMERCE_URL", env=lambda ctx: {"WOOCOMMERCE_URL": ""}),
    Case("malformed-setting", SYNC, 2, "WOOCOMMERCE_CONCURRENCY", env=lambda ctx: {"WOOCOMMERCE_CONCURRENCY": "99"}),
    Case("mapping-with-a-typo", SYNC, 2, "round_of", env=_mapping_typo),
    Case("start-date-in-the-future", SYNC, 2, "WOOFORT_START_DATE", env=lambda ctx: {"WOOFORT_START_DATE": "2099-01-01"}),
    Case("disk-full", SYNC, 2, "disk full / file size limit", limit_file_size=1_800_000),   # above a migrated file (1.6 MB)
    Case("reversed-date-range", ["sync", "--from", "2026-10-02", "--to", "2026-10-01"], 2, "is before --from"),
    Case("not-a-date", ["sync", "--from", "2026-13-01", "--to", "2026-10-01"], 2, "YYYY-MM-DD"),
    Case("unknown-subcommand", ["synk"], 2, "invalid choice: 'synk'"),
]


def _environment(ctx: Ctx, case: Case) -> dict[str, str]:
    woo, fortnox = ctx.servers["woo"], ctx.servers["fortnox"]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WOOCOMMERCE_", "FORTNOX_", "WOOFORT_", "DAGSTER_HOME"))}
    env.update({
        "WOOCOMMERCE_URL": woo.url, "WOOCOMMERCE_CONSUMER_KEY": SANDBOX_KEY, "WOOCOMMERCE_CONSUMER_SECRET": SANDBOX_SECRET,
        "REQUESTS_CA_BUNDLE": str(woo.ca_path),
        "FORTNOX_API_URL": fortnox.api_url, "FORTNOX_AUTH_URL": fortnox.auth_url, "FORTNOX_CLIENT_ID": FORTNOX_CLIENT,
        "FORTNOX_CLIENT_SECRET": FORTNOX_SECRET, "FORTNOX_TENANT_ID": FORTNOX_TENANT,
        "FORTNOX_RATE_LIMIT": str(FAST_RATE_LIMIT),
        "WOOFORT_DATA_DIR": str(ctx.tmp / "data"), "WOOFORT_TIMEZONE": "Europe/Stockholm",
        "WOOFORT_START_DATE": "2026-10-01", "DAGSTER_DISABLE_TELEMETRY": "1", "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(case.env(ctx))
    return {key: value for key, value in env.items() if value != ""}


def _limit_file_size(size: int) -> Callable[[], None]:
    def limit() -> None:  # in the child: a write past `size` fails with EFBIG instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_operator_mistake_ends_in_a_few_lines_naming_the_fix(case: Case, servers, tmp_path):
    ctx = Ctx(servers, tmp_path)
    try:
        if case.setup:
            case.setup(ctx)
        env = _environment(ctx, case)
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "woofort_assets.cli", *case.argv], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120,
                              preexec_fn=_limit_file_size(case.limit_file_size) if case.limit_file_size else None)
        elapsed = time.monotonic() - started
    finally:
        for cleanup in reversed(ctx.cleanups):
            cleanup()
    fix = case.fix(ctx) if callable(case.fix) else case.fix
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    shown = f"exit {done.returncode} in {elapsed:.1f} s\nstderr:\n{done.stderr[-3000:]}\nstdout:\n{done.stdout[-1500:]}"
    if case.limit_file_size and "_duckdb" in done.stderr and "DBInstanceCache" in done.stderr:
        # DuckDB itself aborts (native stack, no Python error) when the limit strikes while it opens the file;
        # woofort cannot turn that into a message. The case's limit sits above a migrated file (1.6 MB), so the
        # write that fails is one of the run's; this guards a DuckDB that grows its new files.
        pytest.skip("DuckDB aborted natively while opening the file under the size limit")
    assert done.returncode == case.exit_code, shown
    assert "Traceback" not in done.stderr + done.stdout, shown
    assert len(lines) <= 3, shown
    if case.exit_code:
        assert lines and fix in done.stderr, shown
    else:
        assert fix in done.stdout and not lines, shown
    assert elapsed < case.max_seconds, shown


def test_verbose_shows_the_traceback_too(servers, tmp_path):
    ctx = Ctx(servers, tmp_path)
    case = Case("verbose", [*SYNC, "--verbose"], 2, "", env=lambda ctx: {"WOOFORT_DATA_DIR": str(_a_file(ctx))})
    done = subprocess.run([sys.executable, "-m", "woofort_assets.cli", *case.argv], env=_environment(ctx, case),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" in done.stderr and "WOOFORT_DATA_DIR" in done.stderr


def test_a_mistake_inside_a_run_fails_its_step_with_the_same_lines(servers, tmp_path, monkeypatch):
    """Where no CLI check ran first (a run launched from the UI), the resource recognises the failure: the step
    fails with the operator's lines and exit code as a `dg.Failure` that is not retried (lib/errors.py)."""
    from tests.conftest import sync_range
    from woofort_assets.lib.errors import from_step_failure

    monkeypatch.setenv("WOOCOMMERCE_URL", servers["html_url"])
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_KEY", SANDBOX_KEY)
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_SECRET", SANDBOX_SECRET)
    monkeypatch.setenv("FORTNOX_CLIENT_ID", FORTNOX_CLIENT)
    monkeypatch.setenv("FORTNOX_CLIENT_SECRET", FORTNOX_SECRET)
    monkeypatch.setenv("FORTNOX_TENANT_ID", FORTNOX_TENANT)
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    result = sync_range("2026-10-01", "2026-10-01", selection=["woocommerce/orders"])
    failures = [event.step_failure_data for event in result.all_events if event.is_step_failure]
    assert failures and not result.success
    error = from_step_failure(failures[0])
    assert error is not None and error.exit_code == 2
    assert "is not a WooCommerce REST API (answered HTML" in error.lines[0] and "WOOCOMMERCE_URL" in error.lines[1]


def test_the_store_timezone_never_falls_back_silently_on_an_answer_that_is_not_wordpress(servers, monkeypatch):
    from woofort_assets.lib.errors import OperatorError
    from woofort_assets.lib.partitions import store_timezone

    monkeypatch.delenv("WOOFORT_TIMEZONE", raising=False)
    monkeypatch.setenv("WOOCOMMERCE_URL", servers["html_url"])
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(Path(servers["woo"].ca_path).parent / "tz-data"))
    store_timezone.cache_clear()
    try:
        with pytest.raises(OperatorError, match="is not a WooCommerce REST API"):
            store_timezone()
    finally:
        store_timezone.cache_clear()


def test_building_the_parser_never_touches_the_data_directory(tmp_path, monkeypatch):
    from woofort_assets.cli import build_parser

    missing = tmp_path / "a-file"
    missing.write_text("")
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(missing / "data"))
    build_parser()
    assert not (missing / "data").exists() and missing.is_file()
