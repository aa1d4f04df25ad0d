"""The README's tables of schedules, sensors and jobs are the code location's: names both ways, and for schedules
and sensors the default status and (schedules) the job they run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from woofort_assets.definitions import build_definitions

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Schedules, sensors and jobs"


def _tables() -> dict[str, dict[str, list[str]]]:
    """{first header cell: {name in the first column: [the other cells]}} for the tables of the section."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"the README has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1]
    section = re.split(r"^#{2,3} ", section, maxsplit=1, flags=re.M)[0]
    tables: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if current is None:
            current = tables.setdefault(cells[0], {})
        elif not set(cells[0]) <= {"-", ":"}:
            match = re.fullmatch(r"`([a-z0-9_]+)`", cells[0])
            assert match, f"a row's first cell is one `name`: {line}"
            current[match.group(1)] = cells[1:]
    return tables


@pytest.fixture(scope="module")
def definitions():
    return build_definitions()


@pytest.fixture(scope="module")
def tables():
    tables = _tables()
    assert set(tables) >= {"schedule", "sensor", "job"}, f"tables found: {sorted(tables)}"
    return tables


def _both_ways(readme: set[str], code: set[str], what: str) -> None:
    assert not sorted(code - readme), f"{what} in the definitions but not in the README"
    assert not sorted(readme - code), f"{what} in the README but not in the definitions"


def test_every_schedule_is_in_the_readme_with_its_job_and_default(definitions, tables):
    rows = tables["schedule"]
    _both_ways(set(rows), {schedule.name for schedule in definitions.schedules}, "schedules")
    for schedule in definitions.schedules:
        job, _when, default, what = rows[schedule.name]
        assert job == f"`{schedule.job_name}`", schedule.name
        assert default == schedule.default_status.value, schedule.name
        assert what, schedule.name


def test_every_sensor_is_in_the_readme_with_its_default(definitions, tables):
    rows = tables["sensor"]
    _both_ways(set(rows), {sensor.name for sensor in definitions.sensors}, "sensors")
    for sensor in definitions.sensors:
        default, what = rows[sensor.name]
        assert default == sensor.default_status.value, sensor.name
        assert what, sensor.name


def test_every_job_is_in_the_readme(definitions, tables):
    jobs = {job.name for job in definitions.jobs if not job.name.startswith("__")}  # not Dagster's implicit one
    _both_ways(set(tables["job"]), jobs, "jobs")
    assert all(started_by and what for started_by, what in tables["job"].values())


def test_the_readme_says_how_to_turn_them_off():
    text = README.read_text(encoding="utf-8").split(SECTION, 1)[1]
    assert "dagster schedule stop" in text and "dagster sensor stop" in text
    assert "-w workspace.yaml" in text
