"""`woofort sandbox` as a user runs it, in a subprocess on free ports: each run keeps its own CA, ports and
environment under `<data dir>/sandbox/<ports>/`, so a second run (or `woofort dev` beside it) never replaces the
CA a client of the first trusts; a second start on ports a live run holds is refused with one line (exit 2);
`--client ID:SECRET` gives a refresh token the Fortnox sandbox accepts for that client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.operations.conftest import free_port

START_TIMEOUT = 60


@contextmanager
def woofort_sandbox(data_dir: Path, *arguments: str, woocommerce_port: int | None = None,
                    fortnox_port: int | None = None):
    """A running `woofort sandbox` on free ports; yields (process, its stdout lines up to "Ctrl-C to stop.",
    ports). Stopped with SIGTERM, killed if it does not stop."""
    ports = (woocommerce_port or free_port(), fortnox_port or free_port())
    env = {**os.environ, "WOOFORT_DATA_DIR": str(data_dir)}
    for name in ("REQUESTS_CA_BUNDLE", "WOOCOMMERCE_URL", "FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "woofort_assets.cli", "sandbox", "--orders", "20",
         "--woocommerce-port", str(ports[0]), "--fortnox-port", str(ports[1]), *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"woofort sandbox ended (exit {process.wait()}): {process.stderr.read()}")
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C to stop."):
                break
        else:
            raise AssertionError(f"woofort sandbox did not start within {START_TIMEOUT} s: {lines}")
        yield process, lines, ports
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


def _environment(lines: list[str]) -> dict[str, str]:
    return dict(line.strip().split("=", 1) for line in lines if line.startswith("  ") and "=" in line)


def test_two_sandbox_runs_keep_their_own_ca_ports_and_environment(tmp_path):
    with woofort_sandbox(tmp_path) as (first, first_lines, first_ports):
        first_env = _environment(first_lines)
        first_ca = Path(first_env["REQUESTS_CA_BUNDLE"])
        assert first_ca.parent == tmp_path / "sandbox" / f"{first_ports[0]}-{first_ports[1]}"
        assert (first_ca.parent / "sandbox.env").read_text().count("export ") == len(first_env)
        assert requests.get(f"{first_env['WOOCOMMERCE_URL']}/wp-json/", verify=str(first_ca), timeout=10).ok

        with woofort_sandbox(tmp_path) as (second, second_lines, second_ports):
            second_env = _environment(second_lines)
            assert second_ports != first_ports
            assert Path(second_env["REQUESTS_CA_BUNDLE"]).parent != first_ca.parent
            assert Path(second_env["REQUESTS_CA_BUNDLE"]).read_bytes() != first_ca.read_bytes()
            # A client of the first run (the UI's runs under `make dev`) still trusts its server, fresh
            # connection included, while the second runs.
            assert requests.get(f"{first_env['WOOCOMMERCE_URL']}/wp-json/", verify=str(first_ca), timeout=10).ok
            assert requests.get(f"{second_env['WOOCOMMERCE_URL']}/wp-json/",
                                verify=second_env["REQUESTS_CA_BUNDLE"], timeout=10).ok

        assert second.returncode == 0
        assert not (tmp_path / "sandbox" / f"{second_ports[0]}-{second_ports[1]}").exists()  # cleaned on stop
        assert requests.get(f"{first_env['WOOCOMMERCE_URL']}/wp-json/", verify=str(first_ca), timeout=10).ok
    assert first.returncode == 0


def test_a_second_start_on_the_ports_of_a_live_run_is_refused_in_one_line(tmp_path):
    with woofort_sandbox(tmp_path) as (first, first_lines, ports):
        second = subprocess.run(
            [sys.executable, "-m", "woofort_assets.cli", "sandbox", "--orders", "20",
             "--woocommerce-port", str(ports[0]), "--fortnox-port", str(ports[1])],
            capture_output=True, text=True, timeout=60, env={**os.environ, "WOOFORT_DATA_DIR": str(tmp_path)})
        assert second.returncode == 2, second.stderr
        assert second.stdout == ""
        lines = second.stderr.splitlines()
        assert len(lines) == 1, second.stderr
        assert f"already running on 127.0.0.1:{ports[0]} and :{ports[1]} (pid {first.pid})" in lines[0]
        assert "--woocommerce-port/--fortnox-port" in lines[0] and "sandbox.env" in lines[0]
        assert first.poll() is None  # the first one is untouched and still serves with its CA
        env = _environment(first_lines)
        assert requests.get(f"{env['WOOCOMMERCE_URL']}/wp-json/", verify=env["REQUESTS_CA_BUNDLE"], timeout=10).ok


def test_a_port_held_by_another_program_is_refused_naming_the_option(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "woofort_assets.cli", "sandbox", "--orders", "20",
             "--woocommerce-port", str(free_port()), "--fortnox-port", str(taken)],
            capture_output=True, text=True, timeout=60, env={**os.environ, "WOOFORT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"woofort: 127.0.0.1:{taken} is in use by another program: choose a free port with --fortnox-port"]
    assert not any((tmp_path / "sandbox").iterdir())


def test_client_option_prints_a_refresh_token_the_sandbox_accepts_for_that_client(tmp_path):
    client_id, secret = "my-integration", "my-secret"
    with woofort_sandbox(tmp_path, "--client", f"{client_id}:{secret}") as (_, lines, _ports):
        env = _environment(lines)
        assert (env["FORTNOX_CLIENT_ID"], env["FORTNOX_CLIENT_SECRET"]) == (client_id, secret)
        token_line = next(line for line in lines if line.startswith("refresh token for Fortnox client "))
        assert token_line.startswith(f"refresh token for Fortnox client {client_id} ")
        refresh_token = token_line.rsplit(": ", 1)[1]
        token_url = f"{env['FORTNOX_AUTH_URL']}/oauth-v1/token"

        # The default client cannot use it: the token is bound to the client it was minted for.
        other = requests.post(token_url, auth=("sandbox-client", "sandbox-secret"), timeout=10,
                              data={"grant_type": "refresh_token", "refresh_token": refresh_token})
        assert other.status_code == 400 and other.json()["error"] == "invalid_grant"

        answer = requests.post(token_url, auth=(client_id, secret), timeout=10,
                               data={"grant_type": "refresh_token", "refresh_token": refresh_token})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["refresh_token"] and body["refresh_token"] != refresh_token
        company = requests.get(f"{env['FORTNOX_API_URL']}/3/companyinformation", timeout=10,
                               headers={"Authorization": f"Bearer {body['access_token']}"})
        assert company.status_code == 200, company.text

        # Service-account mode, what the written environment (FORTNOX_TENANT_ID) selects, works for it too.
        service = requests.post(token_url, auth=(client_id, secret), headers={"TenantId": env["FORTNOX_TENANT_ID"]},
                                data={"grant_type": "client_credentials"}, timeout=10)
        assert service.status_code == 200, service.text


def test_a_malformed_client_option_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "woofort_assets.cli", "sandbox", "--client", "no-secret"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "WOOFORT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "expected CLIENT_ID:CLIENT_SECRET" in result.stderr


def test_the_fortnox_sandbox_alone_prints_a_refresh_token_of_its_given_client():
    """`python -m woofort_sandboxes.fortnox --client ID:SECRET` used to print the default client's token."""
    process = subprocess.Popen([sys.executable, "-m", "woofort_sandboxes.fortnox", "--port", str(free_port()),
                                "--client", "mine:its-secret"], stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(3)]
        values = dict(line.split("=", 1) for line in lines[1:])
        assert values["client_id"] == "mine"
        base = lines[0].split(" on ", 1)[1].split()[0]
        answer = requests.post(f"{base}/oauth-v1/token", auth=("mine", "its-secret"), timeout=10,
                               data={"grant_type": "refresh_token", "refresh_token": values["refresh_token"]})
        assert answer.status_code == 200, answer.text
    finally:
        process.terminate()
        process.wait(timeout=15)
        process.stdout.close()
