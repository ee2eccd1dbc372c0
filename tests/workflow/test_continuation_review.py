"""The continuation review (継続審査) of a project's year on a council's agenda: the year waits
on the meeting's agenda once evaluated, members of the project's organization are recused,
the criteria for continuation are scored, and the review's result is the year's decision
(a refused one keeps the review and the year as they were)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import Project, ProjectYear, Review, ReviewScore
from kyodo_admin.models.user import Role
from kyodo_admin.workflow.rights import read_only_reason

from ..conftest import csrf_from, enter_city, flashes, form_page
from ..factories import (
    CityFactory,
    CouncilFactory,
    CouncilMemberFactory,
    CriterionFactory,
    EvaluationFactory,
    MeetingFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)
from .test_reviews import post_scores
from .test_transitions import fire


@pytest.fixture
def setting(app, client, login_as):
    city = CityFactory(settings={"max_years": 3})
    enter_city(city)
    org = OrganizationFactory(city=city, name="NPO法人 見守りの会")
    council = CouncilFactory(city=city, name="協働事業審査会")
    staff = UserFactory(city=city, role=Role.STAFF.value)
    members = {
        "city": CouncilMemberFactory(city=city, council=council, name="市 花子", side="city"),
        "npo": CouncilMemberFactory(city=city, council=council, name="見守 太郎", side="npo",
                                    organization=org),
    }
    criteria = {
        "both": CriterionFactory(city=city, name="公益性", max_score=5, sort_order=1),
        "proposal": CriterionFactory(city=city, name="提案の独自性", max_score=5, sort_order=2,
                                     used_for="proposal"),
        "continuation": CriterionFactory(city=city, name="前年度の成果", max_score=10,
                                         sort_order=3, used_for="continuation"),
    }
    project = ProjectFactory(city=city, organization=org, title="高齢者の見守り協働事業",
                             status="evaluated", start_date=dt.date(2026, 4, 1),
                             end_date=dt.date(2027, 3, 31), completed_on=dt.date(2027, 3, 31))
    for side in ("city", "organization", "council"):  # the year's two-sided evaluation, verified
        EvaluationFactory(city=city, project=project, side=side)
    meeting = MeetingFactory(city=city, council=council, step=1, title="令和9年度 第1回会議",
                             held_on=dt.date(2027, 5, 20))
    db.session.commit()
    login_as(staff)
    return {"city": city, "project": project, "meeting": meeting, "members": members,
            "criteria": criteria, "year": project.current_year}


def review_form(client, setting, **values: str):
    """The review made from the agenda's 「継続審査を作成」, with the values given."""
    year, meeting = setting["year"], setting["meeting"]
    html, form = form_page(client, f"/admin/review/new/?project_year={year.id}"
                                   f"&meeting={meeting.id}&step=1")
    form.update(values)
    return client.post("/admin/review/new/", data=form, follow_redirects=True)


def continuation_reviews() -> list[Review]:
    return list(db.session.execute(select(Review).where(Review.project_year_id.is_not(None)))
                .scalars())


def test_the_year_waits_on_the_agenda_with_the_projects_members_recused(client, setting):
    html = client.get(f"/admin/meeting/details/?id={setting['meeting'].id}").get_data(as_text=True)
    agenda = html.split('id="continuation-agenda"')[1]
    assert "高齢者の見守り協働事業" in agenda and "第1年度（令和8年度）" in agenda
    assert "見守り 太郎" not in agenda and "見守 太郎" in agenda  # recused: the project's NPO
    assert f"project_year={setting['year'].id}" in agenda

    page = review_form(client, setting, result="pending").get_data(as_text=True)
    [review] = continuation_reviews()
    assert review.proposal_id is None and review.project_year_id == setting["year"].id
    assert "審議中" in page
    # Scored on the criteria for continuation, not those for proposals only.
    sheet = client.get(f"/admin/review/score/{review.id}").get_data(as_text=True)
    assert "公益性" in sheet and "前年度の成果" in sheet and "提案の独自性" not in sheet
    # The member from the project's organization may not score it.
    html = post_scores(client, review, {setting["criteria"]["both"].id: "4"},
                       member=setting["members"]["npo"]).get_data(as_text=True)
    assert any("見守 太郎さんは実施団体の関係者のため、この継続審査から除斥されています" in m
               for m in flashes(html))
    assert db.session.execute(select(func.count()).select_from(ReviewScore)).scalar_one() == 0
    post_scores(client, review, {setting["criteria"]["both"].id: "4",
                                 setting["criteria"]["continuation"].id: "9"},
                member=setting["members"]["city"])
    db.session.expire_all()
    assert sorted(s.score for s in review.scores) == [4, 9]
    # Once made, the year is the review's item, not one more waiting item.
    html = client.get(f"/admin/meeting/details/?id={setting['meeting'].id}").get_data(as_text=True)
    assert html.count("継続審査を作成") == 0


def test_the_reviews_result_is_the_years_decision(client, setting):
    project = setting["project"]
    html = review_form(client, setting, result="continue_with_conditions",
                       reasons="見守りの件数が目標を上回った", advice="").get_data(as_text=True)
    assert any("継続の条件を入力してください" in m for m in flashes(html))
    assert 'value="continue_with_conditions" selected' in html or \
        'selected value="continue_with_conditions"' in html  # what was chosen stays
    assert continuation_reviews() == []
    db.session.expire_all()
    assert setting["year"].decision == ""

    review_form(client, setting, result="continue_with_conditions",
                reasons="見守りの件数が目標を上回った", advice="地域包括支援センターと連携すること")
    db.session.expire_all()
    year = db.session.get(ProjectYear, setting["year"].id)
    assert (year.decision, year.decided_on) == ("continue_with_conditions", dt.date(2027, 5, 20))
    assert year.decision_conditions == "地域包括支援センターと連携すること"
    page = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert "条件付きで継続" in page and "地域包括支援センターと連携すること" in page

    [review] = continuation_reviews()
    assert read_only_reason(review) is None  # corrected while the year is not done
    fire(client, "project", project, "continue")
    db.session.expire_all()
    assert db.session.get(Project, project.id).current_year.year_number == 2
    assert "継続審査は変更できません" in read_only_reason(db.session.get(Review, review.id))


@pytest.mark.parametrize("values,message", [
    ({"result": "passed", "reasons": "よい"}, "継続審査の結果は「審議中・継続・条件付きで継続・終了」から"),
    ({"result": "continue", "reasons": ""}, "決定の理由を入力してください"),
])
def test_a_continuation_review_with_a_result_of_another_kind_is_refused(client, setting, values,
                                                                        message):
    html = review_form(client, setting, **values).get_data(as_text=True)
    assert any(message in m for m in flashes(html))
    assert continuation_reviews() == []
    db.session.expire_all()
    assert db.session.get(ProjectYear, setting["year"].id).decision == ""


def test_a_review_of_both_a_proposal_and_a_year_is_refused(client, setting):
    proposal = ProposalFactory(city=setting["city"], status="step1_review")
    db.session.commit()
    html = review_form(client, setting, proposal=str(proposal.id),
                       result="pending").get_data(as_text=True)
    assert any("どちらか一方を選んでください" in m for m in flashes(html))
    assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 0


def test_a_year_in_the_programmes_last_year_is_not_on_the_agenda(client, setting):
    setting["city"].settings = {"max_years": 1}
    db.session.commit()
    html = client.get(f"/admin/meeting/details/?id={setting['meeting'].id}").get_data(as_text=True)
    assert 'id="continuation-agenda"' not in html


def test_the_years_notice_prints_the_decision_for_the_organization(client, setting):
    from kyodo_admin.services.documents import install_shipped_templates

    from ..test_cycle import issue
    from ..test_demo_documents import docx_text

    install_shipped_templates(db.session, setting["city"], from_slug="kamakura")
    db.session.commit()
    year_id = setting["year"].id
    # Before a decision there is nothing to notify: said, nothing issued.
    details = client.get(f"/admin/project_year/details/?id={year_id}").get_data(as_text=True)
    response = client.post(f"/admin/project_year/document/continuation_notice/{year_id}",
                           data={"csrf_token": csrf_from(details)}, follow_redirects=True)
    assert any("継続審査の結果が記録されていません" in m
               for m in flashes(response.get_data(as_text=True)))

    review_form(client, setting, result="continue_with_conditions",
                reasons="見守りの件数が目標を上回った", advice="地域包括支援センターと連携すること")
    text, _items = docx_text(issue(client, "project_year", "continuation_notice", year_id))
    for printed in ("協働事業の継続審査の結果について（通知）", "NPO法人 見守りの会",
                    "高齢者の見守り協働事業", "第1年度（令和8年度）", "令和9年度 第1回会議",
                    "条件付きで継続", "見守りの件数が目標を上回った", "地域包括支援センターと連携すること",
                    "第2年度（令和9年度）", "令和9年5月20日"):
        assert printed in text, printed
