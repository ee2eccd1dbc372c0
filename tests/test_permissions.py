"""The authorization matrix: role x model x action, as pure functions and over HTTP."""

from __future__ import annotations

import pytest

from kyodo_admin import permissions
from kyodo_admin.admin import VIEWS
from kyodo_admin.models import Organization, Proposal, Role, User
from kyodo_admin.permissions import CREATE, DELETE, EDIT, EXPORT, VIEW
from kyodo_admin.tenancy import scoped_to

from .factories import FACTORIES, CityFactory, UserFactory

VERBS = (VIEW, CREATE, EDIT, DELETE, EXPORT)

# What each role may do, written out independently of permissions.MATRIX.
RECORD_TABLES = {"organization", "proposal", "project", "project_plan", "indicator", "agreement",
                 "role_share", "cost_share", "completion_report", "evaluation", "council",
                 "council_member", "meeting", "review", "review_score", "attachment"}
CONFIG_TABLES = {"department", "collaboration_type", "criterion", "form_definition",
                 "document_template", "notice_template"}
COUNCIL_READS = {"organization", "proposal", "council", "council_member", "meeting", "project",
                 "project_year", "project_plan", "indicator", "completion_report", "criterion",
                 "collaboration_type", "department", "attachment", "review"}
#: A member scores and writes the council's verification; the review's result is staff's.
COUNCIL_WRITES = {"review_score", "evaluation"}


def expected(role: Role, table: str, verb: str) -> bool:
    if role is Role.SYSTEM_ADMIN:
        return True
    if table == "city":
        return False
    if table == "generated_document":
        return {Role.CITY_ADMIN: verb != EDIT, Role.STAFF: verb in (VIEW, CREATE, EXPORT),
                Role.VIEWER: verb in (VIEW, EXPORT), Role.COUNCIL_MEMBER: False}[role]
    if table == "audit_event":
        return role is Role.CITY_ADMIN and verb in (VIEW, EXPORT)
    if table == "notice":  # the outbox: the app writes it, the office reads it
        return role in (Role.CITY_ADMIN, Role.STAFF) and verb in (VIEW, EXPORT)
    if table == "user_account":
        return role is Role.CITY_ADMIN
    if table == "project_year":  # opened and decided through its project, read by all
        return verb in (VIEW, EXPORT)
    if role is Role.CITY_ADMIN:
        return True
    if role is Role.STAFF:
        return table in RECORD_TABLES or (table in CONFIG_TABLES and verb in (VIEW, EXPORT))
    if role is Role.COUNCIL_MEMBER:
        if table in COUNCIL_WRITES:
            return verb != DELETE
        return table in COUNCIL_READS and verb in (VIEW, EXPORT)
    if role is Role.VIEWER:
        return (table in RECORD_TABLES | CONFIG_TABLES) and verb in (VIEW, EXPORT)
    return False


class FakeUser:
    is_authenticated = True

    def __init__(self, role: Role, city_id: int | None = 1, active: bool = True) -> None:
        self.role, self.city_id, self.is_active = role.value, city_id, active


ALL_MODELS = [model for _v, model, _c, _e in VIEWS]


@pytest.mark.parametrize("role", list(Role))
def test_matrix_role_model_action(role):
    user = FakeUser(role, None if role is Role.SYSTEM_ADMIN else 1)
    for model in ALL_MODELS:
        for verb in VERBS:
            assert permissions.allowed(user, verb, model) == expected(role, model.__tablename__,
                                                                       verb), \
                (role, model.__tablename__, verb)


def test_object_level_checks_the_city():
    staff = FakeUser(Role.STAFF, city_id=1)
    own, foreign = Proposal(city_id=1), Proposal(city_id=2)
    assert permissions.can_edit(staff, own)
    assert not permissions.can_view(staff, foreign)
    assert not permissions.can_edit(staff, foreign)
    assert permissions.can_view(FakeUser(Role.SYSTEM_ADMIN, None), foreign)


def test_anonymous_inactive_and_cityless_users_may_do_nothing():
    class Anonymous:
        is_authenticated = False

    for user in (None, Anonymous(), FakeUser(Role.CITY_ADMIN, active=False),
                 FakeUser(Role.STAFF, city_id=None)):
        assert not any(permissions.allowed(user, v, m) for v in VERBS for m in ALL_MODELS)


def test_city_admin_cannot_manage_a_system_admin():
    admin = FakeUser(Role.CITY_ADMIN)
    assert permissions.can_manage_user(admin, User(role="staff", city_id=1))
    assert permissions.can_manage_user(admin, User(role="staff", city_id=None))  # new user
    assert not permissions.can_manage_user(admin, User(role="staff", city_id=2))
    assert not permissions.can_manage_user(admin, User(role="system_admin", city_id=1))
    assert not permissions.can_manage_user(FakeUser(Role.STAFF), User(role="staff", city_id=1))


#: No plain create or edit screen: written by the system (issued documents, the audit trail,
#: attachments, the outbox, a project's years) or through the form builder (form definitions).
ARCHIVES = {"generated_document", "audit_event", "attachment", "form_definition", "notice",
            "project_year"}
#: Uploaded, never edited: a new revision is a new upload.
NOT_EDITABLE = ARCHIVES | {"document_template"}

ROLES = [Role.CITY_ADMIN, Role.STAFF, Role.COUNCIL_MEMBER, Role.VIEWER, Role.SYSTEM_ADMIN]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_http_matches_the_matrix(client, login_as, role):
    """Every list, create, edit and details screen answers per the matrix (200 or 403)."""
    city = CityFactory()
    user = UserFactory(city=None if role is Role.SYSTEM_ADMIN else city, role=role.value)
    records = {}
    for model in ALL_MODELS:
        if model.__tablename__ in ("audit_event",):
            continue
        factory = FACTORIES.get(model)
        if factory is None:
            continue
        records[model] = factory() if model.__tablename__ == "city" else factory(city=city)
    ids = {m: r.id for m, r in records.items()}
    sides = {m: getattr(r, "side", None) for m, r in records.items()}
    login_as(user)
    for _v, model, _c, ep in VIEWS:
        table = model.__tablename__
        status = client.get(f"/admin/{ep}/").status_code
        assert status == (200 if expected(role, table, VIEW) else 403), (ep, status)
        status = client.get(f"/admin/{ep}/new/").status_code
        typed_in = table not in ARCHIVES
        assert status == (200 if expected(role, table, CREATE) and typed_in else 403), \
            (ep, "new", status)
        if model in ids:
            status = client.get(f"/admin/{ep}/edit/?id={ids[model]}").status_code
            own = not (role is Role.COUNCIL_MEMBER and table == "evaluation"
                       and sides[model] != "council")
            assert status == (200 if expected(role, table, EDIT) and table not in NOT_EDITABLE
                              and own else 403), \
                (ep, "edit", status)
            status = client.get(f"/admin/{ep}/details/?id={ids[model]}").status_code
            assert status == (200 if expected(role, table, VIEW) else 403), (ep, "details", status)
        status = client.get(f"/admin/{ep}/export/csv/").status_code
        assert status == (200 if expected(role, table, EXPORT) else 403), (ep, "export", status)


def test_viewer_cannot_post_a_change(client, login_as):
    city = CityFactory()
    viewer = UserFactory(city=city, role=Role.VIEWER.value)
    org = FACTORIES[Organization](city=city, name="元の名前")
    org_id = org.id
    login_as(viewer)
    from .conftest import csrf_from

    token = csrf_from(client.get("/admin/organization/").get_data(as_text=True))
    response = client.post(f"/admin/organization/edit/?id={org_id}",
                           data={"name": "書き換え", "csrf_token": token})
    assert response.status_code == 403
    from kyodo_admin.extensions import db

    db.session.rollback()
    with scoped_to(city.id):
        assert db.session.get(Organization, org_id).name == "元の名前"


def test_a_council_member_writes_only_the_councils_evaluation():
    from kyodo_admin.models import Evaluation

    member = FakeUser(Role.COUNCIL_MEMBER)
    for side, allowed in (("council", True), ("city", False), ("organization", False)):
        evaluation = Evaluation(side=side, city_id=1)
        assert permissions.can_view(member, evaluation)
        assert permissions.can_edit(member, evaluation) is allowed
        assert permissions.can_create(member, evaluation) is allowed
        assert permissions.can_edit(FakeUser(Role.STAFF), evaluation)
    assert not permissions.can_edit(member, Evaluation(side="council", city_id=2))  # another city
