"""The Fortnox sandbox the sandbox tests share: one per test module, since starting one per test would cost more
than the tests; a test resets it where it needs a fresh company. The WooCommerce sandbox's tests have an `sb` of
their own."""

from __future__ import annotations

import pytest

from woofort_sandboxes.fortnox import FortnoxSandbox


@pytest.fixture(scope="module")
def sb():
    s = FortnoxSandbox(rate_limit=100000).start()
    yield s
    s.stop()
