"""No project code reaches into another package's private names.

A name that starts with one underscore is a package's own business: it may change in any
release, as granian's internals did between 2.7 and 2.8. Every Python file of the project is
parsed and its imports walked: `import x._y`, `from x._y import z`, `from x import _y`, and
`x._y` on a name bound by importing another package. Waitress and urllib3 lack a few things
the services need; what is used of them beyond their public API lives in one module each,
reached through public names, with a test of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tools import REPO

OWN = ("services", "generator", "orchestrator", "bench", "faults", "tests")
ROOTS = (*OWN, "noxfile.py", ".ci")
# Underscore names that the standard library documents as public API.
DOCUMENTED = {"os._exit", "sys._getframe"}
# namedtuple's documented methods and attributes.
DOCUMENTED_ATTRIBUTES = {"_asdict", "_replace", "_fields", "_make", "_field_defaults"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _own(module: str) -> bool:
    return module.split(".")[0] in OWN


def project_files() -> list[Path]:
    files: list[Path] = []
    for root in ROOTS:
        path = REPO / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


class PrivateNames(ast.NodeVisitor):
    """Collects each use of another package's private name, as `line: what`."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self._imported: dict[str, str] = {}  # a local name -> the foreign module path it is

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _own(alias.name):
                continue
            self._flag_path(node, alias.name)
            local = alias.asname or alias.name.split(".")[0]
            self._imported[local] = alias.name if alias.asname else local

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or _own(module):
            return
        self._flag_path(node, module)
        for alias in node.names:
            if _private(alias.name):
                self._add(node, f"from {module} import {alias.name}")
            self._imported[alias.asname or alias.name] = f"{module}.{alias.name}"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = [node.attr]
        root: ast.expr = node.value
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, ast.Name) and root.id in self._imported:
            parts = [self._imported[root.id]]
            for part in reversed(chain):
                parts.append(part)
                if _private(part):
                    dotted = ".".join(parts)
                    if dotted not in DOCUMENTED:
                        self._add(node, dotted)
                    return  # the inner attributes are part of the same use
        self.generic_visit(node)

    def _flag_path(self, node: ast.stmt, module: str) -> None:
        if any(_private(part) for part in module.split(".")):
            self._add(node, f"import {module}")

    def _add(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{getattr(node, 'lineno', '?')}: {what}")


def private_uses(source: str) -> list[str]:
    visitor = PrivateNames()
    visitor.visit(ast.parse(source))
    return visitor.found


def defined_private_names(tree: ast.AST) -> set[str]:
    """The underscore names a file defines: functions, classes, assigned names and
    attributes, arguments."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
    return {name for name in names if _private(name)}


def foreign_attributes(tree: ast.AST, own: set[str]) -> list[str]:
    """`anything._x` where no project file defines `_x`: another package's private attribute
    reached through one of its objects (waitress's `server._map`, say)."""
    found = [
        (node.lineno, f"{node.lineno}: {ast.unparse(node)}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own
        and node.attr not in DOCUMENTED_ATTRIBUTES
    ]  # fmt: skip
    return [text for _, text in sorted(found)]


def _all_uses() -> Iterator[str]:
    trees = {path: ast.parse(path.read_text()) for path in project_files()}
    own = set().union(*(defined_private_names(tree) for tree in trees.values()))
    for path, tree in trees.items():
        visitor = PrivateNames()
        visitor.visit(tree)
        for use in [*visitor.found, *foreign_attributes(tree, own)]:
            yield f"{path.relative_to(REPO)}:{use}"


def test_no_project_file_uses_another_packages_private_names():
    assert list(_all_uses()) == []


def test_the_walk_covers_every_package_of_the_project():
    walked = {path.relative_to(REPO).parts[0] for path in project_files()}
    assert set(OWN) <= walked
    assert len(project_files()) > 100


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import granian._granian", ["1: import granian._granian"]),
        ("import granian._granian as g", ["1: import granian._granian"]),
        ("from granian._futures import _new_cbscheduler", [
            "1: import granian._futures", "1: from granian._futures import _new_cbscheduler",
        ]),
        ("from granian import _loops", ["1: from granian import _loops"]),
        ("import granian\ngranian._loops.get('x')", ["2: granian._loops"]),
        ("import a.b\nx = a.b._c.d", ["2: a.b._c"]),
        ("from waitress import server\nserver._map", ["2: waitress.server._map"]),
        ("import os\nos._exit(0)", []),
        ("from __future__ import annotations\nimport x\nx.__version__", []),
        ("from services.common import _own\nfrom . import _mine\nimport tests._x", []),
        ("obj = object()\nobj._anything", []),  # not a module: beyond what parsing can tell
    ],
)  # fmt: skip
def test_each_kind_of_private_use_is_found(source, found):
    assert private_uses(source) == found


def test_a_private_attribute_no_project_file_defines_is_found():
    ours = ast.parse("class A:\n    def __init__(self):\n        self._mine = 1\n")
    theirs = ast.parse("server = make()\nserver._map.clear()\nself._mine\nrow._asdict()\n")
    own = defined_private_names(ours)
    assert own == {"_mine"}
    assert foreign_attributes(theirs, own) == ["2: server._map"]
