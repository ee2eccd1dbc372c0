"""Where the files the product ships beside its code are: the seed cities' forms (``forms/``),
their Word templates (``doc_templates/``) and the migrations (``migrations/``).

The repository keeps them at its top; the wheel carries them inside the package, as
``kyodo_admin/shipped/<folder>`` (``setup.py`` copies them there when it builds), so the
``kyodo`` commands work from an installed wheel with no checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(folder: str) -> Path:
    """The folder inside the installed package, else (a checkout) at the repository's top."""
    inside = PACKAGE / "shipped" / folder
    return inside if inside.is_dir() else PACKAGE.parent / folder
