"""Correcting a mistake by clicks: a city admin undoes a 事業完了 made by mistake, giving the
reason the form asks for (the browser will not send it without), and the project is running
again with no report due."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import CompletionReport, Project
from kyodo_admin.tenancy import scoped_to

from .conftest import city_id_of, log_in, screenshot

pytestmark = pytest.mark.timeout(180)


def test_a_city_admin_undoes_a_mistaken_completion(demo_server, page):
    url, app = demo_server
    kamakura = city_id_of(app, "kamakura")
    log_in(page, url, "kamakura-admin", "kyodo-demo")
    page.goto(f"{url}/admin/project/")
    page.get_by_role("link", name="地域環境美化協働事業").first.click()
    page.wait_for_url("**/admin/project/details/**")
    workflow = page.locator("#workflow")
    assert "事業完了" in workflow.inner_text()
    undo = workflow.locator("button", has_text="事業完了を取り消す")
    reason = page.get_by_label("理由（必須・変更履歴に残ります）")
    assert reason.get_attribute("required") is not None

    undo.click()  # no reason: the browser keeps the form and asks for it
    assert page.evaluate("() => document.activeElement.name") == "comment"
    assert "事業完了" in workflow.locator("strong").inner_text()

    reason.fill("別の事業を完了にしていたため")
    screenshot(page, "corrections-1-undo-completion")
    page.once("dialog", lambda dialog: dialog.accept())
    undo.click()
    page.wait_for_load_state()
    assert "を行いました" in " ".join(page.locator(".alert").all_inner_texts())
    assert page.locator("#workflow strong").inner_text() == "実施中"
    assert "別の事業を完了にしていたため" in page.content()  # in the record's history
    screenshot(page, "corrections-2-running-again")
    with app.app_context(), scoped_to(kamakura):
        project = db.session.execute(select(Project).where(
            Project.title == "地域環境美化協働事業")).scalar_one()
        report = db.session.execute(select(CompletionReport).where(
            CompletionReport.project_id == project.id)).scalar_one()
        assert project.status == "running" and project.completed_on is None
        assert report.due_on is None
        db.session.remove()
