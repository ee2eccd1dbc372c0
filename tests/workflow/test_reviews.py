"""Council reviews: scores only from members who may score; recusal; agenda; attendance."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import CouncilMember, Meeting, ReviewScore, Role
from kyodo_admin.tenancy import all_cities, scoped_to

from ..conftest import csrf_from, flashes, form_page
from ..factories import (
    CityFactory,
    CouncilFactory,
    CouncilMemberFactory,
    CriterionFactory,
    MeetingFactory,
    OrganizationFactory,
    ProposalFactory,
    ReviewFactory,
    UserFactory,
)


def scores() -> int:
    """Scores saved, in every city (the test inspects them all)."""
    with all_cities():
        return db.session.execute(select(func.count()).select_from(ReviewScore)).scalar_one()


@pytest.fixture
def setting(app):
    city = CityFactory()
    org = OrganizationFactory(city=city, name="NPO法人 提案する会")
    council = CouncilFactory(city=city)
    users = {side: UserFactory(city=city, role=Role.COUNCIL_MEMBER.value)
             for side in ("city", "npo", "head", "outsider")}
    members = {
        "city": CouncilMemberFactory(city=city, council=council, name="市 花子", side="city",
                                     user=users["city"]),
        "npo": CouncilMemberFactory(city=city, council=council, name="団体 太郎", side="npo",
                                    user=users["npo"], organization=org),
        "head": CouncilMemberFactory(city=city, council=council, name="部長 一郎",
                                     side="department_head", user=users["head"]),
    }
    criteria = [CriterionFactory(city=city, name="公益性", max_score=5, sort_order=1),
                CriterionFactory(city=city, name="継続性", max_score=5, sort_order=2)]
    proposal = ProposalFactory(city=city, organization=org, status="step1_review", title="海辺の提案")
    meeting = MeetingFactory(city=city, council=council, step=1, title="第1回会議")
    review = ReviewFactory(city=city, proposal=proposal, meeting=meeting, step=1)
    db.session.expunge_all()  # read as arranged, whatever the requests change
    return {"city": city, "organization": org, "users": users, "members": members, "criteria": criteria,
            "proposal": proposal, "meeting": meeting, "review": review, "council": council}


def post_scores(client, review, values: dict[int, str], member=None):
    url = f"/admin/review/score/{review.id}"
    html = client.get(url + (f"?member={member.id}" if member else "")).get_data(as_text=True)
    data = {"csrf_token": csrf_from(html)}
    if member is not None:
        data["member"] = str(member.id)
    for criterion_id, value in values.items():
        data[f"score_{criterion_id}"] = value
        data[f"comment_{criterion_id}"] = "よい提案"
    return client.post(url, data=data, follow_redirects=True)


def test_a_member_scores_every_criterion_on_one_screen(client, login_as, setting):
    login_as(setting["users"]["city"])
    c1, c2 = setting["criteria"]
    page = post_scores(client, setting["review"], {c1.id: "4", c2.id: "5"})
    assert any("市 花子さんの評点を2件保存しました" in m for m in flashes(page.get_data(as_text=True)))
    assert scores() == 2
    details = client.get(f"/admin/review/details/?id={setting['review'].id}").get_data(as_text=True)
    assert "平均点（合計の平均）: <strong>9.0</strong>" in details
    assert "除斥: 団体 太郎" in details


def test_a_recused_member_cannot_score(client, login_as, setting):
    login_as(setting["users"]["npo"])
    c1, c2 = setting["criteria"]
    html = client.get(f"/admin/review/score/{setting['review'].id}").get_data(as_text=True)
    assert "除斥されています" in html and "評点を保存" not in html
    page = post_scores(client, setting["review"], {c1.id: "5", c2.id: "5"})
    assert any("団体 太郎さんは提案団体の関係者のため、この提案の審査から除斥されています" in m
               for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0


def test_staff_cannot_enter_a_score_for_a_recused_member_either(client, login_as, setting):
    login_as(UserFactory(city=setting["city"], role=Role.STAFF.value))
    c1, _c2 = setting["criteria"]
    page = post_scores(client, setting["review"], {c1.id: "3"}, member=setting["members"]["npo"])
    assert any("除斥されています" in m for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0


def test_a_non_member_cannot_score(client, login_as, setting):
    login_as(setting["users"]["outsider"])
    c1, _c2 = setting["criteria"]
    html = client.get(f"/admin/review/score/{setting['review'].id}").get_data(as_text=True)
    assert "あなたはこの会議の構成員として登録されていません" in html
    page = post_scores(client, setting["review"], {c1.id: "3"}, member=setting["members"]["city"])
    assert any("採点した構成員を選んでください" in m or "他の構成員の評点は入力できません" in m
               for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0


def test_department_heads_score_only_step_2(client, login_as, setting):
    login_as(setting["users"]["head"])
    c1, _c2 = setting["criteria"]
    page = post_scores(client, setting["review"], {c1.id: "3"})
    assert any("部長のため、ステップ2の決定にのみ参加します" in m for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0
    step2 = MeetingFactory(city=setting["city"], council=setting["council"], step=2)
    review2 = ReviewFactory(city=setting["city"], proposal=setting["proposal"], meeting=step2, step=2)
    post_scores(client, review2, {c1.id: "3"})
    assert scores() == 1


def test_an_absent_member_cannot_score(client, login_as, setting):
    with scoped_to(setting["city"].id):  # the attendance as staff record it
        meeting = db.session.get(Meeting, setting["meeting"].id)
        meeting.attendees = [db.session.get(CouncilMember, setting["members"]["npo"].id)]
        db.session.commit()
    login_as(setting["users"]["city"])
    c1, _c2 = setting["criteria"]
    page = post_scores(client, setting["review"], {c1.id: "3"})
    assert any("欠席したため、採点できません" in m for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0


def test_bad_scores_save_nothing(client, login_as, setting):
    login_as(UserFactory(city=setting["city"], role=Role.STAFF.value))
    c1, c2 = setting["criteria"]
    member = setting["members"]["city"]
    page = post_scores(client, setting["review"], {c1.id: "4", c2.id: "9"}, member=member)
    assert any("「継続性」の評点は0〜5で入力してください" in m for m in flashes(page.get_data(as_text=True)))
    page = post_scores(client, setting["review"], {c1.id: "4", c2.id: "abc"}, member=member)
    assert any("半角の整数" in m for m in flashes(page.get_data(as_text=True)))
    assert scores() == 0


def test_the_plain_score_form_refuses_a_recused_member(client, login_as, setting):
    login_as(UserFactory(city=setting["city"], role=Role.STAFF.value))
    _html, values = form_page(client, "/admin/review_score/new/")
    values.update({"review": str(setting["review"].id), "criterion": str(setting["criteria"][0].id),
                   "member": str(setting["members"]["npo"].id), "score": "5"})
    html = client.post("/admin/review_score/new/", data=values, follow_redirects=True).get_data(as_text=True)
    assert "除斥されています" in html
    assert scores() == 0


def test_the_meeting_agenda_lists_waiting_proposals_and_recusals(client, login_as, setting):
    waiting = ProposalFactory(city=setting["city"], status="step1_review", title="待っている提案",
                              organization=setting["organization"]).id
    ProposalFactory(city=setting["city"], status="step2_review", title="ステップ2の提案")
    login_as(UserFactory(city=setting["city"], role=Role.STAFF.value))
    html = client.get(f"/admin/meeting/details/?id={setting['meeting'].id}").get_data(as_text=True)
    assert "海辺の提案" in html and "待っている提案" in html and "ステップ2の提案" not in html
    assert html.count("団体 太郎") >= 2  # recused from both items of its organization
    assert f"proposal={waiting}" in html
    _form, values = form_page(
        client, f"/admin/review/new/?proposal={waiting}&meeting={setting['meeting'].id}&step=1")
    assert values.get("step") == "1"
