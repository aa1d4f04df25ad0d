"""An in-memory woofort database with WooCommerce's tax rates (factory.TAX_RATES), fresh for each test."""

from __future__ import annotations

import pytest

from tests.accounting import factory as f


@pytest.fixture
def con():
    c = f.connect_memory()
    f.insert_tax_rates(c)
    yield c
    c.close()
