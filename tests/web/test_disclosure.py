"""The public disclosure page: adopted projects, partners, amounts, results; no internal fields."""

from __future__ import annotations

import datetime as dt

from kyodo_admin.extensions import db

from ..conftest import statements_of
from ..factories import (
    AgreementFactory,
    CityFactory,
    CompletionReportFactory,
    CostShareFactory,
    EvaluationFactory,
    FormDefinitionFactory,
    IndicatorFactory,
    OrganizationFactory,
    ProjectFactory,
    ProjectPlanFactory,
)

REPORT_SCHEMA = {"sections": [{"title": "成果", "fields": [
    {"name": "results", "label": "実施した内容と成果", "type": "textarea"},
    {"name": "staff_memo", "label": "担当課メモ", "type": "textarea", "internal": True},
]}]}


def test_disclosure_shows_adopted_projects_without_internal_fields(app, client):
    city = CityFactory(slug="minato", name="みなと市")
    partner = OrganizationFactory(city=city, name="NPO法人 川を守る会")
    project = ProjectFactory(city=city, title="川辺の協働事業", organization=partner, status="evaluated")
    agreement = AgreementFactory(city=city, project=project, status="signed")
    CostShareFactory(city=city, agreement=agreement, city_amount=400_000, organization_amount=100_000)
    plan = ProjectPlanFactory(city=city, project=project, fiscal_year=2026, purpose="川を身近に")
    IndicatorFactory(city=city, project_plan=plan, name="観察会の参加者", unit="人",
                     target_value=100, actual_value=120)
    definition = FormDefinitionFactory(city=city, kind="completion_report", status="published",
                                       schema=REPORT_SCHEMA)
    report = CompletionReportFactory(city=city, project=project, fiscal_year=2026,
                                     form_definition=definition,
                                     answers={"results": "観察会を4回開いた", "staff_memo": "予算流用の相談あり"})
    EvaluationFactory(city=city, project=project, completion_report=report, side="council",
                      rating="A", comment="目標を上回った")
    ProjectFactory(city=city, title="まだ検討中の事業", status="planning")
    ProjectFactory(city=CityFactory(), title="他市の事業", status="running")

    response = client.get("/disclosure/minato/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "川辺の協働事業" in html and "NPO法人 川を守る会" in html
    assert "市 400,000円／団体 100,000円" in html
    assert "観察会の参加者" in html and "120%" in html
    assert "観察会を4回開いた" in html and "A（目標を上回った）" in html
    assert "予算流用の相談あり" not in html and "担当課メモ" not in html
    assert "まだ検討中の事業" not in html and "他市の事業" not in html


def test_unknown_city_is_not_found(app, client):
    assert client.get("/disclosure/nowhere/").status_code == 404


def grow(city, count: int, year: int = 2026) -> None:
    for i in range(count):
        project = ProjectFactory(city=city, title=f"公開事業{year}-{i:03d}", status="evaluated",
                                 start_date=dt.date(year, 4, 1), end_date=dt.date(year + 1, 3, 31))
        agreement = AgreementFactory(city=city, project=project, status="signed")
        CostShareFactory(city=city, agreement=agreement, city_amount=1000, organization_amount=0)
        plan = ProjectPlanFactory(city=city, project=project, fiscal_year=year)
        IndicatorFactory(city=city, project_plan=plan, name="参加者", unit="人", target_value=10,
                         actual_value=12)
        report = CompletionReportFactory(city=city, project=project, fiscal_year=year)
        EvaluationFactory(city=city, project=project, completion_report=report, side="city")


def test_disclosure_is_one_year_a_page_at_a_time_at_a_fixed_cost(app, client):
    from kyodo_admin.services.disclosure import PAGE_SIZE

    city = CityFactory(slug="minato", name="みなと市")
    grow(city, 3, year=2025)
    grow(city, 2)
    db.session.commit()
    small = len(statements_of(client, "/disclosure/minato/"))
    grow(city, PAGE_SIZE + 3)  # 2026 now has PAGE_SIZE + 5 projects
    db.session.commit()
    assert len(statements_of(client, "/disclosure/minato/")) == small  # whatever the city's size

    html = client.get("/disclosure/minato/").get_data(as_text=True)  # the latest year
    assert html.count('class="card mb-4 project"') == PAGE_SIZE
    assert "公開事業2025-" not in html and f"{PAGE_SIZE + 5}件（1／2ページ）" in html
    assert "令和7年度" in html  # the other year is a link
    second = client.get("/disclosure/minato/?year=2026&page=2").get_data(as_text=True)
    assert second.count('class="card mb-4 project"') == 5 and "公開事業2026-000" in second
    earlier = client.get("/disclosure/minato/?year=2025").get_data(as_text=True)
    assert earlier.count('class="card mb-4 project"') == 3 and "公開事業2026-" not in earlier
    # A page or year that cannot be shows the nearest that can, never an error.
    assert client.get("/disclosure/minato/?year=2026&page=99").status_code == 200
    assert client.get("/disclosure/minato/?year=99999&page=-3").status_code == 200


def test_the_page_is_read_once_and_shows_a_change_at_once(app, client, login_as):
    from kyodo_admin.models import Role

    from ..conftest import form_page
    from ..factories import UserFactory

    city = CityFactory(slug="minato", name="みなと市")
    grow(city, 2)
    project = ProjectFactory(city=city, title="名前の変わる事業", status="running")
    edit_url = f"/admin/project/edit/?id={project.id}"
    first = statements_of(client, "/disclosure/minato/")
    again = statements_of(client, "/disclosure/minato/")
    assert len(again) < len(first) and not any("FROM project" in s for s in again)
    ProjectFactory(city=CityFactory(), title="他市の事業", status="running")
    assert len(statements_of(client, "/disclosure/minato/")) == len(again)

    # Staff rename a disclosed project on its edit screen: the public page shows the new title.
    staff = login_as(UserFactory(city=city, role=Role.STAFF.value))
    _html, values = form_page(staff, edit_url)
    values["title"] = "新しい名前の事業"
    assert staff.post(edit_url, data=values).status_code == 302
    html = client.get("/disclosure/minato/").get_data(as_text=True)
    assert "新しい名前の事業" in html and "名前の変わる事業" not in html
