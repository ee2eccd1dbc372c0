"""Excelから取込 by clicks: a 500-row spreadsheet with one bad row is refused with its line and
column named and nothing registered; the fixed file arrives whole."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kyodo_admin import tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import Proposal

from .conftest import log_in, open_menu, screenshot

pytestmark = pytest.mark.timeout(240)


def spreadsheet(path, bad_line: int | None = None) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(["提案事業名", "団体名", "受付日", "予算規模", "提案の目的", "備考（取り込まない）"])
    for n in range(500):
        sheet.append([f"表計算からの提案{n}", "鎌倉海岸クリーンアップの会",
                      "R8.4.1" if n % 2 else dt.datetime(2026, 4, 2),
                      -1000 if n + 2 == bad_line else f"{200_000 + n:,}円",
                      f"海岸の清掃{n}", "メモ"])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def imported(app) -> int:
    with app.app_context(), tenancy.all_cities():
        return db.session.execute(select(func.count()).select_from(Proposal).where(
            Proposal.title.like("表計算からの提案%"))).scalar_one()


def test_a_spreadsheet_is_checked_row_by_row_and_imported_whole(demo_server, page, tmp_path):
    url, app = demo_server
    log_in(page, url, "kamakura-staff", "kyodo-demo")
    page.on("dialog", lambda dialog: dialog.accept())

    open_menu(page, "記録")
    page.get_by_role("link", name="Excelから取込").click()
    page.select_option("select[name=kind]", "proposal")
    page.set_input_files("input[name=file]", spreadsheet(tmp_path / "提案一覧.xlsx", bad_line=123))
    page.get_by_role("button", name="読み込む").click()
    page.wait_for_load_state()
    # the columns are matched by their names; the form item by its label
    assert page.locator("select[name='map-answers.purpose']").input_value() == "提案の目的"
    errors = page.locator("#import-errors").inner_text()
    assert "1件の誤りがあります" in errors and "123行目「予算規模」: 金額がマイナスです" in errors
    assert page.get_by_role("button", name="取り込む").is_disabled()
    screenshot(page, "import-1-refused")
    assert imported(app) == 0

    page.get_by_role("link", name="別のファイルを選ぶ").click()
    page.select_option("select[name=kind]", "proposal")
    page.set_input_files("input[name=file]", spreadsheet(tmp_path / "提案一覧（修正）.xlsx"))
    page.get_by_role("button", name="読み込む").click()
    page.wait_for_load_state()
    assert "500行すべてを取り込めます" in page.locator("#import-ok").inner_text()
    assert page.locator("#import-preview tbody tr").count() == 10
    # each value as it will be stored, in the words the records show it
    second = page.locator("#import-preview tbody tr").nth(1).inner_text().split("\t")
    assert second[:5] == ["3", "表計算からの提案1", "令和8年4月1日", "鎌倉海岸クリーンアップの会",
                          "200,001円"], second
    screenshot(page, "import-2-ready")
    page.get_by_role("button", name="取り込む").click()
    page.wait_for_load_state()
    assert "500件の提案を取り込みました" in " ".join(page.locator(".alert").all_inner_texts())
    assert "/admin/proposal/" in page.url
    assert imported(app) == 500
    with app.app_context(), tenancy.all_cities():
        one = db.session.execute(select(Proposal).where(
            Proposal.title == "表計算からの提案1")).scalar_one()
        assert one.received_on == dt.date(2026, 4, 1) and one.budget_amount == 200_001
        assert one.answers["purpose"] == "海岸の清掃1" and one.city.slug == "kamakura"


def titled_ledger(path) -> str:
    """An organizations' ledger as a city keeps it: a title merged over the columns, the day
    it was made, then headers over two lines (「団体」 over 「名称」「代表者」)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["令和7年度 協働団体名簿"])
    sheet.merge_cells("A1:D1")
    sheet.append(["作成日", dt.datetime(2025, 4, 1)])
    sheet.append(["番号", "団体", None, "連絡先"])
    sheet.merge_cells("B3:C3")
    sheet.append([None, "名称", "代表者", "電話番号"])
    for n in range(3):
        sheet.append([n + 1, f"名簿からの団体{n}", "山田 花子", "0467-23-3000"])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_ledger_with_a_title_and_two_header_lines_is_mapped_and_imported(demo_server, page,
                                                                            tmp_path):
    from kyodo_admin.models import Organization

    url, app = demo_server
    log_in(page, url, "kamakura-staff", "kyodo-demo")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/admin/import/")
    page.select_option("select[name=kind]", "organization")
    page.set_input_files("input[name=file]", titled_ledger(tmp_path / "団体名簿.xlsx"))
    page.get_by_role("button", name="読み込む").click()
    page.wait_for_url("**/admin/import/*")
    # the title and the date are passed over; the headers are read over two lines
    assert page.get_by_label("見出しの行").input_value() == "3"
    assert page.get_by_label("見出しが2行にわたる").is_checked()
    names = page.get_by_label("団体名に対応するファイルの列")
    assert "団体 名称" in names.inner_text()
    page.get_by_label("見出しが2行にわたる").uncheck()  # the clerk tries one line: no 名称
    page.get_by_role("button", name="対応を確かめる").click()
    page.wait_for_load_state()
    assert "団体 名称" not in page.get_by_label("団体名に対応するファイルの列").inner_text()
    page.get_by_label("見出しが2行にわたる").check()
    page.get_by_role("button", name="対応を確かめる").click()
    page.wait_for_load_state()
    # 代表者 and 電話番号 are found under their upper headings; 名称 is the clerk's choice
    assert page.get_by_label("代表者に対応するファイルの列").input_value() == "団体 代表者"
    assert page.get_by_label("電話番号に対応するファイルの列").input_value() == "連絡先 電話番号"
    page.get_by_label("団体名に対応するファイルの列").select_option("団体 名称")
    page.get_by_role("button", name="対応を確かめる").click()
    page.wait_for_load_state()
    assert "3行すべてを取り込めます" in page.locator("#import-ok").inner_text()
    assert page.locator("#import-preview tbody tr").first.inner_text().startswith("5\t名簿からの団体0")
    screenshot(page, "import-3-titled-ledger")
    page.get_by_role("button", name="取り込む").click()
    page.wait_for_url("**/admin/organization/**")
    assert "3件の団体を取り込みました" in " ".join(page.locator(".alert").all_inner_texts())
    with app.app_context(), tenancy.all_cities():
        rows = db.session.execute(select(
            Organization.name, Organization.representative, Organization.phone).where(
            Organization.name.like("名簿からの団体%")).order_by(Organization.name)).all()
    assert [tuple(r) for r in rows] == [(f"名簿からの団体{n}", "山田 花子", "0467-23-3000")
                                        for n in range(3)]


def test_the_citys_own_export_imports_back_with_no_mapping(demo_server, page, tmp_path):
    """The organizations' list exported to Excel, one phone number edited, imported back:
    every column is found by its name, the rows are updates of the records they name, and
    only the edited record changes."""
    from openpyxl import load_workbook

    from kyodo_admin.models import Organization
    from kyodo_admin.models.organization import ORGANIZATION_TYPES

    url, app = demo_server
    log_in(page, url, "kamakura-staff", "kyodo-demo")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/admin/organization/")
    open_menu(page, "出力")
    with page.expect_download() as download:
        page.get_by_role("link", name="出力（Excel）").click()
    export = tmp_path / "団体一覧.xlsx"
    download.value.save_as(export)
    book = load_workbook(export)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    rows = sheet.max_row - 1
    first = sheet.cell(row=2, column=headers.index("名称") + 1).value
    sheet.cell(row=2, column=headers.index("電話番号") + 1, value="0467-00-0000")
    book.save(export)
    with app.app_context(), tenancy.all_cities():
        before = dict(db.session.execute(select(Organization.name, Organization.phone).where(
            Organization.city.has(slug="kamakura"))).all())

    page.goto(url + "/admin/import/")
    page.select_option("select[name=kind]", "organization")
    page.set_input_files("input[name=file]", str(export))
    page.get_by_role("button", name="読み込む").click()
    page.wait_for_url("**/admin/import/*")
    # no choosing: every field of the export is found under its own heading
    assert page.get_by_label("団体名に対応するファイルの列").input_value() == "名称"
    assert page.get_by_label("電話番号に対応するファイルの列").input_value() == "電話番号"
    assert "既に登録されています" in page.locator("#import-errors").inner_text()
    page.get_by_label("登録済みの記録を、ファイルの値で更新する").check()
    page.get_by_role("button", name="対応を確かめる").click()
    page.wait_for_load_state()
    assert f"{rows}行すべてを取り込めます" in page.locator("#import-ok").inner_text()
    first_row = page.locator("#import-preview tbody tr").first.inner_text().split("\t")
    assert first_row[1] == "更新"
    assert first_row[4] in ORGANIZATION_TYPES.values(), first_row  # 団体の種別 as the city reads it
    screenshot(page, "import-4-export-back")
    page.get_by_role("button", name="取り込む").click()
    page.wait_for_url("**/admin/organization/**")
    done = " ".join(page.locator(".alert").all_inner_texts())
    assert f"{rows}件の団体を取り込みました" in done and "更新1件" in done, done
    with app.app_context(), tenancy.all_cities():
        after = dict(db.session.execute(select(Organization.name, Organization.phone).where(
            Organization.city.has(slug="kamakura"))).all())
    assert after == {**before, first: "0467-00-0000"}
