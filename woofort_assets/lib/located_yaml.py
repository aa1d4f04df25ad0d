"""YAML read with the line of every value, and pydantic's validation errors turned into `file:line: setting:
reason` lines: the mapping (lib/mapping) and the shops file (lib/shops.py) name each mistake where it is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Located:
    data: Any
    lines: dict[tuple[str, ...], int]       # path of keys (list indexes as text) -> its line


def parse(text: str, source: str, error: type[Exception]) -> Located:
    """The document as plain data (floats kept exact as Decimal: money and rates are never floats) and its lines;
    bad YAML, an empty file or a duplicate key raise `error` naming the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise error(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise error(f"{source}:1: the file is empty")
    lines: dict[tuple[str, ...], int] = {}
    return Located(_construct(root, (), lines, source, error), lines)


def _construct(node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int], source: str,
               error: type[Exception]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, error)
            if key in out:
                raise error(f"{source}:{key_node.start_mark.line + 1}: {'.'.join(path + (str(key),))}: "
                            "duplicate key (the earlier value would be silently dropped)")
            child = path + (str(key),)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child, lines, source, error)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = path + (str(i),)
            lines[child] = item.start_mark.line + 1
            items.append(_construct(item, child, lines, source, error))
        return items
    return _scalar(node, error)


def _scalar(node: yaml.Node, error: type[Exception]) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise error(f"line {node.start_mark.line + 1}: a key must be a plain value")
    value = yaml.SafeLoader("").construct_object(node)
    return Decimal(node.value) if isinstance(value, float) else value      # 25.5 -> Decimal('25.5')


def _path(loc: tuple) -> tuple[str, ...]:
    """pydantic's location without its type tags (`int`, `dict[...]`, `function-...`, `list[...]`)."""
    return tuple(str(p) for p in loc if not (isinstance(p, str) and (p == "int" or p.startswith(
        ("dict[", "function-", "list[")))))


def _mentioned(msg: str, lines: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """The setting a whole-file check names first (`payments.methods.stripe.fee ...`): the most specific path of the
    file at the earliest place in the message, else () for the file itself."""
    found = [(m.start(), -len(path), path) for path in lines if path
             for m in [re.search(rf"(?<![\w.-]){re.escape('.'.join(path))}(?![\w-])", msg)] if m]
    return min(found)[2] if found else ()


def line_for(loc: tuple, lines: dict[tuple[str, ...], int], msg: str = "") -> int:
    path = _path(loc) or _mentioned(msg, lines)
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


def validate(model: type[BaseModel], located: Located, source: str, error: type[Exception], what: str,
             unknown_hint: str, context: dict | None = None) -> Any:
    """`model` validated from the document; every mistake becomes one `source:line: setting: reason` line of one
    `error` headed `invalid <what>:`."""
    try:
        return model.model_validate(located.data, context=context)
    except ValidationError as exc:
        messages: list[str] = []
        for err in exc.errors():
            loc = err["loc"]
            msg = err["msg"].removeprefix("Value error, ")
            line = line_for(loc, located.lines, msg)
            if err["type"] == "extra_forbidden":
                msg = f"unknown setting (check the spelling; see {unknown_hint})"
            elif err["type"] == "missing":
                msg = "required setting is missing"
            where = ".".join(_path(loc))
            text = f"{source}:{line}: {where + ': ' if where else ''}{msg}"    # a whole-file check names its own
            if text not in messages:
                messages.append(text)
        raise error(f"invalid {what}:\n  " + "\n  ".join(messages)) from None
