"""Settings a user tunes for a large history or a small host: applied where they act, refused when malformed."""

import pytest

from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import ConfigError, woocommerce_concurrency
from woofort_assets.resources import build_resources


def test_duckdb_memory_limit_reaches_every_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_DUCKDB_MEMORY_LIMIT", "512MB")
    with connect(tmp_path / "w.duckdb") as con:
        limit, order = con.execute("SELECT current_setting('memory_limit'), "
                                   "current_setting('preserve_insertion_order')").fetchone()
    assert limit.replace(" ", "") in ("488.2MiB", "512.0MB") and order is False


def test_a_malformed_memory_limit_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("WOOFORT_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="WOOFORT_DUCKDB_MEMORY_LIMIT='lots'"):
        with connect(tmp_path / "w.duckdb"):
            pass


@pytest.mark.parametrize("value", ["0", "17", "four", "-2"])
def test_woocommerce_concurrency_outside_1_to_16_is_refused(monkeypatch, value):
    monkeypatch.setenv("WOOCOMMERCE_CONCURRENCY", value)
    with pytest.raises(ConfigError, match="WOOCOMMERCE_CONCURRENCY"):
        woocommerce_concurrency()


def test_woocommerce_concurrency_reaches_the_resource(monkeypatch, tmp_path):
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WOOCOMMERCE_CONCURRENCY", "8")
    assert build_resources()["woocommerce"].concurrency == 8
    monkeypatch.delenv("WOOCOMMERCE_CONCURRENCY")
    assert build_resources()["woocommerce"].concurrency == 4
