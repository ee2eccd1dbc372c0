"""A user of one city never sees or changes another city's rows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kyodo_admin.admin import VIEWS
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    City,
    Department,
    GeneratedDocument,
    Organization,
    Project,
    Proposal,
    Role,
    TenantScoped,
)
from kyodo_admin.tenancy import TenancyNotSet, all_cities, not_set, scoped_to

from .conftest import csrf_from, flashes, form_page
from .factories import FACTORIES, CityFactory, DepartmentFactory, OrganizationFactory, UserFactory

CITY_VIEWS = [(ep, model) for _v, model, _c, ep in VIEWS
              if issubclass(model, TenantScoped) and model.__name__ != "AuditEvent"]


@pytest.fixture
def two_cities():
    a, b = CityFactory(name="A市"), CityFactory(name="B市")
    admin_a = UserFactory(city=a, role=Role.CITY_ADMIN.value, username="a-admin")
    return a, b, admin_a


def make(model, city):
    factory = FACTORIES[model]
    return factory(city=city)


def link_to(ep: str, pk: int, html: str) -> bool:
    return re.search(rf"/admin/{ep}/(edit|details)/\?id={pk}(&|\"|$)", html) is not None


@pytest.mark.parametrize("ep,model", CITY_VIEWS, ids=[ep for ep, _ in CITY_VIEWS])
def test_every_view_hides_and_refuses_other_city_rows(client, login_as, two_cities, ep, model):
    a, b, admin_a = two_cities
    foreign = make(model, b)
    own = make(model, a)
    foreign_id, own_id, city_a, city_b = foreign.id, own.id, a.id, b.id
    login_as(admin_a)

    listing = client.get(f"/admin/{ep}/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert link_to(ep, own_id, html)
    assert not link_to(ep, foreign_id, html)

    # 404 where the user could act on an own row; 403 where the action is not theirs at all.
    assert client.get(f"/admin/{ep}/details/?id={foreign_id}").status_code == 404
    assert client.get(f"/admin/{ep}/edit/?id={foreign_id}").status_code in (403, 404)
    token = csrf_from(html)
    assert client.post(f"/admin/{ep}/edit/?id={foreign_id}",
                       data={"csrf_token": token}).status_code in (403, 404)
    assert client.post(f"/admin/{ep}/delete/",
                       data={"id": foreign_id, "csrf_token": token}).status_code in (403, 404)
    # Bulk delete with the foreign id does nothing to it.
    client.post(f"/admin/{ep}/action/", data={"action": "delete", "rowid": [str(foreign_id)],
                                               "csrf_token": token})
    with scoped_to(city_b):  # B's row is still there
        assert db.session.get(model, foreign_id) is not None

    export = client.get(f"/admin/{ep}/export/csv/")
    assert export.status_code == 200
    rows = export.get_data(as_text=True).splitlines()
    with scoped_to(city_a):
        own_rows = db.session.execute(
            select(func.count()).select_from(model).where(model.city_id == city_a)).scalar_one()
    assert len(rows) == 1 + own_rows, rows  # header + own rows only
    assert not any("B市" in row for row in rows)


def test_archived_document_download_checks_city(client, login_as, two_cities):
    a, b, admin_a = two_cities
    own = FACTORIES[GeneratedDocument](city=a, content=b"PK own bytes")
    foreign = FACTORIES[GeneratedDocument](city=b, content=b"PK foreign bytes")
    own_id, foreign_id = own.id, foreign.id
    assert client.get(f"/admin/generated_document/download/{own_id}").status_code == 302  # login
    login_as(admin_a)
    response = client.get(f"/admin/generated_document/download/{own_id}")
    assert response.status_code == 200 and response.data == b"PK own bytes"
    assert client.get(f"/admin/generated_document/download/{foreign_id}").status_code == 404


def test_session_scoping_covers_select_and_session_get(app, two_cities):
    a, b, _ = two_cities
    org_b = OrganizationFactory(city=b)
    org_a = OrganizationFactory(city=a)
    ids = (org_a.id, org_b.id)
    city_a = a.id
    db.session.expunge_all()  # session.get must reach the database
    with scoped_to(city_a):
        names = db.session.execute(select(Organization.id)).scalars().all()
        assert names == [ids[0]]
        assert db.session.get(Organization, ids[1]) is None
        assert db.session.get(Organization, ids[0]) is not None
    db.session.expunge_all()
    with all_cities():  # the system administrator sees every city
        assert sorted(db.session.execute(select(Organization.id)).scalars()) == sorted(ids)


def test_drop_downs_and_ajax_lookups_list_own_city_only(client, login_as, two_cities):
    a, b, admin_a = two_cities
    OrganizationFactory(city=a, name="NPO法人あおば")
    OrganizationFactory(city=b, name="NPO法人よその町")
    DepartmentFactory(city=a, name="自分の課")
    DepartmentFactory(city=b, name="よその課")
    login_as(admin_a)
    html = client.get("/admin/project/new/").get_data(as_text=True)
    assert "自分の課" in html and "よその課" not in html
    assert "NPO法人" not in html  # organizations grow: searched for, not listed

    for view in ("proposal", "project"):
        lookup = client.get(f"/admin/{view}/ajax/lookup/?name=organization&query=NPO")
        assert lookup.status_code == 200
        assert [row[1] for row in lookup.get_json()] == ["NPO法人あおば"]


def test_filters_do_not_reach_other_city(client, login_as, two_cities):
    a, b, admin_a = two_cities
    ProposalFactory = FACTORIES[Proposal]
    ProposalFactory(city=b, title="よその提案", organization=OrganizationFactory(city=b, name="他市団体"))
    login_as(admin_a)
    html = client.get("/admin/proposal/", query_string={"search": "よその"}).get_data(as_text=True)
    assert "よその提案" not in html
    # the organization-name filter is the first filter on organization.name
    html = client.get("/admin/proposal/?flt1_organization_name_equals=他市団体").get_data(as_text=True)
    assert "よその提案" not in html


def test_posted_city_is_ignored(client, login_as, two_cities):
    a, b, admin_a = two_cities
    city_a, city_b = a.id, b.id
    login_as(admin_a)
    _html, values = form_page(client, "/admin/department/new/")
    values.update({"name": "新しい課", "city": str(city_b)})
    response = client.post("/admin/department/new/", data=values)
    assert response.status_code == 302
    with all_cities():  # wherever it went, it went to A
        dept = db.session.execute(select(Department).where(Department.name == "新しい課")).scalar_one()
    assert dept.city_id == city_a


def test_posted_foreign_key_of_other_city_is_refused(client, login_as, two_cities):
    a, b, admin_a = two_cities
    foreign_org_id = OrganizationFactory(city=b).id
    login_as(admin_a)
    _html, values = form_page(client, "/admin/project/new/")
    values.update({"title": "越境事業", "organization": str(foreign_org_id)})
    response = client.post("/admin/project/new/", data=values)
    assert response.status_code == 200  # the form comes back with the error
    assert "選択肢にない値です" in response.get_data(as_text=True)
    with all_cities():  # in no city
        assert db.session.execute(select(Project).where(Project.title == "越境事業")).first() is None


def test_service_layer_refuses_cross_city_reference(app, two_cities):
    """The flush-time check stops what a form would not (e.g. a script or a service)."""
    from kyodo_admin.errors import CrossCityReference

    a, b, _ = two_cities
    foreign_org = OrganizationFactory(city=b)
    with scoped_to(a.id):
        db.session.add(Project(title="越境", organization_id=foreign_org.id))
        with pytest.raises(CrossCityReference):
            db.session.flush()
        db.session.rollback()


def test_system_admin_sees_every_city(client, login_as, two_cities):
    a, b, _ = two_cities
    root = UserFactory(city=None, role=Role.SYSTEM_ADMIN.value, username="root")
    OrganizationFactory(city=a, name="A団体")
    OrganizationFactory(city=b, name="B団体")
    login_as(root)
    html = client.get("/admin/organization/").get_data(as_text=True)
    assert "A団体" in html and "B団体" in html
    assert client.get("/admin/city/").status_code == 200
    assert not flashes(html)


def test_without_a_city_queries_and_writes_raise_outside_all_cities(app, two_cities):
    """Tenancy fails closed: code that forgets to name a city reads nothing and writes nothing."""
    a, b, _ = two_cities
    org_id, city_b = OrganizationFactory(city=b).id, b.id
    db.session.commit()
    db.session.expunge_all()
    with not_set():
        with pytest.raises(TenancyNotSet):
            db.session.execute(select(Organization)).all()
        with pytest.raises(TenancyNotSet):
            db.session.get(Organization, org_id)
        with pytest.raises(TenancyNotSet):
            db.session.execute(select(func.count()).select_from(Proposal)).scalar_one()
        db.session.add(Organization(name="どこの団体"))
        with pytest.raises(TenancyNotSet):
            db.session.flush()
        db.session.rollback()
        # A table that belongs to no city stays readable (the list of cities for the entrance).
        assert {c.name for c in db.session.execute(select(City)).scalars()} == {"A市", "B市"}
        with all_cities():  # the explicit way to read across cities
            assert db.session.get(Organization, org_id).city_id == city_b
            assert db.session.execute(select(func.count()).select_from(Organization)).scalar_one() == 1


def test_an_anonymous_request_has_no_city_even_inside_all_cities(app, two_cities):
    """The request binding sets the scope itself: an anonymous request never inherits one."""
    with app.test_request_context("/entrance/"):
        app.preprocess_request()
        with pytest.raises(TenancyNotSet):
            db.session.execute(select(Organization)).all()


def test_scoped_to_refuses_no_city():
    with pytest.raises(TypeError), scoped_to(None):
        pass


def test_every_command_runs_across_cities():
    """A command starts with no city (tenancy fails closed): each is registered through a
    ``CommandGroup``, which runs it inside ``all_cities()``."""
    import click

    from kyodo_admin.cli import CommandGroup, cli

    def groups(group: click.Group):
        yield group
        for command in group.commands.values():
            if isinstance(command, click.Group):
                yield from groups(command)

    assert all(isinstance(group, CommandGroup) for group in groups(cli))
    assert len(list(groups(cli))) >= 4


def test_only_the_commands_the_login_and_the_start_up_read_every_city():
    """ARCHITECTURE §13: every other module of the app works in one city's scope; one that
    tries to read every city is stopped at once (and none names it in its source)."""
    import pathlib
    import re
    import types

    from kyodo_admin import tenancy

    job = types.ModuleType("kyodo_admin.services.some_job")
    exec("from kyodo_admin import tenancy\n"
         "def run():\n    with tenancy.all_cities():\n        pass\n", job.__dict__)
    with pytest.raises(TenancyNotSet, match="kyodo_admin.services.some_job may not read every city"):
        job.run()
    package = pathlib.Path(tenancy.__file__).parent
    allowed = {"__init__.py", "cli.py", "web/auth.py", "tenancy.py"}
    naming = [str(path.relative_to(package)) for path in package.rglob("*.py")
              if str(path.relative_to(package)) not in allowed
              and re.search(r"all_cities\(|ALL_CITIES\b", path.read_text(encoding="utf-8"))]
    assert naming == []


def test_a_new_row_keeps_its_own_city_and_is_never_moved_to_the_current_one(app, two_cities):
    """A row takes its city from what it belongs to, when it is made: a row made for B while
    A's scope is current is refused at flush (not filed under A), and a row naming only its
    parent's id takes its parent's city."""
    from kyodo_admin.errors import CrossCityReference
    from kyodo_admin.models import Notice, RoleShare

    from .factories import AgreementFactory

    a, b, _ = two_cities
    agreement_id, city_a, city_b = AgreementFactory(city=b).id, a.id, b.id
    with scoped_to(city_a):
        db.session.add(Notice(city_id=city_b, kind="meeting", key="meeting:1:x@example.jp",
                              recipient="x@example.jp", subject="会議のお知らせ", body="本文"))
        with pytest.raises(CrossCityReference, match="他の自治体の記録のため"):
            db.session.flush()
        db.session.rollback()
    with scoped_to(city_b):
        row = RoleShare(agreement_id=agreement_id, item="広報")
        db.session.add(row)
        db.session.flush()
        assert row.city_id == city_b
        db.session.rollback()
    with all_cities():
        assert db.session.execute(select(func.count()).select_from(Notice)).scalar_one() == 0
