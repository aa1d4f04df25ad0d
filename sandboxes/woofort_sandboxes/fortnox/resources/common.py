"""Helpers shared by the REST resources."""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..arithmetic import D, round2

from .. import validation
from ..state import State


@dataclass
class Ctx:
    state: State
    method: str
    args: dict            # query args (MultiDict acts like a dict)
    raw_body: bytes
    tenant: str
    files: dict | None = None  # the parts of a multipart/form-data body (POST /3/inbox); None for JSON bodies

    def body(self, key: str, wrap: str, partial: bool) -> dict:
        return validation.validate_envelope(validation.parse_json(self.raw_body), key, wrap, partial)


def now_stamp() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def today() -> str:
    return dt.date.today().isoformat()


def public(doc: dict) -> dict:
    """Copy without private (underscore) keys."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}


def num(value):
    """JSON number for a Decimal/float/str: int when integral, else float (2 decimals)."""
    if value is None:
        return None
    d = round2(value) if not isinstance(value, Decimal) else value
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def numstr(value) -> str:
    """Number as Fortnox renders it inside strings: "0", "1.12" ([VCR] DeliveredQuantity, list items)."""
    if value is None:
        return "0"
    d = round2(D(value)).normalize()
    s = format(d, "f")
    return s


def apply_blank(target: dict, changes: dict, blank_values: dict | None = None) -> None:
    """Merge `changes` into `target`; API_BLANK clears a field (to '' / None / 0 by its current type)."""
    for k, v in changes.items():
        if v == validation.BLANK:
            cur = target.get(k)
            if blank_values and k in blank_values:
                target[k] = blank_values[k]
            elif isinstance(cur, str):
                target[k] = ""
            elif isinstance(cur, (int, float)) and not isinstance(cur, bool):
                target[k] = 0
            else:
                target[k] = None
        else:
            target[k] = v
