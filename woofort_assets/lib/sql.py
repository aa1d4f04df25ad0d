"""Loads the SQL files kept in `sql/` (outside the package in a checkout, inside it once installed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from woofort_assets.lib.settings import CHECKOUT_DIR, PACKAGE_DIR


@cache
def sql_dir() -> Path:
    for candidate in (PACKAGE_DIR / "sql", CHECKOUT_DIR / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the sql/ folder is missing from this installation of woofort")


@cache
def load_sql(relative_path: str) -> str:
    """The text of `sql/<relative_path>`; statements are separated by ';' at line end."""
    return (sql_dir() / relative_path).read_text(encoding="utf-8")


def sql_files(folder: str) -> list[str]:
    return sorted(f"{folder}/{p.name}" for p in (sql_dir() / folder).glob("*.sql"))
