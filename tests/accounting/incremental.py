"""What the incremental-build tests of the deltas and of the reconciliation share: the living-shop scenarios that
build more than once (their later builds are incremental), and a snapshot of a schema's tables."""

from __future__ import annotations

import inspect

import tests.accounting.test_shop_changes as scenarios

START = "2026-10-01"
SCENARIOS = [name for name, fn in inspect.getmembers(scenarios, inspect.isfunction)
             if name.startswith("test_") and list(inspect.signature(fn).parameters) == ["con"]
             and inspect.getsource(fn).count("build_everything(") >= 2]


def snapshot(con, schema: str, tables) -> dict[str, list[tuple]]:
    return {t: con.execute(f"FROM {schema}.{t} ORDER BY ALL").fetchall() for t in tables}
