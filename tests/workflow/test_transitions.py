"""Workflow through one function: state, role and guard checks; effects; audit; HTTP buttons."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    Agreement,
    AuditEvent,
    CompletionReport,
    Project,
    Proposal,
    Role,
)
from kyodo_admin.models.agreement import AGREEMENT_STATES
from kyodo_admin.models.project import PROJECT_STATES
from kyodo_admin.models.proposal import PROPOSAL_STATES
from kyodo_admin.services.workflow import EFFECTS, GUARDS
from kyodo_admin.tenancy import all_cities
from kyodo_admin.workflow.transitions import WORKFLOWS

from ..conftest import csrf_from, enter_city, flashes
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    EvaluationFactory,
    ProjectFactory,
    ProposalFactory,
    ReviewFactory,
    RoleShareFactory,
    UserFactory,
)

STATES = {"proposal": PROPOSAL_STATES, "project": PROJECT_STATES, "agreement": AGREEMENT_STATES}


def test_the_tables_name_real_states_guards_and_effects():
    for table, transitions in WORKFLOWS.items():
        names = [t.name for t in transitions]
        assert len(names) == len(set(names)), table
        for t in transitions:
            assert set(t.source) <= set(STATES[table]), t
            assert t.target is None or t.target in STATES[table], t
            assert t.guard is None or t.guard in GUARDS, t
            assert set(t.effects) <= set(EFFECTS), t


@pytest.fixture
def city(app):
    city = CityFactory()
    enter_city(city)  # the test body reads and writes as this city's request does
    return city


@pytest.fixture
def staff(city, client, login_as):
    user = UserFactory(city=city, role=Role.STAFF.value)
    login_as(user)
    return user


def record_id_of(record) -> int:
    """The record's id without reading it again (the row may have been changed since)."""
    return sa_inspect(record).identity[0]


def fire(client, endpoint: str, record, name: str, comment: str = "", version=None,
         on: dt.date | None = None):
    """Press a workflow button as the page offers it (with the version the page was loaded
    at, unless ``version`` says otherwise)."""
    record_id = record_id_of(record)
    html = client.get(f"/admin/{endpoint}/details/?id={record_id}").get_data(as_text=True)
    loaded = re.search(r'name="loaded_version" value="(\d+)"', html)
    return client.post(f"/admin/{endpoint}/transition/{record_id}/{name}", data={
        "csrf_token": csrf_from(html), "comment": comment,
        "loaded_version": str(version if version is not None else loaded.group(1) if loaded else 1),
        **({"on": on.isoformat()} if on else {})},
        follow_redirects=True)


def status_of(record) -> str:
    """The record's state now (read wherever it is: the test inspects it)."""
    db.session.expire_all()
    with all_cities():
        return db.session.get(type(record), record_id_of(record)).status


def transition_events(record) -> list[AuditEvent]:
    with all_cities():
        return db.session.execute(select(AuditEvent).where(
            AuditEvent.model == type(record).__tablename__,
            AuditEvent.record_id == str(record_id_of(record)),
            AuditEvent.action == "transition").order_by(AuditEvent.id)).scalars().all()


def test_a_proposal_through_step_1_with_the_review_as_guard(client, city, staff):
    proposal = ProposalFactory(city=city, status="draft", receipt_number=None, received_on=None)
    page = fire(client, "proposal", proposal, "submit", comment="窓口で受付")
    assert any("「受付する」を行いました（下書き → 受付済）" in m for m in flashes(page.get_data(as_text=True)))
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.status == "submitted" and proposal.receipt_number and proposal.received_on

    fire(client, "proposal", proposal, "start_step1")
    details = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert "ステップ1通過とする" in details and "ステップ1の審査結果が「通過」として記録されていません" in details
    assert "採択する" not in details  # not offered from this state

    page = fire(client, "proposal", proposal, "pass_step1")
    assert any("まだ行えません" in m for m in flashes(page.get_data(as_text=True)))
    assert status_of(proposal) == "step1_review"

    ReviewFactory(city=city, proposal=proposal, step=1, result="passed")
    fire(client, "proposal", proposal, "pass_step1", comment="全会一致")
    assert status_of(proposal) == "passed"
    events = transition_events(proposal)
    assert [e.changes["status"] for e in events] == [
        ["draft", "submitted"], ["submitted", "step1_review"], ["step1_review", "passed"]]
    assert events[0].comment == "受付する: 窓口で受付" and events[0].user_id == staff.id
    assert events[-1].comment == "ステップ1通過とする: 全会一致"
    trail = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    trail = trail[trail.index('id="audit-trail"'):]
    assert "ステップ1検討中 → ステップ1通過" in trail and "step1_review" not in trail


def test_returning_needs_reasons_and_advice(client, city, staff):
    proposal = ProposalFactory(city=city, status="step1_review")
    review = ReviewFactory(city=city, proposal=proposal, step=1, result="returned", reasons="費用分担が不明確")
    page = fire(client, "proposal", proposal, "return_with_advice")
    assert any("助言を記録してください" in m for m in flashes(page.get_data(as_text=True)))
    assert status_of(proposal) == "step1_review"
    review.advice = "担当課と話し合ってください"
    db.session.commit()
    fire(client, "proposal", proposal, "return_with_advice")
    assert status_of(proposal) == "returned"


def test_a_transition_not_allowed_from_the_state_changes_nothing(client, city, staff):
    proposal = ProposalFactory(city=city, status="submitted")
    version = proposal.version
    page = fire(client, "proposal", proposal, "adopt")
    assert any("「採択する（協働事業を作成）」は、現在の状態（受付済）からは行えません" in m
               for m in flashes(page.get_data(as_text=True)))
    db.session.expire_all()
    again = db.session.get(Proposal, proposal.id)
    assert (again.status, again.version) == ("submitted", version)
    assert transition_events(proposal) == []
    assert db.session.execute(select(func.count()).select_from(Project)).scalar_one() == 0


def test_an_unknown_transition_is_refused(client, city, staff):
    proposal = ProposalFactory(city=city, status="submitted")
    page = fire(client, "proposal", proposal, "launch_rockets")
    assert any("その操作はできません" in m for m in flashes(page.get_data(as_text=True)))
    assert status_of(proposal) == "submitted"


@pytest.mark.parametrize("role", [Role.COUNCIL_MEMBER, Role.VIEWER])
def test_roles_that_may_not_fire_are_refused(client, city, login_as, role):
    proposal = ProposalFactory(city=city, status="submitted")
    user = UserFactory(city=city, role=role.value)
    login_as(user)
    html = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert "ステップ1の検討に付す" not in html
    token = csrf_from(client.get("/admin/proposal/").get_data(as_text=True))
    response = client.post(f"/admin/proposal/transition/{proposal.id}/start_step1", data={
        "csrf_token": token, "loaded_version": str(proposal.version)})
    assert response.status_code == 403
    assert status_of(proposal) == "submitted"


def test_another_citys_record_is_not_found(client, city, staff):
    foreign = ProposalFactory(city=CityFactory(), status="submitted")
    token = csrf_from(client.get("/admin/proposal/").get_data(as_text=True))
    response = client.post(f"/admin/proposal/transition/{foreign.id}/start_step1", data={
        "csrf_token": token, "loaded_version": "1"})
    assert response.status_code == 404
    assert status_of(foreign) == "submitted"


def test_a_stale_page_cannot_fire(client, city, staff):
    proposal = ProposalFactory(city=city, status="submitted")
    page = fire(client, "proposal", proposal, "start_step1", version=proposal.version - 1)
    assert any("他の利用者によって変更されました" in m for m in flashes(page.get_data(as_text=True)))
    assert status_of(proposal) == "submitted"


def test_adoption_creates_the_project(client, city, staff):
    proposal = ProposalFactory(city=city, status="step2_review", title="海岸清掃の協働")
    ReviewFactory(city=city, proposal=proposal, step=2, result="adopted")
    page = fire(client, "proposal", proposal, "adopt")
    html = page.get_data(as_text=True)
    assert any("「海岸清掃の協働」を作成しました" in m for m in flashes(html))
    project = db.session.execute(select(Project)).scalar_one()
    assert (project.proposal_id, project.status, project.organization_id) == (
        proposal.id, "planning", proposal.organization_id)
    assert "/admin/project/details/" in page.request.url


def test_agreement_signing_amendment_and_project_states(client, city, staff):
    project = ProjectFactory(city=city, status="planning")
    agreement = AgreementFactory(city=city, project=project)
    page = fire(client, "agreement", agreement, "sign")
    assert any("役割分担を入力してください" in m for m in flashes(page.get_data(as_text=True)))
    assert status_of(agreement) == "draft"

    RoleShareFactory(city=city, agreement=agreement)
    fire(client, "agreement", agreement, "sign")
    assert status_of(agreement) == "signed" and status_of(project) == "agreed"
    assert db.session.get(Agreement, agreement.id).signed_on == clock.today()

    fire(client, "agreement", agreement, "amend")
    amendment = db.session.execute(select(Agreement).where(Agreement.previous_id == agreement.id)).scalar_one()
    assert amendment.status == "draft" and [r.item for r in amendment.role_shares] == ["広報"]
    assert status_of(agreement) == "signed"  # the old one stands until the new one is signed
    fire(client, "agreement", amendment, "sign")
    assert status_of(amendment) == "signed" and status_of(agreement) == "amended"


def test_completion_creates_the_report_with_its_due_date(client, city, staff):
    project = ProjectFactory(city=city, status="running", start_date=dt.date(2025, 4, 1),
                             end_date=dt.date(2026, 3, 31))
    fire(client, "project", project, "complete", on=dt.date(2026, 1, 31))
    assert status_of(project) == "completed"
    assert db.session.get(Project, project.id).completed_on == dt.date(2026, 1, 31)
    report = db.session.execute(select(CompletionReport)).scalar_one()
    assert (report.fiscal_year, report.due_on) == (2025, dt.date(2026, 3, 2))

    page = fire(client, "project", project, "accept_report")
    assert any("提出日の記録された事業報告書がありません" in m for m in flashes(page.get_data(as_text=True)))
    report.submitted_on = dt.date(2026, 2, 20)
    db.session.commit()
    fire(client, "project", project, "accept_report")
    assert status_of(project) == "reported"

    EvaluationFactory(city=city, project=project, completion_report=report, side="city")
    page = fire(client, "project", project, "finish_evaluation")
    assert any("団体の評価が登録されていません" in m for m in flashes(page.get_data(as_text=True)))
    EvaluationFactory(city=city, project=project, completion_report=report, side="organization")
    fire(client, "project", project, "finish_evaluation")
    assert status_of(project) == "evaluated"
    EvaluationFactory(city=city, project=project, completion_report=report, side="council")
    fire(client, "project", project, "close")
    assert status_of(project) == "closed"


def test_a_report_before_the_project_is_completed_is_refused(client, city, staff):
    from ..conftest import form_page

    project = ProjectFactory(city=city, status="running")
    _html, values = form_page(client, "/admin/completion_report/new/")
    values.update({"project": str(project.id), "fiscal_year": "2026", "summary": "早すぎる報告"})
    response = client.post("/admin/completion_report/new/", data=values, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "事業が完了していないため、事業報告書はまだ登録できません" in html
    assert db.session.execute(select(func.count()).select_from(CompletionReport)).scalar_one() == 0


def test_a_rejected_proposal_is_proposed_again_with_its_lineage_and_advice(client, city, staff):
    proposal = ProposalFactory(city=city, status="rejected", title="空き家の活用",
                               answers={"purpose": "交流拠点をつくる"})
    ReviewFactory(city=city, proposal=proposal, step=1, result="rejected",
                  reasons="費用分担が不明確", advice="担当課と役割分担を話し合ってください")
    page = fire(client, "proposal", proposal, "repropose")
    html = page.get_data(as_text=True)
    assert any("「空き家の活用（再提案）」を作成しました" in m for m in flashes(html))
    again = db.session.execute(select(Proposal).where(Proposal.parent_id == proposal.id)).scalar_one()
    assert (again.status, again.answers) == ("draft", {"purpose": "交流拠点をつくる"})
    assert "この再提案が応える審査結果" in html and "担当課と役割分担を話し合ってください" in html
    assert "提案の経緯（再提案）" in html and "空き家の活用" in html
    assert status_of(proposal) == "rejected"  # the old one keeps its result
    original = client.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert "空き家の活用（再提案）" in original  # the lineage shows from either end


def test_a_project_shows_the_three_evaluations_side_by_side(client, city, staff):
    project = ProjectFactory(city=city, status="reported")
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2026,
                                     submitted_on=dt.date(2027, 4, 20))
    for side, rating in (("city", "A"), ("organization", "B")):
        EvaluationFactory(city=city, project=project, completion_report=report, side=side,
                          rating=rating, comment=f"{side}の所見")
    html = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert "評価（担当課・団体・会議の評価検証）" in html and "令和8年度" in html
    assert "cityの所見" in html and "organizationの所見" in html and "未登録" in html
