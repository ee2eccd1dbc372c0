"""The home screen: the city's fiscal year at a glance, each figure linking to its list."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kyodo_admin import clock
from kyodo_admin.models import Role
from kyodo_admin.models.base import fiscal_year_of
from kyodo_admin.services.dashboard import SHORTLIST
from kyodo_admin.tenancy import scoped_to

from ..factories import (
    AgreementFactory,
    CityFactory,
    CollaborationTypeFactory,
    CompletionReportFactory,
    MeetingFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)

TODAY = clock.today()  # the app's date (Japan's), not the server's


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"(.*?)</(?:ul|table)>', html, re.S)
    assert match, element_id
    return match.group(1)


@pytest.fixture
def home(app, client, login_as):
    city = CityFactory()
    other = CityFactory()
    commissioned = CollaborationTypeFactory(city=city, name="協働委託事業")
    year = fiscal_year_of(TODAY)
    start = dt.date(year, 4, 1)
    running = ProjectFactory(city=city, title="委託の事業", collaboration_type=commissioned,
                             status="running", start_date=start, budget_amount=300_000)
    AgreementFactory(city=city, project=running, status="signed")
    ProjectFactory(city=city, title="協定のない事業", collaboration_type=commissioned,
                   status="planning", start_date=start, budget_amount=200_000)
    done = ProjectFactory(city=city, title="報告遅れの事業", status="completed", start_date=start)
    CompletionReportFactory(city=city, project=done, fiscal_year=year,
                            due_on=TODAY - dt.timedelta(days=3))
    soon = ProjectFactory(city=city, title="もうすぐ期限の事業", status="completed", start_date=start)
    CompletionReportFactory(city=city, project=soon, fiscal_year=year,
                            due_on=TODAY + dt.timedelta(days=10))
    MeetingFactory(city=city, title="次回の会議", held_on=TODAY + dt.timedelta(days=7))
    ProposalFactory(city=city, title="遅れた予算要求", needs_budget=True,
                    received_on=dt.date(year, 5, 10), status="submitted")
    ProposalFactory(city=other, title="他市の提案", received_on=dt.date(year, 5, 10))
    ProjectFactory(city=other, title="他市の遅れ", status="completed", start_date=start)
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    return client.get("/admin/").get_data(as_text=True)


def test_home_shows_what_needs_attention(home):
    assert "報告遅れの事業" in section(home, "overdue-reports")
    assert "もうすぐ期限の事業" in section(home, "due-soon")
    without = section(home, "without-agreement")
    assert "協定のない事業" in without and "委託の事業" not in without
    assert "次回の会議" in section(home, "next-meetings")
    assert "遅れた予算要求" in section(home, "deadlines")
    by_type = section(home, "by-type")
    assert "協働委託事業" in by_type and "2件" in by_type and "500,000円" in by_type
    assert "他市" not in home


def test_figures_link_to_the_filtered_lists(client, home):
    link = re.search(r'<a href="([^"]+)">受付済</a>', section(home, "proposals-by-state")).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "遅れた予算要求" in listed and "他市の提案" not in listed
    overdue_list = re.search(r'<a href="([^"]+)">一覧で見る</a>', home).group(1)
    listed = client.get(overdue_list.replace("&amp;", "&")).get_data(as_text=True)
    assert "報告遅れの事業" in listed and "もうすぐ期限の事業" not in listed
    type_link = re.search(r'<a href="([^"]+)">協働委託事業</a>', home).group(1)
    listed = client.get(type_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "委託の事業" in listed and "報告遅れの事業" not in listed


def test_another_fiscal_year_can_be_shown(client, home):
    year = fiscal_year_of(TODAY)
    html = client.get(f"/admin/?year={year - 1}").get_data(as_text=True)
    assert f"（{year - 1}年度）の状況" in html
    assert "協働委託事業" not in section(html, "by-type")
    assert client.get("/admin/?year=abc").status_code == 200


def test_long_lists_show_the_first_rows_the_total_and_a_link(client, login_as):
    city = CityFactory()
    year = fiscal_year_of(TODAY)
    for i in range(SHORTLIST + 3):
        done = ProjectFactory(city=city, title=f"遅れ{i:02d}", status="completed",
                              start_date=dt.date(year, 4, 1))
        CompletionReportFactory(city=city, project=done, fiscal_year=year,
                                due_on=TODAY - dt.timedelta(days=40 - i))
        ProposalFactory(city=city, title=f"締切後{i:02d}", needs_budget=True, status="submitted",
                        received_on=dt.date(year, 5, 2) + dt.timedelta(days=i))
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    home = client.get("/admin/").get_data(as_text=True)
    overdue = section(home, "overdue-reports")
    assert overdue.count("<li>") == SHORTLIST and "遅れ00" in overdue  # the oldest first
    assert "ほか3件" in home.split('id="overdue-reports"')[1]
    deadlines = section(home, "deadlines")
    assert "締切後00" in deadlines and "締切後12" not in deadlines and "ほか3件" in deadlines
    link = re.search(r'ほか3件（<a href="([^"]+)">一覧で見る', deadlines).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "締切後12" in listed and "締切後00" in listed


def test_the_step_2_waiting_count_links_to_the_same_proposals(client, login_as):
    city = CityFactory()
    year = fiscal_year_of(TODAY)
    for title, status in (("通過した提案", "passed"), ("決定待ちの提案", "step2_review"),
                          ("検討中の提案", "step1_review")):
        ProposalFactory(city=city, title=title, status=status, received_on=dt.date(year, 4, 10))
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    deadlines = section(client.get("/admin/").get_data(as_text=True), "deadlines")
    link = re.search(r'決定待ち <a href="([^"]+)">2件</a>', deadlines).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "通過した提案" in listed and "決定待ちの提案" in listed and "検討中の提案" not in listed


def test_a_late_budget_proposal_taken_next_year_waits_for_next_years_step_2(client, login_as):
    city = CityFactory()  # late budget proposals go to the next year (the default)
    year = fiscal_year_of(TODAY)
    ProposalFactory(city=city, title="締切後の予算提案", status="passed", needs_budget=True,
                    received_on=dt.date(year, 5, 10))
    ProposalFactory(city=city, title="締切内の予算提案", status="passed", needs_budget=True,
                    received_on=dt.date(year, 4, 20))
    ProposalFactory(city=city, title="昨年度の締切後の予算提案", status="step2_review",
                    needs_budget=True, received_on=dt.date(year - 1, 6, 1))
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    deadlines = section(client.get("/admin/").get_data(as_text=True), "deadlines")
    assert re.search(r'決定待ち <a href="[^"]+">2件</a>', deadlines), deadlines  # this year's 1 + last year's 1
    deadlines = section(client.get(f"/admin/?year={year + 1}").get_data(as_text=True), "deadlines")
    assert re.search(r'決定待ち <a href="[^"]+">1件</a>', deadlines), deadlines  # this year's late one


def test_projects_without_agreement_count_the_selected_year(client, login_as):
    city = CityFactory()
    year = fiscal_year_of(TODAY)
    ProjectFactory(city=city, title="今年度の協定なし", status="planning", start_date=dt.date(year, 6, 1),
                   end_date=dt.date(year + 1, 3, 31))
    ProjectFactory(city=city, title="来年度の協定なし", status="planning",
                   start_date=dt.date(year + 1, 6, 1), end_date=dt.date(year + 2, 3, 31))
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    this_year = section(client.get("/admin/").get_data(as_text=True), "without-agreement")
    assert "今年度の協定なし" in this_year and "来年度の協定なし" not in this_year
    next_year = section(client.get(f"/admin/?year={year + 1}").get_data(as_text=True),
                        "without-agreement")
    assert "来年度の協定なし" in next_year and "今年度の協定なし" not in next_year


def test_a_late_budget_proposal_shows_next_years_step_2_deadline(app):
    from kyodo_admin.services.proposals import proposal_deadlines

    city = CityFactory()
    late = ProposalFactory(city=city, status="passed", needs_budget=True,
                           received_on=dt.date(2026, 5, 10))
    in_time = ProposalFactory(city=city, status="passed", needs_budget=True,
                              received_on=dt.date(2026, 4, 20))
    assert proposal_deadlines(late).step2_due == dt.date(2027, 7, 31)
    assert proposal_deadlines(in_time).step2_due == dt.date(2026, 7, 31)
    city.settings = {"late_budget_proposal": "flag"}  # kept in this year, flagged
    assert proposal_deadlines(late).step2_due == dt.date(2026, 7, 31)


def state_count(html: str, label: str) -> int:
    match = re.search(rf'>{label}</a>\s*</t[hd]>\s*<td[^>]*>\s*([\d,]+)', section(
        html, "proposals-by-state"))
    assert match, label
    return int(match.group(1).replace(",", ""))


def test_figures_are_counted_once_and_follow_each_change_at_once(client, login_as):

    from ..conftest import csrf_from, statements_of

    city = CityFactory()
    year = fiscal_year_of(TODAY)
    proposal = ProposalFactory(city=city, status="submitted", received_on=dt.date(year, 4, 10))
    proposal_id, version = proposal.id, proposal.version
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    first = statements_of(client, "/admin/")
    again = statements_of(client, "/admin/")
    assert len(again) < len(first), "the year's counts are not counted again without a change"
    assert not any("GROUP BY proposal.status" in s for s in again)
    ProposalFactory(city=CityFactory(), status="submitted", received_on=dt.date(year, 4, 10))
    assert len(statements_of(client, "/admin/")) == len(again), "another city's change"

    html = client.get("/admin/").get_data(as_text=True)
    assert (state_count(html, "受付済"), state_count(html, "ステップ1検討中")) == (1, 0)
    details = client.get(f"/admin/proposal/details/?id={proposal_id}").get_data(as_text=True)
    client.post(f"/admin/proposal/transition/{proposal_id}/start_step1", data={
        "csrf_token": csrf_from(details), "loaded_version": str(version)})
    html = client.get("/admin/").get_data(as_text=True)
    assert (state_count(html, "受付済"), state_count(html, "ステップ1検討中")) == (0, 1)


def test_a_change_rolled_back_leaves_the_citys_revision(app):
    from kyodo_admin import cache
    from kyodo_admin.extensions import db

    city = CityFactory()
    proposal = ProposalFactory(city=city)
    with scoped_to(city.id):  # a city's request changing a proposal, then failing
        before = cache.revision(db.session, city.id)
        proposal.title = "取り消される変更"
        db.session.flush()
        assert cache.revision(db.session, city.id) != before  # seen inside its transaction
        db.session.rollback()
        assert cache.revision(db.session, city.id) == before
