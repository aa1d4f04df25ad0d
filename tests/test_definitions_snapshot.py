"""The code location's shape (assets, their upstreams, checks, jobs, schedules, sensors) is pinned, so that
reorganising how the definitions are assembled cannot drop or rename anything the UI shows."""

import json
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def definitions_shape() -> dict:
    from woofort_assets.definitions import build_definitions

    repo = build_definitions().get_repository_def()
    graph = repo.asset_graph
    return {
        "assets": {key.to_user_string(): sorted(p.to_user_string() for p in graph.get(key).parent_keys)
                   for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())},
        "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys),
        "jobs": sorted(job.name for job in repo.get_all_jobs()),
        "schedules": sorted(s.name for s in repo.schedule_defs),
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_the_code_location_keeps_its_assets_checks_jobs_schedules_and_sensors():
    assert definitions_shape() == json.loads(SNAPSHOT.read_text())


if __name__ == "__main__":  # python -m tests.test_definitions_snapshot: rewrite after a deliberate change
    SNAPSHOT.write_text(json.dumps(definitions_shape(), indent=2) + "\n")
