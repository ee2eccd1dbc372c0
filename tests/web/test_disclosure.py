"""The public disclosure page: adopted projects, partners, amounts, results; no internal fields."""

from __future__ import annotations

from kyodo_admin.extensions import db

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
    db.session.commit()

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
