"""docs/ARCHITECTURE.md stays true: its folder layout is the tree, and every module its walk of an order names
exists, so a newcomer who follows it never looks for a file that moved."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
SKIP = {"__pycache__", "img"}
DESCRIPTION_COLUMN = 24   # the layout's descriptions (and their continued lines) start to the right of this


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end != -1 else None]


def layout_paths() -> set[str]:
    """The paths of the layout block, nesting read from the two-space indentation."""
    block = _section("Folder layout").split("```")[1]
    stack: list[tuple[int, str]] = []
    paths = set()
    for line in block.splitlines():
        match = re.match(r"^( *)(\S+)", line)
        if not match or len(match.group(1)) >= DESCRIPTION_COLUMN:
            continue                                    # a continued description, not a path
        indent, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (stack[-1][1] if stack else "") + name
        paths.add(path.rstrip("/"))
        if name.endswith("/"):
            stack.append((indent, path))
    return paths


def tree_folders() -> set[str]:
    """The folders a reader must find in the layout: the product package's, sql/'s and the sandboxes'."""
    folders = set()
    for top in ("woofort_assets", "sql", "sandboxes"):
        for path in (ROOT / top).rglob("*"):
            if path.is_dir() and not SKIP & set(path.parts) and not path.name.endswith(".egg-info") \
                    and any(p.suffix in (".py", ".sql", ".json", ".toml") for p in path.iterdir()):
                folders.add(path.relative_to(ROOT).as_posix())
    folders.discard("sandboxes/woofort_sandboxes/fortnox/resources")   # the sandbox's own routes, one level down
    return folders


def test_every_path_in_the_folder_layout_exists():
    missing = sorted(p for p in layout_paths() if not (ROOT / p).exists())
    assert not missing, f"docs/ARCHITECTURE.md lists paths that are not in the tree: {missing}"


def test_every_folder_of_the_tree_is_in_the_folder_layout():
    unlisted = sorted(tree_folders() - layout_paths())
    assert not unlisted, f"folders missing from docs/ARCHITECTURE.md's layout: {unlisted}"


def test_the_walk_of_an_order_names_modules_that_exist():
    named = set(re.findall(r"`((?:defs|lib|resources|sql)/[\w/]+\.(?:py|sql))", _section("An order's walk")))
    named |= {f"defs/fortnox/{m}" for m in re.findall(r"`(engine/\w+\.py)", _section("An order's walk"))}
    assert len(named) >= 15
    missing = sorted(p for p in named if not ((ROOT / "woofort_assets" / p).exists() or (ROOT / p).exists()))
    assert not missing, f"the walk in docs/ARCHITECTURE.md names modules that do not exist: {missing}"
