"""A real browser (headless Chromium via Playwright) logs in, edits a proposal and sees it saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kyodo_admin import create_app
from kyodo_admin.extensions import db
from kyodo_admin.models import Base, Proposal
from kyodo_admin.tenancy import scoped_to

from ..conftest import TEST_PASSWORD, app_config
from ..factories import (
    CityFactory,
    DepartmentFactory,
    FormDefinitionFactory,
    ProposalFactory,
    UserFactory,
)
from .conftest import city_id_of, log_in, screenshot, serve
from .test_cycle import choose, save

LINES = {"sections": [{"title": "予算", "fields": [
    {"name": "lines", "label": "収支予算", "type": "table", "max_rows": 6, "columns": [
        {"name": "item", "label": "費目", "type": "text"},
        {"name": "amount", "label": "金額", "type": "money"}]}]}]}


@pytest.fixture
def live_server(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'browser.sqlite3'}", SERVER_NAME=None,
                                KYODO_ENTRANCE_MIN_INTERVAL=0))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        city = CityFactory(name="鎌倉市", slug="kamakura")
        UserFactory(city=city, username="browser-staff")
        ProposalFactory(city=city, title="海辺の清掃活動の提案")
        ProposalFactory(city=city, title="審査中の里山保全の提案", status="step1_review")
        DepartmentFactory(city=city, name="環境政策課")
        FormDefinitionFactory(city=city, kind="basic_sheet", status="published", schema=LINES)
        db.session.remove()
    for url in serve(app):
        yield url, app


def test_login_edit_and_save_a_proposal(live_server, page):
    url, _app = live_server
    page.goto(f"{url}/admin/proposal/")
    assert "/login" in page.url
    page.fill("input[name=username]", "browser-staff")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/proposal/")
    assert "海辺の清掃活動の提案" in page.content()

    page.locator("tr", has_text="海辺の清掃活動の提案").locator(
        "a[href*='/admin/proposal/edit/']").first.click()
    page.wait_for_url("**/admin/proposal/edit/**")
    page.fill("input[name=title]", "海辺の清掃と環境学習の提案")
    page.click("input[type=submit][value='保存']" if page.locator(
        "input[type=submit][value='保存']").count() else "input[type=submit]")
    page.wait_for_load_state()
    screenshot(page, "proposal-saved")
    content = page.content()
    assert "/admin/proposal/" in page.url and "/edit/" not in page.url, content[-3000:]
    assert "海辺の清掃と環境学習の提案" in content
    assert "保存" in content  # the success message


def test_rows_are_added_to_a_table_up_to_its_maximum(live_server, page):
    url, app = live_server
    page.goto(f"{url}/entrance/kamakura/")
    rows = page.locator("#answers__lines tbody tr")
    button = page.locator(".kyodo-add-row")
    start = rows.count()
    assert start < 6 and button.is_visible()
    while rows.count() < 6:
        button.click()
    assert rows.count() == 6 and button.is_hidden()  # the table's maximum
    page.fill("input[name='answers__lines-5-item']", "講師謝礼")
    page.fill("input[name='answers__lines-5-amount']", "30000")
    for name, value in (("title", "川辺の観察会"), ("organization_name", "川の会"),
                        ("representative", "川田 花子"), ("email", "info@kawa.example.jp"),
                        ("summary", "観察会を開く。")):
        page.fill(f"[name={name}]", value)
    page.click("button[type=submit]")
    page.wait_for_url("**/received")
    with app.app_context(), scoped_to(city_id_of(app, "kamakura")):
        proposal = db.session.execute(select(Proposal)).scalars().all()[-1]
        assert proposal.answers["lines"] == [{"item": "講師謝礼", "amount": 30000}]


def test_a_proposal_under_review_offers_only_what_may_change(live_server, page):
    """Rights follow the state: staff open a proposal in step 1 review, are told what may
    change, find no input for its title, assign the handling section and save."""
    url, app = live_server
    log_in(page, url, "browser-staff", TEST_PASSWORD)
    page.goto(f"{url}/admin/proposal/")
    page.get_by_role("link", name="審査中の里山保全の提案").click()
    page.wait_for_url("**/admin/proposal/details/**")
    page.locator("a[href*='/admin/proposal/edit/']").first.click()
    page.wait_for_url("**/admin/proposal/edit/**")
    assert "審査中の提案は、審査の対象" in page.locator(".alert").all_inner_texts()[0]
    assert page.locator("[name=title]").count() == 0
    assert page.locator("[name=summary]").count() == 0
    choose(page, "department", "環境政策課")
    screenshot(page, "proposal-under-review-edit")
    save(page)
    page.get_by_role("link", name="審査中の里山保全の提案").click()
    page.wait_for_url("**/admin/proposal/details/**")
    assert "環境政策課" in page.locator("table").first.inner_text()
    with app.app_context(), scoped_to(city_id_of(app, "kamakura")):
        proposal = db.session.execute(select(Proposal).where(
            Proposal.status == "step1_review")).scalar_one()
        assert (proposal.title, proposal.department.name) == ("審査中の里山保全の提案", "環境政策課")
