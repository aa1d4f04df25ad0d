"""`dagster-webserver` and `dagster-daemon` as real subprocesses on loopback, for the UI tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.operations.conftest import REPO, free_port

BIN = Path(sys.executable).parent


@contextmanager
def dagster_servers(home: Path, env: dict[str, str], logs: Path, timeout: float = 240):
    """Starts webserver + daemon on the repo's workspace.yaml with DAGSTER_HOME=`home`; yields the base URL."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**env, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    workspace = ["-w", str(REPO / "workspace.yaml")]
    # Create the SQLite storages once, before two processes race to stamp a fresh schema (seen as
    # "Version table 'alembic_version' has more than one head present" when both start at once).
    subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=300)
    procs = []
    try:
        for name, command in (
            ("webserver", [str(BIN / "dagster-webserver"), *workspace, "-h", "127.0.0.1", "-p", str(port)]),
            ("daemon", [str(BIN / "dagster-daemon"), "run", *workspace]),
        ):
            out = open(logs / f"{name}.log", "w")
            procs.append((subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                           start_new_session=True), out))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            for proc, _ in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a dagster process exited early ({proc.args[0]}); see {logs}")
            try:
                if requests.get(f"{base}/server_info", timeout=5).status_code == 200 and _location_loaded(base):
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"dagster-webserver did not load the code location in {timeout}s; see {logs}")
            time.sleep(1)
        yield base
    finally:
        for proc, out in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, out in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            out.close()


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    response = requests.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise AssertionError(body["errors"])
    return body["data"]


def _location_loaded(base: str) -> bool:
    data = graphql(base, "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                         "locationOrLoadError { __typename ... on PythonError { message } } } } } }")
    entries = data["workspaceOrError"]["locationEntries"]
    for entry in entries:
        error = entry["locationOrLoadError"] or {}
        if error.get("__typename") == "PythonError":
            raise RuntimeError(f"code location {entry['name']} failed to load: {error['message'][:2000]}")
    return bool(entries) and all(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries)
