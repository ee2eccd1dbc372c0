"""Bad input gets a clear Japanese message, never a trace or SQL, and nothing is saved in part."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.models import Agreement, CostShare, Indicator, Organization, Project, Proposal

from ..conftest import csrf_from, enter_city, flashes, form_page
from ..factories import (
    AgreementFactory,
    CityFactory,
    IndicatorFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def staff_client(client, login_as):
    city = CityFactory()
    enter_city(city)
    staff = UserFactory(city=city)
    login_as(staff)
    client.city = city
    return client


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def post_new(client, ep: str, **fields: str):
    _html, values = form_page(client, f"/admin/{ep}/new/")
    values.update(fields)
    return client.post(f"/admin/{ep}/new/", data=values)


def assert_refused(response, message: str) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert message in html, html[-3000:]
    assert "Traceback" not in html and "SELECT" not in html and "INSERT" not in html
    return html


@pytest.mark.parametrize("amount,message", [("-1", "0以上の数値を入力してください"),
                                            ("abc", "整数"), ("1.5", "整数")])
def test_bad_amounts_are_refused(staff_client, amount, message):
    response = post_new(staff_client, "proposal", title="予算の提案", budget_amount=amount)
    assert_refused(response, message)
    assert count(Proposal) == 0


def test_end_date_before_start_is_refused(staff_client):
    response = post_new(staff_client, "project", title="期間の逆転", start_date="2026-04-01",
                        end_date="2026-03-31")
    assert_refused(response, "終了日は開始日以降の日付にしてください")
    assert count(Project) == 0


@pytest.mark.parametrize("field,length", [("title", 201), ("summary", 4001)])
def test_over_long_text_is_refused(staff_client, field, length):
    values = {"title": "長すぎる提案", field: "あ" * length}
    response = post_new(staff_client, "proposal", **values)
    assert_refused(response, "文字")
    assert count(Proposal) == 0


def test_duplicate_name_in_the_same_city_is_refused(staff_client):
    OrganizationFactory(city=staff_client.city, name="NPO法人おなじ")
    OrganizationFactory(name="NPO法人よそ")  # another city: the same name is fine there
    response = post_new(staff_client, "organization", name="NPO法人おなじ")
    assert_refused(response, "同じ名称の記録が既にあります")
    assert count(Organization) == 1  # the city's own
    response = post_new(staff_client, "organization", name="NPO法人よそ")
    assert response.status_code == 302
    assert count(Organization) == 2


@pytest.mark.parametrize("number", ["1234567890123", "700001205000", "abcdefghijklm",
                                    "8000012050002"])
def test_invalid_corporate_number_is_refused(staff_client, number):
    response = post_new(staff_client, "organization", name="NPO法人ばんごう",
                        corporate_number=number)
    assert_refused(response, "法人番号が正しくありません")
    assert count(Organization) == 0


def test_valid_corporate_number_is_accepted(staff_client):
    response = post_new(staff_client, "organization", name="NPO法人ただしい",
                        corporate_number="7000012050002")
    assert response.status_code == 302
    assert count(Organization) == 1


def test_markup_is_shown_escaped_everywhere(staff_client):
    response = post_new(staff_client, "organization", name=XSS, representative=XSS)
    assert response.status_code == 302
    org_id = db.session.execute(select(Organization.id)).scalar_one()
    for url in ("/admin/organization/", f"/admin/organization/details/?id={org_id}",
                f"/admin/organization/edit/?id={org_id}", "/admin/",
                "/admin/proposal/new/", "/admin/project/new/"):
        html = staff_client.get(url).get_data(as_text=True)
        assert XSS not in html, url
    html = staff_client.get("/admin/organization/").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+2", "-3+4", "@SUM(A1)"])
def test_formulas_are_neutralised_in_csv(staff_client, value):
    OrganizationFactory(city=staff_client.city, name=value, representative="代表")
    csv_text = staff_client.get("/admin/organization/export/csv/").get_data(as_text=True)
    assert csv_text.startswith("\ufeff")
    assert f"'{value}" in csv_text.replace('""', '"')
    for line in csv_text.splitlines()[1:]:
        assert not line.startswith(("=", "+", "-", "@"))


def test_invalid_inline_row_saves_nothing(staff_client):
    agreement = AgreementFactory(city=staff_client.city, title="元の協定")
    agreement_id = agreement.id
    url = f"/admin/agreement/edit/?id={agreement_id}"
    _html, values = form_page(staff_client, url)
    values.update({"title": "変更した協定",
                   "cost_shares-0-item": "印刷費", "cost_shares-0-city_amount": "-500",
                   "cost_shares-0-organization_amount": "0", "cost_shares-0-sort_order": "0"})
    response = staff_client.post(url, data=values)
    assert_refused(response, "0以上の数値を入力してください")
    assert db.session.get(Agreement, agreement_id).title == "元の協定"
    assert count(CostShare) == 0


def test_delete_of_a_referenced_record_gives_a_clear_message(staff_client):
    org = OrganizationFactory(city=staff_client.city)
    ProposalFactory(city=staff_client.city, organization=org)
    org_id = org.id
    token = csrf_from(staff_client.get("/admin/organization/").get_data(as_text=True))
    response = staff_client.post("/admin/organization/delete/",
                                 data={"id": org_id, "csrf_token": token},
                                 follow_redirects=True)
    messages = flashes(response.get_data(as_text=True))
    assert any("他の記録から参照されているため削除できません" in m for m in messages), messages
    assert not any("SQL" in m or "FOREIGN" in m.upper() or "constraint" in m for m in messages)
    assert db.session.get(Organization, org_id) is not None


@pytest.mark.parametrize("token", [None, "bogus"])
def test_edit_delete_and_bulk_actions_need_a_csrf_token(staff_client, token):
    org = OrganizationFactory(city=staff_client.city, name="守られた団体")
    org_id = org.id
    data = {} if token is None else {"csrf_token": token}
    assert staff_client.post(f"/admin/organization/edit/?id={org_id}",
                             data={**data, "name": "改ざん"}).status_code == 400
    assert staff_client.post("/admin/organization/delete/",
                             data={**data, "id": org_id}).status_code == 400
    assert staff_client.post("/admin/organization/action/",
                             data={**data, "action": "delete", "rowid": org_id}).status_code == 400
    assert db.session.get(Organization, org_id).name == "守られた団体"


def test_non_numeric_id_in_url_is_404(staff_client):
    assert staff_client.get("/admin/organization/edit/?id=abc").status_code == 404
    assert staff_client.get("/admin/organization/details/?id=1%20OR%201=1").status_code == 404


def test_project_with_completed_before_start_is_refused(staff_client):
    project = ProjectFactory(city=staff_client.city, title="元の事業")
    url = f"/admin/project/edit/?id={project.id}"
    _html, values = form_page(staff_client, url)
    values.update({"completed_on": "2020-01-01", "title": "変えた事業"})
    assert_refused(staff_client.post(url, data=values), "事業完了日は開始日以降の日付にしてください")
    assert db.session.get(Project, project.id).title == "元の事業"


@pytest.mark.parametrize("target,message", [("abc", "数値を入力してください"),
                                            ("-5", "0以上の数値を入力してください")])
def test_bad_indicator_values_are_refused(staff_client, target, message):
    indicator = IndicatorFactory(city=staff_client.city, name="参加者数", target_value=100)
    url = f"/admin/indicator/edit/?id={indicator.id}"
    _html, values = form_page(staff_client, url)
    values.update({"target_value": target, "name": "変えた名前"})
    assert_refused(staff_client.post(url, data=values), message)
    db.session.expire_all()
    kept = db.session.get(Indicator, indicator.id)
    assert (kept.name, kept.target_value) == ("参加者数", 100)


def test_indicator_values_with_decimals_are_saved(staff_client):
    indicator = IndicatorFactory(city=staff_client.city, target_value=100)
    url = f"/admin/indicator/edit/?id={indicator.id}"
    _html, values = form_page(staff_client, url)
    values.update({"target_value": "12.5", "actual_value": "10"})
    assert staff_client.post(url, data=values).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Indicator, indicator.id)
    assert (saved.target_value, saved.actual_value, saved.achievement) == (12.5, 10, 80.0)


@pytest.mark.parametrize("year", ["1000", "99999", "0"])
def test_a_mistyped_fiscal_year_is_refused(staff_client, year):
    from kyodo_admin.models import ProjectPlan

    project = ProjectFactory(city=staff_client.city)
    response = post_new(staff_client, "project_plan", project=str(project.id),
                        fiscal_year=year, purpose="目的")
    assert_refused(response, "年度は1989から2100までの西暦で入力してください")
    assert count(ProjectPlan) == 0


@pytest.mark.parametrize("day", ["1000-01-01", "2200-04-01"])
def test_a_date_out_of_any_sane_range_is_refused(staff_client, day):
    response = post_new(staff_client, "organization", name="日付の会", founded_on=day)
    assert_refused(response, "日付は1868年から2100年までの範囲で入力してください")
    assert count(Organization) == 0


def test_a_stored_odd_year_never_breaks_a_list(staff_client):
    from kyodo_admin.models import ProjectPlan

    from ..factories import ProjectPlanFactory

    plan = ProjectPlanFactory(city=staff_client.city, fiscal_year=2026)
    db.session.execute(ProjectPlan.__table__.update().values(fiscal_year=1000))  # from before
    organization = OrganizationFactory(city=staff_client.city)
    db.session.execute(Organization.__table__.update().values(
        founded_on=dt.date(1000, 1, 1)))
    db.session.commit()
    for url in ("/admin/project_plan/", f"/admin/project_plan/details/?id={plan.id}",
                "/admin/organization/", f"/admin/organization/details/?id={organization.id}"):
        response = staff_client.get(url)
        assert response.status_code == 200, url
    assert "1000年度" in staff_client.get("/admin/project_plan/").get_data(as_text=True)


@pytest.mark.parametrize("url,expected", [
    ("/admin/proposal/?page=-1", 200), ("/admin/proposal/?page=99999999999999999999", 200),
    ("/admin/proposal/?page_size=-5", 200),
    ("/admin/proposal/details/?id=99999999999999999999", 404),
    ("/admin/proposal/edit/?id=-3", 404), ("/admin/proposal/details/?id=abc", 404),
])
def test_odd_page_and_id_values_never_give_a_500(staff_client, url, expected):
    ProposalFactory(city=staff_client.city, title="一覧の提案")
    response = staff_client.get(url)
    assert response.status_code == expected, url
    if expected == 200:
        assert "一覧の提案" in response.get_data(as_text=True)


def test_logged_in_pages_are_not_cached(staff_client, client):
    response = staff_client.get("/admin/proposal/")
    assert response.headers["Cache-Control"] == "private, no-store"
    public = client.application.test_client().get("/login")
    assert "no-store" not in public.headers.get("Cache-Control", "")


def test_invisible_characters_are_taken_out_of_file_names():
    from kyodo_admin.services.form_definitions import clean_filename

    assert clean_filename("請求書\u202efdp.exe") == "請求書fdp.exe"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("a\x00b\u200b.pdf") == "ab.pdf"
    assert clean_filename("\u202e") == "file"


@pytest.mark.parametrize("written,expected", [("14時", dt.time(14, 0)), ("14時30分", dt.time(14, 30)),
                                              ("１４：３０", dt.time(14, 30)), ("1400", dt.time(14, 0))])
def test_a_meeting_time_is_read_as_a_clerk_types_it(staff_client, written, expected):
    from kyodo_admin.models import Meeting

    from ..factories import CouncilFactory

    council = CouncilFactory(city=staff_client.city)
    response = post_new(staff_client, "meeting", council=str(council.id), title="第1回会議",
                        step="1", held_on="2026-06-01", starts_at=written, ends_at="")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert db.session.execute(select(Meeting.starts_at)).scalar_one() == expected


def test_a_time_that_is_not_a_time_says_how_to_write_it(staff_client):
    from kyodo_admin.models import Meeting

    from ..factories import CouncilFactory

    council = CouncilFactory(city=staff_client.city)
    response = post_new(staff_client, "meeting", council=str(council.id), title="第1回会議",
                        step="1", held_on="2026-06-01", starts_at="14じ")
    assert_refused(response, "時刻は 14:00 のように「時:分」で入力してください")
    assert count(Meeting) == 0
