"""Rights follow the state (``workflow/rights.py``): a signed agreement (and its role and
cost rows), a decided proposal or a verified report does not change through its form; a
proposal under review keeps what the council scores; each role is offered its fields only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kyodo_admin import permissions
from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, CompletionReport, Proposal, Role, RoleShare
from kyodo_admin.permissions import can_edit, can_fire
from kyodo_admin.workflow.rights import EDIT_RIGHTS, EVERY, editable_fields

from ..conftest import csrf_from, enter_city, flashes, form_page
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    DepartmentFactory,
    EvaluationFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectPlanFactory,
    ProposalFactory,
    ReviewFactory,
    ReviewScoreFactory,
    RoleShareFactory,
    UserFactory,
)
from .test_transitions import fire


def staff_of(city, login_as):
    user = UserFactory(city=city, role=Role.STAFF.value)
    login_as(user)
    return user


def test_a_signed_agreement_is_not_edited_through_its_form(client, login_as):
    city = CityFactory()
    enter_city(city)
    user = staff_of(city, login_as)
    agreement = AgreementFactory(city=city, status="signed", title="協定書（締結済）")
    row = RoleShareFactory(city=city, agreement=agreement, item="会場")
    assert not can_edit(user, agreement) and can_fire(user, agreement)
    assert not can_edit(user, row) and can_edit(user, Agreement)

    response = client.get(f"/admin/agreement/edit/?id={agreement.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "締結済の協定書は変更できません" in " ".join(flashes(page))
    assert "/admin/agreement/details/" in response.request.url
    html = client.get(f"/admin/agreement/details/?id={agreement.id}").get_data(as_text=True)
    response = client.post(f"/admin/agreement/edit/?id={agreement.id}", data={
        "csrf_token": csrf_from(html), "title": "書き換えた題名", "loaded_version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).title == "協定書（締結済）"

    # nor its rows, through their own screens
    assert "締結済の協定書は変更できません" in " ".join(flashes(client.get(
        f"/admin/role_share/edit/?id={row.id}", follow_redirects=True).get_data(as_text=True)))
    _html, values = form_page(client, "/admin/role_share/new/")
    values.update(agreement=str(agreement.id), item="追加した役割", city_role="x",
                  organization_role="y")
    response = client.post("/admin/role_share/new/", data=values)
    assert "締結済の協定書は変更できません" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(RoleShare)).scalar_one() == 1
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    client.post("/admin/agreement/delete/", data={"id": agreement.id, "csrf_token": token})
    assert db.session.get(Agreement, agreement.id) is not None

    # it changes by an amendment, which is a draft until signed
    fire(client, "agreement", agreement, "amend")
    amendment = db.session.execute(select(Agreement).where(
        Agreement.previous_id == agreement.id)).scalar_one()
    assert amendment.status == "draft"
    assert client.get(f"/admin/agreement/edit/?id={amendment.id}").status_code == 200


def test_a_decided_proposal_is_read_only(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    adopted = ProposalFactory(city=city, status="adopted", title="採択された提案")
    pending = ProposalFactory(city=city, status="submitted")
    response = client.get(f"/admin/proposal/edit/?id={adopted.id}", follow_redirects=True)
    assert "決定済の提案（採択）は変更できません" in " ".join(flashes(response.get_data(as_text=True)))
    assert client.get(f"/admin/proposal/edit/?id={pending.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Proposal, adopted.id).title == "採択された提案"


def test_the_draft_agreement_of_a_project_in_planning_is_edited(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    agreement = AgreementFactory(city=city, project=ProjectFactory(city=city, status="planning"))
    url = f"/admin/agreement/edit/?id={agreement.id}"
    _html, values = form_page(client, url)
    values["title"] = "題名を直した協定書"
    assert client.post(url, data=values).status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).title == "題名を直した協定書"


def test_states_change_only_through_transitions_with_their_trail(client, login_as):
    from kyodo_admin.models import AuditEvent, Project

    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    # a proposal typed in by staff is received by the 「受付する」 transition
    _html, values = form_page(client, "/admin/proposal/new/")
    values.update(title="窓口で受けた提案")
    assert client.post("/admin/proposal/new/", data=values).status_code == 302
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.status == "submitted" and proposal.receipt_number
    # signing fires the project's own 「協定締結済にする」
    project = ProjectFactory(city=city, status="planning")
    agreement = AgreementFactory(city=city, project=project)
    RoleShareFactory(city=city, agreement=agreement)
    fire(client, "agreement", agreement, "sign")
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == "agreed"
    trail = db.session.execute(select(AuditEvent.model, AuditEvent.comment).where(
        AuditEvent.action == "transition")).all()
    assert ("proposal", "受付する: 事務局で入力して受付") in trail
    assert ("project", "協定締結済にする: 協定書の締結による") in trail


# -- the state × role × field table, walked like the permission matrix ---------------------



CELLS = [(table, state) for table, states in EDIT_RIGHTS.items() for state in states]
FORM_FIELDS = {"proposal": ("title", "summary", "budget_amount", "organization", "department"),
               "project": ("title", "start_date", "budget_amount", "department", "completed_on",
                           "summary"),
               "agreement": ("title", "start_date", "responsibility"),
               "completion_report": ("summary", "submitted_on", "actual_cost"),
               "project_plan": ("purpose", "target"),
               "indicator": ("name", "target_value", "actual_value"),
               "evaluation": ("rating", "comment"),
               "review": ("result", "reasons"),
               "review_score": ("score", "comment")}


def record_in(table: str, state: str, city):
    if table == "proposal":
        return ProposalFactory(city=city, status=state)
    if table == "project":
        return ProjectFactory(city=city, status=state)
    if table == "agreement":
        return AgreementFactory(city=city, status=state)
    if table in ("review", "review_score"):
        review = ReviewFactory(city=city, proposal=ProposalFactory(city=city, status=state))
        return review if table == "review" else ReviewScoreFactory(city=city, review=review)
    project = ProjectFactory(city=city, status=state)
    if table == "indicator":
        return IndicatorFactory(city=city, project_plan=ProjectPlanFactory(city=city, project=project))
    factory = {"completion_report": CompletionReportFactory, "project_plan": ProjectPlanFactory,
               "evaluation": EvaluationFactory}[table]
    return factory(city=city, project=project)


@pytest.mark.parametrize("table,state", CELLS, ids=[f"{t}-{s}" for t, s in CELLS])
def test_every_state_offers_each_role_its_fields_and_no_other(client, login_as, table, state):
    city = CityFactory()
    enter_city(city)
    record = record_in(table, state, city)
    rights = EDIT_RIGHTS[table][state]
    for role in (Role.STAFF, Role.CITY_ADMIN, Role.COUNCIL_MEMBER, Role.VIEWER):
        user = UserFactory(city=city, role=role.value)
        granted = rights.edit.get(role, frozenset())  # a role not named edits nothing
        assert editable_fields(role, record) == granted
        assert permissions.can_edit(user, record) == (granted != frozenset()), role
        if role not in (Role.STAFF, Role.CITY_ADMIN):
            continue
        login_as(user)
        response = client.get(f"/admin/{table}/edit/?id={record.id}")
        if granted == frozenset():  # back to the record's page, saying why
            assert response.status_code == 302, role
            page = client.get(response.headers["Location"]).get_data(as_text=True)
            assert rights.reason in " ".join(flashes(page))
            continue
        assert response.status_code == 200, role
        html = response.get_data(as_text=True)
        for name in FORM_FIELDS[table]:
            offered = f'name="{name}"' in html
            assert offered == (granted is EVERY or name in granted), (role, name)


def test_a_proposal_under_review_keeps_what_the_council_scores(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    proposal = ProposalFactory(city=city, status="step1_review", title="審査中の提案",
                               budget_amount=500_000)
    section = DepartmentFactory(city=city, name="市民協働課")
    url = f"/admin/proposal/edit/?id={proposal.id}"
    html, values = form_page(client, url)
    assert "審査中の提案は、審査の対象" in " ".join(flashes(html))
    # The title is not offered; a value posted anyway (a script, a stale page) changes nothing.
    values.update(title="書き換えた名称", budget_amount="9", department=str(section.id))
    assert client.post(url, data=values).status_code == 302
    db.session.expire_all()
    kept = db.session.get(Proposal, proposal.id)
    assert (kept.title, kept.budget_amount, kept.department_id) == (
        "審査中の提案", 500_000, section.id)


def test_a_verified_report_is_refused_with_its_reason_and_unchanged(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    report = CompletionReportFactory(city=city, summary="検証済の報告",
                                     project=ProjectFactory(city=city, status="evaluated"))
    html = client.get(f"/admin/completion_report/details/?id={report.id}").get_data(as_text=True)
    response = client.post(f"/admin/completion_report/edit/?id={report.id}", data={
        "csrf_token": csrf_from(html), "summary": "書き換えた報告", "actual_cost": "1",
        "loaded_version": str(report.version)}, follow_redirects=True)
    assert "評価済の事業報告書は変更できません" in " ".join(flashes(response.get_data(as_text=True)))
    db.session.expire_all()
    kept = db.session.get(CompletionReport, report.id)
    assert (kept.summary, kept.actual_cost) == ("検証済の報告", report.actual_cost)
    token = csrf_from(client.get("/admin/completion_report/").get_data(as_text=True))
    client.post("/admin/completion_report/delete/", data={"id": report.id, "csrf_token": token})
    assert db.session.get(CompletionReport, report.id) is not None


def test_the_rights_table_names_only_real_states_and_fields():
    from kyodo_admin.services.workflow import check_tables

    assert check_tables() == []


def test_the_edit_and_delete_buttons_follow_the_state(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff_of(city, login_as)
    signed = AgreementFactory(city=city, status="signed")
    draft = AgreementFactory(city=city, status="draft")
    html = client.get(f"/admin/agreement/details/?id={signed.id}").get_data(as_text=True)
    assert f"/admin/agreement/edit/?id={signed.id}" not in html
    assert 'id="read-only-reason"' in html and "締結済の協定書は変更できません" in html
    html = client.get(f"/admin/agreement/details/?id={draft.id}").get_data(as_text=True)
    assert f"/admin/agreement/edit/?id={draft.id}" in html and "read-only-reason" not in html
    listing = client.get("/admin/agreement/").get_data(as_text=True)
    assert f"/admin/agreement/edit/?id={draft.id}" in listing
    assert f"/admin/agreement/edit/?id={signed.id}" not in listing
    assert listing.count('name="id" type="hidden" value=') == 1  # the draft's delete form only
