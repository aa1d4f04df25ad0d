"""How a setting's text becomes its value: each parser raises ValueError saying what is expected, and
`lib/settings.py` turns that into a ConfigError naming the variable."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

def text(raw: str) -> str:
    return raw


def url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ValueError("must start with https:// (or http://)")
    return url


def postgres_url(raw: str) -> str:
    if not raw.strip().startswith(("postgresql://", "postgres://")):
        raise ValueError("must be a postgresql://user:password@host:port/database URL")
    return raw.strip()


def resolved_path(raw: str) -> Path:
    return Path(raw.strip()).expanduser().resolve()


def existing_file(raw: str) -> Path:
    found = resolved_path(raw)
    if not found.is_file():
        raise ValueError("no such file")
    return found


def instance_dir(raw: str) -> Path:
    if not os.path.isabs(raw) or not os.path.isdir(raw):  # Dagster reads it unexpanded: no ~, no relative path
        raise ValueError("an absolute path to an existing directory (the Dagster instance, with its dagster.yaml)")
    return Path(raw)


def integer(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    expected = f"a whole number{what} from {low} to {high}" if high is not None else f"a whole number{what}, {low} or more"

    def parse(raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[+-]?\d+", text) or not (low <= int(text) and (high is None or int(text) <= high)):
            raise ValueError(expected)
        return int(text)

    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return value

    return parse


def days(raw: str) -> float:
    try:
        days = float(raw.strip())
    except ValueError:
        days = -1.0
    if not 0 <= days <= 45:
        raise ValueError("a number of days from 0 to 45 (a refresh token lives 45 days)")
    return days


def interval_minutes(raw: str) -> int:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError("not a whole number of minutes")
    minutes = int(text)
    if not (1 <= minutes <= 59 or (minutes % 60 == 0 and 60 <= minutes <= 720)):
        raise ValueError("use 1-59, or a multiple of 60 up to 720")
    return minutes


def iso_date(raw: str) -> str:
    try:
        return date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        raise ValueError("not a date: use YYYY-MM-DD") from None


def timezone_name(raw: str) -> str:
    """An IANA timezone's name, as given; ValueError otherwise (lib/partitions.py checks its other sources too)."""
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA timezone such as Europe/Stockholm") from None
    return name


def memory_size(raw: str) -> str:
    size = raw.strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", size, re.I):
        raise ValueError("a size such as 1GB or 800MB")
    return size


def shop_name(raw: str) -> str:
    if not raw.replace("-", "").replace("_", "").isalnum():
        raise ValueError("use letters, digits, '-' or '_' only")
    return raw
