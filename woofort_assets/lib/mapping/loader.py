"""Reads mapping/mapping.yaml with the line of every value, so that each validation error names its file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from woofort_assets.lib.mapping.models import Mapping, MappingError


@dataclass(frozen=True)
class _Located:
    data: Any
    lines: dict[tuple[str, ...], int]


def _construct(node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int], source: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise MappingError(f"{source}:{key_node.start_mark.line + 1}: {'.'.join(path + (str(key),))}: "
                                   "duplicate key (the earlier value would be silently dropped)")
            child = path + (str(key),)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child, lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = path + (str(i),)
            lines[child] = item.start_mark.line + 1
            items.append(_construct(item, child, lines, source))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise MappingError(f"line {node.start_mark.line + 1}: a key must be a plain value")
    loader = yaml.SafeLoader("")
    value = loader.construct_object(node)
    if isinstance(value, float):
        # money and rates are never floats: keep the text as written (25.5 -> Decimal('25.5'))
        return Decimal(node.value)
    return value


def _parse(text: str, source: str) -> _Located:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise MappingError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise MappingError(f"{source}:1: the mapping file is empty")
    lines: dict[tuple[str, ...], int] = {}
    return _Located(_construct(root, (), lines, source), lines)


def _mentioned(msg: str, lines: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """The setting a whole-file check names first (`payments.methods.stripe.fee ...`): the most specific path of the
    file at the earliest place in the message, else () for the file itself."""
    found = [(m.start(), -len(path), path) for path in lines if path
             for m in [re.search(rf"(?<![\w.-]){re.escape('.'.join(path))}(?![\w-])", msg)] if m]
    return min(found)[2] if found else ()


def _line_for(loc: tuple, lines: dict[tuple[str, ...], int], msg: str = "") -> int:
    path = tuple(str(p) for p in loc if not (isinstance(p, str) and (p in ("int",)
                                                                        or p.startswith(("dict[", "function-", "list[")))))
    path = path or _mentioned(msg, lines)
    while path:
        if path in lines:
            # a validator of a whole block that names one of its keys ('DX', guest_email_prefix): point at that key
            named = [(msg.find(k[-1]), k) for k in lines
                     if len(k) == len(path) + 1 and k[:-1] == path and not k[-1].isdigit()
                     and re.search(rf"(?<![\w-]){re.escape(k[-1])}(?![\w-])", msg)]
            if named:
                return lines[min(named)[1]]
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def _clean_loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and (p in ("int",) or p.startswith(("dict[", "function-",
                                                                                               "list["))))]
    return ".".join(parts)


def parse_mapping(text: str, source: str = "mapping.yaml") -> Mapping:
    located = _parse(text, source)
    if not isinstance(located.data, dict):
        raise MappingError(f"{source}:1: the mapping file must be a YAML mapping (key: value)")
    try:
        return Mapping.model_validate(located.data)
    except ValidationError as exc:
        messages = []
        seen = set()
        for err in exc.errors():
            loc = err["loc"]
            msg = err["msg"].removeprefix("Value error, ")
            line = _line_for(loc, located.lines, msg)
            if err["type"] == "extra_forbidden":
                msg = "unknown setting (check the spelling; see docs/accounting.md)"
            elif err["type"] == "missing":
                msg = "required setting is missing"
            where = _clean_loc(loc)
            text_ = f"{source}:{line}: {where + ': ' if where else ''}{msg}"    # a whole-file check names its own
            if text_ not in seen:
                seen.add(text_)
                messages.append(text_)
        raise MappingError("invalid accounting mapping:\n  " + "\n  ".join(messages)) from None


def load_mapping(path: Path | str) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
    return parse_mapping(text, str(path))
