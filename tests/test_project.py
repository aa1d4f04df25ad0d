"""The project as a user installs and runs it: the wheel carries sql/ and no sandbox, the CLI's exit codes."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from woofort_assets.cli import EXIT_USAGE, main

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory) -> Path:
    """The product wheel, built once for this module's tests."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(CHECKOUT)], check=True)
    return next(dist.glob("woofort-*.whl"))


def test_an_installed_non_editable_woofort_finds_its_sql(product_wheel, tmp_path):
    with zipfile.ZipFile(product_wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    expected = {f"woofort_assets/sql/{p.relative_to(CHECKOUT / 'sql')}" for p in (CHECKOUT / "sql").rglob("*.sql")}
    assert expected and expected <= names
    probe = ("from woofort_assets.lib.sql import sql_dir, load_sql; "
             "print(sql_dir()); assert 'CREATE' in load_sql('migrations/001_raw_staging_quarantine.sql')")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out) == tmp_path / "site" / "woofort_assets" / "sql"


def test_the_product_wheel_carries_no_sandbox_and_none_of_its_dependencies(product_wheel):
    """The sandboxes are their own distribution (sandboxes/pyproject.toml): not in the wheel, nor their deps."""
    with zipfile.ZipFile(product_wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    sandbox_files = [n for n in names if Path(n).parts[:2] == ("woofort_assets", "sandbox")
                     or Path(n).parts[0] == "woofort_sandboxes" or "fortnox_arithmetic" in n]
    assert sandbox_files == []
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    names_required = {re.match(r"[A-Za-z0-9._-]+", r).group().lower() for r in requires}
    assert "dagster" in names_required
    assert not names_required & {"werkzeug", "trustme"}, requires


@pytest.mark.parametrize("command", ["sandbox", "dev", "demo"])
def test_without_the_sandboxes_installed_the_commands_that_run_them_say_how_to_get_them(
    monkeypatch, tmp_path, capsys, command
):
    monkeypatch.setitem(sys.modules, "woofort_sandboxes", None)  # what a product-only install looks like
    monkeypatch.setenv("WOOFORT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    assert main([command]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"woofort {command}: ")
    assert "pip install -e ./sandboxes" in lines[0] and "Traceback" not in captured.err
    assert (tmp_path / "data").is_dir()  # the demo checks before it wipes its data dir


def test_the_cli_imports_the_sandboxes_only_inside_the_commands_that_run_them():
    probe = ("import sys; from woofort_assets.cli import build_parser; build_parser(); "
             "assert 'woofort_sandboxes' not in sys.modules, 'imported at module level'")
    subprocess.run([sys.executable, "-c", probe], check=True)


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
