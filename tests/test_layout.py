"""The package draws nothing: no module under sim/ imports a drawing library (or ui/), so that the model, the
CLI and the workers load without them. matplotlib is allowed only inside a function (a command that writes
figure files, such as `sim analyze`), never when a module is imported. Everything that draws lives in ui/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
NEVER = ("streamlit", "streamlit_folium", "folium", "branca", "jinja2", "ui")  # ui: flow goes one way, ui -> sim
NOT_AT_TOP = ("matplotlib",)


def _imported(node: ast.AST) -> list[str]:
    """Top-level package names an import statement loads (relative imports stay inside sim/: none)."""
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


def _inside_function(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
    return False


def banned_imports(path: Path, root: Path = ROOT) -> list[str]:
    """'file:line: name' for every import in `path` that the package must not make."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        for name in _imported(node):
            if name in NEVER or (name in NOT_AT_TOP and not _inside_function(node, parents)):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    return found


def test_sim_imports_no_drawing_library():
    files = sorted(SIM.rglob("*.py"))
    assert len(files) > 10  # the walk found the package
    found = [hit for f in files for hit in banned_imports(f)]
    assert found == [], "sim/ must not draw; move this code to ui/:\n" + "\n".join(found)


@pytest.mark.parametrize("source, hits", [
    ("import folium\n", 1),
    ("from streamlit_folium import st_folium\n", 1),
    ("def f():\n    from branca.element import Element\n", 1),  # banned at any level
    ("try:\n    import streamlit as st\nexcept ImportError:\n    st = None\n", 1),
    ("import matplotlib.pyplot as plt\n", 1),  # matplotlib at module level
    ("if True:\n    from matplotlib.figure import Figure\n", 1),
    ("class C:\n    import matplotlib\n", 1),  # a class body runs on import
    ("def figure():\n    from matplotlib.figure import Figure\n    return Figure()\n", 0),
    ("from ui.maps import run_map\n", 1),
    ("from . import maps\nimport numpy\nimport jinja\nimport uitools\n", 0),
])
def test_the_check_sees_banned_imports(tmp_path, source, hits):
    """The check above would fail on each of these (and passes the allowed ones)."""
    path = tmp_path / "sim" / "mod.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    assert len(banned_imports(path, tmp_path)) == hits


def test_basemap_is_read_from_the_repository():
    """The maps' countries come from the shipped geodata/, never from a folder outside the repository."""
    from ui.basemap import basemap_path

    path = basemap_path()
    assert path is not None and path.resolve().is_relative_to(ROOT / "geodata"), path
