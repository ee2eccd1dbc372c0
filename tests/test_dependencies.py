"""The declared dependencies are what the package imports, and the lock pins all of them."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: Declared without an import: the PostgreSQL driver, which SQLAlchemy loads by its URL, and
#: redis-py, which Huey loads for a redis:// queue.
LOADED_BY_NAME = {"psycopg", "redis"}
#: Run by LibreOffice's own Python (Debian's python3-uno), never by the app's: what it imports
#: (uno, com.sun.star) comes with LibreOffice, not from PyPI.
OTHER_PYTHON = {ROOT / "kyodo_admin" / "documents" / "converter_process.py"}


def normalized(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def imported_distributions() -> set[str]:
    modules: set[str] = set()
    for path in set((ROOT / "kyodo_admin").rglob("*.py")) - OTHER_PYTHON:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = packages_distributions()
    third_party = modules - set(sys.stdlib_module_names) - {"kyodo_admin", "__future__"}
    return {normalized(owners[m][0]) for m in third_party}


def test_runtime_dependencies_are_what_the_package_imports():
    declared = {normalized(r) for r in PYPROJECT["dependencies"]}
    assert imported_distributions() - declared == set(), "imported but not declared"
    assert declared - imported_distributions() - LOADED_BY_NAME == set(), "declared, never imported"


def test_the_lock_pins_every_declared_dependency():
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    pins = {normalized(name): version for name, version in pins.items()}
    wanted = [*PYPROJECT["dependencies"], *(r for extra in PYPROJECT["optional-dependencies"].values()
                                            for r in extra)]
    assert [r for r in wanted if normalized(r) not in pins] == []
    assert pins["docxtpl"].startswith("0.20.")  # the minor whose internals render.py uses
