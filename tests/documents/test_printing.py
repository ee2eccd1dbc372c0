"""A template keeps printing what it printed when it was registered: one written before typed
answers prints a bare yes/no as ☑/☐ after the upgrade, as it did; the templates page names
each such item with its fix, and one click registers a revision that prints the same under
the current rules."""

from __future__ import annotations

from sqlalchemy import func, select

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


def test_a_version_that_fails_on_existing_records_is_not_put_in_use(kamakura, client, login_as):
    """使用する版にする tries the version on the city's records first (by a worker): one that
    cannot make an existing agreement's document is refused with the record and the reason,
    and the version in use stays."""
    good = make_agreement(kamakura)
    broken = make_agreement(kamakura)
    enter_city(kamakura)
    broken.end_date = None  # an agreement still without its end
    strict = add_template(db.session, kamakura, "agreement", "協定書_期間.docx", clean_template(
        "期間: {{ (agreement.end_date - agreement.start_date).days + 1 }}日間",
        "{{ organization.name }}"))
    db.session.commit()
    in_use = db.session.execute(select(DocumentTemplate.id).where(
        DocumentTemplate.kind == "agreement", DocumentTemplate.is_active.is_(True))).scalar_one()
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    page = client.get("/admin/document_template/").get_data(as_text=True)
    response = client.post("/admin/document_template/action/", data={
        "csrf_token": csrf_from(page), "action": "activate", "rowid": [str(strict.id)]},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "/admin/work/" in response.request.path
    refusal = " ".join(flashes(html))
    assert "次の記録の文書を作成できないため、使用する版にしていません" in refusal
    assert f"（ID {broken.id}）" in refusal and f"（ID {good.id}）" not in refusal
    db.session.expire_all()
    enter_city(kamakura)
    assert db.session.execute(select(DocumentTemplate.id).where(
        DocumentTemplate.kind == "agreement", DocumentTemplate.is_active.is_(True))
    ).scalar_one() == in_use

    broken.end_date = good.end_date  # the record completed: the version goes in use
    db.session.commit()
    response = client.post("/admin/document_template/action/", data={
        "csrf_token": csrf_from(page), "action": "activate", "rowid": [str(strict.id)]},
        follow_redirects=True)
    assert any("これまでの記録で作成できることを確かめました" in m
               for m in flashes(response.get_data(as_text=True)))


def test_a_document_an_upgrade_added_is_offered_with_its_starter(kamakura, client, login_as):
    """A city installed before the continuation review's notice existed has no template of
    it: the Word様式 screen says 未登録 and puts the starter in use with one button, and the
    versions the city made of its other documents stay as they are."""
    enter_city(kamakura)
    for template in db.session.execute(select(DocumentTemplate).where(
            DocumentTemplate.kind == "continuation_notice")).scalars():
        db.session.delete(template)  # the city as an install before the upgrade has it
    db.session.commit()
    in_use = dict(db.session.execute(select(DocumentTemplate.kind, DocumentTemplate.id).where(
        DocumentTemplate.is_active.is_(True))).all())
    assert "continuation_notice" not in in_use

    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    page = client.get("/admin/document_template/").get_data(as_text=True)
    row = page.split('data-kind="continuation_notice"')[1].split("</tr>")[0]
    assert "未登録" in row and "ひな形をそのまま使う" in row
    response = client.post("/admin/document_template/use_starter/continuation_notice",
                           data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert any("「継続審査結果通知書」のひな形を第1版として登録し、使用する版にしました" in m
               for m in flashes(response.get_data(as_text=True)))
    db.session.expire_all()
    now = dict(db.session.execute(select(DocumentTemplate.kind, DocumentTemplate.id).where(
        DocumentTemplate.is_active.is_(True))).all())
    assert {k: v for k, v in now.items() if k != "continuation_notice"} == in_use
    assert "continuation_notice" in now
    # A second press does not stack a revision on the one in use.
    response = client.post("/admin/document_template/use_starter/continuation_notice",
                           data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert any("使用中の版があります" in m for m in flashes(response.get_data(as_text=True)))
    assert db.session.execute(select(func.count()).select_from(DocumentTemplate).where(
        DocumentTemplate.kind == "continuation_notice")).scalar_one() == 1
