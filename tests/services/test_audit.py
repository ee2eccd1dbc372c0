"""Every create, update and delete is recorded with who, when, what and before/after."""

from __future__ import annotations

from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import AuditEvent, Organization, Role
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from, flashes, form_page
from ..factories import CityFactory, OrganizationFactory, UserFactory


def events(model: str, city_id: int):
    """The city's audit events of a kind of record, as its admin reads them."""
    with scoped_to(city_id):
        return db.session.execute(select(AuditEvent).where(AuditEvent.model == model)
                                  .order_by(AuditEvent.id)).scalars().all()


def test_create_update_delete_are_audited_with_changes(client, login_as):
    city = CityFactory()
    staff = UserFactory(city=city, username="hanako")
    city_id, staff_id = city.id, staff.id
    login_as(staff)

    _html, values = form_page(client, "/admin/organization/new/")
    values.update({"name": "NPO法人みらい", "representative": "山田"})
    assert client.post("/admin/organization/new/", data=values).status_code == 302
    with scoped_to(city_id):
        org_id = db.session.execute(select(Organization.id)).scalar_one()

    url = f"/admin/organization/edit/?id={org_id}"
    _html, values = form_page(client, url)
    values["representative"] = "佐藤"
    assert client.post(url, data=values).status_code == 302

    token = csrf_from(client.get("/admin/organization/").get_data(as_text=True))
    assert client.post("/admin/organization/delete/",
                       data={"id": org_id, "csrf_token": token}).status_code == 302

    create, update, delete = events("organization", city_id)
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    assert {e.actor for e in (create, update, delete)} == {"hanako"}
    assert {e.user_id for e in (create, update, delete)} == {staff_id}
    assert {e.record_id for e in (create, update, delete)} == {str(org_id)}
    assert {e.city_id for e in (create, update, delete)} == {city_id}
    assert create.changes["name"] == [None, "NPO法人みらい"]
    assert update.changes == {"representative": ["山田", "佐藤"]}
    assert delete.changes["name"] == ["NPO法人みらい", None]


def test_record_details_show_its_history(client, login_as):
    city = CityFactory()
    city_id = city.id
    staff = UserFactory(city=city, username="hanako")
    login_as(staff)
    _html, values = form_page(client, "/admin/organization/new/")
    values.update({"name": "NPO法人れきし"})
    client.post("/admin/organization/new/", data=values)
    with scoped_to(city_id):
        org_id = db.session.execute(select(Organization.id)).scalar_one()
    html = client.get(f"/admin/organization/details/?id={org_id}").get_data(as_text=True)
    assert "変更履歴" in html and "hanako" in html and "作成" in html and "NPO法人れきし" in html


def test_audit_list_is_for_admins_of_the_city_only(client, login_as):
    a, b = CityFactory(name="A市"), CityFactory(name="B市")
    OrganizationFactory(city=b, name="B市の団体")
    admin_a = UserFactory(city=a, role=Role.CITY_ADMIN.value)
    OrganizationFactory(city=a, name="A市の団体")
    login_as(admin_a)
    html = client.get("/admin/audit_event/").get_data(as_text=True)
    assert "A市の団体" in html and "B市の団体" not in html
    login_as(UserFactory(city=a, role=Role.STAFF.value))
    assert client.get("/admin/audit_event/").status_code == 403


def test_password_values_never_enter_the_trail(client, login_as):
    city = CityFactory()
    city_id = city.id
    admin = UserFactory(city=city, role=Role.CITY_ADMIN.value)
    login_as(admin)
    _html, values = form_page(client, "/admin/user/new/")
    values.update({"username": "newbie", "display_name": "新人", "role": "staff",
                   "password": "a-long-secret-password"})
    response = client.post("/admin/user/new/", data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    event = events("user_account", city_id)[-1]
    assert event.changes["password_hash"] == ["***", "***"]
    assert "a-long-secret-password" not in str(event.changes)


def test_answer_changes_read_as_the_form_shows_them(client, login_as):
    from ..factories import FormDefinitionFactory, ProposalFactory

    city = CityFactory()
    definition = FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema={
        "sections": [{"title": "内容", "fields": [
            {"name": "purpose", "label": "提案の目的", "type": "textarea"},
            {"name": "start", "label": "開始予定時期", "type": "year_month"}]}]})
    proposal = ProposalFactory(city=city, form_definition=definition,
                               answers={"purpose": "川をきれいに", "start": "2026-07"})
    proposal_id = proposal.id
    with scoped_to(city.id):  # a clerk's save of new answers
        assert proposal.answers["purpose"] == "川をきれいに"  # loaded, as a form loads it
        proposal.answers = {"purpose": "川と海をきれいに", "start": "2026-09"}
        db.session.commit()
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    details = client.get(f"/admin/proposal/details/?id={proposal_id}").get_data(as_text=True)
    trail = details[details.index('id="audit-trail"'):]
    assert "<strong>提案の目的</strong>: 川をきれいに → 川と海をきれいに" in trail
    assert "<strong>開始予定時期</strong>: 令和8年7月 → 令和8年9月" in trail
    assert "{&#39;purpose&#39;" not in trail and "{'purpose'" not in trail
    assert "<strong>受付日</strong>: （なし） → 令和8年5月1日" in trail  # dates in 和暦 here too
    listing = client.get("/admin/audit_event/").get_data(as_text=True)
    assert ">提案<" in listing.replace("\n", "").replace(" ", "")  # the record kind by its name
