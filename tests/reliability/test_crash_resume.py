"""Crash and resume: the real `woofort sync` subprocess is SIGKILLed at 20+ seeded points spread over extraction,
staging, deltas and the Fortnox sink, resumed each time, and Fortnox's final state must equal a clean run's."""

from __future__ import annotations

import json
import random
import time

import pytest

from tests.reliability import harness as H

FIRST, LAST = "2026-10-01", "2026-10-08"   # ~70 of the store's 500 orders, plus their refunds
SEED = 20261128
STEP_KILLS = [   # (step prefix, max delay after its STEP_START in s): 9 kills before the sink
    ("woocommerce__orders", 0.5), ("woocommerce__products", 0.3), ("woocommerce__refunds", 0.2),
    ("staging__orders", 0.5), ("staging__refunds", 0.3),
    ("deltas", 0.2), ("deltas", 0.5), ("deltas", 1.0),   # one step builds every delta
    ("fortnox__preflight", 0.2),
]
SINK_KILLS = 11   # kills inside the sink, after a seeded number of Fortnox writes


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    woo = H.start_woo(tmp, orders=500, days=58)
    clean_fx, crash_fx = H.start_fortnox(), H.start_fortnox()
    yield tmp, woo, clean_fx, crash_fx
    for sb in (woo, clean_fx, crash_fx):
        sb.stop()


def _token_file_ok(data_dir) -> bool:
    path = data_dir / "fortnox_token.json"
    if not path.exists():
        return True
    assert (path.stat().st_mode & 0o777) == 0o600, oct(path.stat().st_mode)
    json.loads(path.read_text())   # never torn
    return True


@pytest.mark.slow
def test_sigkill_anywhere_then_resume_equals_clean_run(stores):
    tmp, woo, clean_fx, crash_fx = stores
    rng = random.Random(SEED)
    t0 = time.monotonic()

    clean_env = H.pipeline_env(woo, clean_fx, tmp / "clean")
    clean = H.run_sync_subprocess(clean_env, FIRST, LAST)
    assert H.sync_ok(clean), clean.stdout[-2000:] + clean.stderr[-2000:]
    expected = H.canonical_state(clean_fx)
    clean_writes = H.fortnox_writes(clean_fx)
    assert sum(expected["invoices"].values()) >= 20, "the range must hold enough documents to be meaningful"
    clean_seconds = time.monotonic() - t0

    env = H.pipeline_env(woo, crash_fx, tmp / "crash")
    plan = [("step", prefix, rng.uniform(0, delay)) for prefix, delay in STEP_KILLS]
    rng.shuffle(plan)
    per_kill = max(2, clean_writes // (SINK_KILLS + 2))
    plan += [("writes", None, rng.randint(1, per_kill)) for _ in range(SINK_KILLS)]
    log = []
    for kind, prefix, amount in plan:
        if kind == "step":
            outcome, seconds, step = H.run_and_kill(env, FIRST, LAST, prefix, amount)
        else:
            outcome, seconds, step = H.run_and_kill_after_writes(env, FIRST, LAST, crash_fx, amount)
        log.append((kind, prefix, round(amount, 3), outcome, round(seconds, 1), step))
        assert outcome == "killed" or outcome[-1] in "013", log   # a run the kill missed must still finish
        assert _token_file_ok(tmp / "crash")
    kills = sum(1 for entry in log if entry[3] == "killed")
    print("\n".join(map(str, log)))
    assert kills >= 20, log
    assert any(e[0] == "writes" and e[3] == "killed" for e in log)

    final = H.run_sync_subprocess(env, FIRST, LAST)   # the resume that must not be blocked by any kill
    assert H.sync_ok(final), final.stdout[-3000:] + final.stderr[-3000:]
    actual = H.canonical_state(crash_fx)
    assert H.duplicate_references(crash_fx) == {}
    assert H.diff_states(expected, actual) == {}
    assert H.ledger_inconsistencies(tmp / "crash" / "woofort.duckdb", crash_fx) == []
    ledger = H.ledger_counts(tmp / "crash" / "woofort.duckdb")
    assert not any(status == "pending" for (_, status) in ledger), ledger
    assert ledger == H.ledger_counts(tmp / "clean" / "woofort.duckdb")

    before = H.fortnox_writes(crash_fx)   # a further run writes nothing, rejected records included: they wait
    again = H.run_sync_subprocess(env, FIRST, LAST)
    assert H.sync_ok(again)
    waiting = H.open_dead_letters(tmp / "crash" / "woofort.duckdb")
    assert H.fortnox_writes(crash_fx) - before == 0, f"{waiting} open dead letters"
    print(f"unchanged rerun: 0 writes with {waiting} open dead letters")
    print(f"clean run {clean_seconds:.0f} s, {kills} kills, total {time.monotonic() - t0:.0f} s")
