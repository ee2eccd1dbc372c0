"""A council member's own home: what waits for their score (one click to scoring), what they
are recused from, their next meetings; they read a review but do not decide it, and write
only the council's evaluation."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import Evaluation, Role
from kyodo_admin.tenancy import scoped_to

from ..conftest import flashes, form_page
from ..factories import (
    CityFactory,
    CompletionReportFactory,
    CouncilFactory,
    CouncilMemberFactory,
    CriterionFactory,
    MeetingFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    ReviewFactory,
    UserFactory,
)

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def city(app):
    return CityFactory()


@pytest.fixture
def member(city, client, login_as):
    with time_machine.travel(NOW, tick=False):
        user = UserFactory(city=city, role=Role.COUNCIL_MEMBER.value, display_name="市民 花子")
        own = OrganizationFactory(city=city, name="花子の会")
        council = CouncilFactory(city=city)
        record = CouncilMemberFactory(city=city, council=council, user=user, organization=own,
                                      name="市民 花子")
        member = SimpleNamespace(id=record.id, council=council, organization=own)
        login_as(user)
        yield member


def test_the_member_sees_what_waits_for_their_score(client, city, member):
    CriterionFactory(city=city, name="公益性")
    CriterionFactory(city=city, name="継続性")
    meeting = MeetingFactory(city=city, council=member.council, title="令和8年度 第2回会議",
                             held_on=dt.date(2026, 6, 10), step=1)
    waiting = ReviewFactory(city=city, meeting=meeting, step=1, result="pending",
                            proposal=ProposalFactory(city=city, title="川辺の清掃"))
    recused = ReviewFactory(city=city, meeting=meeting, step=1, result="pending",
                            proposal=ProposalFactory(city=city, title="花子の会の提案",
                                                     organization=member.organization))
    ReviewFactory(city=city, meeting=meeting, step=1, result="passed",
                  proposal=ProposalFactory(city=city, title="決定済みの提案"))
    MeetingFactory(city=city, council=member.council, title="過去の会議",
                   held_on=dt.date(2026, 5, 1))
    other_council = MeetingFactory(city=city, title="別の会議体の会議", held_on=dt.date(2026, 6, 20))
    waiting_id, recused_id, other_title = waiting.id, recused.id, other_council.title

    html = client.get("/admin/").get_data(as_text=True)
    to_score = html[html.index('id="reviews-to-score"'):]
    to_score = to_score[:to_score.index("</table>")]
    assert "川辺の清掃" in to_score and "0 / 2" in to_score
    assert f"/admin/review/score/{waiting_id}?member={member.id}" in to_score
    assert "花子の会の提案" not in to_score and "決定済みの提案" not in to_score
    assert "花子の会の提案" in html[html.index('id="reviews-recused"'):]
    meetings = html[html.index('id="member-meetings"'):]
    assert "令和8年度 第2回会議" in meetings and "令和8年6月10日" in meetings
    assert "過去の会議" not in meetings and other_title not in meetings
    assert recused_id  # listed as recused, never offered for scoring
    # one click to the scoring screen
    assert client.get(f"/admin/review/score/{waiting_id}?member={member.id}").status_code == 200


def test_the_member_reads_a_review_but_cannot_decide_it(client, city, member):
    meeting = MeetingFactory(city=city, council=member.council)
    review_id = ReviewFactory(city=city, meeting=meeting, result="pending").id
    assert client.get(f"/admin/review/details/?id={review_id}").status_code == 200
    assert client.get(f"/admin/review/edit/?id={review_id}").status_code == 403
    assert client.get("/admin/review/new/").status_code == 403


def test_the_member_writes_only_the_councils_evaluation(client, city, member):
    project = ProjectFactory(city=city, status="reported")
    report = CompletionReportFactory(city=city, project=project)
    project_id = project.id
    url = f"/admin/evaluation/new/?project={project.id}&completion_report={report.id}&side=city"
    html, values = form_page(client, url)
    assert 'value="city"' not in html  # the department's side is not offered
    values.update({"side": "city", "evaluator": "市民 花子", "rating": "A"})
    response = client.post(url, data=values)
    assert response.status_code == 200 and "選択肢が正しくありません" in response.get_data(as_text=True)
    with scoped_to(city.id):
        assert db.session.execute(select(func.count()).select_from(Evaluation)).scalar_one() == 0

    values["side"] = "council"
    response = client.post(url, data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    with scoped_to(city.id):
        evaluation = db.session.execute(select(Evaluation)).scalar_one()
    assert (evaluation.side, evaluation.project_id) == ("council", project_id)
