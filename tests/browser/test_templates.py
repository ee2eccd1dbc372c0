"""A city admin adds an item to a form, is told the Word template does not print it,
downloads the starter template (ひな形) of the new form, registers it and puts it in use:
all by clicks."""

from __future__ import annotations

import io

import docx
import pytest

from .conftest import log_in, open_menu, screenshot
from .test_cycle import choose

pytestmark = pytest.mark.timeout(180)


def flashes(page) -> str:
    return " ".join(page.locator(".alert").all_inner_texts())


def coverage_row(page, kind: str):
    return page.locator(f"#template-coverage tr[data-kind={kind}]")


def test_a_new_form_item_is_flagged_and_printed_through_the_starter(demo_server, page, tmp_path):
    url, _app = demo_server
    log_in(page, url, "kamakura-admin", "kyodo-demo")
    page.on("dialog", lambda dialog: dialog.accept())

    # the shipped agreement prints every item of the form
    page.goto(f"{url}/admin/document_template/")
    assert "すべて印字" in coverage_row(page, "agreement").inner_text()

    # a new required item on the agreement form, published
    page.goto(f"{url}/admin/form_builder/")
    page.locator("tr", has_text="協定書").get_by_role("link", name="編集").click()
    page.get_by_role("button", name="編集を始める").click()
    page.get_by_role("link", name="このセクションに項目を追加").first.click()
    page.fill("input[name=name]", "insurance_company")
    page.fill("input[name=label]", "加入する保険の名称")
    page.select_option("select[name=type]", "text")
    page.check("input[name=required]")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="公開する").click()
    page.wait_for_load_state()
    message = flashes(page)
    assert "第2版として公開しました" in message
    assert "新しい項目「加入する保険の名称」を印字しません" in message
    screenshot(page, "templates-1-publish-warns")

    # the templates page lists it, and the starter of the new form prints it
    page.goto(f"{url}/admin/document_template/")
    assert "1項目: 加入する保険の名称" in coverage_row(page, "agreement").inner_text()
    screenshot(page, "templates-2-coverage")
    with page.expect_download() as download:
        coverage_row(page, "agreement").get_by_role("link", name="ひな形をダウンロード").click()
    starter = tmp_path / download.value.suggested_filename
    download.value.save_as(starter)
    assert starter.name == "ひな形_協定書_第2版.docx"
    document = docx.Document(io.BytesIO(starter.read_bytes()))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "加入する保険の名称" in cells and "{{ answers.insurance_company }}" in cells

    # registered as a new revision (it is checked and test-rendered) and put in use
    page.get_by_role("link", name="作成").first.click()
    choose(page, "kind", "協定書")
    page.set_input_files("input[name=upload]", str(starter))
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    message = flashes(page)
    assert "として登録しました" in message and "印字しません" not in message
    row = page.locator("table.model-list tbody tr", has_text=starter.name)
    # its preview (with the newest agreement, filled before the new item) is made by a
    # worker; the page that follows it hands it over
    with page.expect_download() as made:  # fetched by the page once made
        row.get_by_title("プレビュー（テスト作成）").click()
    page.get_by_text("作成しました（発行文書には保管していません）").wait_for()
    assert made.value.suggested_filename == f"プレビュー_{starter.name}"
    screenshot(page, "templates-2b-preview")
    preview = docx.Document(made.value.path())
    assert "加入する保険の名称" in [c.text for t in preview.tables for r in t.rows for c in r.cells]
    page.get_by_role("link", name="Word様式の一覧に戻る").click()
    row = page.locator("table.model-list tbody tr", has_text=starter.name)
    row.locator("input.action-checkbox").check()
    open_menu(page, "選択")
    page.locator("[data-model-action='activate']").click()
    page.wait_for_load_state()
    assert "使用する版にしました" in flashes(page)
    agreement = coverage_row(page, "agreement").inner_text()
    assert "すべて印字" in agreement and starter.name in agreement
    screenshot(page, "templates-3-in-use")


def test_a_template_of_the_earlier_printing_is_kept_in_a_new_revision_by_one_click(demo_server,
                                                                                   page):
    """Hachioji's agreement template was registered before typed answers and prints its
    yes/no item bare: the page says it prints ☑/☐ and what the current default would print;
    one click registers a revision that prints the same."""
    from sqlalchemy import select

    from kyodo_admin.extensions import db
    from kyodo_admin.models import City
    from kyodo_admin.services.documents import activate_template, add_template, fields_of
    from kyodo_admin.services.form_definitions import current_definition
    from kyodo_admin.tenancy import scoped_to

    from ..documents.bad_templates import clean_template

    url, app = demo_server
    with app.app_context():
        from kyodo_admin.tenancy import all_cities

        with all_cities():
            city_id = db.session.execute(select(City.id).where(City.slug == "hachioji")).scalar_one()
        with scoped_to(city_id):
            form = current_definition(db.session, city_id, "agreement")
            yes_no = next(f for f in fields_of(form.schema) if f["type"] == "checkbox")
            old = add_template(db.session, db.session.get(City, city_id), "agreement",
                               "協定書_以前.docx", clean_template(
                                   f"{yes_no['label']}: {{{{ answers.{yes_no['name']} }}}}",
                                   "{{ organization.name }}"))
            old.printing = 1  # registered before the upgrade
            activate_template(db.session, old)
            db.session.commit()
    log_in(page, url, "hachioji-admin", "kyodo-demo")
    page.goto(f"{url}/admin/document_template/")
    notice = page.locator("#printing-agreement")
    assert f"「{yes_no['label']}」を ☑／☐ で印字しています" in notice.inner_text()
    screenshot(page, "templates-4-earlier-printing")
    notice.get_by_role("button", name="☑／☐ のまま新しい版にする").click()
    page.wait_for_load_state()
    assert "使用する版にしました（☑／☐ の印字はそのままです）" in flashes(page)
    assert page.locator("#printing-agreement").count() == 0
    assert "協定書_以前_印字規則更新.docx" in coverage_row(page, "agreement").inner_text()
