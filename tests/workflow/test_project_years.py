"""Projects over several fiscal years: the programme's rule for each year's city share (at
its edges), a project through year one's continuation review into year two with year-scoped
guards and rights, and the refusals that name the year and the rule with nothing saved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kyodo_admin.errors import ValidationFailed
from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, CompletionReport, Project, ProjectPlan, ProjectYear
from kyodo_admin.models.user import Role
from kyodo_admin.services.programme import (
    Rule,
    city_share_problem,
    parse_ratios,
    record_decision,
    rule_for,
)
from kyodo_admin.workflow.rights import read_only_reason

from ..conftest import csrf_from, enter_city, flashes, form_page
from ..factories import (
    AgreementFactory,
    CityFactory,
    CollaborationTypeFactory,
    CompletionReportFactory,
    CostShareFactory,
    EvaluationFactory,
    ProjectFactory,
    ProjectPlanFactory,
    RoleShareFactory,
    UserFactory,
)
from .test_transitions import fire, status_of

CHIKUMA = Rule(max_years=3, yearly_cap=500_000, ratios=(80, 70, 60))


@pytest.mark.parametrize("year,city,organization,over", [
    (1, 500_000, 125_000, None),          # exactly at the cap, exactly 80 %
    (1, 500_001, 200_000, "上限 500,000円 を 1円 超えています"),
    (2, 350_000, 150_000, None),          # exactly 70 %
    (2, 350_001, 149_999, "事業費の70％です（事業費 500,000円 のうち 350,000円 まで）。"
                          "市の負担額 350,001円 は 1円 超えています"),
    (3, 300_000, 200_000, None),          # exactly 60 %
    (3, 300_001, 200_000, "事業費の60％"),
    (4, 300_001, 200_000, "事業費の60％"),  # the last ratio holds for later years
])
def test_the_city_share_rule_at_its_edges(year, city, organization, over):
    problem = city_share_problem(CHIKUMA, year, 2026 + year - 1, city, organization)
    if over is None:
        assert problem is None
    else:
        assert problem is not None and over in problem
        assert f"第{year}年度（令和{8 + year - 1}年度）" in problem


def test_no_rule_is_no_limit_and_ratios_are_read_as_people_write_them():
    assert city_share_problem(Rule(1, None, ()), 1, 2026, 10**9, 0) is None
    assert parse_ratios("８０、７０，６０％") == (80, 70, 60)
    assert parse_ratios("") == ()
    for bad in ("80,abc", "0", "101", "80;70"):
        with pytest.raises(ValidationFailed, match="1から100までの整数"):
            parse_ratios(bad)


@pytest.fixture
def city(app):
    city = CityFactory(settings={"max_years": 3, "yearly_cap": 500_000,
                                 "share_ratios": "80,70,60"})
    enter_city(city)
    return city


@pytest.fixture
def staff(city, client, login_as):
    user = UserFactory(city=city, role=Role.STAFF.value)
    login_as(user)
    return user


def test_a_collaboration_type_has_its_own_rule_field_by_field(city):
    own = CollaborationTypeFactory(city=city, share_ratios="100", max_years=2)
    assert rule_for(city) == CHIKUMA
    assert rule_for(city, own) == Rule(max_years=2, yearly_cap=500_000, ratios=(100,))


def agreement_form(client, project, city_amount: str, organization_amount: str,
                   fiscal_year: int | None = None):
    html, values = form_page(client, f"/admin/agreement/new/?project={project.id}")
    values.update({"project": str(project.id), "title": "協定書", "start_date": "2026-04-01",
                   "end_date": "2027-03-31", "cost_shares-0-item": "講師謝礼",
                   "cost_shares-0-city_amount": city_amount,
                   "cost_shares-0-organization_amount": organization_amount})
    if fiscal_year is not None:
        values["fiscal_year"] = str(fiscal_year)
    return client.post("/admin/agreement/new/", data=values, follow_redirects=True)


def agreements_of(project) -> int:
    return db.session.execute(select(func.count()).select_from(Agreement).where(
        Agreement.project_id == project.id)).scalar_one()


def test_an_agreement_over_the_years_share_is_refused_naming_the_rule(client, city, staff):
    project = ProjectFactory(city=city)
    html = agreement_form(client, project, "500001", "500000").get_data(as_text=True)
    assert any("第1年度（令和8年度）の市の負担額 500,001円 は、1年度の上限 500,000円 を 1円 超えて"
               in m for m in flashes(html))
    assert agreements_of(project) == 0
    assert 'value="500001"' in html  # what was typed stays on the form
    html = agreement_form(client, project, "400000", "99999").get_data(as_text=True)
    assert any("事業費の80％です" in m for m in flashes(html)) and agreements_of(project) == 0
    agreement_form(client, project, "400000", "100000")  # exactly 80 %
    saved = db.session.execute(select(Agreement).where(Agreement.project_id == project.id)) \
        .scalar_one()
    assert (saved.fiscal_year, saved.city_cost_total) == (2026, 400_000)


def test_an_agreement_for_a_year_the_project_does_not_run_in_is_refused(client, city, staff):
    project = ProjectFactory(city=city)
    html = agreement_form(client, project, "1000", "0", fiscal_year=2027).get_data(as_text=True)
    assert any("協定書の年度（令和9年度）は、この協働事業の年度（令和8年度）にありません" in m
               for m in flashes(html))
    assert agreements_of(project) == 0


def evaluated_year(city, project, fiscal_year: int):
    """The year the project is in, carried to evaluated: its report submitted and the three
    sides' evaluations registered (the screens' steps are tested elsewhere)."""
    report = db.session.execute(select(CompletionReport).where(
        CompletionReport.project_id == project.id,
        CompletionReport.fiscal_year == fiscal_year)).scalar_one()
    report.submitted_on = dt.date(fiscal_year + 1, 4, 20)
    db.session.commit()
    return report


def decide(client, project, decision: str, reasons: str = "成果が上がっている",
           conditions: str = "", on: str = "2026-05-20"):
    html = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    version = re.search(r'name="loaded_version" value="(\d+)"', html).group(1)
    return client.post(f"/admin/project/year_decision/{project.id}", data={
        "csrf_token": csrf_from(html), "loaded_version": version, "decision": decision,
        "decided_on": on, "decision_reasons": reasons, "decision_conditions": conditions},
        follow_redirects=True)


def test_a_project_through_year_one_into_year_two(client, city, staff):
    project = ProjectFactory(city=city, status="planning", start_date=dt.date(2025, 4, 1),
                             end_date=dt.date(2026, 3, 31))
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=2025)
    first = AgreementFactory(city=city, project=project, start_date=dt.date(2025, 4, 1),
                             end_date=dt.date(2026, 3, 31))
    RoleShareFactory(city=city, agreement=first)
    fire(client, "agreement", first, "sign", on=dt.date(2025, 4, 1))
    fire(client, "project", project, "start", on=dt.date(2025, 4, 1))
    fire(client, "project", project, "complete", on=dt.date(2026, 3, 31))
    report = evaluated_year(city, project, 2025)
    fire(client, "project", project, "accept_report")
    for side in ("city", "organization"):
        EvaluationFactory(city=city, project=project, completion_report=report, side=side)
    fire(client, "project", project, "finish_evaluation")
    EvaluationFactory(city=city, project=project, completion_report=report, side="council")
    assert status_of(project) == "evaluated"

    # No decision yet: no next year.
    page = fire(client, "project", project, "continue").get_data(as_text=True)
    assert any("第1年度（令和7年度）の継続審査の結果（継続）が記録されていません" in m
               for m in flashes(page))
    # A decision with conditions needs them; the typed reasons stay on the page.
    page = decide(client, project, "continue_with_conditions", reasons="地域の参加が広がった")
    assert any("継続の条件を入力してください" in m for m in flashes(page.get_data(as_text=True)))
    assert "地域の参加が広がった" in page.get_data(as_text=True)
    decide(client, project, "continue_with_conditions", reasons="地域の参加が広がった",
           conditions="第2年度は参加者数を報告すること")
    page = fire(client, "project", project, "close").get_data(as_text=True)
    assert any("継続審査で「継続」と決定されています" in m for m in flashes(page))
    fire(client, "project", project, "continue")
    assert status_of(project) == "planning"
    db.session.expire_all()
    years = db.session.execute(select(ProjectYear).where(ProjectYear.project_id == project.id)
                               .order_by(ProjectYear.year_number)).scalars().all()
    assert [(y.year_number, y.fiscal_year, y.decision, y.completed_on) for y in years] == [
        (1, 2025, "continue_with_conditions", dt.date(2026, 3, 31)), (2, 2026, "", None)]
    assert db.session.get(Project, project.id).completed_on is None

    # Year one's records are its record now.
    assert "前の年度" in read_only_reason(db.session.get(ProjectPlan, plan.id), Role.STAFF.value)
    assert "前の年度" in read_only_reason(db.session.get(CompletionReport, report.id),
                                        Role.STAFF.value)
    # Year two is agreed on year two's agreement, not year one's.
    page = fire(client, "project", project, "agree").get_data(as_text=True)
    assert any("第2年度（令和8年度）の締結済の協定書がありません" in m for m in flashes(page))
    second = AgreementFactory(city=city, project=project, start_date=dt.date(2026, 4, 1),
                              end_date=dt.date(2027, 3, 31))
    assert second.fiscal_year == 2026  # made without its year: the year the project is in
    RoleShareFactory(city=city, agreement=second)
    fire(client, "agreement", second, "sign", on=dt.date(2026, 4, 1))
    assert status_of(project) == "agreed"
    fire(client, "project", project, "start", on=dt.date(2026, 4, 1))
    fire(client, "project", project, "complete", on=dt.date(2026, 11, 30))
    reports = db.session.execute(select(CompletionReport.fiscal_year).where(
        CompletionReport.project_id == project.id).order_by(CompletionReport.fiscal_year)) \
        .scalars().all()
    assert reports == [2025, 2026]  # year two's report, due after year two
    from kyodo_admin.documents.context import build_context
    from kyodo_admin.documents.render import render
    from kyodo_admin.documents.starter import starter

    from ..test_demo_documents import docx_text

    context = build_context("agreement", db.session.get(Agreement, second.id))
    year = context["year"]
    assert (year["label"], year["fiscal_year"], year["count"]) == ("第2年度", 2026, 2)
    # Year two's agreement says which part of the project's period it is.
    text, _items = docx_text(render(starter("agreement", None), context))
    assert "本事業の期間は、令和8年4月1日から令和9年3月31日までとする。この期間は、令和7年4月1日" \
           "から令和9年3月31日まで複数年度にわたり実施する本事業の第2年度（令和8年度）に当たる。" in text
    page = fire(client, "project", project, "accept_report").get_data(as_text=True)
    assert any("第2年度（令和8年度）の提出日の記録された事業報告書がありません" in m
               for m in flashes(page))


def test_no_year_past_the_programmes_last(client, city, staff):
    city_type = CollaborationTypeFactory(city=city, max_years=1)
    project = ProjectFactory(city=city, status="evaluated", collaboration_type=city_type)
    page = decide(client, project, "continue").get_data(as_text=True)
    assert any("第1年度（令和8年度）は、この事業の最終年度です（規定: 最長1年度" in m
               for m in flashes(page))
    db.session.expire_all()
    assert db.session.get(Project, project.id).current_year.decision == ""
    with pytest.raises(ValidationFailed, match="最終年度"):
        record_decision(db.session.get(Project, project.id), "continue",
                        dt.date(2027, 5, 1), "理由", "")


def test_the_ledger_home_screen_and_disclosure_follow_the_year(client, city, staff):
    """A project in its second year is in the ledger, the home screen and the disclosure of
    both its years, with that year's agreement, state and report."""
    from kyodo_admin.services.dashboard import dashboard_summary
    from kyodo_admin.services.ledger import ledger_rows

    project = ProjectFactory(city=city, status="running", title="見守りの輪（2か年）",
                             start_date=dt.date(2025, 4, 1), end_date=dt.date(2027, 3, 31))
    first = db.session.execute(select(ProjectYear).where(
        ProjectYear.project_id == project.id)).scalar_one()
    first.decision, first.decided_on = "continue", dt.date(2026, 5, 25)
    db.session.add(ProjectYear(city_id=city.id, project_id=project.id, fiscal_year=2026,
                               year_number=2))
    db.session.commit()
    for year, amount in ((2025, 400_000), (2026, 450_000)):
        agreement = AgreementFactory(city=city, project=project, status="signed",
                                     fiscal_year=year, start_date=dt.date(year, 4, 1),
                                     end_date=dt.date(year + 1, 3, 31))
        CostShareFactory(city=city, agreement=agreement, city_amount=amount,
                         organization_amount=100_000)
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2025,
                                     submitted_on=dt.date(2026, 4, 20),
                                     summary="協力員28人が延べ400回訪問した。")
    for side in ("city", "organization", "council"):
        EvaluationFactory(city=city, project=project, completion_report=report, side=side,
                          rating="B")
    db.session.expire_all()

    one, two = ledger_rows(db.session, 2025), ledger_rows(db.session, 2026)
    assert [(r.title, r.state, r.agreement.city_cost_total) for r in one] == [
        ("見守りの輪（2か年）（第1年度）", "継続（次の年度へ）", 400_000)]
    assert [(r.title, r.state, r.agreement.city_cost_total) for r in two] == [
        ("見守りの輪（2か年）（第2年度）", "実施中", 450_000)]
    counts = {y: {k: n for k, _label, n in dashboard_summary(
        db.session, staff, today=dt.date(2026, 12, 1), fiscal_year=y).projects_by_state if n}
        for y in (2025, 2026)}
    assert counts == {2025: {"continued": 1}, 2026: {"running": 1}}

    earlier = client.get(f"/disclosure/{city.slug}/?year=2025").get_data(as_text=True)
    assert "見守りの輪（2か年）" in earlier and "協力員28人が延べ400回訪問した。" in earlier
    assert "令和7年度は第1年度（全2年度）" in earlier and "継続（次の年度へ）" in earlier
    now = client.get(f"/disclosure/{city.slug}/?year=2026").get_data(as_text=True)
    assert "令和8年度は第2年度（全2年度）" in now and "実施中" in now
    assert "市 450,000円" in now


def test_a_report_for_a_year_the_project_has_not_reached_is_refused(client, city, staff):
    project = ProjectFactory(city=city, status="completed", completed_on=dt.date(2026, 11, 30))
    _html, values = form_page(client, "/admin/completion_report/new/")
    values.update({"project": str(project.id), "fiscal_year": "2027", "summary": "来年度の報告"})
    html = client.post("/admin/completion_report/new/", data=values,
                       follow_redirects=True).get_data(as_text=True)
    assert any("事業報告書の年度（令和9年度）は、この協働事業の年度（令和8年度）にありません" in m
               for m in flashes(html))
    assert db.session.execute(select(func.count()).select_from(CompletionReport)).scalar_one() == 0
    assert "来年度の報告" in html  # what was typed stays


def test_the_plan_shows_the_years_city_share_beside_the_rule(client, city, staff):
    project = ProjectFactory(city=city, start_date=dt.date(2026, 4, 1))
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=2026)
    db.session.commit()
    page = client.get(f"/admin/project_plan/details/?id={plan.id}").get_data(as_text=True)
    assert "この年度の協定書はまだありません。" in page
    agreement = AgreementFactory(city=city, project=project, fiscal_year=2026)
    CostShareFactory(city=city, agreement=agreement, city_amount=400_000,
                     organization_amount=100_000)
    db.session.commit()
    page = client.get(f"/admin/project_plan/details/?id={plan.id}").get_data(as_text=True)
    share = page.split('id="plan-city-share">')[1].split("</p>")[0]
    assert "第1年度（令和8年度）の市の負担割合は 80.0％（規定: 80％まで、1年度500,000円まで）" in share
    assert "締結前" in share


def test_an_amendment_is_of_its_year_and_keeps_to_that_years_rule(client, city, staff):
    """変更協定 of year two: made for year two, checked against year two's 70 %, and signing
    it supersedes year two's agreement only (year one's stays signed)."""
    project = ProjectFactory(city=city, status="agreed", start_date=dt.date(2025, 4, 1),
                             end_date=dt.date(2028, 3, 31))
    project.years.append(ProjectYear(city_id=city.id, fiscal_year=2026, year_number=2))
    db.session.commit()
    first = AgreementFactory(city=city, project=project, fiscal_year=2025, status="signed")
    second = AgreementFactory(city=city, project=project, fiscal_year=2026, status="signed")
    CostShareFactory(city=city, agreement=second, city_amount=350_000,
                     organization_amount=150_000)
    RoleShareFactory(city=city, agreement=second)
    db.session.commit()
    fire(client, "agreement", second, "amend")
    db.session.expire_all()
    amendment = db.session.execute(select(Agreement).where(
        Agreement.previous_id == second.id)).scalar_one()
    assert amendment.fiscal_year == 2026 and amendment.status == "draft"

    html, values = form_page(client, f"/admin/agreement/edit/?id={amendment.id}")
    values["cost_shares-0-city_amount"] = "350001"
    page = client.post(f"/admin/agreement/edit/?id={amendment.id}", data=values,
                       follow_redirects=True).get_data(as_text=True)
    assert any("第2年度（令和8年度）の市の負担割合の上限は事業費の70％です" in m for m in flashes(page))
    db.session.expire_all()
    assert [c.city_amount for c in db.session.get(Agreement, amendment.id).cost_shares] == [350_000]

    fire(client, "agreement", amendment, "sign", on=dt.date(2026, 6, 1))
    db.session.expire_all()
    assert {a.id: a.status for a in db.session.execute(select(Agreement)).scalars()} == {
        first.id: "signed", second.id: "amended", amendment.id: "signed"}
