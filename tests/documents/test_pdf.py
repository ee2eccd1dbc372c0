"""PDF through LibreOffice: Japanese text in IPA Mincho for templates asking for ＭＳ 明朝.

The LibreOffice tests run where it is installed (``make test`` installs it in CI,
where its absence fails the run); elsewhere they skip with the reason.
"""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

from kyodo_admin.documents import pdf, pdf_pool
from kyodo_admin.documents.render import render
from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument
from kyodo_admin.services.documents import SHIPPED, example_context
from kyodo_admin.tenancy import scoped_to

from ..conftest import csrf_from
from .bad_templates import clean_template
from .conftest import ORG_NAME, archived, make_agreement


def needs_libreoffice() -> None:
    if not pdf.available():
        message = ("LibreOffice is not installed (Debian packages libreoffice-writer-nogui, "
                   "fonts-ipafont, fonts-ipaexfont); `make test` installs them in CI")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def pdf_text_and_fonts(data: bytes) -> tuple[str, set[str]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    return "\n".join(page.extract_text() for page in reader.pages).replace(" ", ""), fonts


def test_windows_fonts_are_aliased_to_ipa():
    xml = pdf.fontconfig_xml()
    assert "<family>ＭＳ 明朝</family><prefer><family>IPAexMincho</family>" in xml
    assert "<family>BIZ UD明朝</family>" in xml and "/etc/fonts/fonts.conf" in xml


def test_an_agreement_becomes_a_pdf_in_mincho():
    needs_libreoffice()
    docx = render((SHIPPED / "kamakura" / "agreement.docx").read_bytes(),
                  example_context("agreement", any_answers=True))
    data = pdf.to_pdf(docx)
    assert data.startswith(b"%PDF")
    text, fonts = pdf_text_and_fonts(data)
    assert "まちの子育てネット" in text and "令和8年4月1日" in text and "第十条" in text
    assert any("IPA" in f and "Mincho" in f for f in fonts), fonts


def test_only_word_files_are_converted():
    with pytest.raises(pdf.PdfFailed, match="Word文書（.docx）ではないため"):
        pdf.to_pdf(b"this is not a document")


def test_issue_as_pdf_archives_the_word_file(client, kamakura, staff):
    """The PDF button hands the conversion to a worker (the queue runs it at once in the
    tests): the page shows it made, and the PDF downloads from there."""
    needs_libreoffice()
    agreement_id = make_agreement(kamakura).id
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    response = client.post(f"/admin/agreement/document/agreement/{agreement_id}",
                           data={"csrf_token": token, "format": "pdf"})
    assert response.status_code == 302 and "/admin/agreement/batch/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PDFの作成（協定書）" in page and "PDFをダウンロード" in page
    batch_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    download = client.get(f"/admin/agreement/batch/{batch_id}/zip")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert ORG_NAME.replace(" ", "") in pdf_text_and_fonts(download.data)[0]
    with scoped_to(kamakura.id):
        row = db.session.execute(select(GeneratedDocument)).scalar_one()
        row_id = row.id
        assert row.content.startswith(b"PK") and row.filename.endswith(".docx")
    # the archived copy as PDF: made once by a worker from the archived bytes, then reused
    again = client.get(f"/admin/generated_document/pdf/{row_id}")
    assert again.status_code == 302 and "/admin/generated_document/batch/" in again.headers["Location"]
    pdf_file = client.get(again.headers["Location"] + "/zip")
    assert pdf_file.mimetype == "application/pdf" and pdf_file.data.startswith(b"%PDF")
    assert client.get(f"/admin/generated_document/pdf/{row_id}").headers["Location"] == \
        again.headers["Location"]


def test_without_libreoffice_the_user_is_told_and_nothing_is_archived(client, kamakura, staff,
                                                                      monkeypatch):
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    agreement_id = make_agreement(kamakura).id
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    response = client.post(f"/admin/agreement/document/agreement/{agreement_id}",
                           data={"csrf_token": token, "format": "pdf"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "PDFの作成（協定書）" in page and "LibreOffice" in page and "もう一度実行する" in page
    assert archived() == 0


def test_cli_writes_pdfs_beside_the_word_files(app, kamakura, tmp_path):
    needs_libreoffice()
    agreement = make_agreement(kamakura)
    result = app.test_cli_runner().invoke(args=[
        "kyodo", "docs", "generate", "--city", "kamakura", "--kind", "agreement",
        "--record", str(agreement.id), "--pdf", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdfs = list(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].with_suffix(".docx").exists()
    assert "令和8年4月1日" in pdf_text_and_fonts(pdfs[0].read_bytes())[0]


def test_a_timed_out_conversion_leaves_no_process_behind(tmp_path, monkeypatch):
    """The `soffice` wrapper starts `soffice.bin` and a timeout must stop both: here a
    stand-in wrapper starts a child and both would sleep for minutes."""
    import subprocess
    import time

    marker = f"3{os.getpid() % 1000:03d}7"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\n( sleep {marker} ) &\nsleep {marker}1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "soffice", lambda: str(fake))
    monkeypatch.setattr(pdf, "TIMEOUT", 1)
    monkeypatch.setattr(pdf_pool, "SIZE", 0)  # the conversion by a LibreOffice of its own
    with pytest.raises(pdf.PdfFailed, match="1秒を超えたため中止しました"):
        pdf.to_pdf(clean_template())
    time.sleep(0.2)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "a process of the conversion was left running"


@pytest.mark.parametrize("warm", [True, False], ids=["pool", "cold"])
def test_a_pdf_is_tagged_with_its_title_and_language(kamakura, warm, monkeypatch):
    """Read with assistive software (JIS X 8341-3): a structure tree (headings, tables with
    their header cells) in reading order, the document's title shown as the window's title
    and its language — from the pool's warm converters and from a LibreOffice of its own."""
    from pypdf import PdfReader

    from kyodo_admin.services.documents import render_document

    needs_libreoffice()
    if not warm:
        monkeypatch.setattr(pdf_pool, "SIZE", 0)
    agreement = make_agreement(kamakura)
    with scoped_to(kamakura.id):
        rendered = render_document(db.session, "agreement", agreement)
    reader = PdfReader(io.BytesIO(pdf.to_pdf(rendered.data)))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]).startswith("ja")
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "協働事業協定書"  # the form's title, as the template sets it

    def roles(node, found):
        node = node.get_object()
        if "/S" in node:
            found.add(str(node["/S"]))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, list) else [kids]) if kids is not None else ():
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                roles(kid, found)
        return found

    tree = root["/StructTreeRoot"]
    role_map = {str(k): str(v) for k, v in (tree.get("/RoleMap") or {}).items()}
    tags = {role_map.get(tag, tag) for tag in roles(tree, set())}  # /Standard is a /P
    assert {"/Table", "/TR", "/TH", "/TD", "/P"} <= tags, tags  # header rows are /TH
    assert "/H1" in tags, tags  # the title is a heading (the shipped templates' Heading 1)


def test_a_document_whose_template_sets_no_title_gets_its_kind_and_record():
    import docx as python_docx

    from kyodo_admin.documents.render import titled
    from kyodo_admin.documents.starter import starter

    notice = render(starter("review_result_notice", None), example_context(
        "review_result_notice", any_answers=True))
    assert python_docx.Document(io.BytesIO(notice)).core_properties.title == ""
    named = python_docx.Document(io.BytesIO(titled(notice, "検討結果通知書　海辺の提案")))
    assert named.core_properties.title == "検討結果通知書　海辺の提案"
    assert named.core_properties.language == "ja-JP"
    # a title the template sets stays
    own = python_docx.Document()
    own.core_properties.title = "鎌倉市 事業計画書"
    buffer = io.BytesIO()
    own.save(buffer)
    kept = python_docx.Document(io.BytesIO(titled(buffer.getvalue(), "事業計画書　x")))
    assert kept.core_properties.title == "鎌倉市 事業計画書"
