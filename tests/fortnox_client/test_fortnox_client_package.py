"""The Fortnox client package's shape (issue 12): one module per concern, none over 300 lines, imports at the
top and only downwards (errors <- auth <- transport <- resource), and the public names at the package's path."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import woofort_assets.resources.fortnox as fortnox

PACKAGE = Path(fortnox.__file__).parent
ORDER = ["errors", "auth", "transport", "resource"]


def _modules():
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def test_modules_are_small():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert {"errors.py", "auth.py", "transport.py", "resource.py", "__init__.py"} <= set(sizes)
    assert max(sizes.values()) <= 300, sizes


def test_imports_are_at_the_top_and_point_down():
    prefix = "woofort_assets.resources.fortnox."
    for name, tree in _modules().items():
        nested = [n.lineno for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not nested, f"{name}.py imports inside a function at lines {nested}"
        if name not in ORDER:
            continue   # __init__ re-exports; typed endpoints (endpoints.py) sit on top of errors/transport
        siblings = {n.module[len(prefix):] for n in tree.body
                    if isinstance(n, ast.ImportFrom) and (n.module or "").startswith(prefix)}
        assert siblings <= set(ORDER[:ORDER.index(name)]), f"{name}.py imports {siblings}"


def test_public_names_stay_at_the_package_path():
    for public in fortnox.__all__:
        obj = getattr(fortnox, public)
        home = getattr(obj, "__module__", None)
        if home and home.startswith("woofort_assets.resources.fortnox."):
            assert getattr(importlib.import_module(home), public) is obj
    assert {"FortnoxClient", "FortnoxError", "FortnoxOutcomeUnknown", "FortnoxAuthError", "FortnoxResource",
            "fortnox_resource_from_env", "DEFAULT_API_URL", "DEFAULT_AUTH_URL"} <= set(fortnox.__all__)
