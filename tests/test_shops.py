"""The shops file (issue #18 item 1): several shops as configuration, secrets only by name, and every mistake named
by file, line, shop and setting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from woofort_assets.cli import main
from woofort_assets.lib.settings import CHECKOUT_DIR
from woofort_assets.lib.shops import ShopsError, configured_shops, load_shops

SHIPPED_MAPPING = CHECKOUT_DIR / "mapping" / "mapping.yaml"
SECRET = "ck_" + "0123456789abcdef" * 2 + "01234567"

TWO_SHOPS = """\
# two shops, two companies
shops:
  kaffe:
    woocommerce:
      url: https://kaffe.example/
      consumer_key_env: KAFFE_WC_KEY
      consumer_secret_env: KAFFE_WC_SECRET
    fortnox: {company: kaffe-ab}
    mapping: mappings/kaffe.yaml
    timezone: Europe/Stockholm
    start_date: 2026-10-01
  te:
    woocommerce:
      url: https://te.example
      consumer_key_env: TE_WC_KEY
      consumer_secret_env: TE_WC_SECRET
    fortnox: {company: te-ab}
    mapping: mappings/te.yaml
    start_date: 2026-11-15
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "mappings").mkdir()
    for name in ("kaffe", "te"):
        shutil.copy(SHIPPED_MAPPING, tmp_path / "mappings" / f"{name}.yaml")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "shops.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(folder: Path, text: str) -> str:
    with pytest.raises(ShopsError) as raised:
        load_shops(write(folder, text))
    return str(raised.value)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_each_shop_with_its_store_company_mapping_timezone_and_start(folder):
    kaffe, te = load_shops(write(folder, TWO_SHOPS))
    assert (kaffe.name, kaffe.woocommerce_url, kaffe.consumer_key_env, kaffe.consumer_secret_env,
            kaffe.fortnox_company, kaffe.mapping, kaffe.timezone, kaffe.start_date) == (
        "kaffe", "https://kaffe.example", "KAFFE_WC_KEY", "KAFFE_WC_SECRET", "kaffe-ab",
        folder / "mappings" / "kaffe.yaml", "Europe/Stockholm", "2026-10-01")
    assert (te.name, te.timezone, te.start_date, te.mapping) == ("te", None, "2026-11-15",
                                                                 folder / "mappings" / "te.yaml")


@pytest.mark.parametrize("broken, needle, expected", [
    ("url: https://te.example", "url: ftp://te.example", "shops.te.woocommerce.url: must start with https://"),
    ("start_date: 2026-11-15", "start_date: 15/11/2026", "shops.te.start_date: "),
    ("fortnox: {company: te-ab}", "fortnox: {company: te ab}", "shops.te.fortnox.company: use letters"),
    ("    start_date: 2026-11-15", "    start_date: 2026-11-15\n    timezone: Stockholm",
     "shops.te.timezone: not an IANA timezone"),
    ("mapping: mappings/te.yaml", "mapping: mappings/the.yaml", "shops.te.mapping: no mapping file at"),
    ("    start_date: 2026-11-15", "    start_date: 2026-11-15\n    start_dat: 2026-11-16",
     "shops.te.start_dat: unknown setting"),
])
def test_a_mistake_names_the_line_the_shop_and_the_setting(folder, broken, needle, expected):
    text = TWO_SHOPS.replace(broken, needle)
    message = error_of(folder, text)
    assert f"shops.yaml:{line_of(text, needle.strip().splitlines()[-1].strip())}: {expected}" in message


def test_a_key_pasted_in_place_of_its_variable_is_refused_and_not_repeated(folder):
    text = TWO_SHOPS.replace("consumer_key_env: TE_WC_KEY", f"consumer_key_env: {SECRET}")
    message = error_of(folder, text)
    assert f"shops.yaml:{line_of(text, SECRET)}: shops.te.woocommerce.consumer_key_env: this looks like the " \
           "secret itself" in message
    assert SECRET not in message


def test_secrets_themselves_are_not_settings(folder):
    text = TWO_SHOPS.replace("consumer_secret_env: TE_WC_SECRET", "consumer_secret: cs_x")
    message = error_of(folder, text)
    assert "shops.te.woocommerce: consumer_secret: secrets are never in the shops file" in message
    assert "cs_x" not in message


def test_two_shops_cannot_share_a_fortnox_company(folder):
    text = TWO_SHOPS.replace("fortnox: {company: te-ab}", "fortnox: {company: kaffe-ab}")
    message = error_of(folder, text)
    assert f"shops.yaml:{line_of(text, '  te:')}: shops.te has the Fortnox company of shops.kaffe" in message


def test_a_shops_mapping_mistake_names_the_mapping_file_and_its_line(folder):
    mapping = folder / "mappings" / "te.yaml"
    text = mapping.read_text(encoding="utf-8").replace("home_country: SE", "home_country: XX")
    mapping.write_text(text, encoding="utf-8")
    message = error_of(folder, TWO_SHOPS)
    assert f"shops.yaml:{line_of(TWO_SHOPS, 'mappings/te.yaml')}: shops.te.mapping: invalid accounting mapping" \
        in message
    assert f"{mapping}:{line_of(text, 'home_country: XX')}: home_country" in message


def test_without_a_shops_file_the_single_shop_settings_are_the_one_shop(monkeypatch):
    monkeypatch.delenv("WOOFORT_SHOPS_FILE", raising=False)
    monkeypatch.setenv("WOOFORT_SHOP", "butik")
    monkeypatch.setenv("WOOCOMMERCE_URL", "https://butik.example")
    monkeypatch.setenv("WOOFORT_START_DATE", "2026-09-01")
    (shop,) = configured_shops()
    assert (shop.name, shop.woocommerce_url, shop.consumer_key_env, shop.fortnox_company, shop.start_date) == (
        "butik", "https://butik.example", "WOOCOMMERCE_CONSUMER_KEY", "butik", "2026-09-01")


def test_the_command_lists_the_shops_and_names_a_key_not_in_the_environment(folder, monkeypatch, capsys):
    monkeypatch.setenv("WOOFORT_SHOPS_FILE", str(write(folder, TWO_SHOPS)))
    for name in ("KAFFE_WC_KEY", "KAFFE_WC_SECRET", "TE_WC_KEY"):
        monkeypatch.setenv(name, SECRET)
    monkeypatch.delenv("TE_WC_SECRET", raising=False)
    assert main(["shops"]) == 2
    out, err = capsys.readouterr()
    assert "kaffe: https://kaffe.example -> Fortnox company kaffe-ab" in out and "te: https://te.example" in out
    assert "te: TE_WC_SECRET is not set (the shop's consumer secret)" in err
    assert SECRET not in out + err
    monkeypatch.setenv("TE_WC_SECRET", SECRET)
    assert main(["shops"]) == 0
    assert "2 shop(s), each with its keys in the environment" in capsys.readouterr().out


def test_a_broken_shops_file_is_exit_2_with_every_mistake(folder, monkeypatch, capsys):
    text = TWO_SHOPS.replace("url: https://te.example", "url: te.example").replace("2026-10-01", "soon")
    monkeypatch.setenv("WOOFORT_SHOPS_FILE", str(write(folder, text)))
    assert main(["shops"]) == 2
    err = capsys.readouterr().err
    assert f"shops.yaml:{line_of(text, 'url: te.example')}: shops.te.woocommerce.url" in err
    assert f"shops.yaml:{line_of(text, 'soon')}: shops.kaffe.start_date" in err


def test_a_shop_listed_twice_is_refused_at_its_second_line(folder):
    text = TWO_SHOPS + TWO_SHOPS.split("shops:\n", 1)[1].split("  te:\n", 1)[0]     # kaffe again
    message = error_of(folder, text)
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == "  kaffe:"][1]
    assert message == f"{folder / 'shops.yaml'}:{second}: shops.kaffe: duplicate key (the earlier value would be " \
                      "silently dropped)"


def test_a_file_without_a_shop_says_so(folder):
    assert error_of(folder, "shops: {}\n").endswith(
        "shops.yaml:1: shops: no shop listed: give at least one (docs/deployment.md \"Many shops\")")
