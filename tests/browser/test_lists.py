"""Lists by clicks: a search and a filter survive opening a record and saving it; the title
links to the record; the city column is not shown to the city's own staff."""

from __future__ import annotations

from kyodo_admin.services.users import DEMO_PASSWORD

from .conftest import log_in, open_menu


def test_search_and_filter_are_kept_after_a_save(demo_server, page):
    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/")
    page.get_by_role("link", name="ステップ1検討中").first.click()  # a filtered list, from home
    page.wait_for_load_state()
    page.fill("input[type=text][name='search']", "見守り")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    listed = page.url
    assert "search=" in listed and "flt" in listed
    rows = page.locator("table.model-list tbody tr")
    count = rows.count()
    assert page.locator("th.col-city").count() == 0
    rows.first.locator("a[href*='/admin/proposal/edit/']").click()
    page.wait_for_load_state()
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    assert "保存" in " ".join(page.locator(".alert").all_inner_texts())
    assert "search=" in page.url and "flt" in page.url  # back on the same filtered list
    assert page.locator("table.model-list tbody tr").count() == count
    assert page.locator("input[type=text][name='search']").input_value() == "見守り"
    title = page.locator("table.model-list tbody tr td.col-title a").first
    title.click()
    page.wait_for_load_state()
    assert "/admin/proposal/details/" in page.url


def test_a_date_filters_calendar_is_in_japanese(demo_server, page):
    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/proposal/")
    page.get_by_role("link", name="フィルターを追加").click()
    page.locator("a.filter", has_text="受付日").first.click()
    page.locator("input.filter-val").last.click()
    calendar = page.locator(".daterangepicker").last
    assert calendar.is_visible()
    text = calendar.inner_text()
    assert all(day in text for day in "日月火水木金土") and "12月" in text
    assert "Su" not in text and "Dec" not in text


def test_pages_run_under_a_content_security_policy_without_violations(demo_server, page):
    """Even a script that slipped into a page would not run: only this site's files and
    Flask-Admin's nonce-marked scripts do. Every screen still works without inline script."""
    url, _app = demo_server
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    response = page.goto(f"{url}/admin/proposal/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy.split(
        "script-src")[1].split(";")[0]
    for path in ("/admin/", "/admin/proposal/new/", "/admin/agreement/new/",
                 "/admin/project/", "/admin/review/", "/admin/city_settings/",
                 "/entrance/kamakura/", "/disclosure/kamakura/"):
        page.goto(url + path)
        page.wait_for_load_state()
    page.goto(f"{url}/admin/proposal/")
    page.get_by_role("link", name="フィルターを追加").click()
    page.locator("a.filter", has_text="受付日").first.click()
    assert page.locator("input.filter-val").count() >= 1
    assert violations == [], violations[:3]


def test_a_bulk_action_and_a_row_delete_ask_first_and_work_by_clicks(demo_server, page):
    url, app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/organization/new/")
    page.fill("input[name='name']", "削除してよい団体")
    page.locator("input[type=submit][value='保存']").click()
    page.wait_for_load_state()
    page.goto(f"{url}/admin/organization/?search=削除してよい団体")
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator("table.model-list button[title]").first.click()  # the row's delete
    page.wait_for_timeout(300)
    assert dialogs and "削除" in dialogs[0]
    assert "削除してよい団体" in page.content()  # dismissed: nothing deleted
    page.locator("input.action-checkbox").first.check()
    open_menu(page, "選択")
    page.once("dialog", lambda d: d.accept())
    page.locator("[data-model-action='delete']").click()
    page.wait_for_load_state()
    assert "1件の記録を削除しました" in page.content()


def test_a_list_is_exported_to_excel_by_clicks(demo_server, page):
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/proposal/")
    shown = page.locator("table.model-list tbody tr").count()
    open_menu(page, "出力")
    with page.expect_download() as download:
        page.get_by_role("link", name="出力（Excel）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    assert "件名" in rows[0] and len(rows) - 1 == shown  # every proposal of the list


def test_the_years_ledger_is_saved_from_the_home_screen_by_a_click(demo_server, page):
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    url, _app = demo_server
    log_in(page, url, "kamakura-staff", DEMO_PASSWORD)
    page.goto(f"{url}/admin/")
    counts = page.locator("h3:has-text('協働事業（状態別）') + table td.text-right").all_inner_texts()
    with page.expect_download() as download:
        page.get_by_role("link", name="協働事業一覧（Excel）").click()
    assert download.value.suggested_filename.startswith("協働事業一覧_令和")
    rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
                .active.iter_rows(values_only=True))
    projects = [r for r in rows[2:] if r[0] != "合計"]
    assert rows[0][0].startswith("鎌倉市 協働事業一覧")
    assert len(projects) == sum(int(n) for n in counts) > 0
    # the same ledger as a Word table, for printing
    import docx

    with page.expect_download() as download:
        page.get_by_role("link", name="一覧（Word）").click()
    assert download.value.suggested_filename.endswith(".docx")
    table = docx.Document(download.value.path()).tables[0]
    printed = [row.cells[0].text for row in table.rows[1:] if row.cells[0].text != "合計"]
    assert sorted(printed) == sorted(r[0] for r in projects)
