"""Reads mapping/mapping.yaml with the line of every value, so that each validation error names its file and line."""

from __future__ import annotations

from pathlib import Path

from woofort_assets.lib import located_yaml
from woofort_assets.lib.mapping.models import Mapping, MappingError


def parse_mapping(text: str, source: str = "mapping.yaml") -> Mapping:
    located = located_yaml.parse(text, source, MappingError)
    if not isinstance(located.data, dict):
        raise MappingError(f"{source}:1: the mapping file must be a YAML mapping (key: value)")
    return located_yaml.validate(Mapping, located, source, MappingError, "accounting mapping", "docs/accounting.md")


def mapping_or_problem(path: Path | str) -> tuple[Mapping | None, str | None]:
    """(mapping, None), or (None, "mapping: <why>") for a caller that reports a broken mapping instead of failing
    (the preflight's check, the sync's summary)."""
    try:
        return load_mapping(path), None
    except Exception as err:  # noqa: BLE001 - reported by the caller, never raised
        return None, f"mapping: {err}"


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
    return parse_mapping(text, str(path))
