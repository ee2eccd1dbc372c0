"""The project page is the hub of the project; the records after it are created from it for
this project, and a parent picker never silently picks another record. A plan asks 目的・目標・
年度・事業内容 once (the city's form fills the columns)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import ProjectPlan, Role

from ..conftest import enter_city, flashes, form_page
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    EvaluationFactory,
    FormDefinitionFactory,
    GeneratedDocumentFactory,
    IndicatorFactory,
    ProjectFactory,
    ProjectPlanFactory,
    ProposalFactory,
    UserFactory,
)

PLAN_FORM = {"sections": [{"title": "事業の目的と目標", "fields": [
    {"name": "objective", "label": "目的（何のために）", "type": "textarea", "required": True,
     "fills": "purpose"},
    {"name": "goal", "label": "目標（いつまでにどれだけ）", "type": "textarea", "fills": "target"},
    {"name": "year", "label": "実施年度", "type": "fiscal_year", "required": True,
     "fills": "fiscal_year"},
    {"name": "activities", "label": "事業内容", "type": "table", "fills": "content", "columns": [
        {"name": "period", "label": "時期", "type": "text"},
        {"name": "content", "label": "内容", "type": "text"}]},
]}]}


@pytest.fixture
def city(app):
    city = CityFactory()
    enter_city(city)  # the test body reads and writes as this city's request does
    return city


@pytest.fixture
def staff(city, client, login_as):
    login_as(UserFactory(city=city, role=Role.STAFF.value))
    return client


def test_the_project_page_shows_every_record_of_the_project(staff, city):
    proposal = ProposalFactory(city=city, title="海辺の自然教室", receipt_number="2026-007")
    project = ProjectFactory(city=city, proposal=proposal, title="海辺の自然教室事業",
                             start_date=dt.date(2026, 7, 1), end_date=dt.date(2027, 2, 28))
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=2026)
    IndicatorFactory(city=city, project_plan=plan, name="参加者数", unit="人", target_value=200,
                     actual_value=230)
    agreement = AgreementFactory(city=city, project=project, title="自然教室の協定書",
                                 status="signed", signed_on=dt.date(2026, 6, 20))
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2026)
    EvaluationFactory(city=city, project=project, completion_report=report, side="city",
                      rating="A")
    GeneratedDocumentFactory(city=city, record_type="agreement", record_id=agreement.id,
                             filename="協定書_自然教室.docx")
    other = ProjectFactory(city=city, title="別の事業")
    GeneratedDocumentFactory(city=city, record_type="project_plan", record_id=other.id + 999,
                             filename="別の事業の計画書.docx")

    html = staff.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    hub = html[html.index('id="project-hub"'):]
    assert f'/admin/proposal/details/?id={proposal.id}"' in hub and "2026-007 海辺の自然教室" in hub
    assert "令和8年7月1日 〜 令和9年2月28日" in hub and "令和8年度" in hub
    assert f"/admin/project_plan/details/?id={plan.id}" in hub and "参加者数" in hub
    assert "230人" in hub and "115%" in hub  # actual and achievement, without ".0"
    assert "自然教室の協定書" in hub and "締結済" in hub and "令和8年6月20日" in hub
    assert f"/admin/completion_report/details/?id={report.id}" in hub
    assert "協定書_自然教室.docx" in hub and "別の事業の計画書.docx" not in hub
    # buttons that create the next records for this project
    assert f"/admin/project_plan/new/?project={project.id}&amp;url=" in hub
    assert f"/admin/agreement/new/?project={project.id}&amp;url=" in hub
    assert "side=organization" in hub and f"completion_report={report.id}" in hub
    assert "side=city" not in hub  # the department's evaluation is registered already


def test_a_create_link_from_the_project_page_picks_this_project(staff, city):
    ProjectFactory(city=city, title="先に登録された事業")
    project = ProjectFactory(city=city, title="この事業")
    html, values = form_page(staff, f"/admin/agreement/new/?project={project.id}")
    assert values["project"] == str(project.id)
    # another city's project in the link is not found, and nothing is picked
    foreign = ProjectFactory(city=CityFactory())
    _html, values = form_page(staff, f"/admin/agreement/new/?project={foreign.id}")
    assert values.get("project") in (None, "", "__None")


def test_a_parent_picker_starts_empty_and_must_be_chosen(staff, city):
    ProjectFactory(city=city, title="先に登録された事業")
    html, values = form_page(staff, "/admin/project_plan/new/")
    assert values.get("project") in (None, "", "__None")  # not the first project in the list
    values.update({"fiscal_year": "2026", "purpose": "目的"})
    response = staff.post("/admin/project_plan/new/", data=values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "協働事業を選んでください" in page
    assert db.session.execute(select(func.count()).select_from(ProjectPlan)).scalar_one() == 0
    assert flashes(page)


def test_a_plan_asks_purpose_target_year_and_content_once(staff, city):
    FormDefinitionFactory(city=city, kind="project_plan", status="published", schema=PLAN_FORM)
    project = ProjectFactory(city=city)
    html, values = form_page(staff, f"/admin/project_plan/new/?project={project.id}")
    names = re.findall(r'name="([^"]+)"', html)
    for column in ("purpose", "target", "fiscal_year", "content", "schedule"):
        assert column not in names, column
    values.update({"answers__objective": "海を身近に", "answers__goal": "参加者200人",
                   "answers__year": "2026", "answers__activities-0-period": "7月",
                   "answers__activities-0-content": "磯の観察会"})
    response = staff.post(f"/admin/project_plan/new/?project={project.id}", data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    plan = db.session.execute(select(ProjectPlan)).scalar_one()
    assert (plan.project_id, plan.purpose, plan.target, plan.fiscal_year, plan.content) == (
        project.id, "海を身近に", "参加者200人", 2026, "7月　磯の観察会")


AGREEMENT_FORM = {"sections": [{"title": "協定の条件", "fields": [
    {"name": "intellectual_property", "label": "成果物の権利の帰属", "type": "select",
     "choices": ["甲に帰属", "乙に帰属"]}]}]}


def test_agreement_details_read_like_the_document(staff, city):
    definition = FormDefinitionFactory(city=city, kind="agreement", status="published",
                                       schema=AGREEMENT_FORM)
    agreement = AgreementFactory(city=city, start_date=dt.date(2026, 7, 1),
                                 end_date=dt.date(2027, 2, 28), form_definition=definition,
                                 answers={"intellectual_property": "乙に帰属"})
    from ..factories import CostShareFactory, RoleShareFactory

    RoleShareFactory(city=city, agreement=agreement, item="会場", city_role="海岸使用の調整",
                     organization_role="観察会の運営")
    CostShareFactory(city=city, agreement=agreement, item="講師謝礼", city_amount=300_000,
                     organization_amount=50_000)
    CostShareFactory(city=city, agreement=agreement, item="保険料", city_amount=0,
                     organization_amount=12_000)
    html = staff.get(f"/admin/agreement/details/?id={agreement.id}").get_data(as_text=True)
    roles = html[html.index('id="role-shares"'):html.index('id="cost-shares"')]
    assert "会場" in roles and "海岸使用の調整" in roles and "観察会の運営" in roles
    costs = html[html.index('id="cost-shares"'):]
    costs = costs[:costs.index("</table>")]
    assert "講師謝礼" in costs and "300,000円" in costs and "12,000円" in costs
    assert "合計" in costs and "62,000円" in costs and "総額 362,000円" in costs
    assert "成果物の権利の帰属" in html and "乙に帰属" in html  # the 協定の条件
    assert "令和8年7月1日" in html and "令和9年2月28日" in html  # dates in 和暦
    assert "2026-07-01" not in html[:html.index('id="audit-trail"')]


def report_with_plan(city, *, plan_year: int, report_year: int):
    project = ProjectFactory(city=city, status="completed")
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=plan_year)
    indicator = IndicatorFactory(city=city, project_plan=plan, name="参加者数", unit="人",
                                 target_value=200)
    report = CompletionReportFactory(city=city, project=project, fiscal_year=report_year)
    return report, indicator


@pytest.mark.parametrize("plan_year", [2026, 2025])  # the same year, or the plan of the year before
def test_actuals_are_entered_on_the_report_beside_their_targets(staff, city, plan_year):
    report, indicator = report_with_plan(city, plan_year=plan_year, report_year=2026)
    html, values = form_page(staff, f"/admin/completion_report/edit/?id={report.id}")
    key = f"indicator_actual_{indicator.id}"
    assert "実績値: 参加者数" in html and "目標値 200人" in html and key in values
    values[key] = "230"
    response = staff.post(f"/admin/completion_report/edit/?id={report.id}", data=values)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(type(indicator), indicator.id).actual_value == 230
    html = staff.get(f"/admin/completion_report/details/?id={report.id}").get_data(as_text=True)
    table = html[html.index('id="report-indicators"'):]
    assert "230人" in table and "115%" in table and "230.0" not in table
    _html, values = form_page(staff, f"/admin/completion_report/edit/?id={report.id}")
    assert values[key] == "230"  # not 230.0


@pytest.mark.parametrize("value,message", [("-5", "0以上の数値を入力してください"),
                                           ("たくさん", "数値を入力してください")])
def test_a_bad_actual_is_refused_next_to_the_field(staff, city, value, message):
    report, indicator = report_with_plan(city, plan_year=2026, report_year=2026)
    _html, values = form_page(staff, f"/admin/completion_report/edit/?id={report.id}")
    values[f"indicator_actual_{indicator.id}"] = value
    values["summary"] = "変更した概要"
    response = staff.post(f"/admin/completion_report/edit/?id={report.id}", data=values)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(indicator), indicator.id).actual_value is None
    assert db.session.get(type(report), report.id).summary != "変更した概要"


def test_another_projects_indicator_is_refused_and_nothing_changes(staff, city):
    report, indicator = report_with_plan(city, plan_year=2026, report_year=2026)
    _other_report, other = report_with_plan(city, plan_year=2026, report_year=2026)
    _html, values = form_page(staff, f"/admin/completion_report/edit/?id={report.id}")
    values[f"indicator_actual_{indicator.id}"] = "10"
    values[f"indicator_actual_{other.id}"] = "999"
    values["summary"] = "変更した概要"
    response = staff.post(f"/admin/completion_report/edit/?id={report.id}", data=values)
    page = response.get_data(as_text=True)
    assert "この事業報告書の事業計画にない評価項目の実績値は登録できません" in page
    db.session.expire_all()
    assert db.session.get(type(other), other.id).actual_value is None
    assert db.session.get(type(indicator), indicator.id).actual_value is None
    assert db.session.get(type(report), report.id).summary != "変更した概要"
