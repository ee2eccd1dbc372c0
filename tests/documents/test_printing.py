"""A template keeps printing what it printed when it was registered: one written before typed
answers prints a bare yes/no as ☑/☐ after the upgrade, as it did; the templates page names
each such item with its fix, and one click registers a revision that prints the same under
the current rules."""

from __future__ import annotations

from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import DocumentTemplate, Role
from kyodo_admin.services.documents import activate_template, add_template, render_document

from ..conftest import csrf_from, enter_city, flashes
from ..factories import UserFactory
from .bad_templates import clean_template
from .conftest import make_agreement, texts

WRITTEN_BEFORE = clean_template("個人情報: {{ answers.personal_information }}",
                                "{% if answers.personal_information %}保護措置あり{% endif %}",
                                "団体: {{ organization.name }}")


def test_a_template_written_before_typed_answers_prints_as_it_did(kamakura, client, login_as):
    agreement = make_agreement(kamakura)  # 個人情報を取り扱う: ticked
    enter_city(kamakura)
    old = add_template(db.session, kamakura, "agreement", "協定書_旧.docx", WRITTEN_BEFORE)
    old.printing = 1  # as the upgrade's migration keeps a template registered before it
    activate_template(db.session, old)
    db.session.commit()
    before = texts(render_document(db.session, "agreement", agreement).data)
    assert "個人情報: ☑" in before and "保護措置あり" in before

    # the same file uploaded now is written for the current rules: はい
    current = add_template(db.session, kamakura, "agreement", "協定書_新.docx", WRITTEN_BEFORE)
    assert "個人情報: はい" in texts(render_document(db.session, "agreement", agreement,
                                                   current).data)
    db.session.rollback()

    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    page = client.get("/admin/document_template/").get_data(as_text=True)
    assert "はい／いいえの項目「個人情報を取り扱う」を ☑／☐ で印字しています" in page
    assert "{{ answers.personal_information|checkbox }}" in page
    response = client.post(f"/admin/document_template/modernize/{old.id}",
                           data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert any("使用する版にしました（☑／☐ の印字はそのままです）" in m
               for m in flashes(response.get_data(as_text=True)))
    enter_city(kamakura)
    db.session.expire_all()
    active = db.session.execute(select(DocumentTemplate).where(
        DocumentTemplate.kind == "agreement", DocumentTemplate.is_active.is_(True))).scalar_one()
    assert active.id != old.id and active.printing == 2
    assert texts(render_document(db.session, "agreement", agreement).data) == before
    assert "☑／☐ で印字しています" not in client.get("/admin/document_template/").get_data(
        as_text=True)
