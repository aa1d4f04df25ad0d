"""Settings: every environment variable is read in lib/settings.py, typed, refused by name when malformed, and
documented in one table that the README repeats; the ones a user tunes are applied where they act."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from woofort_assets.lib import settings
from woofort_assets.lib.duckdb import connect
from woofort_assets.lib.settings import ConfigError, woocommerce_concurrency
from woofort_assets.resources import build_resources

CHECKOUT = Path(__file__).resolve().parents[1]
PACKAGE = CHECKOUT / "woofort_assets"


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


# --------------------------------------------------------------------------------------------- one table
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| (.*) \| (.*) \|$")


def _readme_table() -> dict[str, tuple[str, str]]:
    text = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration\n"):]
    section = section[:section.index("\n#", len("## Configuration\n"))]
    rows = [ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "every row of the README's configuration table names one variable: | `NAME` | meaning | default |"
    return {m.group(1): (m.group(2), m.group(3)) for m in rows}


def test_the_readme_table_is_the_settings_table_both_ways():
    readme = _readme_table()
    code = {s.name: (s.description, s.documented_default) for s in settings.SETTINGS}
    assert not sorted(set(code) - set(readme)), "in lib/settings.py but not in the README (python -m woofort_assets.lib.settings)"
    assert not sorted(set(readme) - set(code)), "in the README but not in lib/settings.py SETTINGS"
    for name in code:
        assert readme[name][0] == code[name][0], f"{name}: the README's meaning differs from the description"
        assert readme[name][1] == code[name][1], f"{name}: the README's default differs from the code's"
    assert len(settings.SETTINGS) == len(code), "a variable is listed twice"


def _package_sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "sandbox" not in path.relative_to(PACKAGE).parts:   # the sandboxes are test doubles, not the product
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_every_envvar_of_the_resources_is_in_the_table():
    names = set()
    for _, tree in _package_sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "EnvVar"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    assert {"WOOCOMMERCE_CONSUMER_SECRET", "FORTNOX_CLIENT_SECRET"} <= names
    assert names <= {s.name for s in settings.SETTINGS}


# Where the product may touch os.environ outside lib/settings.py, and why.
ENVIRON_ALLOWED = {
    ("lib/notify.py", "redact"): "scans every variable for secret values to blank out of an alert",
    ("cli/demo.py", "_fresh_data_dir"): "sets WOOFORT_DATA_DIR for the demo it runs",
    ("cli/demo.py", "_handle"): "sets the sandboxes' environment for the demo it runs",
    ("cli/sandbox.py", "_handle_dev"): "sets the sandboxes' environment and hands it to `dagster dev`",
}


def test_no_module_but_settings_reads_the_environment():
    found = {}
    for path, tree in _package_sources():
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "lib/settings.py":
            continue
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            environ = isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") \
                and getattr(node.value, "id", None) == "os"
            if environ:
                owner = next((f.name for f in functions if f.lineno <= node.lineno <= f.end_lineno), "<module>")
                found.setdefault((relative, owner), []).append(node.lineno)
    unexpected = {key: lines for key, lines in found.items() if key not in ENVIRON_ALLOWED}
    assert not unexpected, f"read the variable in lib/settings.py instead: {unexpected}"


@pytest.mark.parametrize("name, bad", [
    ("WOOCOMMERCE_URL", "shop.example.se"), ("WOOCOMMERCE_CONCURRENCY", "lots"), ("FORTNOX_API_URL", "api.fortnox.se"),
    ("FORTNOX_RATE_LIMIT", "0"), ("WOOFORT_TIMEZONE", "Europe/Gothenburg"), ("WOOFORT_START_DATE", "2026-13-01"),
    ("WOOFORT_MAPPING", "/no/such/mapping.yaml"), ("WOOFORT_SHOP", "my shop"), ("WOOFORT_SYNC_INTERVAL_MINUTES", "90"),
    ("WOOFORT_TOKEN_WARN_DAYS", "ten"), ("WOOFORT_PII_RETENTION_DAYS", "-1"), ("DAGSTER_HOME", "relative/home"),
    ("REQUESTS_CA_BUNDLE", "/no/such/ca.pem"),
])
def test_a_bad_value_is_refused_naming_the_variable_and_the_value(monkeypatch, name, bad):
    monkeypatch.setenv(name, bad)
    with pytest.raises(ConfigError) as raised:
        settings.value(name)
    assert str(raised.value).startswith(f"{name}={bad!r}: ")


def test_a_bad_secret_is_refused_without_showing_it(monkeypatch):
    monkeypatch.setenv("WOOFORT_ALERT_WEBHOOK_URL", "hooks.slack.com/services/T000/B000/XXXXsecret")
    with pytest.raises(ConfigError, match=r"^WOOFORT_ALERT_WEBHOOK_URL=\*\*\*: ") as raised:
        settings.value("WOOFORT_ALERT_WEBHOOK_URL")
    assert "XXXXsecret" not in str(raised.value)


def test_values_are_typed_and_blank_means_unset(monkeypatch):
    monkeypatch.setenv("WOOFORT_SYNC_INTERVAL_MINUTES", " 120 ")
    monkeypatch.setenv("WOOFORT_TOKEN_WARN_DAYS", "2.5")
    monkeypatch.setenv("FORTNOX_API_URL", "https://api.example.test/")
    monkeypatch.setenv("WOOFORT_SHOP", "")
    assert settings.sync_interval_minutes() == 120 and settings.token_warn_days() == 2.5
    assert settings.value("FORTNOX_API_URL") == "https://api.example.test"
    assert settings.shop_key() == "default" and not settings.is_set("WOOFORT_SHOP")
    with pytest.raises(KeyError, match="NOT_A_SETTING"):
        settings.value("NOT_A_SETTING")


def test_the_store_timezone_reaches_every_schedule(tmp_path):
    """The schedules are built at import, so a fresh interpreter loads the code location with the setting."""
    probe = ("import json; from woofort_assets.definitions import defs; "
             "print(json.dumps({s.name: s.execution_timezone for s in defs.get_repository_def().schedule_defs}))")
    env = {**os.environ, "WOOFORT_TIMEZONE": "Europe/Helsinki", "WOOFORT_DATA_DIR": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run([sys.executable, "-c", probe], cwd=CHECKOUT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    zones = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"sync_today", "sync_close_yesterday", "reference_data_daily", "fortnox_token_keepalive",
            "privacy_retention_daily"} <= set(zones)
    assert set(zones.values()) == {"Europe/Helsinki"}, zones
