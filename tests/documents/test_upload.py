"""Uploading Word templates (back office and CLI): every bad file refused, nothing stored."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import func, select

from kyodo_admin import tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument, Role
from kyodo_admin.models.document import DocumentTemplate
from kyodo_admin.services.documents import SHIPPED
from kyodo_admin.tenancy import all_cities, scoped_to

from ..conftest import csrf_from, flashes
from ..factories import UserFactory
from .bad_templates import BAD_TEMPLATES, clean_template
from .conftest import make_agreement


@pytest.fixture
def city_admin(kamakura, client, login_as):
    user = UserFactory(city=kamakura, role=Role.CITY_ADMIN.value)
    login_as(user)
    return user


def templates() -> list[tuple[str, int, bool, str]]:
    """Every city's Word templates (the test inspects them all)."""
    with all_cities():
        return [tuple(row) for row in db.session.execute(select(
            DocumentTemplate.kind, DocumentTemplate.revision, DocumentTemplate.is_active,
            DocumentTemplate.sha256).order_by(DocumentTemplate.id))]


def upload(client, data: bytes, kind: str = "agreement", filename: str = "協定書.docx"):
    token = csrf_from(client.get("/admin/document_template/new/").get_data(as_text=True))
    return client.post("/admin/document_template/new/", data={
        "csrf_token": token, "kind": kind, "note": "",
        "upload": (io.BytesIO(data), filename)}, content_type="multipart/form-data",
        follow_redirects=True)


@pytest.mark.parametrize("name", sorted(BAD_TEMPLATES))
def test_each_bad_upload_is_refused_and_nothing_stored(client, city_admin, name):
    before = templates()
    build, message = BAD_TEMPLATES[name]
    response = upload(client, build())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in m for m in flashes(html)), flashes(html)
    assert "Traceback" not in html
    assert templates() == before


def test_a_template_of_another_kind_is_refused(client, city_admin):
    before = templates()
    response = upload(client, (SHIPPED / "kamakura" / "agreement.docx").read_bytes(),
                      kind="basic_sheet")
    messages = flashes(response.get_data(as_text=True))
    assert any("別の種類の様式ではありませんか" in m for m in messages), messages
    assert templates() == before


def test_an_upload_without_a_file_is_refused(client, city_admin):
    before = templates()
    token = csrf_from(client.get("/admin/document_template/new/").get_data(as_text=True))
    response = client.post("/admin/document_template/new/", data={
        "csrf_token": token, "kind": "agreement", "note": ""}, follow_redirects=True)
    assert any("Word様式ファイル（.docx）を指定してください" in m
               for m in flashes(response.get_data(as_text=True)))
    assert templates() == before


def test_upload_preview_activate_then_issue_uses_the_new_version(client, city_admin, kamakura,
                                                                  login_as):
    good = clean_template("新様式 {{ organization.name }}", "{{ agreement.start_date|wareki }}")
    response = upload(client, good)
    assert any("第2版として登録しました" in m for m in flashes(response.get_data(as_text=True)))
    with scoped_to(kamakura.id):
        new = db.session.execute(select(DocumentTemplate).where(
            DocumentTemplate.kind == "agreement", DocumentTemplate.revision == 2)).scalar_one()
        assert new.is_active is False and new.content == good
        new_id = new.id

    page = client.get(f"/admin/document_template/preview/{new_id}", follow_redirects=True)
    assert page.status_code == 200 and "/admin/work/" in page.request.path  # made by a worker
    assert "作成しました（発行文書には保管していません）" in page.get_data(as_text=True)
    preview = client.get(page.request.path + "/download")
    assert preview.status_code == 200
    assert docx.Document(io.BytesIO(preview.data)).paragraphs[0].text.startswith("新様式 ")
    with scoped_to(kamakura.id):
        assert db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one() == 0

    token = csrf_from(client.get("/admin/document_template/").get_data(as_text=True))
    client.post("/admin/document_template/action/", data={
        "csrf_token": token, "action": "activate", "rowid": [str(new_id)]})
    with scoped_to(kamakura.id):
        active = db.session.execute(select(DocumentTemplate.revision).where(
            DocumentTemplate.kind == "agreement", DocumentTemplate.is_active.is_(True))
        ).scalars().all()
    assert active == [2]

    agreement = make_agreement(kamakura)
    with scoped_to(kamakura.id):
        agreement.form_definition = None
        db.session.commit()
        agreement_id = agreement.id
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    issued = client.post(f"/admin/agreement/document/agreement/{agreement_id}",
                         data={"csrf_token": token})
    assert issued.status_code == 200
    assert docx.Document(io.BytesIO(issued.data)).paragraphs[0].text.startswith("新様式 NPO法人")


def test_staff_cannot_upload(client, kamakura, login_as):
    login_as(UserFactory(city=kamakura, role=Role.STAFF.value))
    assert client.get("/admin/document_template/new/").status_code == 403


def test_cli_templates_check(app, kamakura, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.docx"
    bad.write_bytes(BAD_TEMPLATES["unknown_placeholder"][0]())
    result = runner.invoke(args=["kyodo", "templates", "check", str(bad), "--kind", "agreement",
                                 "--city", "kamakura"])
    assert result.exit_code != 0
    assert "この種類の文書にない差込項目があります: applicant_seal" in result.output
    good = tmp_path / "good.docx"
    good.write_bytes((SHIPPED / "kamakura" / "agreement.docx").read_bytes())
    result = runner.invoke(args=["kyodo", "templates", "check", str(good), "--kind", "agreement"])
    assert result.exit_code == 0, result.output
    assert "問題はありません" in result.output


@pytest.mark.parametrize("chunk", [100, 1])  # one chunk, or a chunk per document
def test_cli_docs_generate(app, kamakura, tmp_path, monkeypatch, chunk):
    from kyodo_admin import cli

    monkeypatch.setattr(cli, "DOCS_CHUNK", chunk)
    first, second = make_agreement(kamakura), make_agreement(kamakura)
    kamakura_id = kamakura.id  # the command lets go of every row it read
    with scoped_to(kamakura_id):
        for agreement in (first, second):
            agreement.form_definition = None
        db.session.commit()
    # The shipped Kamakura agreement asks for its form's answers; use a plain template here.
    with scoped_to(kamakura_id):
        db.session.execute(DocumentTemplate.__table__.update().values(
            content=clean_template("{{ organization.name }}", "{{ totals.all|yen }}")))
        db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "out"
    with tenancy.not_set():  # as a command starts in production: it names its own scope
        result = runner.invoke(args=["kyodo", "docs", "generate", "--city", "kamakura",
                                     "--kind", "agreement", "--all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.docx"))
    assert len(files) == 2
    assert docx.Document(files[0]).paragraphs[1].text == "310,000円"
    with scoped_to(kamakura_id):
        rows = db.session.execute(select(GeneratedDocument.content)).scalars().all()
    assert sorted(rows) == sorted(f.read_bytes() for f in files)

    missing = runner.invoke(args=["kyodo", "docs", "generate", "--city", "kamakura", "--kind",
                                  "agreement", "-o", str(out)])
    assert missing.exit_code != 0 and "--record ID か --all" in missing.output
