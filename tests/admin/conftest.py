"""Fixtures of the back-office tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kyodo_admin.extensions import db
from kyodo_admin.services.form_definitions import import_files
from kyodo_admin.tenancy import scoped_to

from ..factories import CityFactory

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture
def kamakura(app):
    """鎌倉市 with its shipped basic sheet (様式) published."""
    city = CityFactory(slug="kamakura", name="鎌倉市")
    with scoped_to(city.id):  # as its city admin uploads it
        import_files(db.session, [FORMS / "kamakura" / "basic_sheet.yaml"])
        db.session.commit()
    return city
