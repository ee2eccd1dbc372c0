"""Shared by the document tests: a Kamakura city with its shipped templates and forms."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument, Organization, Role
from kyodo_admin.services.documents import SHIPPED, install_shipped_templates
from kyodo_admin.services.form_definitions import current_definition, import_files
from kyodo_admin.tenancy import all_cities, scoped_to

from ..factories import (
    AgreementFactory,
    CityFactory,
    CostShareFactory,
    DepartmentFactory,
    OrganizationFactory,
    ProjectFactory,
    RoleShareFactory,
    UserFactory,
)


def archived() -> int:
    """Issued documents in the archive, of every city (the test inspects them all)."""
    with all_cities():
        return db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one()


ORG_NAME = "NPO法人 海&山<かまくら>"


def make_agreement(city, organization=True, roles=2, costs=2):
    """An agreement of the city with its roles and costs, made as its clerk would."""
    with scoped_to(city.id):
        org = None
        if organization:
            org = db.session.execute(select(Organization).where(
                Organization.city_id == city.id, Organization.name == ORG_NAME)).scalar_one_or_none() \
                or OrganizationFactory(city=city, name=ORG_NAME)
        project = ProjectFactory(city=city, organization=org, department=DepartmentFactory(city=city))
        agreement = AgreementFactory(city=city, project=project,
                                     form_definition=current_definition(db.session, city.id, "agreement"),
                                     answers={"personal_information": True})
        for i in range(roles):
            RoleShareFactory(city=city, agreement=agreement, item=f"役割{i}", city_role="会場の確保",
                             organization_role="運営")
        for i in range(costs):
            CostShareFactory(city=city, agreement=agreement, item=f"費目{i}", city_amount=100_000 * (i + 1),
                             organization_amount=5_000)
        return agreement


@pytest.fixture
def kamakura(app):
    city = CityFactory(slug="kamakura", name="鎌倉市", head_title="鎌倉市長")
    with scoped_to(city.id):  # as `kyodo cities add --from-seed kamakura` installs them
        install_shipped_templates(db.session, city)
        import_files(db.session, sorted((SHIPPED.parent / "forms" / "kamakura").glob("*.yaml")))
        db.session.commit()
    return city


@pytest.fixture
def staff(kamakura, client, login_as):
    """Kamakura's staff member, logged in; the row read as the login reads it and kept
    readable (detached) whatever the test's requests change."""
    user = UserFactory(city=kamakura, role=Role.STAFF.value)
    login_as(user)
    with all_cities():
        db.session.refresh(user)
    db.session.expunge(user)
    return user


def texts(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend("|".join(c.text for c in row.cells) for row in table.rows)
    return "\n".join(parts)
