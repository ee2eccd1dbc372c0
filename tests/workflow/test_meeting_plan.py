"""Planning a fiscal year's council meetings from the city's settings (about five)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import Meeting, Role
from kyodo_admin.models.base import fiscal_year_of
from kyodo_admin.tenancy import scoped_to
from kyodo_admin.workflow.deadlines import is_closed, planned_meeting_dates

from ..conftest import csrf_from, flashes
from ..factories import CityFactory, CouncilFactory, MeetingFactory, UserFactory


@pytest.mark.parametrize("count", [2, 5, 12])
def test_the_plan_has_the_set_number_of_meetings_on_open_days(count):
    plan = planned_meeting_dates(2026, {"meetings_per_year": count})
    days = [day for day, _step in plan]
    assert len(plan) == count and days == sorted(days) and len(set(days)) == count
    assert [step for _day, step in plan].count(2) == 1
    assert not any(is_closed(day) for day in days)
    assert all(dt.date(2026, 4, 1) <= day <= dt.date(2027, 3, 31) for day in days)


def test_step_1_follows_the_budget_deadline_and_step_2_comes_a_week_before_its_deadline():
    plan = planned_meeting_dates(2026)
    (first, step1), (decision, step2) = plan[0], plan[1]
    assert (step1, step2) == (1, 2)
    assert dt.date(2026, 4, 30) < first < decision <= dt.date(2026, 7, 24)
    later = planned_meeting_dates(2026, {"step2_deadline": "08-31"})
    assert [d for d, s in later if s == 2] == [dt.date(2026, 8, 24)]  # Monday 24 Aug


@pytest.fixture
def council(app):
    city = CityFactory(settings={"meetings_per_year": 4})
    return CouncilFactory(city=city, name="協働エントランス会議")


def plan(client, council_id, year):
    page = client.get(f"/admin/council/details/?id={council_id}").get_data(as_text=True)
    return client.post(f"/admin/council/plan/{council_id}",
                       data={"csrf_token": csrf_from(page), "fiscal_year": str(year)},
                       follow_redirects=True)


def meetings_of(council_id: int, city_id: int) -> list[Meeting]:
    """The council's meetings, as its city's staff read them."""
    db.session.expire_all()
    with scoped_to(city_id):
        return list(db.session.execute(select(Meeting).where(Meeting.council_id == council_id)
                                       .order_by(Meeting.held_on)).scalars())


def test_staff_plan_a_year_once(client, login_as, council):
    council_id, city = council.id, council.city
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    year = fiscal_year_of(clock.today())
    details = client.get(f"/admin/council/details/?id={council_id}").get_data(as_text=True)
    assert "の会議予定を作成" in details
    response = plan(client, council_id, year)
    assert any("会議の予定を4件作成しました" in m for m in flashes(response.get_data(as_text=True)))
    meetings = meetings_of(council_id, city.id)
    assert meetings[0].title.endswith("第1回会議") and meetings[0].step == 1
    assert [m.step for m in meetings].count(2) == 1
    assert any(m.title.endswith("第2回会議（決定）") for m in meetings)
    assert {m.fiscal_year for m in meetings} == {year}
    assert all(m.city_id == city.id for m in meetings)

    again = plan(client, council_id, year)
    assert any("会議が既に4件登録されています" in m for m in flashes(again.get_data(as_text=True)))
    assert len(meetings_of(council_id, city.id)) == 4


def test_a_year_with_a_meeting_is_not_planned_over(client, login_as, council):
    council_id, city = council.id, council.city
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    MeetingFactory(city=city, council=council, held_on=dt.date(2027, 5, 12))
    response = plan(client, council_id, 2027)
    assert any("既に1件登録されています" in m for m in flashes(response.get_data(as_text=True)))
    assert len(meetings_of(council_id, city.id)) == 1


@pytest.mark.parametrize("year", ["", "abc", "99999", "-1"])
def test_a_bad_year_is_refused(client, login_as, council, year):
    council_id, city = council.id, council.city
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    response = plan(client, council_id, year)
    assert response.status_code == 200
    assert any("計画する年度が正しくありません" in m for m in flashes(response.get_data(as_text=True)))
    assert meetings_of(council_id, city.id) == []


def test_council_members_cannot_plan_and_other_cities_cannot_see(client, login_as, council):
    council_id, city = council.id, council.city
    login_as(UserFactory(city=city, role=Role.COUNCIL_MEMBER.value))
    details = client.get(f"/admin/council/details/?id={council_id}").get_data(as_text=True)
    assert "会議予定を作成" not in details
    response = client.post(f"/admin/council/plan/{council_id}", data={
        "csrf_token": csrf_from(details), "fiscal_year": "2026"})
    assert response.status_code == 403

    login_as(UserFactory(city=CityFactory(), role=Role.STAFF.value))
    assert client.get(f"/admin/council/details/?id={council_id}").status_code == 404
    assert meetings_of(council_id, city.id) == []
