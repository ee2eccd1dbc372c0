"""Configured forms in the back office: versions, runtime validation, visibility, files, CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kyodo_admin.extensions import db
from kyodo_admin.formschema.definition import dump_yaml, load_yaml
from kyodo_admin.models import Attachment, FormDefinition, Proposal, Role
from kyodo_admin.services.form_definitions import as_definition, import_files, publish_definition

from ..conftest import enter_city, flashes, form_page
from ..factories import CityFactory, UserFactory

FORMS = Path(__file__).resolve().parents[2] / "forms"

FILLED = {
    "title": "海辺の清掃活動", "answers__purpose": "海岸をきれいにする", "answers__need": "ごみが多い",
    "answers__plan": "月1回の清掃", "answers__budget_measure": "不要",
    "answers__independence": "会費で運営", "answers__continuity": "10年続けている",
    "answers__profile": "2005年設立", "answers__contact_person": "山田",
    "answers__contact_phone": "0467-23-3000",
}


@pytest.fixture
def staff(client, login_as, kamakura):
    enter_city(kamakura)
    login_as(UserFactory(city=kamakura, username="kamakura-staff"))
    return client


def new_proposal(client, **fields):
    _html, values = form_page(client, "/admin/proposal/new/")
    values.update(FILLED)
    values.update(fields)
    return client.post("/admin/proposal/new/", data=values)


def proposals():
    return db.session.execute(select(Proposal).order_by(Proposal.id)).scalars().all()


def test_new_record_is_filled_against_the_current_revision(staff):
    html, _ = form_page(staff, "/admin/proposal/new/")
    assert "提案の目的" in html and "ニーズの所在" in html and "団体の自立性" in html
    response = new_proposal(staff)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    (proposal,) = proposals()
    assert proposal.form_definition.revision == 1
    assert proposal.answers["purpose"] == "海岸をきれいにする"
    assert proposal.answers["budget_measure"] == "不要"
    assert "budget_reason" not in proposal.answers


@pytest.mark.parametrize("field,value,message", [
    ("answers__purpose", "", "この項目は必須です。"),
    ("answers__purpose", "あ" * 2001, "2000文字以内で入力してください。"),
    ("answers__budget_measure", "たぶん", "選択肢にない値です"),
    ("answers__budget_scale", "-1", "0以上の数値を入力してください。"),
    ("answers__contact_phone", "でんわ", "電話番号は"),
])
def test_an_answer_that_breaks_the_definition_is_refused(staff, field, value, message):
    response = new_proposal(staff, **{field: value})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert proposals() == []


def test_visibility_condition_requires_only_when_shown(staff):
    response = new_proposal(staff, **{"answers__budget_measure": "必要"})
    assert response.status_code == 200
    assert "この項目は必須です。" in response.get_data(as_text=True)
    assert proposals() == []
    # hidden: not required, and a posted value is not stored
    response = new_proposal(staff, **{"answers__budget_measure": "不要",
                                      "answers__budget_reason": "送られてきた値"})
    assert response.status_code == 302
    assert "budget_reason" not in proposals()[0].answers


def test_table_answers_are_stored_as_rows(staff):
    response = new_proposal(staff, **{"answers__schedule-0-period": "4月", "answers__schedule-0-activity": "準備",
                                      "answers__schedule-1-period": "", "answers__schedule-1-activity": ""})
    assert response.status_code == 302
    assert proposals()[0].answers["schedule"] == [{"period": "4月", "activity": "準備"}]


def test_old_records_keep_their_revision_when_a_new_one_is_published(staff, kamakura, login_as):
    assert new_proposal(staff, title="古い提案").status_code == 302
    old = proposals()[0]
    old_id = old.id

    # the city admin adds a required field shown only when a budget is needed
    definition = as_definition(old.form_definition, "kamakura")
    definition["sections"][1]["fields"].append({
        "name": "budget_department", "label": "予算を要求する担当課", "type": "text",
        "required": True, "visible_if": {"field": "budget_measure", "equals": "必要"}})
    result = publish_definition(db.session, kamakura, definition)
    db.session.commit()
    assert result.outcome == "created" and result.definition.revision == 2

    # new proposals must fill it when shown
    response = new_proposal(staff, title="新しい提案", **{"answers__budget_measure": "必要",
                                                        "answers__budget_reason": "委託料が必要"})
    assert response.status_code == 200 and "予算を要求する担当課" in response.get_data(as_text=True)
    response = new_proposal(staff, title="新しい提案", **{"answers__budget_measure": "必要",
                                                        "answers__budget_reason": "委託料が必要",
                                                        "answers__budget_department": "財政課"})
    assert response.status_code == 302
    new = proposals()[-1]
    assert new.form_definition.revision == 2 and new.answers["budget_department"] == "財政課"

    # the old proposal still shows and edits with its first revision
    html, values = form_page(staff, f"/admin/proposal/edit/?id={old_id}")
    assert "予算を要求する担当課" not in html and "提案の目的" in html
    assert values["answers__purpose"] == "海岸をきれいにする"
    values["answers__need"] = "ごみが増えている"
    assert staff.post(f"/admin/proposal/edit/?id={old_id}", data=values).status_code == 302
    old = db.session.get(Proposal, old_id)
    assert old.form_definition.revision == 1
    assert old.answers["need"] == "ごみが増えている" and old.answers["purpose"] == "海岸をきれいにする"
    details = staff.get(f"/admin/proposal/details/?id={old_id}").get_data(as_text=True)
    assert "ごみが増えている" in details and "予算を要求する担当課" not in details


def test_publishing_rules(kamakura):
    enter_city(kamakura)
    current = db.session.execute(select(FormDefinition)).scalar_one()
    definition = as_definition(current, "kamakura")
    assert publish_definition(db.session, kamakura, definition).outcome == "unchanged"
    definition["title"] = "協働事業提案書（改）"
    result = publish_definition(db.session, kamakura, definition)
    assert result.outcome == "updated" and result.definition.id == current.id  # no record uses it
    assert db.session.execute(select(func.count()).select_from(FormDefinition)).scalar_one() == 1


def test_file_field_stores_an_attachment_and_keeps_it(staff):
    _html, values = form_page(staff, "/admin/proposal/new/")
    values.update(FILLED)
    values["answers__attachment"] = (io.BytesIO(b"%PDF-1.4 test"), "定款.pdf")
    response = staff.post("/admin/proposal/new/", data=values, content_type="multipart/form-data")
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    proposal = proposals()[0]
    answer = proposal.answers["attachment"]
    assert answer["filename"] == "定款.pdf"
    attachment = db.session.get(Attachment, answer["attachment_id"])
    assert attachment.content == b"%PDF-1.4 test" and attachment.city_id == proposal.city_id
    download = staff.get(f"/admin/attachment/download/{attachment.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    # it opens from the proposal's page, and the attachment list names the proposal
    details = staff.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert f'<a href="/admin/attachment/download/{attachment.id}">定款.pdf</a>' in details
    assert (attachment.record_type, attachment.record_id) == ("proposal", proposal.id)
    listing = staff.get("/admin/attachment/").get_data(as_text=True)
    assert f'/admin/proposal/details/?id={proposal.id}">提案：{proposal}</a>' in listing
    # editing without a new upload keeps the attachment
    url = f"/admin/proposal/edit/?id={proposal.id}"
    _html, values = form_page(staff, url)
    assert staff.post(url, data=values).status_code == 302
    assert db.session.get(Proposal, proposal.id).answers["attachment"] == answer


def test_cli_import_is_all_or_nothing(app, kamakura, tmp_path):
    enter_city(kamakura)
    good = tmp_path / "good.yaml"
    definition = load_yaml((FORMS / "kamakura" / "review_sheet.yaml").read_text(encoding="utf-8"))
    good.write_text(dump_yaml(definition), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("city: kamakura\nkind: agreement\nsections:\n- title: x\n  fields:\n"
                   "  - name: a\n    label: A\n    type: hologram\n", encoding="utf-8")
    before = db.session.execute(select(func.count()).select_from(FormDefinition)).scalar_one()
    result = app.test_cli_runner().invoke(args=["kyodo", "forms", "import", str(good), str(bad)])
    assert result.exit_code != 0
    assert "bad.yaml" in result.output and "hologram" in result.output and "6行目" in result.output
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(FormDefinition)).scalar_one() == before
    result = app.test_cli_runner().invoke(args=["kyodo", "forms", "import", str(good)])
    assert result.exit_code == 0, result.output


def test_cli_round_trip_is_byte_identical_for_every_city_and_kind(app, tmp_path):
    for slug in ("kamakura", "saitama", "hachioji", "koganei", "kunitachi"):
        CityFactory(slug=slug, name=slug)
    runner = app.test_cli_runner()
    files = sorted(str(p) for p in FORMS.glob("*/*.yaml"))
    assert len(files) == 30
    assert runner.invoke(args=["kyodo", "forms", "import", *files]).exit_code == 0
    for slug in ("kamakura", "saitama", "hachioji", "koganei", "kunitachi"):
        first, second = tmp_path / slug / "1", tmp_path / slug / "2"
        assert runner.invoke(args=["kyodo", "forms", "export", "--city", slug, "-o", str(first)]).exit_code == 0
        again = runner.invoke(args=["kyodo", "forms", "import", *map(str, sorted(first.glob("*.yaml")))])
        assert again.exit_code == 0 and "変更なし" in again.output
        assert runner.invoke(args=["kyodo", "forms", "export", "--city", slug, "-o", str(second)]).exit_code == 0
        for path in sorted(first.glob("*.yaml")):
            assert path.read_bytes() == (second / path.name).read_bytes()
            assert path.read_bytes() == (FORMS / slug / path.name).read_bytes()


def test_other_city_cannot_see_the_form_definitions(client, login_as, kamakura):
    other = CityFactory()
    login_as(UserFactory(city=other, role=Role.CITY_ADMIN.value))
    html = client.get("/admin/form_definition/").get_data(as_text=True)
    assert "基本シート" not in html


@pytest.mark.parametrize("kind,endpoint", [("review_sheet", "review"), ("project_plan", "project_plan"),
                                           ("agreement", "agreement"),
                                           ("completion_report", "completion_report"),
                                           ("evaluation", "evaluation")])
def test_every_record_kind_shows_its_city_form(client, login_as, kind, endpoint):
    city = CityFactory(slug="saitama", name="埼玉県")
    enter_city(city)
    import_files(db.session, [FORMS / "saitama" / f"{kind}.yaml"])
    db.session.commit()
    definition = load_yaml((FORMS / "saitama" / f"{kind}.yaml").read_text(encoding="utf-8"))
    labels = [f["label"] for s in definition["sections"] for f in s["fields"]]
    login_as(UserFactory(city=city))
    html = client.get(f"/admin/{endpoint}/new/").get_data(as_text=True)
    assert all(label in html for label in labels), [label for label in labels if label not in html]


def test_an_attachment_opens_only_for_its_citys_logged_in_users(client, staff, kamakura,
                                                                 login_as):
    _html, values = form_page(staff, "/admin/proposal/new/")
    values.update(FILLED)
    values["answers__attachment"] = (io.BytesIO(b"%PDF-1.4 secret"), "会計報告.pdf")
    assert staff.post("/admin/proposal/new/", data=values,
                      content_type="multipart/form-data").status_code == 302
    attachment_id = proposals()[0].answers["attachment"]["attachment_id"]
    url = f"/admin/attachment/download/{attachment_id}"
    login_as(UserFactory(city=CityFactory(), role=Role.STAFF.value))
    assert client.get(url).status_code == 404  # another city's staff
    anonymous = client.application.test_client()  # nobody logged in
    response = anonymous.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
