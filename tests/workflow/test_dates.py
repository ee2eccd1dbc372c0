"""The dates transitions record (締結日, 事業完了日), and the project's period and fiscal year.

The date is asked with the button (default: today in Japan) and checked: not beyond the
city's ``days_ahead``, a completion not before the project starts, a signing not after the
agreement ends. Adoption gives the project a provisional period; signing its agreement
gives it the agreement's period and so its fiscal year.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, CompletionReport, Project, Role

from ..conftest import csrf_from, enter_city, flashes
from ..factories import (
    AgreementFactory,
    CityFactory,
    ProjectFactory,
    ProposalFactory,
    ReviewFactory,
    RoleShareFactory,
    UserFactory,
)
from .test_transitions import fire, status_of

#: 10 June 2026, mid-morning in Japan.
NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def city(app):
    city = CityFactory()
    enter_city(city)  # the test body reads and writes as this city's request does
    return city


@pytest.fixture
def staff(city, client, login_as):
    with time_machine.travel(NOW, tick=False):
        login_as(UserFactory(city=city, role=Role.STAFF.value))
        yield client


def messages(response) -> str:
    return " ".join(flashes(response.get_data(as_text=True)))


def test_the_button_asks_for_the_date_with_today_and_the_bounds(staff, city):
    project = ProjectFactory(city=city, status="planning")
    agreement = AgreementFactory(city=city, project=project, start_date=dt.date(2026, 7, 1),
                                 end_date=dt.date(2026, 12, 31))
    RoleShareFactory(city=city, agreement=agreement)
    html = staff.get(f"/admin/agreement/details/?id={agreement.id}").get_data(as_text=True)
    assert "締結日" in html
    assert 'name="on"' in html and 'value="2026-06-10"' in html and 'max="2026-07-10"' in html


def test_signing_records_the_date_and_gives_the_project_its_period_and_year(staff, city):
    project = ProjectFactory(city=city, status="planning", start_date=None, end_date=None)
    agreement = AgreementFactory(city=city, project=project, start_date=dt.date(2026, 7, 1),
                                 end_date=dt.date(2027, 2, 28))
    RoleShareFactory(city=city, agreement=agreement)
    response = fire(staff, "agreement", agreement, "sign", on=dt.date(2026, 6, 8))
    assert "「締結する」を行いました（案 → 締結済）" in messages(response)
    db.session.expire_all()
    signed = db.session.get(Agreement, agreement.id)
    project = db.session.get(Project, project.id)
    assert signed.signed_on == dt.date(2026, 6, 8)
    assert (project.start_date, project.end_date, project.fiscal_year) == (
        dt.date(2026, 7, 1), dt.date(2027, 2, 28), 2026)


def test_an_amendment_moves_the_projects_period(staff, city):
    project = ProjectFactory(city=city, status="agreed")
    old = AgreementFactory(city=city, project=project, status="signed",
                           start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31))
    amendment = AgreementFactory(city=city, project=project, previous=old,
                                 start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 12, 31))
    RoleShareFactory(city=city, agreement=amendment)
    fire(staff, "agreement", amendment, "sign")
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.end_date == dt.date(2026, 12, 31)
    assert db.session.get(Agreement, old.id).status == "amended"
    assert db.session.get(Agreement, amendment.id).signed_on == dt.date(2026, 6, 10)  # today


def test_adoption_gives_the_project_a_provisional_period_and_year(staff, city):
    budget = ProposalFactory(city=city, status="step2_review", needs_budget=True,
                             received_on=dt.date(2026, 4, 20))
    plain = ProposalFactory(city=city, status="step2_review", needs_budget=False)
    for proposal in (budget, plain):
        ReviewFactory(city=city, proposal=proposal, step=2, result="adopted")
        fire(staff, "proposal", proposal, "adopt")
    db.session.expire_all()
    by_proposal = {p.proposal_id: p for p in db.session.execute(select(Project)).scalars()}
    # Received by 30 April: into next fiscal year's budget (令和9年度).
    assert (by_proposal[budget.id].start_date, by_proposal[budget.id].end_date,
            by_proposal[budget.id].fiscal_year) == (dt.date(2027, 4, 1), dt.date(2028, 3, 31), 2027)
    # No budget: the rest of this fiscal year, from the day of adoption.
    assert (by_proposal[plain.id].start_date, by_proposal[plain.id].end_date,
            by_proposal[plain.id].fiscal_year) == (dt.date(2026, 6, 10), dt.date(2027, 3, 31), 2026)


def test_completion_before_the_agreement_starts_is_refused_and_changes_nothing(staff, city):
    project = ProjectFactory(city=city, status="running", start_date=dt.date(2026, 4, 1))
    AgreementFactory(city=city, project=project, status="signed", start_date=dt.date(2026, 5, 1),
                     end_date=dt.date(2027, 3, 31))
    response = fire(staff, "project", project, "complete", on=dt.date(2026, 4, 30))
    assert "事業完了日（令和8年4月30日）は事業の開始日（令和8年5月1日）より前にはできません" in messages(response)
    assert status_of(project) == "running"
    assert db.session.get(Project, project.id).completed_on is None
    assert db.session.execute(select(func.count()).select_from(CompletionReport)).scalar_one() == 0

    fire(staff, "project", project, "complete", on=dt.date(2026, 6, 9))
    assert status_of(project) == "completed"
    assert db.session.get(Project, project.id).completed_on == dt.date(2026, 6, 9)


def test_a_date_beyond_the_citys_setting_is_refused(staff, city):
    project = ProjectFactory(city=city, status="planning")
    agreement = AgreementFactory(city=city, project=project)
    RoleShareFactory(city=city, agreement=agreement)
    response = fire(staff, "agreement", agreement, "sign", on=dt.date(2026, 7, 11))
    assert "締結日（令和8年7月11日）は令和8年7月10日までの日付にしてください" in messages(response)
    assert status_of(agreement) == "draft" and db.session.get(Agreement, agreement.id).signed_on is None

    city.settings = {"days_ahead": 60}
    db.session.commit()
    fire(staff, "agreement", agreement, "sign", on=dt.date(2026, 7, 11))
    assert status_of(agreement) == "signed"


def test_signing_after_the_agreement_ends_is_refused(staff, city):
    agreement = AgreementFactory(city=city, project=ProjectFactory(city=city, status="planning"),
                                 start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 5, 31))
    RoleShareFactory(city=city, agreement=agreement)
    response = fire(staff, "agreement", agreement, "sign", on=dt.date(2026, 6, 1))
    assert "令和8年5月31日までの日付にしてください" in messages(response)
    assert status_of(agreement) == "draft"


@pytest.mark.parametrize("posted", ["2026/13/45", "明日", "2026-02-30"])
def test_a_date_that_is_not_a_date_is_refused_with_a_message(staff, city, posted):
    project = ProjectFactory(city=city, status="running")
    html = staff.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    db.session.refresh(project)
    response = staff.post(f"/admin/project/transition/{project.id}/complete", data={
        "csrf_token": csrf_from(html), "loaded_version": str(project.version), "on": posted},
        follow_redirects=True)
    assert "日付は 2026-04-01 のように" in messages(response)
    assert status_of(project) == "running"


def test_a_new_reviews_decision_date_is_its_meetings_day_or_today(staff, city):
    from ..conftest import form_page
    from ..factories import MeetingFactory

    proposal = ProposalFactory(city=city, status="step1_review")
    meeting = MeetingFactory(city=city, held_on=dt.date(2026, 6, 3))
    _html, values = form_page(staff, f"/admin/review/new/?proposal={proposal.id}&meeting={meeting.id}&step=1")
    assert values["decided_on"] == "2026-06-03"
    _html, values = form_page(staff, f"/admin/review/new/?proposal={proposal.id}&step=1")
    assert values["decided_on"] == "2026-06-10"  # today in Japan


def test_a_corrected_completion_date_moves_the_open_reports_due_date(staff, city):
    from ..conftest import form_page

    project = ProjectFactory(city=city, status="running", start_date=dt.date(2026, 4, 1))
    fire(staff, "project", project, "complete", on=dt.date(2026, 6, 10))
    report = db.session.execute(select(CompletionReport)).scalar_one()
    assert report.due_on == dt.date(2026, 7, 10)
    url = f"/admin/project/edit/?id={project.id}"
    _html, values = form_page(staff, url)
    values["completed_on"] = "2026-05-31"  # the real day, corrected
    response = staff.post(url, data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(CompletionReport, report.id).due_on == dt.date(2026, 6, 30)

    _html, values = form_page(staff, url)
    values["completed_on"] = "2026-03-31"  # before the project starts: refused, nothing moves
    response = staff.post(url, data=values)
    assert response.status_code == 200 and "事業完了日は開始日以降の日付にしてください" in \
        response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, project.id).completed_on == dt.date(2026, 5, 31)
    assert db.session.get(CompletionReport, report.id).due_on == dt.date(2026, 6, 30)


def test_a_years_agreement_keeps_the_planned_end_of_a_project_over_years(staff, city):
    """A three-year project (令和8〜10年度): signing year one's agreement sets its start, and
    the planned end stays (a one-year project takes its agreement's end, as above)."""
    project = ProjectFactory(city=city, status="planning", start_date=dt.date(2026, 4, 1),
                             end_date=dt.date(2029, 3, 31))
    agreement = AgreementFactory(city=city, project=project, start_date=dt.date(2026, 5, 1),
                                 end_date=dt.date(2027, 3, 31))
    RoleShareFactory(city=city, agreement=agreement)
    fire(staff, "agreement", agreement, "sign", on=dt.date(2026, 4, 20))
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert (project.start_date, project.end_date, project.fiscal_year) == (
        dt.date(2026, 5, 1), dt.date(2029, 3, 31), 2026)
