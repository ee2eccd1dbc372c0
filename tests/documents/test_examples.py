"""The placeholder reference, previews and test renders use the city's own examples."""

from __future__ import annotations

from kyodo_admin.extensions import db
from kyodo_admin.models import Role
from kyodo_admin.services.documents import SHIPPED, city_example_context, install_shipped_templates
from kyodo_admin.services.form_definitions import import_files
from kyodo_admin.tenancy import scoped_to

from ..factories import CityFactory, DepartmentFactory, UserFactory
from .bad_templates import clean_template
from .test_upload import upload


def hachioji():
    city = CityFactory(slug="hachioji", name="八王子市", head_title="八王子市長",
                       coordinating_section="市民活動推進部 協働推進課",
                       settings={"head_name": "初宿 和夫", "document_number": "八市協第"})
    DepartmentFactory(city=city, name="子ども家庭部 子どものしあわせ課")
    with scoped_to(city.id):
        install_shipped_templates(db.session, city)
        import_files(db.session, sorted((SHIPPED.parent / "forms" / "hachioji").glob("*.yaml")))
        db.session.commit()
    return city


def test_the_reference_of_a_second_city_shows_that_city(client, kamakura, login_as):
    city = hachioji()
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    html = client.get("/admin/document_template/placeholders/?kind=agreement").get_data(as_text=True)
    assert "八王子市長" in html and "八王子市中央一丁目" in html and "初宿 和夫" in html
    assert "子ども家庭部 子どものしあわせ課" in html
    assert "鎌倉" not in html and "かまくら" not in html
    # the answers listed are those of 八王子市's own basic sheet
    basic = client.get("/admin/document_template/placeholders/?kind=basic_sheet").get_data(as_text=True)
    assert "answers.core_work" in basic and "answers.consultation" not in basic
    assert "鎌倉" not in basic


def test_a_test_render_at_upload_is_in_the_city(client, kamakura, login_as):
    city = hachioji()
    with scoped_to(city.id):  # as the city admin's request reads it
        context = city_example_context(db.session, city.id, "review_result_notice")
    login_as(UserFactory(city=city, role=Role.CITY_ADMIN.value))
    assert context["city"]["name"] == "八王子市"
    assert context["city"]["document_number"] == "八市協第"
    response = upload(client, clean_template("{{ city.name }}{{ city.head_name }}"))
    assert "第2版として登録しました" in response.get_data(as_text=True)


def test_without_a_city_the_example_is_a_placeholder_city(app):
    context = city_example_context(db.session, None, "agreement")
    assert context["city"]["name"] == "〇〇市" and context["organization"]["address"].startswith("〇〇市")


def test_the_reference_names_each_answers_item_and_its_japanese_form(client, kamakura, login_as):
    """Each answer with its item's label; a date, an amount and a yes/no with the filter that
    prints it in Japanese form, and what that prints."""
    import re

    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    html = client.get("/admin/document_template/placeholders/?kind=agreement").get_data(as_text=True)
    rows = {re.sub(r"<[^>]+>", "", cells[0]): [re.sub(r"<[^>]+>", "", c) for c in cells[1:]]
            for cells in (re.findall(r"<td>(.*?)</td>", row, re.S)
                          for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)) if cells}
    assert rows["{{ answers.personal_information }}"][:2] == ["個人情報を取り扱う", "はい"]
    assert rows["{{ answers.personal_information }}"][2] == \
        "{{ answers.personal_information|checkbox }} → ☑"
    assert re.fullmatch(r"\{\{ agreement\.start_date\|wareki \}\} → 令和\d+年\d+月\d+日",
                        rows["{{ agreement.start_date }}"][2])
    assert any(better.endswith("円") and "|yen }}" in better for _l, _e, better in rows.values())
    # the templates page leads to each kind's list
    listing = client.get("/admin/document_template/").get_data(as_text=True)
    assert 'href="/admin/document_template/placeholders/?kind=completion_report"' in listing
