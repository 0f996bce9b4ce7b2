"""Find uses of third-party private internals in project source (GUIDE.md: public API only).

A finding is an underscore name (not a dunder) that is:
- imported from an installed third-party package, or part of the module path imported;
- an attribute of a name imported from a third-party package (`cache._ignore_exceptions`
  where `cache` is django.core.cache's), including getattr/setattr/hasattr with a literal;
- any other attribute the project itself never defines (`qs._result_cache`): defined means
  a function, class or module-level name, or an attribute the project's own classes set
  on `self`/`cls` or declare in a class body.
"""

import ast
import dataclasses
import functools
import importlib.metadata
from collections.abc import Iterable
from pathlib import Path

# Documented despite the underscore: Django's Model._meta (the Options API), its
# Model._base_manager / _default_manager ("Managers") and a manager's self._db (the
# custom user manager example: save(using=self._db)); the namedtuple methods the
# standard library names so to keep clear of field names.
DOCUMENTED = {
    "_meta",
    "_base_manager",
    "_default_manager",
    "_db",
    "_asdict",
    "_replace",
    "_fields",
    "_make",
}
# Called by name or as a method (monkeypatch.setattr, mock.patch.object): (object, "name").
ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr", "object"}


@dataclasses.dataclass(frozen=True)
class Finding:
    path: str
    line: int
    name: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name} ({self.why})"


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__") and name not in DOCUMENTED


def scan(root: Path, paths: Iterable[Path], project: set[str]) -> list[Finding]:
    """The findings in `paths` (files under `root`); `project` names its top-level modules."""
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in paths}
    defined = set()
    for tree in trees.values():
        defined |= _definitions(tree)
    findings = []
    for path, tree in sorted(trees.items()):
        relative = path.relative_to(root).as_posix()
        findings += _Checker(relative, project, defined).run(tree)
    return findings


def _third_party(module: str, project: set[str]) -> bool:
    top = module.split(".")[0]
    return top not in project and top in _installed()


@functools.cache
def _installed() -> frozenset[str]:
    """The top-level module names of every installed distribution."""
    return frozenset(importlib.metadata.packages_distributions())


def _definitions(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):  # class bodies too
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"self", "cls"}
        ):
            names.add(node.attr)
        elif isinstance(node, ast.alias) and node.asname:
            names.add(node.asname)
    return names


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, project: set[str], defined: set[str]):
        self.path, self.project, self.defined = path, project, defined
        self.foreign: set[str] = set()  # names bound by imports from third-party packages
        self.findings: list[Finding] = []

    def run(self, tree: ast.AST) -> list[Finding]:
        self.visit(tree)
        return self.findings

    def found(self, node: ast.AST, name: str, why: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, name, why))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not _third_party(alias.name, self.project):
                continue
            self._check_module_path(node, alias.name)
            self.foreign.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _third_party(module, self.project):
            return
        self._check_module_path(node, module)
        for alias in node.names:
            if is_private(alias.name):
                self.found(node, f"{module}.{alias.name}", "imported from a third-party package")
            self.foreign.add(alias.asname or alias.name)

    def _check_module_path(self, node: ast.AST, module: str) -> None:
        if any(is_private(part) for part in module.split(".")):
            self.found(node, module, "a third-party package's private module")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._check_attribute(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        called = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        literals = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
        if called in {"patch", "setattr"} and literals and isinstance(literals[0], str):
            # mock.patch("package.module._name"), monkeypatch.setattr("package.module._name", v)
            path = literals[0]
            if _third_party(path, self.project) and any(map(is_private, path.split("."))):
                self.found(node, path, "a third-party private name patched")
        elif called in ATTRIBUTE_FUNCTIONS and len(literals) >= 2 and isinstance(literals[1], str):
            # getattr(x, "_a"), monkeypatch.setattr(x, "_a", v), mock.patch.object(x, "_a")
            self._check_attribute(node, node.args[0], literals[1])
        self.generic_visit(node)

    def _check_attribute(self, node: ast.AST, owner: ast.AST, name: str) -> None:
        if not is_private(name):
            return
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self.foreign:
            self.found(node, name, f"an attribute of {root.id}, imported from a third party")
        elif name not in self.defined:
            self.found(node, name, "an attribute the project never defines")
