"""The project as a user installs and runs it: the wheel carries sql/, the CLI's exit codes."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from woofort_assets.cli import EXIT_USAGE, main

CHECKOUT = Path(__file__).resolve().parents[1]


def test_an_installed_non_editable_woofort_finds_its_sql(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(CHECKOUT)], check=True)
    wheel = next((tmp_path / "dist").glob("woofort-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    expected = {f"woofort_assets/sql/{p.relative_to(CHECKOUT / 'sql')}" for p in (CHECKOUT / "sql").rglob("*.sql")}
    assert expected and expected <= names
    probe = ("from woofort_assets.lib.sql import sql_dir, load_sql; "
             "print(sql_dir()); assert 'CREATE' in load_sql('migrations/001_raw_staging_quarantine.sql')")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out) == tmp_path / "site" / "woofort_assets" / "sql"


@pytest.mark.parametrize("argv, message", [
    (["sync", "--from", "2026-13-01", "--to", "2026-10-02"], "--from '2026-13-01' is not a date"),
    (["sync", "--from", "2026-10-05", "--to", "2026-10-02"], "is before --from"),
    (["sync", "--from", "2020-01-01", "--to", "2020-01-02"], "days must lie between"),
])
def test_sync_usage_errors_exit_2_with_what_to_fix(woofort_env, capsys, argv, message):
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_sync_without_a_store_configured_exits_2_naming_the_variables(monkeypatch, tmp_path, capsys):
    for name in ("WOOCOMMERCE_URL", "WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path))
    assert main(["sync", "--from", "2026-10-01", "--to", "2026-10-01"]) == EXIT_USAGE
    assert "WOOCOMMERCE_URL" in capsys.readouterr().err


def _order_in(sandbox, day_prefix: str) -> dict:
    from tests.test_extraction import all_orders

    return next(o for o in all_orders(sandbox) if o["date_modified_gmt"].startswith(day_prefix))


def test_sync_exit_3_lists_what_was_set_aside(woofort_env, woo_sandbox, capsys):
    bad = {**_order_in(woo_sandbox, "2026-10-02"), "id": 990002, "date_created_gmt": "not a date",
           "date_modified_gmt": "2026-10-02T10:00:00"}
    woo_sandbox.store.inject("orders", [bad])
    assert main(["sync", "--from", "2026-10-02", "--to", "2026-10-02"]) == 3
    out = capsys.readouterr().out
    assert "set aside (1)" in out and "990002" in out and "date_created" in out


def test_sync_exit_1_when_an_error_check_fails(woofort_env, woo_sandbox, capsys):
    order = _order_in(woo_sandbox, "2026-10-02")
    inconsistent = {**order, "id": 990003, "currency": "KRONOR", "date_modified_gmt": "2026-10-02T11:00:00"}
    woo_sandbox.store.inject("orders", [inconsistent])
    assert main(["sync", "--from", "2026-10-02", "--to", "2026-10-02"]) == 1
    assert "ERROR staging/orders:orders_contract" in capsys.readouterr().out
