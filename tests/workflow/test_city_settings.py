"""The city's settings screen: the city admin sets the deadlines; the cycle follows them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import AuditEvent, City, CompletionReport, Role
from kyodo_admin.models.base import fiscal_year_of

from ..conftest import enter_city, flashes, form_page
from ..factories import CityFactory, ProjectFactory, ProposalFactory, UserFactory
from .test_transitions import fire

URL = "/admin/city_settings/"


@pytest.fixture
def city(app):
    city = CityFactory(head_title="鎌倉市長", settings={"legacy_key": "kept"})
    enter_city(city)  # the test body reads and writes as this city's request does
    return city


@pytest.fixture
def admin(city, client, login_as):
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    return client


def stored(city) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(City, city.id)
    return fresh.head_title, fresh.settings, fresh.version


def examples(html: str) -> str:
    return html[html.index('id="settings-examples"'):]


def test_the_defaults_are_shown_with_what_they_mean(admin):
    html, values = form_page(admin, URL)
    assert values["budget_deadline"] == "04-30" and values["step2_deadline"] == "07-31"
    assert values["report_months"] == "1" and values["late_budget_proposal"] == "next_year"
    assert "year_end_closure" in values and "count_completion_day" not in values
    year = fiscal_year_of(clock.today())
    # A project completed on 31 January: one month runs to the end of February.
    due = dt.date(year + 1, 2, 28 if (year + 1) % 4 else 29)
    while due.weekday() >= 5:
        due += dt.timedelta(days=1)
    assert f"{due.month}月{due.day}日" in examples(html)


def test_a_city_admin_changes_the_deadlines_and_the_cycle_follows(admin, city, client, login_as):
    _html, values = form_page(admin, URL)
    values.update(report_months="2", count_completion_day="y", late_budget_proposal="flag",
                  step2_deadline="08-31", head_title="八王子市長")
    response = admin.post(URL, data=values, follow_redirects=True)
    assert "設定を保存しました" in " ".join(flashes(response.get_data(as_text=True)))
    head_title, settings, _version = stored(city)
    assert head_title == "八王子市長"
    assert settings["report_months"] == 2 and settings["count_completion_day"] is True
    assert settings["late_budget_proposal"] == "flag" and settings["step2_deadline"] == "08-31"
    assert settings["legacy_key"] == "kept"

    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.model == "city", AuditEvent.action == "update")).scalar_one()
    assert event.city_id == city.id and "settings" in event.changes
    assert city.name in admin.get("/admin/audit_event/").get_data(as_text=True)

    # The completion report of a project completed on 15 January 2027 is now due two months
    # later counting the completion day: 14 March 2027, a Sunday -> Monday 15 March.
    project = ProjectFactory(city=city, status="running")
    with time_machine.travel(dt.datetime(2027, 1, 15, 17, tzinfo=ZoneInfo("Asia/Tokyo"))):
        login_as(UserFactory(city=city, role=Role.STAFF.value))  # a session of that day
        fire(client, "project", project, "complete", on=dt.date(2027, 1, 15))
    report = db.session.execute(select(CompletionReport)).scalar_one()
    assert report.due_on == dt.date(2027, 3, 15)



@pytest.mark.parametrize("field,value,message", [
    ("budget_deadline", "02-30", "月-日を半角で入力してください"),
    ("budget_deadline", "4月30日", "月-日を半角で入力してください"),
    ("step2_deadline", "02-29", "2月29日は指定できません"),
    ("report_months", "0", "1から12までの整数"),
    ("report_months", "13", "1から12までの整数"),
    ("report_months", "abc", "整数"),
    ("meetings_per_year", "1", "2から12までの整数"),
    ("meetings_per_year", "13", "2から12までの整数"),
    ("head_title", "", "文書の宛先を入力してください"),
])
def test_bad_settings_are_refused_and_nothing_changes(admin, city, field, value, message):
    before = stored(city)
    _html, values = form_page(admin, URL)
    values.update({"meetings_per_year": "6", field: value})
    response = admin.post(URL, data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Traceback" not in html
    assert message in html and "入力した内容は残っています" in html
    assert f'value="{value}"' in html  # what was typed stays on the screen
    assert stored(city) == before


def test_an_unknown_choice_is_refused(admin, city):
    before = stored(city)
    _html, values = form_page(admin, URL)
    response = admin.post(URL, data={**values, "late_budget_proposal": "later"})
    assert "入力した内容は残っています" in response.get_data(as_text=True)
    assert stored(city) == before


def test_a_stale_settings_page_saves_nothing(admin, city):
    _html, values = form_page(admin, URL)
    city.head_title = "別の人が変えた宛先"
    db.session.commit()
    before = stored(city)
    values.update(report_months="3")
    response = admin.post(URL, data=values, follow_redirects=True)
    assert any("他の利用者によって変更されました" in m for m in flashes(response.get_data(as_text=True)))
    assert stored(city) == before


def test_staff_see_the_settings_but_cannot_change_them(city, client, login_as):
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    html = client.get(URL).get_data(as_text=True)
    assert "鎌倉市長" in html and "自治体管理者です" in html and "保存</button>" not in html
    before = stored(city)
    _html, values = form_page(client, "/admin/organization/new/")  # any page, for the token
    response = client.post(URL, data={"csrf_token": values["csrf_token"], "head_title": "変更",
                                      "loaded_version": str(before[2])})
    assert response.status_code == 403
    assert stored(city) == before


def test_council_members_do_not_see_the_settings(city, client, login_as):
    login_as(UserFactory(city=city, role=Role.COUNCIL_MEMBER.value))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("received,late_setting,expected", [
    (dt.date(2026, 4, 30), "next_year", ("令和9年度予算", False)),
    (dt.date(2026, 5, 1), "next_year", ("令和10年度予算", True)),
    (dt.date(2026, 5, 1), "flag", ("令和9年度予算", True)),
])
def test_a_proposal_shows_its_budget_deadline_per_the_setting(admin, city, received, late_setting,
                                                              expected):
    city.settings = {"late_budget_proposal": late_setting}
    proposal = ProposalFactory(city=city, needs_budget=True, received_on=received, status="submitted")
    db.session.commit()
    html = admin.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    notice = html[html.index('id="budget-timing"'):].split("</div>")[0]
    budget_year, late = expected
    assert "締切 令和8年4月30日" in notice and budget_year in notice
    assert ("締切後の受付です" in notice) == late


def test_a_proposal_awaiting_step_2_shows_the_decision_deadline(admin, city):
    city.settings = {"step2_deadline": "08-31"}
    waiting = ProposalFactory(city=city, received_on=dt.date(2026, 4, 10), status="passed")
    draft = ProposalFactory(city=city, received_on=dt.date(2026, 4, 10), status="submitted")
    db.session.commit()
    html = admin.get(f"/admin/proposal/details/?id={waiting.id}").get_data(as_text=True)
    assert "ステップ2（決定）の期限: 令和8年8月31日" in html
    assert 'id="step2-deadline"' not in admin.get(f"/admin/proposal/details/?id={draft.id}").get_data(as_text=True)
