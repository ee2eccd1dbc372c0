"""The whole cycle on the Kamakura demo, over HTTP, as the users who do each step.

proposal at the public entrance → step 1 (the council user recused) → step 2 →
project → plan → signed agreement → completion → report → both evaluations →
council verification → closed, with each step's Word document issued; and a
rejected proposal with advice, proposed again.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from kyodo_admin import create_app, tenancy
from kyodo_admin.extensions import db
from kyodo_admin.formschema.definition import fields_of
from kyodo_admin.formschema.forms import field_key
from kyodo_admin.formschema.types import REGISTRY
from kyodo_admin.models import (
    Agreement,
    City,
    CompletionReport,
    CouncilMember,
    Evaluation,
    GeneratedDocument,
    Meeting,
    Project,
    ProjectPlan,
    Proposal,
    Review,
    ReviewScore,
)
from kyodo_admin.services.form_definitions import current_definition
from kyodo_admin.services.users import DEMO_PASSWORD

from .conftest import IsolatedClient, app_config, csrf_from, database_url, flashes, form_page, login


@pytest.fixture(scope="module")
def cycle_app(backend, tmp_path_factory):
    app = create_app(app_config(database_url(backend, tmp_path_factory, "cycle")))
    app.test_client_class = IsolatedClient
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def one(stmt):
    with db.session.no_autoflush:
        return db.session.execute(stmt).scalar_one()


def configured_values(kind: str, city_slug: str = "kamakura") -> dict[str, object]:
    """POST values for every field of the city's current form of ``kind`` (example answers)."""
    city = one(select(City).where(City.slug == city_slug))
    definition = current_definition(db.session, city.id, kind)
    values: dict[str, object] = {}
    for field in fields_of(definition.schema) if definition else []:
        key, example = field_key(field["name"]), REGISTRY[field["type"]].example(field)
        if field["type"] == "file":
            continue
        if field["type"] == "table":
            for i, row in enumerate(example):
                values.update({f"{key}-{i}-{col}": str(v) for col, v in row.items()})
        elif field["type"] == "checkbox":
            values[key] = "y"
        elif isinstance(example, list):
            values[key] = example
        else:
            values[key] = str(example)
    return values


def fill_required(html: str, values: dict[str, str]) -> None:
    """Give every empty required input of a form a plausible value (configured fields)."""
    for tag in re.findall(r"<(?:input|textarea|select)[^>]*\brequired\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or values.get(name.group(1)):
            continue
        key = name.group(1)
        if 'type="date"' in tag:
            values[key] = "2026-05-01"
        elif 'type="number"' in tag:
            values[key] = "1"
        elif 'type="email"' in tag:
            values[key] = "info@example.jp"
        elif 'type="radio"' in tag or tag.startswith("<select"):
            options = re.findall(rf'name="{re.escape(key)}"[^>]*value="([^"]+)"', html) or \
                re.findall(r'<option value="([^"]+)"', html.split(f'name="{key}"', 1)[1].split("</select>")[0])
            values[key] = html_lib.unescape(options[0])
        else:
            values[key] = "テスト入力"


def save(client, url: str, kind: str | None = None, **changes: str):
    """Open a create/edit form, fill it (with the city's form of ``kind``), save it; the save
    must succeed."""
    page, values = form_page(client, url)
    if kind is not None:
        values.update(configured_values(kind))
    values.update(changes)
    fill_required(page, values)
    response = client.post(url, data=values, follow_redirects=True)
    text = response.get_data(as_text=True)
    errors = re.findall(r'<div class="alert alert-(?:danger|error)[^"]*"[^>]*>(.*?)</div>', text, re.S)
    assert response.status_code == 200 and not errors, (url, errors, re.findall(
        r'class="[^"]*(?:invalid-feedback|help-block)[^"]*"[^>]*>([^<]+)<', text))
    return text


def fire(client, endpoint: str, record_id: int, name: str, comment: str = "",
         on: str = "") -> str:
    details = client.get(f"/admin/{endpoint}/details/?id={record_id}").get_data(as_text=True)
    version = re.search(rf'/transition/{record_id}/{name}".*?name="loaded_version" value="(\d+)"',
                        details, re.S)
    assert version, (endpoint, name, "not offered", flashes(details))
    response = client.post(f"/admin/{endpoint}/transition/{record_id}/{name}", data={
        "csrf_token": csrf_from(details), "loaded_version": version.group(1), "comment": comment,
        "on": on},
        follow_redirects=True)
    messages = flashes(response.get_data(as_text=True))
    assert any("を行いました" in m for m in messages), (endpoint, name, messages)
    return response.get_data(as_text=True)


def issue(client, endpoint: str, kind: str, record_id: int) -> bytes:
    details = client.get(f"/admin/{endpoint}/details/?id={record_id}").get_data(as_text=True)
    response = client.post(f"/admin/{endpoint}/document/{kind}/{record_id}",
                           data={"csrf_token": csrf_from(details)})
    assert response.status_code == 200, (kind, flashes(
        client.get(response.headers.get("Location", "/admin/")).get_data(as_text=True)))
    assert response.data.startswith(b"PK")
    return response.data


def as_user(app, username: str):
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


@pytest.fixture
def in_kamakura(cycle_app):
    """The test's own queries see Kamakura's rows only, like a Kamakura user's."""
    with cycle_app.app_context():
        city_id = one(select(City.id).where(City.slug == "kamakura"))
        with tenancy.scoped_to(city_id):
            yield cycle_app


def test_the_whole_cycle_in_kamakura(in_kamakura):
    app = in_kamakura
    # 1. An NPO proposes at the public entrance.
    public = app.test_client()
    page, values = form_page(public, "/entrance/kamakura/")
    values.update({"title": "海辺の子ども自然教室", "organization_name": "NPO法人かまくら子育てネット",
                   "representative": "山田 花子", "email": "info@kosodate.example.jp",
                   "summary": "海辺で子どもの自然体験教室を開く。", "needs_budget": "y",
                   "budget_amount": "600000", **configured_values("basic_sheet")})
    fill_required(page, values)
    response = public.post("/entrance/kamakura/", data=values, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert 'id="receipt-number"' in text, (flashes(text), re.findall(
        r'invalid-feedback d-block">([^<]+)<', text))
    proposal = one(select(Proposal).where(Proposal.title == "海辺の子ども自然教室"))
    proposal_id, organization_id = proposal.id, proposal.organization_id

    staff = as_user(app, "kamakura-staff")
    issue(staff, "proposal", "basic_sheet", proposal_id)
    # The coordinating section confirms which registered organization proposed it.
    assert organization_id is None  # a name typed at the entrance is not trusted by itself
    details = staff.get(f"/admin/proposal/details/?id={proposal_id}").get_data(as_text=True)
    assert "登録済みの「NPO法人かまくら子育てネット」として確認" in details
    organization_id = int(re.search(r'name="organization_id" value="(\d+)"', details).group(1))
    response = staff.post(f"/admin/proposal/match_organization/{proposal_id}", data={
        "csrf_token": csrf_from(details), "organization_id": str(organization_id),
        "loaded_version": re.search(r'match_organization/\d+".*?name="loaded_version" value="(\d+)"',
                                    details, re.S).group(1)}, follow_redirects=True)
    assert any("として確認しました" in m for m in flashes(response.get_data(as_text=True)))

    # 2. Step 1: on the agenda of the step-1 meeting; the council user is recused.
    fire(staff, "proposal", proposal_id, "start_step1")
    meeting1 = one(select(Meeting).where(Meeting.step == 1, Meeting.title == "令和8年度 第1回会議"))
    agenda = staff.get(f"/admin/meeting/details/?id={meeting1.id}").get_data(as_text=True)
    assert "海辺の子ども自然教室" in agenda and "高橋 美咲" in agenda
    save(staff, f"/admin/review/new/?proposal={proposal_id}&meeting={meeting1.id}&step=1",
         kind="review_sheet")
    review1 = one(select(Review).where(Review.proposal_id == proposal_id, Review.step == 1))

    council = as_user(app, "kamakura-council")
    recused = council.get(f"/admin/review/score/{review1.id}").get_data(as_text=True)
    assert "高橋 美咲さんは提案団体の関係者のため" in recused and "評点を保存" not in recused

    members = {m.name: m.id for m in db.session.execute(select(CouncilMember)).scalars()}
    for name in ("伊藤 健", "渡辺 直樹"):
        form = staff.get(f"/admin/review/score/{review1.id}?member={members[name]}").get_data(as_text=True)
        scores = {f"score_{cid}": "4" for cid in re.findall(r'name="score_(\d+)"', form)}
        done = staff.post(f"/admin/review/score/{review1.id}", data={
            "csrf_token": csrf_from(form), "member": str(members[name]), **scores},
            follow_redirects=True)
        assert any("評点を" in m and "件保存しました" in m for m in flashes(done.get_data(as_text=True)))
    assert db.session.execute(select(func.count()).select_from(ReviewScore).where(
        ReviewScore.review_id == review1.id)).scalar_one() == 2 * len(scores)
    save(staff, f"/admin/review/edit/?id={review1.id}", result="passed", decided_on="2026-06-10")
    fire(staff, "proposal", proposal_id, "pass_step1", comment="全員一致で通過")
    issue(staff, "review", "review_result_notice", review1.id)

    # 3. Step 2 with the department head, by 31 July; adoption creates the project.
    fire(staff, "proposal", proposal_id, "start_step2")
    meeting2 = one(select(Meeting).where(Meeting.step == 2))
    save(staff, f"/admin/review/new/?proposal={proposal_id}&meeting={meeting2.id}&step=2",
         kind="review_sheet")
    review2 = one(select(Review).where(Review.proposal_id == proposal_id, Review.step == 2))
    form = staff.get(f"/admin/review/score/{review2.id}?member={members['小林 正']}").get_data(as_text=True)
    assert "小林 正さんの評点を保存" in form
    save(staff, f"/admin/review/edit/?id={review2.id}", result="adopted", decided_on="2026-07-22")
    fire(staff, "proposal", proposal_id, "adopt")
    project = one(select(Project).where(Project.proposal_id == proposal_id))
    project_id = project.id
    assert project.organization_id == organization_id and project.status == "planning"

    # 4. Detailed design: dates, plan with an indicator, agreement with role and cost rows.
    save(staff, f"/admin/project/edit/?id={project_id}", start_date="2026-08-01",
         end_date="2027-01-31")
    save(staff, "/admin/project_plan/new/", kind="project_plan", project=str(project_id), fiscal_year="2026",
         purpose="子どもが海の自然を学ぶ", target="年度内に延べ200人が参加する")
    plan = one(select(ProjectPlan).where(ProjectPlan.project_id == project_id))
    save(staff, "/admin/indicator/new/", project_plan=str(plan.id), name="参加者数（延べ）",
         unit="人", target_value="200")
    issue(staff, "project_plan", "project_plan", plan.id)
    save(staff, "/admin/agreement/new/", kind="agreement", project=str(project_id), title="海辺の子ども自然教室に関する協定書",
         start_date="2026-08-01", end_date="2027-01-31")
    agreement = one(select(Agreement).where(Agreement.project_id == project_id))
    save(staff, "/admin/role_share/new/", agreement=str(agreement.id), item="会場",
         city_role="海岸使用の調整", organization_role="教室の運営")
    save(staff, "/admin/cost_share/new/", agreement=str(agreement.id), item="講師謝礼",
         city_amount="300000", organization_amount="50000")
    fire(staff, "agreement", agreement.id, "sign")
    issue(staff, "agreement", "agreement", agreement.id)
    db.session.expire_all()
    assert db.session.get(Project, project_id).status == "agreed"

    # 5. Implementation and completion: the report is due one month later (Civil Code).
    fire(staff, "project", project_id, "start")
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))):
        fire(as_user(app, "kamakura-staff"), "project", project_id, "complete", on="2027-01-31")
    report = one(select(CompletionReport).where(CompletionReport.project_id == project_id))
    assert report.due_on == dt.date(2027, 3, 1)  # 28 Feb 2027 is a Sunday
    save(staff, f"/admin/completion_report/edit/?id={report.id}", kind="completion_report",
         submitted_on="2027-02-20",
         summary="延べ230人が参加した。", actual_cost="340000")
    save(staff, f"/admin/indicator/edit/?id={plan.indicators[0].id}", actual_value="230")
    fire(staff, "project", project_id, "accept_report")
    issue(staff, "completion_report", "completion_report", report.id)

    # 6. Both sides evaluate, the council verifies, the project closes.
    for side, rating in (("city", "A"), ("organization", "A")):
        save(staff, "/admin/evaluation/new/", kind="evaluation", project=str(project_id),
             completion_report=str(report.id), side=side, rating=rating,
             evaluator="担当課" if side == "city" else "NPO法人かまくら子育てネット",
             evaluated_on="2027-03-10", comment=f"{side}: 目標を上回った")
    fire(staff, "project", project_id, "finish_evaluation")
    save(council, "/admin/evaluation/new/", kind="evaluation", project=str(project_id),
         completion_report=str(report.id), side="council", rating="A",
         evaluator="協働エントランス会議", evaluated_on="2027-03-20", comment="評価を確認した")
    council_evaluation = one(select(Evaluation).where(Evaluation.project_id == project_id,
                                                      Evaluation.side == "council"))
    issue(staff, "evaluation", "evaluation", council_evaluation.id)
    fire(staff, "project", project_id, "close")
    db.session.expire_all()
    assert db.session.get(Project, project_id).status == "closed"

    side_by_side = staff.get(f"/admin/project/details/?id={project_id}").get_data(as_text=True)
    assert "city: 目標を上回った" in side_by_side and "評価を確認した" in side_by_side
    assert "115%" in side_by_side  # 230 of 200
    assert db.session.execute(select(func.count()).select_from(GeneratedDocument).where(
        GeneratedDocument.created_at.is_not(None))).scalar_one() >= 6
    public_page = public.get("/disclosure/kamakura/").get_data(as_text=True)
    assert "海辺の子ども自然教室" in public_page and "市 300,000円／団体 50,000円" in public_page


def test_a_rejected_proposal_is_proposed_again(in_kamakura):
    app = in_kamakura
    staff = as_user(app, "kamakura-staff")
    waiting = one(select(Proposal).where(Proposal.status == "step1_review"))
    meeting1 = one(select(Meeting).where(Meeting.title == "令和8年度 第1回会議"))
    save(staff, f"/admin/review/new/?proposal={waiting.id}&meeting={meeting1.id}&step=1",
         kind="review_sheet", result="rejected", reasons="市との役割分担が示されていない",
         advice="担当課と相談し、役割分担を具体的にしてください", decided_on="2026-06-10")
    fire(staff, "proposal", waiting.id, "reject")
    page = fire(staff, "proposal", waiting.id, "repropose")
    assert "この再提案が応える審査結果" in page and "役割分担を具体的にしてください" in page
    again = one(select(Proposal).where(Proposal.parent_id == waiting.id))
    fire(staff, "proposal", again.id, "submit")
    db.session.expire_all()
    again = db.session.get(Proposal, again.id)
    assert again.status == "submitted" and again.receipt_number
    original = staff.get(f"/admin/proposal/details/?id={waiting.id}").get_data(as_text=True)
    assert again.title in original  # the lineage shows from the old one too
