"""The living shop's sandboxes: tests/reconciliation's books_env plus what the tenant and the mapping need here."""

from __future__ import annotations

import pytest

from tests.reconciliation.conftest import books_env  # noqa: F401  (the fixture, reused)


@pytest.fixture
def living_shop(books_env, tmp_path, monkeypatch):  # noqa: F811
    """living_shop(orders=.., days=.., seed=.., credit_settlement="clears"|"open") -> LivingShop.

    The Fortnox tenant is registered for OSS (it has the VAT rates of the mapping's EU countries) and has a spare 25 %
    sales account 3011 a mapping edit may move to; the pipeline reads a temporary copy of the mapping
    (WOOFORT_MAPPING) so a test may edit it."""
    from tests.living_shop.shop import LivingShop, copy_mapping
    from woofort_assets.lib.mapping import load_mapping

    def make(orders: int = 6, days: int = 2, seed: int = 11, credit_settlement: str = "clears") -> LivingShop:
        monkeypatch.delenv("WOOFORT_MAPPING", raising=False)     # copy the pipeline's own mapping, not an edited one
        mapping = copy_mapping(tmp_path / "mapping.yaml")
        monkeypatch.setenv("WOOFORT_MAPPING", str(mapping))
        woo, fortnox = books_env(orders=orders, days=days, seed=seed)
        # every rate, 25.5 too: a non-whole rate is booked through an order (docs/accounting.md §3)
        oss_rates = sorted({f"{rate:f}" for _, rate, _, _ in load_mapping(mapping).oss_rate_periods()})
        with fortnox.state.lock:
            fortnox.state.seed_reference({
                "accounts": [{"Number": 3011, "Description": "Försäljning webbshop, 25 % moms", "VATCode": "05"}],
                "settings": {"credit_settlement": credit_settlement, "foreign_vat_rates": oss_rates}})
        return LivingShop(woo, fortnox, mapping)

    return make
