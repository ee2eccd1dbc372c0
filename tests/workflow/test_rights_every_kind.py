"""Rights follow the state for every kind: what hangs on a closed project (its plan, its
evaluations) or on a decided proposal (its reviews and scores) is neither edited nor
deleted, decided in ``permissions``; the public entrance receives a proposal through
``apply_transition`` with the same audit event as a clerk's 受付する; a city admin undoes a
mistaken 事業完了 with a reason while the report is not submitted. Run as production runs:
each request in its user's city."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kyodo_admin import permissions
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    AuditEvent,
    CompletionReport,
    Evaluation,
    Project,
    ProjectPlan,
    Proposal,
    Review,
    Role,
)
from kyodo_admin.services.workflow import apply_transition
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from, enter_city, flashes
from ..factories import (
    CityFactory,
    CompletionReportFactory,
    EvaluationFactory,
    ProjectFactory,
    ProjectPlanFactory,
    ProposalFactory,
    ReviewFactory,
    ReviewScoreFactory,
    UserFactory,
)


def delete_through_list(client, endpoint: str, record_id: int) -> str:
    token = csrf_from(client.get(f"/admin/{endpoint}/").get_data(as_text=True))
    response = client.post(f"/admin/{endpoint}/delete/", data={"id": record_id, "csrf_token": token},
                           follow_redirects=True)
    return " ".join(flashes(response.get_data(as_text=True)))


@pytest.mark.parametrize("endpoint,model,make,reason", [
    ("project_plan", ProjectPlan,
     lambda city: ProjectPlanFactory(city=city, project=ProjectFactory(city=city, status="closed")),
     "完了した協働事業の事業計画書は変更できません"),
    ("evaluation", Evaluation,
     lambda city: EvaluationFactory(city=city, project=ProjectFactory(city=city, status="closed")),
     "終了した協働事業の評価は変更できません"),
    ("review", Review,
     lambda city: ReviewFactory(city=city, proposal=ProposalFactory(city=city, status="adopted")),
     "決定した提案の審査結果は変更できません"),
])
def test_what_hangs_on_a_final_record_is_not_deleted(client, login_as, endpoint, model, make,
                                                     reason):
    city = CityFactory()
    record = make(city)
    record_id, city_id = record.id, city.id
    staff = UserFactory(city=city, role=Role.CITY_ADMIN.value)
    enter_city(city)  # the rights are asked in the city's request (its project's years)
    assert not permissions.can_delete(staff, record) and not permissions.can_edit(staff, record)
    assert permissions.can_delete(staff, model)  # the kind itself may be deleted
    login_as(staff)
    assert reason in delete_through_list(client, endpoint, record_id)
    with scoped_to(city_id):
        assert db.session.get(model, record_id) is not None


def test_a_score_of_a_decided_proposal_is_kept(app):
    city = CityFactory()
    score = ReviewScoreFactory(city=city, review=ReviewFactory(
        city=city, proposal=ProposalFactory(city=city, status="not_adopted")))
    member = UserFactory(city=city, role=Role.COUNCIL_MEMBER.value)
    admin = UserFactory(city=city, role=Role.CITY_ADMIN.value)
    assert not permissions.can_edit(member, score) and not permissions.can_delete(admin, score)
    open_score = ReviewScoreFactory(city=city, review=ReviewFactory(
        city=city, proposal=ProposalFactory(city=city, status="step1_review")))
    assert permissions.can_edit(admin, open_score) and permissions.can_delete(admin, open_score)


def test_the_entrance_receives_a_proposal_as_a_clerk_does(client, app):
    city = CityFactory(slug="minato", name="みなと市")
    clerk = UserFactory(city=city, role=Role.STAFF.value)
    by_hand = ProposalFactory(city=city, status="draft", receipt_number=None, received_on=None)
    with scoped_to(city.id):
        apply_transition(db.session, db.session.get(Proposal, by_hand.id), "submit", clerk)
        db.session.commit()
    page = client.get("/entrance/minato/").get_data(as_text=True)
    sent = client.post("/entrance/minato/", data={
        "csrf_token": csrf_from(page), "title": "川辺の清掃", "proposer_type": "npo",
        "organization_name": "NPO法人 川を守る会", "org_type": "npo", "representative": "川田 花子",
        "email": "info@kawa.example.jp", "summary": "川辺の清掃と観察会。"})
    assert sent.status_code == 302
    with scoped_to(city.id):
        public = db.session.execute(select(Proposal).where(Proposal.title == "川辺の清掃")).scalar_one()
        events = {p: db.session.execute(select(AuditEvent).where(
            AuditEvent.model == "proposal", AuditEvent.record_id == str(p),
            AuditEvent.action == "transition")).scalar_one() for p in (by_hand.id, public.id)}
    assert public.status == "submitted" and public.receipt_number.endswith("-002")
    for event in events.values():
        assert event.changes == {"status": ["draft", "submitted"]}
        assert event.comment.startswith("受付する")
    assert events[public.id].actor == "協働エントランス（公開）"
    assert events[public.id].comment == "受付する: 協働エントランス（公開ページ）から受付"


def test_a_city_admin_undoes_a_mistaken_completion_with_a_reason(client, login_as):
    city = CityFactory()
    project = ProjectFactory(city=city, status="running", title="海辺の子ども自然教室",
                             start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31))
    admin = UserFactory(city=city, role=Role.CITY_ADMIN.value)
    staff = UserFactory(city=city, role=Role.STAFF.value)
    project_id, city_id = project.id, city.id
    with scoped_to(city_id):
        apply_transition(db.session, db.session.get(Project, project_id), "complete", staff,
                         on=dt.date(2026, 11, 30))
        db.session.commit()
        assert db.session.get(CompletionReport, db.session.execute(select(CompletionReport.id))
                              .scalar_one()).due_on is not None
        version = db.session.get(Project, project_id).version
        db.session.rollback()
    page = f"/admin/project/details/?id={project_id}"

    login_as(staff)  # staff are not offered it
    assert "事業完了を取り消す" not in client.get(page).get_data(as_text=True)
    login_as(admin)
    html = client.get(page).get_data(as_text=True)
    assert "事業完了を取り消す" in html
    without_reason = client.post(f"/admin/project/transition/{project_id}/reopen", data={
        "csrf_token": csrf_from(html), "comment": "", "loaded_version": str(version)},
        follow_redirects=True)
    assert "コメントを入力してください" in " ".join(flashes(without_reason.get_data(as_text=True)))
    client.post(f"/admin/project/transition/{project_id}/reopen", data={
        "csrf_token": csrf_from(html), "comment": "別の事業を完了にしていたため",
        "loaded_version": str(version)}, follow_redirects=True)
    with scoped_to(city_id):
        project = db.session.get(Project, project_id)
        report = db.session.execute(select(CompletionReport)).scalar_one()
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.model == "project", AuditEvent.action == "transition")
            .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert project.status == "running" and project.completed_on is None
        assert report.due_on is None  # no reminder for a report no longer due
        assert event.comment == "事業完了を取り消す: 別の事業を完了にしていたため"
        assert event.changes == {"status": ["completed", "running"]}
        # once the report is submitted, a completion stands
        apply_transition(db.session, project, "complete", staff, on=dt.date(2026, 12, 1))
        report.submitted_on = dt.date(2026, 12, 3)
        db.session.flush()
        with pytest.raises(Exception, match="事業報告書が提出済みのため、事業完了は取り消せません"):
            apply_transition(db.session, project, "reopen", admin, comment="誤り")
        db.session.rollback()


def test_a_completion_report_made_again_after_an_undo_is_due_again(app):
    city = CityFactory()
    staff = UserFactory(city=city, role=Role.STAFF.value)
    admin = UserFactory(city=city, role=Role.CITY_ADMIN.value)
    project = ProjectFactory(city=city, status="completed", completed_on=dt.date(2026, 11, 30))
    CompletionReportFactory(city=city, project=project, fiscal_year=2026,
                            due_on=dt.date(2026, 12, 28), summary="途中まで書いた報告")
    with scoped_to(city.id):
        project = db.session.get(Project, project.id)
        apply_transition(db.session, project, "reopen", admin, comment="日付の誤り")
        apply_transition(db.session, project, "complete", staff, on=dt.date(2026, 12, 10))
        report = db.session.execute(select(CompletionReport)).scalar_one()
        assert report.summary == "途中まで書いた報告" and report.due_on == dt.date(2027, 1, 12)
        db.session.rollback()
