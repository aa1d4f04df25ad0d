"""Fixtures of the reliability tests: both sandboxes in this process and an environment (monkeypatched) that points
the in-process pipeline at them; the subprocess tests build their own env with harness.pipeline_env."""

from __future__ import annotations

import pytest

from tests.reliability import harness as H


@pytest.fixture
def fortnox_sb():
    sb = H.start_fortnox()
    yield sb
    sb.stop()


@pytest.fixture
def small_woo(tmp_path):
    sb = H.start_woo(tmp_path, orders=80, days=10, seed=11)
    yield sb
    sb.stop()
