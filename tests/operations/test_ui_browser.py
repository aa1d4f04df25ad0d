"""The UI in a real browser: dagster-webserver + dagster-daemon on loopback with the repo's dagster.yaml,
the sandboxes as the shop (and Fortnox), a partitioned materialization and a small backfill launched through
the GraphQL API (dagster-graphql client), and a `woofort sync` run from the terminal (cli/runs.py records it with
the code location's origin), then headless Chromium (Debian's, driven by Playwright) shows the asset graph with its
groups, a check's result, and the CLI's run under the sync job with its partitions materialized. Screenshots go to
test-artifacts/ui/ (docs/img/ui-*.png are copies)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from tests.operations.conftest import ARTIFACTS, REPO
from tests.operations.servers import dagster_servers, graphql

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

PARTITION = "2026-10-02"
BACKFILL_DAYS = ["2026-10-03", "2026-10-04"]
BACKFILL_ASSETS = [["woocommerce", "orders"], ["staging", "orders"], ["woocommerce", "refunds"], ["staging", "refunds"]]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DONE = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { invalidOutputName }
    ... on UnauthorizedError { message }
  }
}"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions runs(limit: 20) { runId status tags { key value } } }
    ... on PythonError { message }
  }
}"""
GROUPS = """{ assetNodes { groupName assetKey { path } } }"""
CLI_DAYS = ["2026-10-05", "2026-10-06"]
SYNC_JOB_RUNS = """
{ pipelineOrError(params: {pipelineName: "sync", repositoryName: "__repository__", repositoryLocationName: "woofort"}) {
    __typename ... on Pipeline { runs(limit: 50) { runId status } } ... on PythonError { message } } }"""
PARTITION_STATUSES = """
query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) { __typename ... on AssetNode {
    assetPartitionStatuses { __typename ... on TimePartitionStatuses { ranges { startKey endKey status } } } } } }"""


def _cli_run_id(home) -> str:
    """The run `woofort sync` created (it tags its runs with its host and pid: cli/runs.py)."""
    from dagster import DagsterInstance, RunsFilter
    from dagster._core.instance.ref import InstanceRef

    from woofort_assets.cli.runs import HOST_TAG

    ref = InstanceRef.from_dir(str(home), overrides={"telemetry": {"enabled": False}})
    with DagsterInstance.from_ref(ref) as instance:
        (run,) = [r for r in instance.get_runs(RunsFilter(job_name="sync")) if HOST_TAG in r.tags]
        return run.run_id


def _materialized_days(base: str, path: list[str]) -> set[str]:
    """The days of a daily-partitioned asset the UI shows as materialized (green)."""
    from datetime import date, timedelta

    node = graphql(base, PARTITION_STATUSES, {"path": path})["assetNodeOrError"]
    days = set()
    for span in node["assetPartitionStatuses"]["ranges"]:
        if span["status"] == "MATERIALIZED":
            day, end = date.fromisoformat(span["startKey"]), date.fromisoformat(span["endKey"])
            while day <= end:
                days.add(day.isoformat())
                day += timedelta(days=1)
    return days


def _wait_run(client: DagsterGraphQLClient, run_id: str, timeout: float = 1200) -> DagsterRunStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status.value in DONE:
            return status
        time.sleep(2)
    raise TimeoutError(f"run {run_id} still {status} after {timeout}s")


def _wait_backfill(base: str, backfill_id: str, timeout: float = 1200) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = graphql(base, BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING") and backfill["runs"] and all(
                run["status"] in DONE for run in backfill["runs"]):
            return backfill
        time.sleep(2)
    raise TimeoutError(f"backfill {backfill_id} not done after {timeout}s: {backfill}")


def _wait_count(locator, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while locator.count() < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} found {locator.count()} times, expected at least {at_least}")
        time.sleep(0.5)


def _settle(page, timeout: float = 45) -> None:
    """Waits (best effort) until the page stopped showing placeholders for asset statuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.get_by_text("Loading").count() == 0 and page.get_by_text("fetching statuses").count() == 0:
            break
        time.sleep(1)
    time.sleep(1)


def test_ui_runs_backfills_and_shows_the_graph(chromium_path, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from woofort_assets.cli.sandbox import running_sandboxes

    shots = ARTIFACTS / "ui"
    shots.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    with running_sandboxes(orders=40, seed=5) as sandboxes:
        env = {**os.environ, **sandboxes.environment(), "WOOFORT_DATA_DIR": str(tmp_path / "data"),
               "WOOFORT_TIMEZONE": os.environ.get("WOOFORT_TIMEZONE", "Europe/Stockholm")}
        env.pop("WOOFORT_ALERT_WEBHOOK_URL", None)
        with dagster_servers(tmp_path / "dagster_home", env, ARTIFACTS / "ui" / "logs") as base:
            port = int(base.rsplit(":", 1)[1])
            client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=60)

            # 1. A partitioned materialization of the whole graph (the sync job), through the run queue.
            run_id = client.submit_job_execution("sync", tags={"dagster/partition": PARTITION})
            # 2. A small backfill of the extraction and staging assets over two days: one run (single_run).
            launched = graphql(base, LAUNCH_BACKFILL, {"params": {
                "partitionNames": BACKFILL_DAYS, "assetSelection": [{"path": p} for p in BACKFILL_ASSETS],
                "fromFailure": False}})["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched

            assert _wait_run(client, run_id) == DagsterRunStatus.SUCCESS, \
                f"sync run {run_id} failed; see {ARTIFACTS / 'ui' / 'logs'}"
            backfill = _wait_backfill(base, launched["backfillId"])
            assert backfill["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), backfill
            assert len(backfill["runs"]) == 1, backfill["runs"]        # BackfillPolicy.single_run: one run
            assert backfill["runs"][0]["status"] == "SUCCESS"
            tags = {t["key"]: t["value"] for t in backfill["runs"][0]["tags"]}
            assert tags["dagster/asset_partition_range_start"] == BACKFILL_DAYS[0]
            assert tags["dagster/asset_partition_range_end"] == BACKFILL_DAYS[-1]

            # 3. `woofort sync` from a terminal on the same instance: listed under the sync job, its days green.
            cli = subprocess.run([sys.executable, "-m", "woofort_assets.cli", "sync", "--from", CLI_DAYS[0],
                                  "--to", CLI_DAYS[-1]], cwd=REPO, capture_output=True, text=True, timeout=900,
                                 env={**env, "DAGSTER_HOME": str(tmp_path / "dagster_home")})
            assert cli.returncode in (0, 3), cli.stdout[-2000:] + cli.stderr[-2000:]
            cli_run = _cli_run_id(tmp_path / "dagster_home")
            job = graphql(base, SYNC_JOB_RUNS)["pipelineOrError"]
            assert job["__typename"] == "Pipeline", job
            assert {"runId": cli_run, "status": "SUCCESS"} in job["runs"], (cli_run, job["runs"])
            for path in (["woocommerce", "orders"], ["staging", "orders"]):
                assert set(CLI_DAYS) <= _materialized_days(base, path), path

            groups = {node["groupName"] for node in graphql(base, GROUPS)["assetNodes"]}
            assert {"woocommerce", "staging"} <= groups
            expected_groups = sorted(groups & {"woocommerce", "staging", "deltas", "fortnox"})

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1600, "height": 1000})
                    page.set_default_timeout(60_000)

                    # The global asset graph: every group of the code location is drawn.
                    page.goto(f"{base}/asset-groups")
                    for group in expected_groups:   # drawn as a group box in the graph and listed beside it
                        _wait_count(page.get_by_text(group, exact=True), 2)
                    _settle(page)
                    page.screenshot(path=str(shots / "asset-graph.png"))

                    # The Fortnox sink assets (group "fortnox") once they are part of the code location;
                    # until then the staging assets stand in (the test follows what the location defines).
                    prefix, names = ("fortnox", ["invoices", "customers", "articles"]) if "fortnox" in groups \
                        else ("staging", ["orders", "refunds", "products"])
                    page.goto(f"{base}/assets/{prefix}")
                    for name in names:
                        page.get_by_text(name, exact=True).first.wait_for()
                    _settle(page)
                    page.screenshot(path=str(shots / f"assets-{prefix}.png"))

                    # A check's result on the staging orders asset renders.
                    page.goto(f"{base}/assets/staging/orders?view=checks")
                    page.get_by_text("orders_contract").first.wait_for()
                    page.get_by_text("Succeeded").first.wait_for()
                    time.sleep(1)
                    page.screenshot(path=str(shots / "staging-orders-checks.png"))

                    # The CLI's run under the sync job, and the job's partitions with the CLI's days materialized.
                    page.goto(f"{base}/locations/woofort/jobs/sync/runs")
                    page.get_by_text(cli_run[:8]).first.wait_for()
                    _settle(page)
                    page.screenshot(path=str(shots / "sync-run.png"))
                    page.goto(f"{base}/locations/woofort/jobs/sync/partitions")
                    _settle(page)
                    page.screenshot(path=str(shots / "sync-partitions.png"))

                    # The backfill and the schedules/sensors pages.
                    page.goto(f"{base}/runs/b/{launched['backfillId']}")
                    page.get_by_text(BACKFILL_DAYS[0]).first.wait_for()
                    page.screenshot(path=str(shots / "backfill.png"))
                    page.goto(f"{base}/automation")
                    page.get_by_text("sync_today").first.wait_for()
                    page.get_by_text("run_failure_alert").first.wait_for()
                    time.sleep(1)
                    page.screenshot(path=str(shots / "automation.png"))
                finally:
                    browser.close()
