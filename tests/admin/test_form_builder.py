"""The form builder: a city admin changes a form without a programmer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import FormDefinition, Proposal, Role
from kyodo_admin.services.form_definitions import current_definition

from ..conftest import csrf_from, enter_city, flashes, form_page
from ..factories import CityFactory, UserFactory
from .test_forms import new_proposal

FORMS = Path(__file__).resolve().parents[2] / "forms"
BASE = "/admin/form_builder/basic_sheet/"


@pytest.fixture
def city_admin(client, login_as, kamakura):
    enter_city(kamakura)
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value, username="kamakura-admin"))
    return client


def draft():
    return db.session.execute(select(FormDefinition).where(
        FormDefinition.status == "draft")).scalar_one_or_none()


def post(client, path, **data):
    html = client.get(BASE).get_data(as_text=True)
    current = draft()
    payload = {"csrf_token": csrf_from(html), **({"version": current.version} if current else {}),
               **data}
    return client.post(path, data=payload, follow_redirects=True)


def add_field(client, section, **properties):
    html, values = form_page(client, f"{BASE}field?section={section}")
    values.update(properties)
    return client.post(f"{BASE}field?section={section}", data=values, follow_redirects=True)


def test_admin_adds_a_required_conditional_field_and_publishes(city_admin, kamakura, login_as, client):
    # staff file a proposal against the first revision
    staff = UserFactory(city=kamakura, username="kamakura-staff")
    login_as(staff)
    assert new_proposal(client, title="古い提案").status_code == 302
    old_id = db.session.execute(select(Proposal.id)).scalar_one()

    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value, username="admin2"))
    assert "基本シート" in client.get("/admin/form_builder/").get_data(as_text=True)
    post(client, f"{BASE}start")
    assert draft() is not None
    response = add_field(client, 1, name="budget_department", label="予算を要求する担当課",
                         type="text", required="y", visible_if_field="budget_measure",
                         visible_if_values="必要")
    assert "項目「予算を要求する担当課」を保存しました。" in flashes(response.get_data(as_text=True))
    preview = client.get(f"{BASE}preview").get_data(as_text=True)
    assert "予算を要求する担当課" in preview and "data-visible-if-field" in preview
    response = post(client, f"{BASE}publish")
    assert any("第2版として公開しました" in m for m in flashes(response.get_data(as_text=True)))
    assert current_definition(db.session, kamakura.id, "basic_sheet").revision == 2

    # staff must fill it on a new proposal that needs a budget...
    login_as(staff)
    response = new_proposal(client, title="新しい提案", **{"answers__budget_measure": "必要",
                                                         "answers__budget_reason": "委託料"})
    assert response.status_code == 200 and "この項目は必須です。" in response.get_data(as_text=True)
    response = new_proposal(client, title="新しい提案", **{"answers__budget_measure": "必要",
                                                         "answers__budget_reason": "委託料",
                                                         "answers__budget_department": "財政課"})
    assert response.status_code == 302
    # ...while the old proposal still shows its old form
    html = client.get(f"/admin/proposal/edit/?id={old_id}").get_data(as_text=True)
    assert "予算を要求する担当課" not in html and "海岸をきれいにする" in html
    assert db.session.get(Proposal, old_id).form_definition.revision == 1

    # the difference between the two revisions is shown
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value, username="admin3"))
    html = client.get(f"{BASE}diff").get_data(as_text=True)
    assert "追加" in html and "予算を要求する担当課" in html


@pytest.mark.parametrize("properties,message", [
    ({"name": "purpose", "label": "重複", "type": "text"}, "name「purpose」が重複しています"),
    ({"name": "status", "label": "予約", "type": "text"}, "予約語"),
    ({"name": "kind_of", "label": "選択", "type": "select", "choices": ""}, "選択肢（choices）を1つ以上"),
    ({"name": "pat", "label": "形式", "type": "text", "pattern": "([0-9"}, "pattern が正規表現として正しくありません"),
    ({"name": "cond", "label": "条件", "type": "text", "visible_if_field": "nowhere",
      "visible_if_values": "x"}, "存在しない項目「nowhere」"),
    ({"name": "total", "label": "総額", "type": "text", "fills_column": "budget_amount"},
     "type integer・money の項目だけが反映できます"),
    ({"name": "total", "label": "総額", "type": "money", "fills_column": "budget_amount"},
     "予算規模」（budget_amount）に反映する項目が複数あります"),
    # 記入例 that is no answer of its item, named with the item
    ({"name": "cost", "label": "費用", "type": "money", "example": "たくさん"},
     "項目「費用」の記入例「たくさん」は、この項目の答えになりません"),
    ({"name": "pick", "label": "区分", "type": "select", "choices": "A\nB", "example": "C"},
     "項目「区分」の記入例「C」は、この項目の答えになりません（選択肢にない値です（A、B））"),
    ({"name": "rows", "label": "内訳", "type": "table",
      "columns": "- {name: a, label: A, type: text}", "example": "1行目"},
     "表・ファイル）には記入例を書けません"),
])
def test_a_bad_field_is_refused_and_nothing_changes(city_admin, properties, message):
    post(city_admin, f"{BASE}start")
    before = (draft().schema, draft().version)
    response = add_field(city_admin, 0, **properties)
    html = response.get_data(as_text=True)
    assert message in html, flashes(html)
    db.session.rollback()
    assert (draft().schema, draft().version) == before


def test_a_field_is_set_to_fill_a_proposal_column(city_admin):
    post(city_admin, f"{BASE}start")
    url = f"{BASE}field?name=budget_measure"
    html, values = form_page(city_admin, url)
    assert values["fills_column"] == "needs_budget" and values["fills_equals"] == "必要"
    values.update(fills_column="", fills_equals="")
    city_admin.post(url, data=values, follow_redirects=True)
    assert "fills" not in field_of(draft().schema, "budget_measure")
    values = form_page(city_admin, url)[1]
    values.update(fills_column="needs_budget", fills_equals="不要")
    city_admin.post(url, data=values, follow_redirects=True)
    db.session.expire_all()
    assert field_of(draft().schema, "budget_measure")["fills"] == {
        "column": "needs_budget", "equals": "不要"}


def field_of(schema, name):
    return next(f for s in schema["sections"] for f in s["fields"] if f["name"] == name)


def test_reorder_remove_and_sections(city_admin):
    post(city_admin, f"{BASE}start")
    names = lambda: [f["name"] for f in draft().schema["sections"][0]["fields"]]  # noqa: E731
    first, second = names()[:2]
    post(city_admin, f"{BASE}move", name=second, direction="up")
    assert names()[:2] == [second, first]
    post(city_admin, f"{BASE}remove", name=first)
    assert first not in names()
    post(city_admin, f"{BASE}section", op="add", title="追加の質問")
    assert draft().schema["sections"][-1] == {"title": "追加の質問", "fields": []}
    count = len(draft().schema["sections"])
    post(city_admin, f"{BASE}section", op="remove", index=count - 1)
    assert len(draft().schema["sections"]) == count - 1
    response = post(city_admin, f"{BASE}section", op="remove", index=0)
    assert "項目のあるセクションは削除できません" in response.get_data(as_text=True)


def test_removing_a_field_others_depend_on_is_refused(city_admin):
    post(city_admin, f"{BASE}start")
    before = draft().schema
    response = post(city_admin, f"{BASE}remove", name="budget_measure")
    assert "存在しない項目「budget_measure」" in response.get_data(as_text=True)
    assert draft().schema == before


def test_stale_draft_edit_is_refused(city_admin):
    post(city_admin, f"{BASE}start")
    stale = draft().version
    post(city_admin, f"{BASE}section", op="add", title="一人目の変更")
    html = city_admin.get(BASE).get_data(as_text=True)
    response = city_admin.post(f"{BASE}section", data={
        "csrf_token": csrf_from(html), "version": stale, "op": "add", "title": "二人目の変更"},
        follow_redirects=True)
    assert "他の利用者によって変更されました" in response.get_data(as_text=True)
    titles = [s["title"] for s in draft().schema["sections"]]
    assert "一人目の変更" in titles and "二人目の変更" not in titles


def test_yaml_upload_into_the_draft(city_admin):
    post(city_admin, f"{BASE}start")
    before = draft().schema
    html = city_admin.get(BASE).get_data(as_text=True)
    bad = io.BytesIO(b"kind: basic_sheet\nsections: [\n")
    response = city_admin.post(f"{BASE}import", data={
        "csrf_token": csrf_from(html), "version": draft().version, "file": (bad, "bad.yaml")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "YAMLの書式が正しくありません" in response.get_data(as_text=True)
    assert draft().schema == before
    other_kind = (FORMS / "kamakura" / "agreement.yaml").read_bytes()
    response = city_admin.post(f"{BASE}import", data={
        "csrf_token": csrf_from(html), "version": draft().version,
        "file": (io.BytesIO(other_kind), "agreement.yaml")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "「協定書」の様式です" in response.get_data(as_text=True)
    assert draft().schema == before


def test_staff_and_other_cities_cannot_use_the_builder(client, login_as, kamakura):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert client.get("/admin/form_builder/").status_code == 403
    other = CityFactory()
    enter_city(other)
    login_as(UserFactory(city=other, role=Role.CITY_ADMIN.value))
    html = client.get(BASE).get_data(as_text=True)
    assert "協働事業提案書（基本シート）" not in html  # Kamakura's form is not theirs


def test_unchanged_publish_keeps_the_revision(city_admin, kamakura):
    post(city_admin, f"{BASE}start")
    response = post(city_admin, f"{BASE}publish")
    assert any("変更がないため" in m for m in flashes(response.get_data(as_text=True)))
    assert current_definition(db.session, kamakura.id, "basic_sheet").revision == 1
    assert draft() is None


def test_an_example_is_written_in_the_builder_and_shown_at_the_entrance(city_admin, client):
    post(city_admin, f"{BASE}start")
    add_field(city_admin, 0, name="volunteers", label="参加するボランティアの人数", type="integer",
              example="１２")  # typed full-width: stored as the number
    field = next(f for s in draft().schema["sections"] for f in s["fields"]
                 if f["name"] == "volunteers")
    assert field["example"] == "１２"
    html, values = form_page(city_admin, f"{BASE}field?name=volunteers")
    assert "１２" in html  # shown again for editing
    post(city_admin, f"{BASE}publish")
    page = client.get("/entrance/kamakura/").get_data(as_text=True)
    shown = page.split('id="answers__volunteers-example"')[1].split("</details>")[0]
    assert "記入例を見る" in shown and ">12</p>" in shown
