"""The shared limiter keeps two processes x four threads under the sandbox's real limit (25 / 5 s)."""

from __future__ import annotations

import time

from _fortnox_testlib import TENANT, client_kwargs, run_workers

DURATION = 15.0


def test_two_processes_never_see_a_429_at_the_real_limit(sandbox, tmp_path):
    args = {"client": client_kwargs(sandbox, tmp_path, tenant_id=TENANT), "mode": "load", "threads": 4,
            "duration": DURATION, "start_at": time.time() + 4.0}
    results = run_workers(2, args)
    counters = sandbox.counters_snapshot()
    done = sum(r["ok"] for r in results)
    assert [r["errors"] for r in results] == [[], []]
    assert counters.get("429_sent", 0) == 0
    # Not over-cautious either: a burst of 25, then 25 more every 5 s + 0.15 s margin (4.85/s sustained),
    # so 15 s hold three full windows (the threads still waiting at the end add up to 8 more).
    assert done >= 25 * (1 + int(DURATION // 5.15)), done
    assert counters["GET /3/companyinformation"] == done
