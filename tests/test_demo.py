"""``kyodo demo``: the five seed cities, idempotent, and every screen answers its users."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kyodo_admin import create_app
from kyodo_admin.admin import VIEWS
from kyodo_admin.demo import CITIES, DEMO_LOGINS
from kyodo_admin.extensions import db
from kyodo_admin.formschema.definition import filled_values
from kyodo_admin.models import (
    Agreement,
    City,
    CompletionReport,
    Criterion,
    Evaluation,
    Indicator,
    Organization,
    Project,
    ProjectPlan,
    Proposal,
    ReviewScore,
    User,
)
from kyodo_admin.models.organization import corporate_number_is_valid
from kyodo_admin.models.proposal import PROPOSAL_STATES
from kyodo_admin.permissions import can_create, can_edit, can_view
from kyodo_admin.services.reviews import check_score
from kyodo_admin.services.users import DEMO_PASSWORD
from kyodo_admin.tenancy import all_cities
from kyodo_admin.workflow.rights import read_only_reason

from .conftest import login

SLUGS = ["kamakura", "saitama", "hachioji", "koganei", "kunitachi"]


def table_counts():
    from kyodo_admin.models import Base

    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables}


def test_demo_is_idempotent(demo_app):
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        before = table_counts()
    second = demo_app.test_cli_runner().invoke(args=["kyodo", "demo"])
    assert second.exit_code == 0, second.output
    assert "(0 new records)" in second.output
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        assert table_counts() == before
        assert before["audit_event"] > 0


def test_demo_has_the_five_cities_and_the_whole_cycle(demo_app):
    assert [c["slug"] for c in CITIES] == SLUGS
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        cities = {c.slug: c for c in db.session.execute(select(City)).scalars()}
        assert set(cities) == set(SLUGS)
        assert cities["kamakura"].name == "鎌倉市" and cities["saitama"].name == "埼玉県"
        for city in cities.values():
            states = set(db.session.execute(
                select(Proposal.status).where(Proposal.city_id == city.id)).scalars())
            assert states == set(PROPOSAL_STATES), city.slug
            reproposal = db.session.execute(select(Proposal).where(
                Proposal.city_id == city.id, Proposal.parent_id.is_not(None))).scalar_one()
            assert reproposal.parent.status == "returned"
            project = db.session.execute(select(Project).where(
                Project.city_id == city.id, Project.status == "evaluated")).scalar_one()
            plan = db.session.execute(select(ProjectPlan).where(
                ProjectPlan.project_id == project.id)).scalar_one()
            assert len(plan.indicators) == 3
            agreement = db.session.execute(select(Agreement).where(
                Agreement.project_id == project.id)).scalar_one()
            assert agreement.role_shares and agreement.cost_shares
            assert agreement.city_cost_total == 1_000_000
            report = db.session.execute(select(CompletionReport).where(
                CompletionReport.project_id == project.id)).scalar_one()
            sides = {e.side for e in db.session.execute(select(Evaluation).where(
                Evaluation.completion_report_id == report.id)).scalars()}
            assert sides == {"city", "organization", "council"}
        kamakura = cities["kamakura"]
        criteria = set(db.session.execute(select(Criterion.name).where(
            Criterion.city_id == kamakura.id)).scalars())
        assert {"公益性", "新たな公共サービス", "継続性", "相乗効果", "市民参加の領域"} <= criteria
        assert len(criteria) == 6
        # Three a city on its finished project; Kamakura's projects over several years
        # (つながる鎌倉エール: up to three) add one a year.
        assert db.session.execute(select(func.count()).select_from(Indicator)).scalar_one() == 18
        going = db.session.execute(select(Project).where(
            Project.city_id == kamakura.id, Project.title == "高齢者の見守り協働事業（3か年）")) \
            .scalar_one()
        assert going.status == "running"
        assert [(y.year_number, y.fiscal_year, y.decision) for y in going.years] == [
            (1, 2025, "continue"), (2, 2026, "")]
        ended = db.session.execute(select(Project).where(
            Project.city_id == kamakura.id, Project.title == "海辺の清掃と学習の協働事業")) \
            .scalar_one()
        assert ended.status == "closed" and [y.decision for y in ended.years] == ["end"]
        numbers = db.session.execute(select(Organization.corporate_number).where(
            Organization.corporate_number != "")).scalars().all()
        assert numbers and all(corporate_number_is_valid(n) for n in numbers)


def test_demo_logins(demo_app):
    assert len(DEMO_LOGINS) == 16
    client = demo_app.test_client()
    for username in ("admin", "kamakura-admin", "kunitachi-council"):
        response = login(client, username, DEMO_PASSWORD)
        assert response.status_code == 302, username
        client.post("/logout", data={"csrf_token": _token(client)})


def _token(client):
    from .conftest import csrf_from

    return csrf_from(client.get("/logout").get_data(as_text=True))


@pytest.mark.parametrize("username", ["admin", "kamakura-admin", "kamakura-staff",
                                      "kamakura-council"])
def test_every_screen_answers_200_to_its_users(demo_app, username):
    client = demo_app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        assert client.get("/admin/").status_code == 200
        for _v, model, _c, ep in VIEWS:
            if not can_view(user, model):
                continue
            listing = client.get(f"/admin/{ep}/")
            assert listing.status_code == 200, ep
            html = listing.get_data(as_text=True)
            if can_create(user, model) and ep not in ("generated_document", "audit_event", "attachment", "form_definition", "notice", "project_year"):
                assert client.get(f"/admin/{ep}/new/").status_code == 200, ep
            ids = re.findall(rf"/admin/{ep}/details/\?id=(\d+)", html)
            if ids:
                assert client.get(f"/admin/{ep}/details/?id={ids[0]}").status_code == 200, ep
                if can_edit(user, model) and ep not in ("generated_document", "audit_event", "attachment", "form_definition", "document_template", "notice", "project_year"):
                    # The record itself decides (an evaluation's side); the test sees all cities.
                    record = db.session.get(model, int(ids[0]))
                    expected = 200 if can_edit(user, record) else (
                        302 if read_only_reason(record, user.role) else 403)  # back to its page
                    assert client.get(f"/admin/{ep}/edit/?id={ids[0]}").status_code == expected, ep


def test_demo_scores_fit_their_criteria_and_koganei_checks_eligibility(demo_app):
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        scores = db.session.execute(select(ReviewScore)).scalars().all()
        assert scores
        for score in scores:
            check_score(score)  # recusal, membership and the criterion's range
        koganei = db.session.execute(select(City).where(City.slug == "koganei")).scalar_one()
        checks = db.session.execute(select(Criterion.name).where(
            Criterion.city_id == koganei.id, Criterion.kind == "check")).scalars().all()
        assert set(checks) == {"公益性", "非営利性", "政治・宗教活動でないこと", "公序良俗"}


def test_demo_proposals_agree_with_the_budget_answers_of_their_form(demo_app):
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        checked = 0
        for proposal in db.session.execute(select(Proposal)).scalars():
            if proposal.form_definition is None or "budget_measure" not in proposal.answers:
                continue
            filled = filled_values(proposal.form_definition.schema, proposal.answers)
            assert filled == {"needs_budget": proposal.needs_budget,
                              "budget_amount": proposal.budget_amount}, proposal.title
            checked += 1
        assert checked >= 5 * 7


def test_home_lists_the_overdue_report(demo_app):
    client = demo_app.test_client()
    login(client, "kamakura-staff", DEMO_PASSWORD)
    html = client.get("/admin/").get_data(as_text=True)
    assert "地域環境美化協働事業" in html.split('id="overdue-reports"')[1]


def test_production_refuses_demo_passwords_and_default_secret(demo_app, monkeypatch):
    from kyodo_admin.config import ConfigError

    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    monkeypatch.setenv("KYODO_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": url})
    with pytest.raises(ConfigError, match="デモのパスワードのままです"):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40})


def _all_text(data: bytes) -> str:
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend("|".join(cell.text for cell in row.cells) for row in table.rows)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def test_every_shipped_template_renders_every_demo_record(demo_app):
    """Each seed city's active template of each kind, with each of the city's demo records."""
    from kyodo_admin.documents.context import BUILDERS, build_context, printable
    from kyodo_admin.documents.render import render
    from kyodo_admin.documents.wareki import wareki, yen
    from kyodo_admin.services.documents import active_template

    rendered = reports_with_indicators = notices = 0
    with demo_app.app_context(), all_cities():  # the test inspects every seed city
        for city in db.session.execute(select(City)).scalars():
            for kind, (model, _builder) in BUILDERS.items():
                template = active_template(db.session, city.id, kind)
                assert template is not None, (city.slug, kind)
                records = db.session.execute(select(model).where(
                    model.city_id == city.id, *printable(kind))).scalars().all()
                # Only a city whose programme runs over years decides continuations.
                assert records or kind == "continuation_notice", (city.slug, kind)
                for record in records:
                    context = build_context(kind, record)
                    text = _all_text(render(template.content, context))
                    where = (city.slug, kind, record.id)
                    assert not re.search(r"\{\{|\}\}|\{%|%\}", text), where
                    if "organization" in context and context["organization"]["name"]:
                        assert context["organization"]["name"] in text, where
                    assert re.search(r"令和(元|\d+|　+)年(\d+月\d+日|　+月　+日|度)", text), where
                    dated = getattr(record, "start_date", None) or getattr(record, "decided_on", None)
                    if dated is not None:
                        assert wareki(dated) in text, where
                    if kind == "agreement":
                        for row in record.role_shares:
                            assert f"{row.item}|{row.city_role}|{row.organization_role}" in text, where
                        for row in record.cost_shares:
                            assert f"{row.item}|{yen(row.city_amount)}|{yen(row.organization_amount)}" in text, where
                        assert yen(record.city_cost_total) in text and yen(record.organization_cost_total) in text
                    if kind == "completion_report":
                        for row in context["indicators"]:
                            assert "|".join((row["name"], row["unit"], row["target"], row["actual"],
                                             row["achievement"])) in text, where
                            reports_with_indicators += 1
                    if kind == "continuation_notice":
                        assert context["decision"]["reasons"] in text, where
                        assert f"第{record.year_number}年度" in text, where
                        notices += 1
                    rendered += 1
    assert rendered >= 5 * (len(BUILDERS) - 1) and reports_with_indicators >= 5 and notices >= 2
