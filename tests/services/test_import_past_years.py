"""A city brings its past years: project plans with their indicators, agreements with their
role and cost rows (signed through the workflow on their 締結日), and completion reports
(the project completed through the workflow on its 事業完了日) — each a row per line, in the
order the screens make them; a file that cannot say one thing is refused with its line and
nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kyodo_admin.errors import ValidationFailed
from kyodo_admin.extensions import db
from kyodo_admin.models import (
    Agreement,
    AuditEvent,
    CompletionReport,
    Indicator,
    Project,
    ProjectPlan,
)
from kyodo_admin.services.imports import auto_mapping, check, import_table, read_table, targets

from ..conftest import enter_city
from ..factories import CityFactory, OrganizationFactory, ProjectFactory, UserFactory
from .test_imports import xlsx

PLAN_HEADERS = ["事業名", "年度", "目的", "指標", "単位", "目標値", "実績値"]
AGREEMENT_HEADERS = ["事業名", "協定の件名", "期間（開始日～終了日）", "締結日", "甲（市）", "乙（団体）",
                     "役割分担の項目", "市の役割", "団体の役割", "費目", "市の負担額", "団体の負担額"]
REPORT_HEADERS = ["事業名", "事業完了日", "提出日", "事業の概要・成果", "決算額"]


@pytest.fixture
def city(app):
    city = CityFactory(slug="kamakura", name="鎌倉市")
    enter_city(city)
    partner = OrganizationFactory(city=city, name="NPO法人うみ")
    ProjectFactory(city=city, organization=partner, title="海辺の清掃（第2期）",
                   start_date=dt.date(2025, 4, 1), end_date=dt.date(2026, 3, 31), fiscal_year=2025)
    db.session.commit()
    return city


def run(city, kind: str, rows: list[list], headers: list[str]):
    table = read_table(f"{kind}.xlsx", xlsx(rows, headers=headers))
    mapping = auto_mapping(targets(db.session, city.id, kind), table.headers, {})
    assert set(mapping.values()) == set(headers)  # every column found by its name
    return import_table(db.session, city, kind, table, mapping, f"{kind}.xlsx",
                        UserFactory(city=city, role="staff"))


def test_a_past_year_arrives_plan_agreement_and_report_through_the_workflow(city):
    # the plan: one row per indicator, what the plan says written once
    assert run(city, "project_plan", [
        ["海辺の清掃（第２期）", "令和7年度", "海岸の美化", "参加者数", "人", 100, 120],
        ["海辺の清掃（第2期）", "R7", None, "清掃回数", "回", "１０", 12],
    ], PLAN_HEADERS) == (1, 0, 0)
    plan = db.session.execute(select(ProjectPlan)).scalar_one()
    assert (plan.project.title, plan.fiscal_year, plan.purpose) == ("海辺の清掃（第2期）", 2025, "海岸の美化")
    assert [(i.name, i.unit, i.target_value, i.actual_value) for i in plan.indicators] == [
        ("参加者数", "人", 100, 120), ("清掃回数", "回", 10, 12)]

    # the agreement: a role line and a cost line; its 締結日 signs it (and the project is agreed)
    assert run(city, "agreement", [
        ["海辺の清掃（第2期）", "海辺の清掃に関する協定書", "令和7年4月1日～令和8年3月31日", "R7.4.1",
         "鎌倉市長", "NPO法人うみ 代表", "会場", "会場の確保", "当日の運営", None, None, None],
        ["海辺の清掃（第2期）", "海辺の清掃に関する協定書", None, None, None, None,
         None, None, None, "消耗品費", "100,000円", "2万円"],
    ], AGREEMENT_HEADERS) == (1, 0, 0)
    agreement = db.session.execute(select(Agreement)).scalar_one()
    assert (agreement.status, agreement.signed_on, agreement.start_date, agreement.end_date) == (
        "signed", dt.date(2025, 4, 1), dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert [(r.item, r.city_role) for r in agreement.role_shares] == [("会場", "会場の確保")]
    assert [(c.item, c.city_amount, c.organization_amount) for c in agreement.cost_shares] == [
        ("消耗品費", 100_000, 20_000)]
    assert agreement.project.status == "agreed"

    # the report: the project started and completed on its day, the report filled in
    assert run(city, "completion_report", [
        ["海辺の清掃（第2期）", "令和8年3月31日", "令和8年4月20日", "延べ120人が参加", 95_000],
    ], REPORT_HEADERS) == (1, 0, 0)
    project = db.session.execute(select(Project)).scalar_one()
    assert (project.status, project.completed_on) == ("completed", dt.date(2026, 3, 31))
    report = db.session.execute(select(CompletionReport)).scalar_one()
    assert (report.fiscal_year, report.submitted_on, report.summary, report.actual_cost) == (
        2025, dt.date(2026, 4, 20), "延べ120人が参加", 95_000)
    assert report.due_on is not None  # as the completion by hand sets it
    steps = db.session.execute(select(AuditEvent.comment).where(
        AuditEvent.action == "transition").order_by(AuditEvent.id)).scalars().all()
    assert sorted(s.split(":")[0] for s in steps) == sorted(
        ["締結する", "協定締結済にする", "事業を開始する", "事業完了とする"])


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (ProjectPlan, Indicator, Agreement, CompletionReport))


@pytest.mark.parametrize("kind,rows,headers,message", [
    ("project_plan", [["海辺の清掃（第2期）", "R7", "美化", "参加者数", "人", 100, None],
                      ["海辺の清掃（第2期）", "R7", "交流", "清掃回数", "回", 10, None]], PLAN_HEADERS,
     "3行目「目的」: 2行目と同じ事業計画の行ですが、目的が違います（「美化」と「交流」）"),
    ("project_plan", [["山の学校", "R7", "美化", "参加者数", "人", 100, None]], PLAN_HEADERS,
     "2行目「事業名」: 協働事業「山の学校」がありません"),
    ("project_plan", [["海辺の清掃（第2期）", "R7", "美化", "参加者数", "人", "百", None]], PLAN_HEADERS,
     "2行目「目標値」: 数値として読めません"),
    ("project_plan", [["海辺の清掃（第2期）", "R8", "美化", "参加者数", "人", 100, None]], PLAN_HEADERS,
     "2行目「年度」: 事業計画の年度（令和8年度）は、この協働事業の年度（令和7年度）にありません"),
    ("agreement", [["海辺の清掃（第2期）", "協定書", None, "R7.4.1", "市長", "代表",
                    "会場", "会場の確保", "運営", None, None, None]], AGREEMENT_HEADERS,
     "2行目「締結日」: 「締結する」はまだ行えません: 締結の前に協定期間（開始日・終了日）を入力してください。"),
    ("completion_report", [["海辺の清掃（第2期）", "R8.3.31", None, "成果", None]], REPORT_HEADERS,
     "2行目「事業完了日」: 「海辺の清掃（第2期）」は詳細検討中です。事業報告書を取り込めるのは"),
    ("completion_report", [["海辺の清掃（第2期）", "令和7年2月30日", None, "成果", None]], REPORT_HEADERS,
     "2行目「事業完了日」:"),
])
def test_what_a_past_year_file_cannot_say_is_refused_with_its_line(city, kind, rows, headers,
                                                                    message):
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        run(city, kind, rows, headers)
    assert message in str(refused.value), str(refused.value)
    db.session.rollback()  # as the worker does with a refusal
    assert counts() == before
    assert db.session.execute(select(Project.status)).scalar_one() == "planning"


def test_a_project_name_two_projects_share_is_named_as_such(city):
    ProjectFactory(city=city, title="海辺の清掃(第2期)")  # the same name in another width
    db.session.commit()
    table = read_table("plan.xlsx", xlsx([["海辺の清掃（第2期）", "R7", "美化", None, None, None, None]],
                                         headers=PLAN_HEADERS))
    mapping = auto_mapping(targets(db.session, city.id, "project_plan"), table.headers, {})
    assert [str(e) for e in check(db.session, city, "project_plan", table, mapping).errors] == [
        "2行目「事業名」: 「海辺の清掃（第2期）」という名前の協働事業が2件以上あります"
        "（名前を変えて区別してから取り込んでください）"]


def test_a_past_agreement_keeps_to_its_year_and_the_programmes_rule(city):
    """A year the project does not run in, or a city share over the yearly cap, is an error
    of its line naming the year and the rule; nothing is stored."""
    city.settings = {"yearly_cap": 500_000}
    db.session.commit()
    headers = [*AGREEMENT_HEADERS, "年度"]
    row = ["海辺の清掃（第2期）", "協定書", "令和7年4月1日～令和8年3月31日", None, "市長", "代表",
           "会場", "会場の確保", "運営", "委託料", "500,001", 0]
    before = counts()
    for year, message in (("R8", "2行目「年度」: 協定書の年度（令和8年度）は、この協働事業の年度"
                                 "（令和7年度）にありません"),
                          ("R7", "2行目「市の負担額」: 第1年度（令和7年度）の市の負担額 500,001円 は、"
                                 "1年度の上限 500,000円 を 1円 超えています")):
        with pytest.raises(ValidationFailed) as refused:
            run(city, "agreement", [[*row, year]], headers)
        assert message in str(refused.value), str(refused.value)
        db.session.rollback()
        assert counts() == before
    assert run(city, "agreement", [[*row[:10], "500,000", 0, "R7"]], headers) == (1, 0, 0)
    assert db.session.execute(select(Agreement.fiscal_year)).scalar_one() == 2025
