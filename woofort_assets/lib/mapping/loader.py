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


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
    return parse_mapping(text, str(path))
