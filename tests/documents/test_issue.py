"""Issuing documents in the back office: archive, re-download, city scope, bulk ZIP, failures."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument, Role
from kyodo_admin.models.document import DocumentTemplate
from kyodo_admin.services.documents import install_shipped_templates
from kyodo_admin.tenancy import all_cities, scoped_to

from ..conftest import csrf_from, flashes
from ..factories import (
    CityFactory,
    UserFactory,
)
from .conftest import ORG_NAME, archived, make_agreement, texts


def token(client, url="/admin/agreement/") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def issue(client, agreement_id: int):
    return client.post(f"/admin/agreement/document/agreement/{agreement_id}",
                       data={"csrf_token": token(client)})


def test_issue_archives_the_document_and_downloads_the_same_bytes(client, kamakura, staff):
    agreement = make_agreement(kamakura)
    agreement_id, version, city_id = agreement.id, agreement.version, kamakura.id
    with scoped_to(city_id):
        template_id = db.session.execute(select(DocumentTemplate.id).where(
            DocumentTemplate.kind == "agreement", DocumentTemplate.is_active.is_(True))).scalar_one()

    response = issue(client, agreement_id)
    assert response.status_code == 200, flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert response.mimetype.endswith("wordprocessingml.document")
    text = texts(response.data)
    assert ORG_NAME in text
    assert "令和8年4月1日" in text and "令和9年3月31日" in text
    assert "役割0|会場の確保|運営" in text and "費目1|200,000円|5,000円" in text
    assert "合計|300,000円|10,000円" in text
    assert "{{" not in text and "{%" not in text

    with scoped_to(city_id):
        row = db.session.execute(select(GeneratedDocument)).scalar_one()
        assert (row.record_type, row.record_id, row.record_version) == (
            "agreement", agreement_id, version)
        assert row.template_id == template_id and row.created_by_id == staff.id
        assert row.content == response.data and len(row.sha256) == 64
        row_id = row.id
    again = client.get(f"/admin/generated_document/download/{row_id}")
    assert again.status_code == 200 and again.data == response.data


def test_another_citys_record_is_not_issued(client, kamakura, staff):
    other = CityFactory()
    with scoped_to(other.id):  # the other city has its templates too
        install_shipped_templates(db.session, other)
        db.session.commit()
    foreign_id = make_agreement(other).id
    response = issue(client, foreign_id)
    assert response.status_code == 404
    assert archived() == 0


def test_a_record_missing_data_names_the_placeholder_and_archives_nothing(client, kamakura, staff):
    agreement_id = make_agreement(kamakura, organization=False).id
    response = issue(client, agreement_id)
    assert response.status_code == 302
    messages = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert any("差込項目「organization」に対応するデータがありません" in m for m in messages), messages
    assert archived() == 0


def test_a_record_of_an_older_form_names_the_missing_field(client, kamakura, staff):
    agreement = make_agreement(kamakura)
    with scoped_to(kamakura.id):  # a record filled before the form had that item
        agreement.form_definition = None
        agreement.answers = {}
        db.session.commit()
        agreement_id = agreement.id
    response = issue(client, agreement_id)
    messages = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert any("差込項目「answers.personal_information」に対応するデータがありません" in m for m in messages)
    assert archived() == 0


def test_no_active_template_is_a_clear_message(client, kamakura, staff):
    agreement_id = make_agreement(kamakura).id
    with scoped_to(kamakura.id):  # the city admin retired every agreement template
        db.session.execute(DocumentTemplate.__table__.update().values(is_active=False))
        db.session.commit()
    response = issue(client, agreement_id)
    messages = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert any("「協定書」のWord様式が登録されていません" in m for m in messages), messages
    assert archived() == 0


def test_a_failed_save_leaves_no_row_and_shows_a_message(client, kamakura, staff, monkeypatch):
    agreement = make_agreement(kamakura)
    agreement_id = agreement.id
    url_token = token(client)

    def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        response = client.post(f"/admin/agreement/document/agreement/{agreement_id}",
                               data={"csrf_token": url_token})
    assert response.status_code == 302
    messages = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert any("文書を保管できなかったため、作成を取り消しました" in m for m in messages), messages
    assert archived() == 0


def test_bulk_issue_gives_a_zip_of_the_own_citys_records(client, kamakura, staff):
    first, second = make_agreement(kamakura), make_agreement(kamakura)
    foreign = make_agreement(CityFactory())
    ids = [first.id, second.id, foreign.id]
    response = client.post("/admin/agreement/action/", data={
        "csrf_token": token(client), "action": "issue_documents", "rowid": [str(i) for i in ids]})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert len(names) == 2 and all(n.endswith(".docx") for n in names)
        assert all(ORG_NAME in texts(archive.read(n)) for n in names)
    with all_cities():  # only Kamakura's two, in any city
        rows = db.session.execute(select(GeneratedDocument.record_id)).scalars().all()
    assert sorted(rows) == sorted(ids[:2])


def test_bulk_issue_stops_whole_when_one_record_fails(client, kamakura, staff):
    good, bad = make_agreement(kamakura).id, make_agreement(kamakura, organization=False).id
    response = client.post("/admin/agreement/action/", data={
        "csrf_token": token(client), "action": "issue_documents",
        "rowid": [str(good), str(bad)]}, follow_redirects=True)
    messages = flashes(response.get_data(as_text=True))
    assert any("一括作成を中止しました" in m and "organization" in m for m in messages), messages
    assert archived() == 0


def test_viewer_cannot_issue(client, kamakura, login_as):
    agreement_id = make_agreement(kamakura).id
    login_as(UserFactory(city=kamakura, role=Role.VIEWER.value))
    response = issue(client, agreement_id)
    assert response.status_code == 403
    assert archived() == 0


def test_details_page_offers_the_document(client, kamakura, staff):
    agreement_id = make_agreement(kamakura).id
    html = client.get(f"/admin/agreement/details/?id={agreement_id}").get_data(as_text=True)
    assert re.search(rf'action="[^"]*/admin/agreement/document/agreement/{agreement_id}"', html)


def test_a_control_character_stored_before_never_reaches_a_docx(client, kamakura, staff):
    agreement = make_agreement(kamakura)
    with scoped_to(kamakura.id):
        agreement.responsibility = "甲乙\x01協議\x1bのうえ負担する。"  # typed before inputs were cleaned
        db.session.commit()
        agreement_id = agreement.id
    response = issue(client, agreement_id)
    assert response.status_code == 200
    text = texts(response.data)  # python-docx opens it
    assert "甲乙協議のうえ負担する。" in text
    assert "\x01" not in text and "\x1b" not in text
