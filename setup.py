"""The wheel carries what the repository keeps at its top — the seed forms, the cities' Word
templates and the migrations — inside the package, as ``kyodo_admin/shipped/<folder>``
(``kyodo_admin/shipped.py`` finds them there, or at the top of a checkout). Everything else
is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FOLDERS = ("forms", "doc_templates", "migrations")  # found by kyodo_admin.shipped.shipped()
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "build.py")


class BuildWithShipped(build_py):
    def run(self) -> None:
        super().run()
        for folder in FOLDERS:
            target = Path(self.build_lib) / "kyodo_admin" / "shipped" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path(__file__).resolve().parent / folder, target, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithShipped})
