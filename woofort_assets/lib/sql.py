"""Loads and runs the SQL files kept in `sql/` (outside the package in a checkout, inside it once installed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from woofort_assets.lib.settings import CHECKOUT_DIR, PACKAGE_DIR

PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


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


def split_statements(sql: str) -> list[str]:
    """Statements of a SQL file: separated by ';' at line end (comment-only chunks dropped)."""
    statements = []
    for chunk in re.split(r";[ \t]*(?:\r?\n|$)", sql):
        code = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if code:
            statements.append(chunk.strip())
    return statements


def statements(relative_path: str, params: dict[str, object]) -> Iterator[tuple[str, dict[str, object]]]:
    """Each statement of `sql/<relative_path>` with the named parameters it uses (DuckDB refuses unused ones).

    A statement that uses `$part` is yielded once per part, 0 .. params["parts"] - 1: the way to run a step
    that cannot spill to disk (a list aggregate) over a large table in slices."""
    for statement in split_statements(load_sql(relative_path)):
        code = STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith("'") else "", statement)
        names = set(PARAM.findall(code))
        used = {name: params[name] for name in names if name in params}
        if "part" in names:
            for part in range(int(params["parts"])):
                yield statement, {**used, "part": part}
        else:
            yield statement, used


def run_sql_file(con, relative_path: str, params: dict[str, object]) -> None:
    """Executes every statement of `sql/<relative_path>` (see `statements`)."""
    for statement, used in statements(relative_path, params):
        con.execute(statement, used) if used else con.execute(statement)
