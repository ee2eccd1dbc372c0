"""A project's next year by clicks (Kamakura: up to three years, 500,000円 a year): the
continuation review recorded on the project's page of the evaluated 子育て支援情報発信事業,
「次の年度を開始する」, then year two's agreement refused for a city share over the cap and
saved once corrected — axe-core on each page."""

from __future__ import annotations

import re

from kyodo_admin.services.users import DEMO_PASSWORD

from .conftest import log_in, screenshot
from .test_cycle import fire, flash_text


def test_a_continuation_review_opens_year_two_and_its_agreement_keeps_to_the_cap(
        demo_server, page):
    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/project/")
    page.get_by_role("link", name="子育て支援情報発信事業", exact=True).click()
    page.wait_for_load_state()
    years = page.locator("#project-years")
    assert "第1年度（令和7年度）" in years.inner_text() and "評価済" in years.inner_text()
    assert "最長3年度" in page.locator("#project-rule").inner_text()

    # The review's decision, by clicks: a missing reason is refused, the choice kept.
    form = page.locator("#year-decision")
    form.get_by_role("radio", name="条件付きで継続").check()
    form.get_by_label("決定日").fill("2026-05-25")
    form.get_by_label("継続の条件（条件付きで継続のとき）").fill("相談会の周知方法を見直すこと")
    form.get_by_label("決定の理由（団体への通知に載ります）").fill("冊子の配布が目標を上回ったため。")
    form.get_by_role("button", name="継続審査の結果を記録").click()
    page.wait_for_load_state()
    assert "継続審査の結果（条件付きで継続）を記録しました" in flash_text(page)
    assert "条件付きで継続" in page.locator("#project-years").inner_text()
    assert form.get_by_role("radio", name="条件付きで継続").is_checked()  # shown as decided
    screenshot(page, "years-01-decision")

    fire(page, "次の年度を開始する")
    years = page.locator("#project-years").inner_text()
    assert "第2年度（令和8年度）" in years and "詳細検討中" in years
    screenshot(page, "years-02-year-two")

    # Year two's agreement: 500,001円 for the city is one yen over Kamakura's cap.
    page.get_by_role("link", name="この事業の協定書を作成").click()
    page.wait_for_load_state()
    assert page.locator("input[name='fiscal_year']").input_value() == "2026"
    page.fill("input[name='title']", "子育て支援情報発信事業に関する協定書（第2年度）")
    page.fill("input[name='start_date']", "2026-04-01")
    page.fill("input[name='end_date']", "2027-03-31")
    page.get_by_role("button", name=re.compile("経費負担")).click()
    page.fill("input[name='cost_shares-0-item']", "印刷製本費")
    page.fill("input[name='cost_shares-0-city_amount']", "500001")
    page.fill("input[name='cost_shares-0-organization_amount']", "100000")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "第2年度（令和8年度）の市の負担額 500,001円 は、1年度の上限 500,000円 を 1円 超えて" \
        in flash_text(page)
    assert page.locator("input[name='cost_shares-0-city_amount']").input_value() == "500001"
    # Nothing typed is lost: the form's own items (様式) are there as they were.
    assert page.locator("[name='answers__form_of_collaboration']").count() > 0
    screenshot(page, "years-03-over-the-cap")
    page.fill("input[name='cost_shares-0-city_amount']", "500000")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "/new/" not in page.url, flash_text(page)
    assert "500,000円" in page.locator("body").inner_text()
    page.locator("#hub-agreements ~ table a", has_text="（第2年度）").click()
    page.wait_for_load_state()
    assert page.locator("#city-share").inner_text() == \
        "第2年度（令和8年度）の市の負担割合は 83.3％（規定: 1年度500,000円まで）"
