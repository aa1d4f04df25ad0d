"""The shops woofort books (issue #18): a shops file (WOOFORT_SHOPS_FILE) lists them, each with its store, the
names of the environment variables holding its keys, its Fortnox company, mapping, timezone and start date;
without one, the single-shop settings (WOOCOMMERCE_URL, WOOFORT_SHOP, ...) are the one shop.

Secrets are never in the file: it names the variables, so the file can be reviewed and versioned like the mapping.
Every mistake is one `file:line: shops.<shop>.<setting>: reason` line, as in the mapping; each shop's mapping is
read too, so one check covers them all (`woofort shops`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from woofort_assets.lib import located_yaml, settings
from woofort_assets.lib.mapping import MappingError, load_mapping
from woofort_assets.lib.setting_types import shop_name, timezone_name, url

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# what a WooCommerce REST key or secret looks like (ck_/cs_ and 40 hex digits): pasted in place of its name
WOOCOMMERCE_SECRET = re.compile(r"c[ks]_[0-9a-f]{20,}", re.I)


class ShopsError(ValueError):
    """The shops file cannot be used; the message names the file, the line, the shop and the setting."""


def _env_name(v: str) -> str:
    if WOOCOMMERCE_SECRET.fullmatch(v.strip()):
        raise ValueError("this looks like the secret itself: the shops file holds the name of the environment "
                         "variable that holds it, e.g. SHOP_A_WOOCOMMERCE_CONSUMER_KEY")
    if not ENV_NAME.fullmatch(v):
        raise ValueError("the name of an environment variable: upper-case letters, digits and '_'")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WooCommerceEntry(_Strict):
    url: str
    consumer_key_env: str
    consumer_secret_env: str

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data):
        if isinstance(data, dict):
            for key in ("consumer_key", "consumer_secret"):
                if key in data:
                    raise ValueError(f"{key}: secrets are never in the shops file: set {key}_env to the name of "
                                     "the environment variable that holds it")
        return data

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return url(v)

    @field_validator("consumer_key_env", "consumer_secret_env")
    @classmethod
    def _env(cls, v: str) -> str:
        return _env_name(v)


class FortnoxEntry(_Strict):
    # the company's key in the token store (file section or PostgreSQL row): one per Fortnox company
    company: str

    @field_validator("company")
    @classmethod
    def _company(cls, v: str) -> str:
        return shop_name(v)


class ShopEntry(_Strict):
    woocommerce: WooCommerceEntry
    fortnox: FortnoxEntry
    mapping: Path
    timezone: str | None = None         # None: asked of the store, as with WOOFORT_TIMEZONE unset
    start_date: date

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        return None if v is None else timezone_name(v)

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: Path, info: ValidationInfo) -> Path:
        path = v if v.is_absolute() else (info.context or {}).get("folder", Path(".")) / v
        if not path.is_file():
            raise ValueError(f"no mapping file at {path}")
        try:
            load_mapping(path)
        except MappingError as error:
            raise ValueError(str(error)) from None
        return path


class ShopsFile(_Strict):
    shops: dict[str, ShopEntry]

    @field_validator("shops")
    @classmethod
    def _names(cls, v: dict[str, ShopEntry]) -> dict[str, ShopEntry]:
        if not v:
            raise ValueError("no shop listed: give at least one (docs/deployment.md \"Many shops\")")
        for name in v:
            try:
                shop_name(name)
            except ValueError as error:
                raise ValueError(f"shop name {name!r}: {error}") from None
        return v

    @model_validator(mode="after")
    def _one_shop_per_company_and_store(self) -> "ShopsFile":
        for what, key in (("Fortnox company", lambda s: s.fortnox.company),
                          ("store", lambda s: s.woocommerce.url.lower())):
            seen: dict[str, str] = {}
            for name, shop in self.shops.items():
                if key(shop) in seen:
                    raise ValueError(f"shops.{name} has the {what} of shops.{seen[key(shop)]}: each shop books one "
                                     "store into its own Fortnox company")
                seen[key(shop)] = name
        return self


@dataclass(frozen=True)
class Shop:
    """One shop as the pipeline uses it."""

    name: str
    woocommerce_url: str | None
    consumer_key_env: str
    consumer_secret_env: str
    fortnox_company: str
    mapping: Path
    timezone: str | None
    start_date: str


def parse_shops(text: str, source: str = "shops.yaml", folder: Path = Path(".")) -> list[Shop]:
    """`folder`: where a relative mapping path starts (the shops file's folder)."""
    located = located_yaml.parse(text, source, ShopsError)
    if not isinstance(located.data, dict):
        raise ShopsError(f"{source}:1: the shops file must be a YAML mapping with the key `shops`")
    parsed = located_yaml.validate(ShopsFile, located, source, ShopsError, "shops file", "docs/deployment.md",
                                   context={"folder": folder})
    return [Shop(name, s.woocommerce.url, s.woocommerce.consumer_key_env, s.woocommerce.consumer_secret_env,
                 s.fortnox.company, s.mapping, s.timezone, s.start_date.isoformat())
            for name, s in parsed.shops.items()]


def load_shops(path: Path) -> list[Shop]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ShopsError(f"{path}: cannot read the shops file: {exc.strerror}") from None
    return parse_shops(text, str(path), path.parent)


def configured_shops() -> list[Shop]:
    """The shops file's shops, else the one shop of the single-shop settings."""
    path = settings.value("WOOFORT_SHOPS_FILE")
    if path is not None:
        return load_shops(path)
    return [Shop(settings.shop_key(), settings.value("WOOCOMMERCE_URL"), "WOOCOMMERCE_CONSUMER_KEY",
                 "WOOCOMMERCE_CONSUMER_SECRET", settings.shop_key(), settings.mapping_path(),
                 settings.configured_timezone(), settings.start_date())]
