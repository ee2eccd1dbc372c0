"""The outbox, a city's own mail text and a user's reminder setting, by clicks."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from kyodo_admin import clock, tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import NoticeTemplate, User
from kyodo_admin.services.notices import run_notices

from .conftest import log_in, open_menu, screenshot

pytestmark = pytest.mark.timeout(180)


def flashes(page) -> str:
    return " ".join(page.locator(".alert").all_inner_texts())


def test_the_office_reads_the_outbox_writes_its_own_text_and_a_user_stops_reminders(
        demo_server, page):
    url, app = demo_server
    with app.app_context(), time_machine.travel(  # the scheduled job of 29 November 2026
            dt.datetime(2026, 11, 29, 10, tzinfo=clock.zone()), tick=False):
        assert run_notices(app).written >= 1
    log_in(page, url, "kamakura-admin", "kyodo-demo")
    page.on("dialog", lambda dialog: dialog.accept())

    # 記録 > 送信メール: the overdue report's mail to the organization, waiting to be sent
    open_menu(page, "記録")
    page.get_by_role("link", name="送信メール").click()
    row = page.locator("table.model-list tbody tr", has_text="（令和8年10月30日）を過ぎています")
    assert "送信待ち" in row.inner_text() and "鎌倉海岸クリーンアップの会" in row.inner_text()
    row.get_by_role("link", name="【鎌倉市】事業報告書の提出期限（令和8年10月30日）を過ぎています").click()
    body = page.locator("pre").inner_text()
    assert "「地域環境美化協働事業」の事業報告書の提出期限 令和8年10月30日 を30日過ぎています" in body
    assert "地域環境美化協働事業" in page.locator("table", has_text="記録").first.inner_text()
    screenshot(page, "notices-1-outbox")

    # 設定 > メール文面: start from the shipped text of the overdue reminder, misspell a
    # placeholder (refused, the text kept), then save it
    open_menu(page, "設定")
    page.get_by_role("link", name="メール文面").click()
    page.locator("#notice-kinds tr[data-kind=report_overdue]").get_by_role(
        "link", name="既定の文面から作る").click()
    assert "事業報告書の提出期限" in page.locator("input[name=subject]").input_value()
    assert "{{ project.title }}" in page.locator("textarea[name=body]").input_value()
    page.fill("input[name=subject]", "【{{ city.name }}】事業報告書のご提出のお願い")
    text = "{{ recipient }} 様\n\n「{{ projcet.title }}」の事業報告書をご提出ください。\n{{ signature }}"
    page.fill("textarea[name=body]", text)
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "差込項目「projcet」に対応するデータがありません" in flashes(page)
    assert page.locator("textarea[name=body]").input_value() == text  # nothing lost
    screenshot(page, "notices-2-text-refused")
    page.fill("textarea[name=body]", text.replace("projcet", "project"))
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "/new/" not in page.url
    with app.app_context(), tenancy.all_cities():
        own = db.session.execute(select(NoticeTemplate)).scalars().all()
        assert [t.kind for t in own] == ["report_overdue"] and "{{ project.title }}" in own[0].body
    assert "自治体の文面" in page.locator("#notice-kinds tr[data-kind=report_overdue]").inner_text()

    # the user's name → 通知メールの設定: reminders off
    page.locator(".kyodo-user a").click()
    page.uncheck("input[name=receives_reminders]")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "リマインダーのメールを止めました" in flashes(page)
    assert not page.locator("input[name=receives_reminders]").is_checked()
    screenshot(page, "notices-3-settings")
    with app.app_context(), tenancy.all_cities():
        user = db.session.execute(select(User).where(User.username == "kamakura-admin")).scalar_one()
        assert user.receives_reminders is False
